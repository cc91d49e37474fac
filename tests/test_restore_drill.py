"""Restore drill: the backups of the operations guide, restored into brand-new databases.

Everything runs as the operator would run it: ``manage.py`` commands in subprocesses, each
pointed at its database by ``DATABASE_URL``, against databases this test creates and drops
(new SQLite files on the SQLite pass; scratch databases on the server of ``DATABASE_URL`` on
the PostgreSQL pass). Nothing goes through pytest's own test database or its transaction.

1. The original: a new database, ``migrate``, ``seed_directory`` (the seed fixtures), and a few
   synthetic records (``seed_synthetic``) for the models the seed leaves empty (calls).
2. ``export_directory`` from it → a new database → ``migrate`` → ``import_directory`` →
   ``export_directory`` again: the two documents hold the same records with the same fields,
   and every directory table (many-to-many links included) has as many rows as the original.
3. PostgreSQL only: ``pg_dump -Fc`` of the original → ``pg_restore`` into another new
   database → the same export and the same row counts.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

#: Tables that are not the directory's records: its history (an import writes its own rows,
#: a restore copies them) and the change marker every write bumps.
# History, the change stream and bookkeeping: an import writes its own (not a copy).
NOT_RECORDS = (
    "directory_historical",
    "directory_directorystate",
    "directory_changeevent",
    "directory_feedentry",
)
COMMAND_TIMEOUT = 300
SYNTHETIC = ["--facilities", "40", "--institutions", "30", "--programmes", "12", "--seed", "6"]


def _on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


class ScratchDatabase:
    """A database made for the drill and dropped after it, with its DATABASE_URL."""

    def __init__(self, label: str, tmp_path: Path):
        self.name = f"restore_drill_{label}_{secrets.token_hex(4)}"
        if _on_postgresql():
            import psycopg
            from psycopg import sql

            server = settings.DATABASES["default"]
            self._server = {
                "host": server["HOST"] or "localhost",
                "port": server["PORT"] or 5432,
                "user": server["USER"],
                "password": server["PASSWORD"] or None,
            }
            with psycopg.connect(dbname="postgres", autocommit=True, **self._server) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
            password = f":{self._server['password']}" if self._server["password"] else ""
            self.url = (
                f"postgres://{self._server['user']}{password}@{self._server['host']}:"
                f"{self._server['port']}/{self.name}"
            )
        else:
            self.path = tmp_path / f"{self.name}.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def connect(self):
        """A DB-API connection to this database (for counting rows outside Django)."""
        if _on_postgresql():
            import psycopg

            return psycopg.connect(dbname=self.name, **self._server)
        return sqlite3.connect(self.path)

    def drop(self) -> None:
        if _on_postgresql():
            import psycopg
            from psycopg import sql

            with psycopg.connect(dbname="postgres", autocommit=True, **self._server) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self.name)
                    )
                )
        else:
            self.path.unlink(missing_ok=True)

    def libpq_env(self) -> dict[str, str]:
        """PGHOST and friends for pg_dump / pg_restore."""
        env = {
            "PGHOST": str(self._server["host"]),
            "PGPORT": str(self._server["port"]),
            "PGUSER": self._server["user"],
        }
        if self._server["password"]:
            env["PGPASSWORD"] = self._server["password"]
        return env


@pytest.fixture(scope="module")
def drill_dir(tmp_path_factory) -> Path:
    """Where the drill keeps its SQLite files, backups and exports."""
    return tmp_path_factory.mktemp("restore-drill")


@pytest.fixture
def scratch(drill_dir) -> Iterator:
    """Makes scratch databases on demand; drops every one of them afterwards."""
    made: list[ScratchDatabase] = []

    def make(label: str) -> ScratchDatabase:
        database = ScratchDatabase(label, drill_dir)
        made.append(database)
        return database

    yield make
    for database in made:
        database.drop()


def manage(database: ScratchDatabase, *arguments: str) -> str:
    """Run ``manage.py`` against ``database`` as an operator would; its standard output."""
    env = {
        key: value
        for key, value in os.environ.items()
        # The drill is about the database: no shared cache, no replicas, nothing else.
        if key not in {"REDIS_URL", "DATABASE_REPLICA_URLS", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DATABASE_URL=database.url, DEBUG="true", LOG_LEVEL="WARNING")
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (
        f"manage.py {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def export(database: ScratchDatabase, target: Path) -> dict:
    """``export_directory -o target``; the document, minus the moment it was written."""
    output = manage(database, "export_directory", "--output", str(target))
    assert f"to {target}" in output
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document.pop("exported_at")
    return document


def row_counts(database: ScratchDatabase) -> dict[str, int]:
    """Rows per directory table (records, countries and many-to-many links), read directly."""
    if _on_postgresql():
        listing = (
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename LIKE 'directory\\_%'"
        )
    else:
        listing = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name LIKE 'directory\\_%' ESCAPE '\\'"
        )
    connection = database.connect()
    try:
        cursor = connection.cursor()
        cursor.execute(listing)
        tables = sorted(name for (name,) in cursor.fetchall() if not name.startswith(NOT_RECORDS))
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # names from the catalogue
            counts[table] = cursor.fetchone()[0]
        return counts
    finally:
        connection.close()


def search_keys(database: ScratchDatabase) -> dict[str, list]:
    """The derived search keys (never exported: an import recomputes them) by table and slug."""
    connection = database.connect()
    try:
        cursor = connection.cursor()
        keys = {}
        for table in ("directory_facility", "directory_institution", "directory_programme"):
            cursor.execute(f'SELECT slug, search_key FROM "{table}" ORDER BY slug')
            keys[table] = [tuple(row) for row in cursor.fetchall()]
        return keys
    finally:
        connection.close()


@pytest.fixture(scope="module")
def original(drill_dir):
    """The directory to back up: a new database with the seed fixtures, and its export
    (drill_dir/original.json). Shared by the drills, which only read it."""
    database = ScratchDatabase("original", drill_dir)
    try:
        manage(database, "migrate", "--no-input", "-v", "0")
        manage(database, "seed_directory", "-v", "0")
        # The seed has no calls: a few synthetic programmes bring calls and more role links.
        manage(database, "seed_synthetic", *SYNTHETIC)
        yield database, export(database, drill_dir / "original.json")
    finally:
        database.drop()


def test_export_import_into_a_new_database_restores_every_record(
    original, scratch, drill_dir, tmp_path
):
    source, document = original
    backup = drill_dir / "original.json"
    assert sum(document["counts"].values()) > 100, document["counts"]
    for label in ("facility", "institution", "programme", "call", "facilityrole", "agreement"):
        assert document["counts"][f"directory.{label}"] > 0, label

    restored = scratch("import")
    manage(restored, "migrate", "--no-input", "-v", "0")
    assert row_counts(restored)["directory_facility"] == 0  # genuinely new
    imported = manage(restored, "import_directory", str(backup))
    assert "Imported:" in imported and "0 updated" in imported

    assert export(restored, tmp_path / "restored.json") == document
    counts = row_counts(restored)
    assert counts == row_counts(source)
    assert counts["directory_facility"] == document["counts"]["directory.facility"]
    assert search_keys(restored) == search_keys(source)

    # Importing the same backup again finds everything already there.
    again = manage(restored, "import_directory", str(backup))
    assert "0 created, 0 updated" in again


@pytest.mark.skipif(not _on_postgresql(), reason="pg_dump/pg_restore: the PostgreSQL pass only")
def test_pg_dump_and_pg_restore_into_a_new_database(original, scratch, tmp_path):
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    assert pg_dump and pg_restore, "the PostgreSQL client tools must be installed"
    source, document = original
    dump = tmp_path / "directory.dump"
    env = {**os.environ, **source.libpq_env()}

    subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", f"--file={dump}", source.name],
        env=env,
        check=True,
        timeout=COMMAND_TIMEOUT,
    )
    restored = scratch("pgrestore")
    subprocess.run(
        [pg_restore, "--no-owner", "--exit-on-error", "--single-transaction",
         f"--dbname={restored.name}", str(dump)],
        env=env,
        check=True,
        timeout=COMMAND_TIMEOUT,
    )  # fmt: skip

    assert export(restored, tmp_path / "restored.json") == document
    assert row_counts(restored) == row_counts(source)
    # A restored database is current: migrate has nothing left to do.
    assert "No migrations to apply" in manage(restored, "migrate", "--no-input")
