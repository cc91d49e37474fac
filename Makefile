# Facility Directory: `make run` serves the seeded directory, `make test` runs the tests.
# DATABASE_URL=postgres://… switches every target to PostgreSQL.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Development defaults; production sets DEBUG=false and a real SECRET_KEY.
export DEBUG ?= true

.PHONY: run test venv migrate seed lint format check clean

# A stamp file, not .venv/bin/python: that is a symlink, and touching it would touch the
# system interpreter.
STAMP := $(VENV)/.installed

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_directory

run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache .import_linter_cache
