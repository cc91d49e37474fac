"""Read replicas: writes go to the primary, reads to a replica, a request reads its own writes.

Two parts. Fast in-process tests of the router's decisions (config/db_router.py). Then a real
gunicorn server whose DATABASE_URL and DATABASE_REPLICA_URLS name two *different* databases
(SQLite files, or two scratch PostgreSQL databases when the suite runs on PostgreSQL): the
"replica" starts as a copy of the primary, then holds a record the primary lacks, and is made
read-only as a hot standby is, so every answer shows which database served it.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import closing
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from config import db_router
from config.db_router import PrimaryReplicaRouter, ReplicaRoutingMiddleware
from directory.models import DirectoryState, Facility, Institution, Technique
from tests.factories import TechniqueFactory, direct_writes

REPLICAS = ("replica1", "replica2")


def ALWAYS(alias):
    return True


def serve(method: str, handler):
    """Run ``handler`` inside one request (through the routing middleware); return its result."""
    result = {}

    def view(request):
        result["value"] = handler()
        return HttpResponse()

    ReplicaRoutingMiddleware(view)(RequestFactory().generic(method, "/"))
    return result["value"]


# --- the router's decisions, in process ------------------------------------------------------


def test_a_request_reads_one_replica_and_requests_take_turns():
    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=ALWAYS)
    served = [
        serve("GET", lambda: {router.db_for_read(Facility) for _ in range(5)}) for _ in range(4)
    ]
    assert served == [{"replica1"}, {"replica2"}, {"replica1"}, {"replica2"}]


def test_an_unreachable_replica_is_skipped_until_it_may_be_back(monkeypatch):
    down = {"replica1"}
    asked = []

    def reachable(alias):
        asked.append(alias)
        return alias not in down

    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=reachable)
    served = [serve("GET", lambda: router.db_for_read(Facility)) for _ in range(4)]
    assert served == ["replica2"] * 4
    assert asked.count("replica1") == 1  # not asked again while its pause lasts

    down.add("replica2")
    router._down_until.clear()
    assert serve("GET", lambda: router.db_for_read(Facility)) == "default"

    down.clear()
    clock = time.monotonic() + db_router.REPLICA_RETRY_SECONDS + 1
    monkeypatch.setattr(db_router.time, "monotonic", lambda: clock)
    assert {serve("GET", lambda: router.db_for_read(Facility)) for _ in range(2)} == set(REPLICAS)


def test_a_write_goes_to_the_primary_and_later_reads_of_the_request_follow_it():
    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=ALWAYS)

    def read_write_read():
        before = router.db_for_read(Institution)
        written = router.db_for_write(Facility)
        return before, written, router.db_for_read(Institution), router.db_for_read(Facility)

    assert serve("GET", read_write_read) == ("replica1", "default", "default", "default")
    # The next request starts afresh on a replica.
    assert serve("GET", lambda: router.db_for_read(Institution)) == "replica2"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_methods_read_the_primary_from_the_start(method):
    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=ALWAYS)
    assert serve(method, lambda: router.db_for_read(Institution)) == "default"
    assert serve("GET", lambda: router.db_for_read(Institution)) == "replica1"


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_methods_read_a_replica(method):
    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=ALWAYS)
    assert serve(method, lambda: router.db_for_read(Institution)) == "replica1"


def test_sessions_are_read_from_the_primary():
    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=ALWAYS)
    assert serve("GET", lambda: router.db_for_read(Session)) == "default"


def test_related_rows_are_read_where_their_object_came_from():
    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=ALWAYS)
    facility = Facility()
    facility._state.db = "replica2"
    assert serve("GET", lambda: router.db_for_read(Institution, instance=facility)) == "replica2"
    facility._state.db = "elsewhere"
    assert serve("GET", lambda: router.db_for_read(Institution, instance=facility)) == "replica1"


def test_relations_within_the_set_and_migrations_on_the_primary_only():
    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=ALWAYS)
    on_primary, on_replica, elsewhere = Facility(), Institution(), Institution()
    on_primary._state.db, on_replica._state.db, elsewhere._state.db = (
        "default",
        "replica2",
        "other",
    )
    assert router.allow_relation(on_primary, on_replica) is True
    assert router.allow_relation(on_primary, elsewhere) is None
    assert router.allow_migrate("default", "directory") is True
    assert router.allow_migrate("replica1", "directory") is False


def test_without_replicas_everything_is_read_from_the_primary():
    router = PrimaryReplicaRouter(replicas=())
    assert serve("GET", lambda: router.db_for_read(Institution)) == "default"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_on_the_primary_see_it():
    router = PrimaryReplicaRouter(replicas=REPLICAS, reachable=ALWAYS)

    def read_around_a_transaction():
        outside = router.db_for_read(Institution)
        with transaction.atomic():
            inside = router.db_for_read(Institution)
        return outside, inside, router.db_for_read(Institution)

    assert serve("GET", read_around_a_transaction) == ("replica1", "default", "replica1")


@pytest.mark.django_db(transaction=True)
def test_a_bulk_update_marks_the_change_on_the_primary():
    """QuerySet.update() is a write: its change marker must not be routed like a read."""
    technique = TechniqueFactory(name="Before")
    generation = DirectoryState.current().generation
    # replica1 is not a configured database here: routing anything there fails loudly.
    with (
        override_settings(
            DATABASE_ROUTERS=[PrimaryReplicaRouter(replicas=["replica1"], reachable=ALWAYS)]
        ),
        direct_writes(),
    ):  # the queryset's own bulk update, as the synthetic path uses
        serve("GET", lambda: Technique.objects.filter(pk=technique.pk).update(name="After"))
    assert Technique.objects.get(pk=technique.pk).name == "After"
    assert DirectoryState.current().generation == generation + 1


def test_settings_add_replica_aliases_router_and_middleware_only_when_configured():
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'dbs': s.DATABASES, 'routers': s.DATABASE_ROUTERS, "
        "'middleware': s.MIDDLEWARE[0]}, default=str))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true", DATABASE_CONN_MAX_AGE="7")
    replicas = "postgres://reader:pw@db-replica:5432/directory, sqlite:////tmp/r2.sqlite3"

    def probe_with(**extra):
        result = subprocess.run(
            [sys.executable, "-c", probe],
            env={**env, **extra},
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    configured = probe_with(DATABASE_REPLICA_URLS=replicas)
    dbs = configured["dbs"]
    assert list(dbs) == ["default", "replica1", "replica2"]
    assert dbs["replica1"]["HOST"] == "db-replica"
    assert dbs["replica1"]["USER"] == "reader"
    assert dbs["replica2"]["NAME"] == "/tmp/r2.sqlite3"
    assert {dbs[a]["CONN_MAX_AGE"] for a in dbs} == {7}
    assert all(dbs[a]["CONN_HEALTH_CHECKS"] for a in dbs)
    assert dbs["replica1"]["TEST"]["MIRROR"] == "default"
    assert configured["routers"] == ["config.db_router.PrimaryReplicaRouter"]
    assert configured["middleware"] == "config.db_router.ReplicaRoutingMiddleware"

    plain = probe_with()
    assert list(plain["dbs"]) == ["default"]
    assert plain["routers"] == []
    assert plain["middleware"] != "config.db_router.ReplicaRoutingMiddleware"


# --- a real server on two databases ----------------------------------------------------------

MARKER = "replica-only"


@dataclass
class Database:
    """One database of the pair: its URL, and direct reads that bypass the app."""

    url: str

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.url.startswith("sqlite"):
            with closing(sqlite3.connect(self.url.removeprefix("sqlite:///"))) as connection:
                return connection.execute(sql.replace("%s", "?"), params).fetchall()
        with psycopg.connect(self.url) as connection:
            return connection.execute(sql, params).fetchall()

    def count(self, table: str, slug: str) -> int:
        return self.rows(f"SELECT COUNT(*) FROM {table} WHERE slug = %s", (slug,))[0][0]

    def generation(self) -> int | None:
        found = self.rows("SELECT generation FROM directory_directorystate")
        return found[0][0] if found else None

    def changed_at(self) -> datetime.datetime | None:
        """The change marker's time, to the second (as Last-Modified carries it)."""
        found = self.rows("SELECT changed_at FROM directory_directorystate")
        if not found:
            return None
        value = found[0][0]
        if isinstance(value, str):  # SQLite stores UTC as text
            value = datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.UTC)
        return value.replace(microsecond=0)


@dataclass
class Answer:
    """One HTTP answer of the server."""

    status: int
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body)


def call(method: str, url: str, payload=None, headers=None) -> Answer:
    """One HTTP request with the standard library; error statuses are answers too."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def _server_env(**overrides) -> dict[str, str]:
    """The environment of a separate process: none of this suite's database or cache settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_", "SECRET_KEY"))
    }
    env.update(
        DEBUG="true",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        API_ANON_RATE="100000/minute",
        LOG_LEVEL="WARNING",
        **overrides,
    )
    return env


def _manage(*args: str, database_url: str, **env) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=_server_env(DATABASE_URL=database_url, **env),
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stderr}"
    return result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def database_pair(tmp_path_factory):
    """A migrated primary and a replica copied from it; PostgreSQL when the suite runs on it.

    Yields (primary, replica, the replica URL the server uses: read-only, as a standby is).
    """
    suite_url = os.environ.get("DATABASE_URL", "")
    if not suite_url.startswith(("postgres://", "postgresql://")):
        folder = tmp_path_factory.mktemp("replicas")
        primary = Database(f"sqlite:///{folder / 'primary.sqlite3'}")
        replica = Database(f"sqlite:///{folder / 'replica.sqlite3'}")
        _manage("migrate", "--no-input", "-v0", database_url=primary.url)
        shutil.copyfile(folder / "primary.sqlite3", folder / "replica.sqlite3")  # a base backup
        yield primary, replica, replica.url + "?init_command=" + quote("PRAGMA query_only=1")
        return

    parts = urlsplit(suite_url)
    stem = f"{parts.path.lstrip('/') or 'directory'}_replicas_{uuid.uuid4().hex[:8]}"
    names = {"primary": f"{stem}_primary", "replica": f"{stem}_replica"}
    server = urlunsplit(parts._replace(path="/postgres"))

    def on_server(sql: str) -> None:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(sql)

    primary, replica = (
        Database(urlunsplit(parts._replace(path=f"/{names[role]}"))) for role in names
    )
    on_server(f'CREATE DATABASE "{names["primary"]}"')
    try:
        _manage("migrate", "--no-input", "-v0", database_url=primary.url)
        # A copy of the primary as it is now, like pg_basebackup makes.
        on_server(f'CREATE DATABASE "{names["replica"]}" TEMPLATE "{names["primary"]}"')
        yield primary, replica, replica.url
    finally:
        for name in names.values():
            on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def server(database_pair, tmp_path_factory):
    """gunicorn on loopback with the primary and one replica; yields (base URL, token, dbs)."""
    primary, replica, replica_url = database_pair
    # Only the replica holds this record, so an answer that shows it came from the replica.
    _manage(
        "shell",
        "-c",
        "from directory import services; from directory.models import Institution; "
        "services.record_create(model=Institution, fields=dict("
        f"slug='{MARKER}', name='Only on the replica', kind='university', country_id='JP', "
        "is_published=True))",
        database_url=replica.url,
    )
    if replica_url.startswith("postgres"):
        name = urlsplit(replica_url).path.lstrip("/")
        with psycopg.connect(primary.url, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    # The editor and their token exist on the primary only: a write authenticates there.
    _manage(
        "createcurator",
        "eddie",
        "--role",
        "editor",
        "--no-input",
        database_url=primary.url,
        CURATOR_PASSWORD="a-long-password-for-eddie-1",
    )
    created = _manage(
        "issue_token", "--user", "eddie", "--name", "replica tests", database_url=primary.url
    )
    token = created.strip()

    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = _server_env(DATABASE_URL=primary.url, DATABASE_REPLICA_URLS=replica_url)
    with running_gunicorn(env, log) as base:
        yield base, token, primary, replica


@contextlib.contextmanager
def running_gunicorn(env: dict[str, str], log: Path):
    """gunicorn (one worker) on a free loopback port with ``env``; yields its base URL."""
    port = _free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                call("GET", f"{base}/healthz")
                break
            except OSError:  # refused, or not answering yet
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_reads_fall_back_to_the_primary_when_the_replica_is_unreachable(
    database_pair, tmp_path_factory
):
    primary, _replica, replica_url = database_pair
    if replica_url.startswith("postgres"):
        unreachable = f"postgres://postgres@127.0.0.1:{_free_port()}/nowhere"
    else:
        unreachable = f"sqlite:///{tmp_path_factory.mktemp('gone')}/no/such/dir/replica.sqlite3"
    log = tmp_path_factory.mktemp("fallback") / "gunicorn.log"
    env = _server_env(DATABASE_URL=primary.url, DATABASE_REPLICA_URLS=unreachable)
    with running_gunicorn(env, log) as base:
        answers = [call("GET", f"{base}/api/v1/techniques/?limit=1") for _ in range(3)]
        assert [answer.status for answer in answers] == [HTTPStatus.OK] * 3
        ready = call("GET", f"{base}/readyz")
    assert ready.status == HTTPStatus.SERVICE_UNAVAILABLE  # the operator still learns of it
    assert ready.json()["failed"] == ["database:replica1"]
    warnings = [line for line in log.read_text().splitlines() if "read replica" in line]
    assert len(warnings) == 1, warnings  # one per pause, not one per request
    assert "replica1 unreachable" in warnings[0]


def test_an_anonymous_read_is_served_by_the_replica(server):
    base, _, primary, replica = server
    assert primary.count("directory_institution", MARKER) == 0
    assert replica.count("directory_institution", MARKER) == 1
    response = call("GET", f"{base}/api/v1/institutions/{MARKER}/")
    assert response.status == HTTPStatus.OK, response.body
    assert response.json()["name"] == "Only on the replica"
    # Last-Modified comes from the change marker of the same replica, not the primary's.
    assert replica.changed_at() != primary.changed_at()
    assert parsedate_to_datetime(response.headers["Last-Modified"]) == replica.changed_at()


def test_readiness_checks_the_primary_and_the_replica(server):
    base = server[0]
    response = call("GET", f"{base}/readyz")
    assert response.status == HTTPStatus.OK, response.body
    checks = response.json()["checks"]
    assert checks["database:default"] == "ok"
    assert checks["database:replica1"] == "ok"


def test_a_write_lands_on_the_primary_and_its_request_reads_the_primary(server):
    base, token, primary, replica = server
    auth = {"Authorization": f"Token {token}"}
    generations = primary.generation() or 0, replica.generation()

    created = call(
        "POST",
        f"{base}/api/v1/institutions/",
        {
            "slug": "written-to-primary",
            "name": "Written to the primary",
            "kind": "funding_agency",
            "country": "GB",
            "is_published": True,
            "sources": [],
        },
        auth,
    )
    # The token exists on the primary only, and the echoed record too: both were read there.
    assert created.status == HTTPStatus.CREATED, created.body
    assert created.json()["name"] == "Written to the primary"
    assert primary.count("directory_institution", "written-to-primary") == 1
    assert primary.count("directory_historicalinstitution", "written-to-primary") == 1
    assert replica.count("directory_institution", "written-to-primary") == 0
    # The change marker was bumped on the primary; the replica's is untouched.
    assert primary.generation() > generations[0]
    assert replica.generation() == generations[1]

    # An update reads the record (only on the primary) for its If-Match check, then echoes it.
    updated = call(
        "PATCH",
        f"{base}/api/v1/institutions/written-to-primary/",
        {"name": "Renamed on the primary"},
        {**auth, "If-Match": created.headers["ETag"]},
    )
    assert updated.status == HTTPStatus.OK, updated.body
    assert updated.json()["name"] == "Renamed on the primary"
    assert primary.count("directory_historicalinstitution", "written-to-primary") == 2

    # A later read request goes back to the replica, which here never replays the write: this
    # is what replication lag looks like to a client, for as long as the lag lasts.
    later = call("GET", f"{base}/api/v1/institutions/written-to-primary/")
    assert later.status == HTTPStatus.NOT_FOUND
    assert call("GET", f"{base}/api/v1/institutions/{MARKER}/").status == HTTPStatus.OK
