"""`manage.py ensure_database` (run by `make migrate`): a missing PostgreSQL database is created.

On PostgreSQL (CI's second pass, or DATABASE_URL=postgres://… locally) it runs against a new,
randomly named database on the same server, which it creates, then leaves alone on a second
run; on SQLite it does nothing (SQLite creates its file itself).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def ensure_database(database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "ensure_database"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true", "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_on_sqlite_it_does_nothing(tmp_path):
    path = tmp_path / "new.sqlite3"
    done = ensure_database(f"sqlite:///{path}")

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert not path.exists()  # left to migrate, which creates the file


@pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL pass only (DATABASE_URL=postgres://…)")
def test_a_missing_postgresql_database_is_created_once():
    import psycopg
    from psycopg import sql

    server = settings.DATABASES["default"]
    params = {
        "host": server["HOST"] or "localhost",
        "port": server["PORT"] or 5432,
        "user": server["USER"],
        "password": server["PASSWORD"] or None,
    }
    name = f"ensure_database_{secrets.token_hex(4)}"
    password = f":{params['password']}" if params["password"] else ""
    url = f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{name}"

    def exists() -> bool:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return found.fetchone() is not None

    try:
        assert not exists()
        first = ensure_database(url)
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == f"Created the PostgreSQL database {name}."
        assert exists()

        second = ensure_database(url)
        assert second.returncode == 0, second.stderr
        assert second.stdout == ""
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_an_unreachable_server_is_reported_not_hidden():
    done = ensure_database("postgres://nobody-at-all@127.0.0.1:9/nowhere")

    assert done.returncode == 1
    assert "createdb nowhere" in done.stderr
