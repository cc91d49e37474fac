"""The layering contracts (pyproject.toml, [tool.importlinter]) hold: `make test` fails otherwise.

directory/, embed/ and config/ never import api/ (the REST layer sits on top), and directory/
never imports embed/. The same check runs as `lint-imports` in `make lint` and CI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PACKAGES = ("api", "config", "directory", "embed")
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the packages under ``root``, with the contracts of its pyproject."""
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_layering_contracts_are_kept():
    result = lint_imports(Path(settings.BASE_DIR))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_forbidden_import_breaks_a_contract(tmp_path):
    """The contracts are not vacuous: config/ importing api/ fails the check, naming it."""
    base = Path(settings.BASE_DIR)
    for package in PACKAGES:
        shutil.copytree(
            base / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "migrations", "static", "templates"),
        )
    shutil.copy(base / "pyproject.toml", tmp_path)
    (tmp_path / "config" / "layering_probe.py").write_text("from api import feeds  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    assert "directory, embed and config do not import api BROKEN" in result.stdout
    assert "config.layering_probe -> api.feeds" in result.stdout
