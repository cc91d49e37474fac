# Facility Directory: `make run` serves the seeded directory, `make test` runs the tests.
# DATABASE_URL=postgres://… switches every target to PostgreSQL.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Development defaults; production sets DEBUG=false and a real SECRET_KEY.
export DEBUG ?= true

.PHONY: run test venv lock migrate seed lint format check clean

# A stamp file, not .venv/bin/python: that is a symlink, and touching it would touch the
# system interpreter.
STAMP := $(VENV)/.installed

# Both hash-locked files: the runtime (all the image installs) and the development and CI tools.
# pip checks every file it downloads against the lock's hashes (--require-hashes: every
# requirement must carry one, which `make lock` guarantees).
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Regenerates both locks from requirements.in and requirements-dev.in (the direct dependencies,
# each with why it is there) with uv, from the development virtualenv. A transitive package keeps
# its locked version unless a direct pin needs another: `make lock LOCK_ARGS=--upgrade` (or
# `LOCK_ARGS='--upgrade-package NAME'`) moves them. Universal resolution for Python 3.11 and up
# keeps the environment markers, so one lock serves this machine and the image alike. The
# runtime lock comes first: requirements-dev.in is constrained by it (-c requirements.txt).
LOCK := $(BIN)/uv pip compile --quiet --no-config --universal --python-version 3.11 \
	--generate-hashes --no-header $(LOCK_ARGS)

lock: venv
	$(LOCK) requirements.in -o requirements.txt
	{ printf '%s\n' \
	  '# Runtime dependencies, hash-locked: every package the app needs to serve, at an exact' \
	  '# version, with the hashes of its files. The image installs this file alone' \
	  '# (pip install --require-hashes -r requirements.txt); development and CI tools are in' \
	  '# requirements-dev.txt.' \
	  '# Generated, do not edit: change requirements.in (the direct dependencies, each with why' \
	  '# it is here), then run `make lock` (uv pip compile --universal --generate-hashes).'; \
	  cat requirements.txt; } > requirements.txt.new && mv requirements.txt.new requirements.txt
	$(LOCK) requirements-dev.in -o requirements-dev.txt
	{ printf '%s\n' \
	  '# Development and CI dependencies, hash-locked, installed on top of requirements.txt' \
	  '# (make venv, .ci/run); never in the image. A package both files need has the same' \
	  '# version in both (requirements-dev.in is constrained by requirements.txt).' \
	  '# Generated, do not edit: change requirements-dev.in (the direct dependencies, each with' \
	  '# why it is here), then run `make lock` (uv pip compile --universal --generate-hashes).'; \
	  cat requirements-dev.txt; } > requirements-dev.txt.new && mv requirements-dev.txt.new requirements-dev.txt

# On PostgreSQL, creates the DATABASE_URL database first when the server has none of that name.
migrate: venv
	$(BIN)/python manage.py ensure_database
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_directory

run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# axe-core for the browser tests' accessibility checks (tests/test_widget_browser.py): the
# exact version and sha512 package-lock.json pins, into node_modules/ (never in the image).
# Without npm the checks are skipped outside CI, and say so.
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund; \
	else echo "npm not found: the axe-core checks will be skipped (apt-get install -y npm)"; fi

# One pytest-xdist worker per core (PYTEST_WORKERS=0 runs in one process, for pdb): each
# worker has its own test database and its own Redis test database (tests/test_response_cache.py).
# The 25 slowest tests are listed at the end, so CI's output says where its 45 minutes go.
PYTEST_WORKERS ?= auto
test: venv $(NODE_STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --durations=25 $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

clean:
	rm -rf $(VENV) node_modules db.sqlite3 .pytest_cache .ruff_cache .import_linter_cache
