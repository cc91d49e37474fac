"""Real faults survived: Redis down, PostgreSQL down, a write cut off mid-transaction.

Nothing here is mocked. The module starts a PostgreSQL cluster of its own (initdb and pg_ctl
on a free port) and a redis-server of its own, migrates and seeds a database in that cluster,
and runs the app under gunicorn as production runs it (DEBUG=false, JSON logs, persistent
database connections). The tests stop and start those services under the running app, and
read its answers and its log.

The machine's own PostgreSQL (5432) and Redis (6379) are never touched. Every process started
here is stopped at the end, even when a test fails, and every wait is bounded. A missing
binary fails the module with the name of what is missing: these tests are meant to run
wherever CI runs, not to skip quietly.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connections,
)
from django.db.models.signals import post_save
from django.test import RequestFactory
from rest_framework.test import APIClient

from config.cache import ResilientRedisCache
from config.errors import server_error
from directory.models import Facility, FacilityRole
from directory.roles import CURATOR, sync_role_groups
from tests.factories import InstitutionFactory, TechniqueFactory, api_token

BASE_DIR = Path(__file__).resolve().parent.parent


def find_pg_bin() -> Path:
    """PostgreSQL's server programs: $PG_BIN, else the newest Debian install, else pg_config's."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if installed:
        return installed[-1].parent
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip():
            return Path(found.stdout.strip())
    return Path("/usr/lib/postgresql/15/bin")


PG_BIN = find_pg_bin()
REDIS_SERVER = Path(
    os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or "redis-server"
)
GUNICORN = Path(sys.executable).parent / "gunicorn"
DB_NAME = "hfault"
#: the bound of every wait, in seconds
WAIT = 20.0
#: a role-link note that makes the cluster drop the writing connection (see the trigger below)
CUT_NOTE = "cut the connection here"
#: no persistence: a restarted Redis starts empty, as after a crash
REDIS_FLAGS = ["--save", "", "--appendonly", "no", "--daemonize", "no"]
GUNICORN_FLAGS = ["--timeout", "30", "--graceful-timeout", "3"]
TRACEBACK_MARKERS = ("Traceback", 'File "', "OperationalError", "psycopg")

_unique = itertools.count(1)


# --- the rule, in process ---------------------------------------------------------------------


def _handled(error: Exception, path: str):
    request = RequestFactory().get(path)
    try:
        raise error
    except Exception:  # handler500 runs inside Django's except block, as here
        return server_error(request)


def _chained(cause: Exception) -> RuntimeError:
    """A library's own error raised ``from`` a database error."""
    wrapped = RuntimeError("a library's own error")
    wrapped.__cause__ = cause
    return wrapped


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OperationalError("connection refused"), 503),
        (InterfaceError("connection already closed"), 503),
        (_chained(OperationalError("server closed the connection unexpectedly")), 503),
        (IntegrityError("duplicate key"), 500),
        (ProgrammingError("syntax error"), 500),
        (ValueError("a bug"), 500),
    ],
)
def test_only_an_unreachable_database_is_a_503(error, status):
    api = _handled(error, "/api/v1/facilities/")
    page = _handled(error, "/admin/")
    assert api.status_code == page.status_code == status
    assert api["Content-Type"] == "application/json"
    assert ("Retry-After" in api) is (status == 503)
    assert "Traceback" not in api.content.decode()


# --- helpers --------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, what: str, timeout: float = WAIT, interval: float = 0.05) -> float:
    """Poll ``condition`` until true; return the seconds it took, or fail naming ``what``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)
    return time.monotonic() - started


def run(command, *, env=None, timeout: float = 120) -> str:
    """Run a command to completion; fail with its output when it fails."""
    command = [str(part) for part in command]
    try:
        result = subprocess.run(
            command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"{' '.join(command)} did not finish within {timeout:.0f} s: {expired}")
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def unique_list_query() -> str:
    """A facilities list URL no earlier request asked for (so no response cache holds it)."""
    n = next(_unique)
    return f"/api/v1/facilities/?limit={1 + n % 200}&offset={n // 200}"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


def request(port: int, method: str, path: str, *, headers=None, body=None) -> Answer:
    """One HTTP request to the app server (a fresh connection each time)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    sent = dict(headers or {})
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        return Answer(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


# --- the services -----------------------------------------------------------------------------


class PostgresCluster:
    """A throwaway cluster: trust auth, loopback only, no fsync (its data dies with the test)."""

    def __init__(self, root: Path):
        self.data = root / "pgdata"
        self.sockets = root / "pgsock"
        self.logfile = root / "postgres.log"
        self.port = free_port()
        self.data.mkdir()
        self.sockets.mkdir()
        self.logfile.touch()
        # initdb and postgres refuse to run as root: as root, they run as the postgres user.
        self.as_root = os.geteuid() == 0
        if self.as_root:
            for path in (self.data, self.sockets, self.logfile):
                shutil.chown(path, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    def _pg(self, program: str, *args) -> list[str]:
        command = [str(PG_BIN / program), *args]
        return ["runuser", "-u", "postgres", "--", *command] if self.as_root else command

    def initdb(self) -> None:
        flags = ["--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--no-locale"]
        run(self._pg("initdb", "-D", self.data, *flags))

    def start(self) -> float:
        """Start and wait until it accepts connections; return the seconds that took."""
        started = time.monotonic()
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        wait = ["-w", "-t", str(int(WAIT))]
        run(self._pg("pg_ctl", "-D", self.data, "-l", self.logfile, "-o", options, *wait, "start"))
        return time.monotonic() - started

    def stop(self, mode: str = "immediate") -> None:
        run(self._pg("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", str(int(WAIT)), "stop"))

    def running(self) -> bool:
        status = subprocess.run(
            self._pg("pg_ctl", "-D", self.data, "status"), capture_output=True, timeout=WAIT
        )
        return status.returncode == 0

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    def destroy(self) -> None:
        """Stop the cluster whatever state it is in (teardown: never raises)."""
        # A failed stop must not end the teardown: the kill below is the fallback.
        with contextlib.suppress(Exception, pytest.fail.Exception):
            if self.running():
                self.stop()
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            with contextlib.suppress(OSError, ValueError, IndexError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)

    def connect(self, dbname: str = DB_NAME) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )


class RedisServer:
    """redis-server on its own port, no persistence: a restart starts empty, as after a crash."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.logfile = root / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)

    def answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        with self.logfile.open("ab") as log:
            self.process = subprocess.Popen(
                [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", *REDIS_FLAGS],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def up() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited: {self.logfile.read_text()[-2000:]}")
            return self.answers()

        wait_for(up, "redis-server answering PING")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(WAIT)

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.start()


class AppServer:
    """The app under gunicorn, its stdout and stderr (JSON log lines) in one file."""

    def __init__(self, name: str, root: Path, env: dict, workers: int):
        self.port = free_port()
        self.logfile = root / f"{name}.log"
        self.env = env
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.logfile.open("ab") as log:
            # A session of its own, so the master and its workers can be stopped as one group.
            self.process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    *GUNICORN_FLAGS,
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def up() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.logfile.read_text()[-4000:]}")
            try:
                return self.get("/healthz").status == HTTPStatus.OK
            except OSError:
                return False

        wait_for(up, "gunicorn answering /healthz")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # SIGINT: gunicorn's quick shutdown (nothing here needs a graceful one).
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(WAIT)

    def get(self, path: str, **kwargs) -> Answer:
        return request(self.port, "GET", path, **kwargs)

    def post(self, path: str, body, **kwargs) -> Answer:
        return request(self.port, "POST", path, body=body, **kwargs)

    def log_mark(self) -> int:
        return self.logfile.stat().st_size

    def log_records(self, since: int = 0) -> list[dict]:
        """The JSON log records written since ``since`` (gunicorn's own text lines skipped)."""
        with self.logfile.open("rb") as log:
            log.seek(since)
            lines = log.read().decode("utf-8", "replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def records_of(self, request_id: str, since: int = 0) -> list[dict]:
        return [r for r in self.log_records(since) if r.get("request_id") == request_id]


@dataclass
class Services:
    root: Path
    postgres: PostgresCluster
    redis: RedisServer
    token: str

    def env(self, *, with_redis: bool, **overrides) -> dict:
        """The app's environment: production mode pointed at these services."""
        env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
        env.update(
            DEBUG="false",
            SECRET_KEY="fault-tests-" + "k3y" * 16,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.postgres.url,
            DATABASE_CONN_MAX_AGE="60",
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            API_ANON_RATE="100000/minute",
            STATIC_MANIFEST="false",
            # A worker's first request is slow (imports); its slow-request warning would be a
            # second log line for the failed requests these tests count.
            SLOW_REQUEST_MS="60000",
        )
        if with_redis:
            env["REDIS_URL"] = self.redis.url
        env.update(overrides)
        return env


PREPARE_DATABASE = f"""
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("seed_directory", verbosity=0)
call_command("createcurator", "faults-curator", role="{CURATOR}", no_input=True)
call_command("issue_token", user="faults-curator", name="fault tests")
"""


@pytest.fixture(scope="module")
def services():
    """Own PostgreSQL cluster and Redis, a migrated and seeded database, a curator's token."""
    needed = [PG_BIN / "initdb", PG_BIN / "pg_ctl", REDIS_SERVER, GUNICORN]
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        pytest.fail(
            "The fault tests start their own PostgreSQL, Redis and gunicorn; missing: "
            + ", ".join(missing)
            + " (set PG_BIN / REDIS_SERVER, or install postgresql and redis-server)."
        )
    root = Path(tempfile.mkdtemp(prefix="hfault-"))
    root.chmod(0o755)  # the postgres user must reach its directories inside
    postgres = PostgresCluster(root)
    redis_server = RedisServer(root)
    try:
        postgres.initdb()
        postgres.start()
        redis_server.start()
        with postgres.connect("postgres") as admin:
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')
        services = Services(root, postgres, redis_server, token="")
        # One Django start for all of it: each start costs seconds on a busy machine.
        prepared = run(
            [sys.executable, "manage.py", "shell", "-c", PREPARE_DATABASE],
            env=services.env(with_redis=True, CURATOR_PASSWORD="Vq7-plover-Quartz-4411"),
        )
        services.token = prepared.strip().splitlines()[-1]
        yield services
    finally:
        redis_server.stop()
        postgres.destroy()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def cached_server(services):
    """Two workers, the shared Redis cache and the response cache on (production's setup)."""
    server = AppServer(
        "cached", services.root, services.env(with_redis=True, RESPONSE_CACHE_SECONDS="60"), 2
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


LOCAL_APP_NAME = "faults-local"


@pytest.fixture(scope="module")
def local_server(services):
    """One worker with the per-process cache: the response cache asks the database for the
    directory's generation in its middleware, before any view runs."""
    server = AppServer(
        "local",
        services.root,
        services.env(
            with_redis=False,
            RESPONSE_CACHE_SECONDS="60",
            # Names its connections, so the tests can find them in pg_stat_activity.
            DATABASE_URL=f"{services.postgres.url}?application_name={LOCAL_APP_NAME}",
        ),
        1,
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def healthy(services):
    """Whatever a test stopped runs again afterwards, even when the test failed."""
    yield services
    services.redis.ensure_running()
    services.postgres.ensure_running()


def assert_database_unavailable_json(answer: Answer) -> None:
    assert answer.status == HTTPStatus.SERVICE_UNAVAILABLE, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["retry-after"].isdigit()
    assert 1 <= int(answer.headers["retry-after"]) <= 30
    assert "database is unavailable" in answer.json()["detail"]
    for marker in TRACEBACK_MARKERS:
        assert marker not in answer.text


def assert_database_unavailable_page(answer: Answer) -> None:
    assert answer.status == HTTPStatus.SERVICE_UNAVAILABLE, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["retry-after"].isdigit()
    assert "Temporarily unavailable" in answer.text or "一時的に利用できません" in answer.text
    assert len(answer.body) < 1000  # a short note, not a debug page
    for marker in TRACEBACK_MARKERS:
        assert marker not in answer.text


def one_failure_line(server: AppServer, request_id: str, since: int, *needles: str) -> dict:
    """The failed request left exactly one warning/error line, and it says what failed."""
    records = [
        r
        for r in server.records_of(request_id, since)
        if r["level"] in ("WARNING", "ERROR", "CRITICAL")
    ]
    assert len(records) == 1, records
    for needle in needles:
        assert needle in records[0]["message"], records[0]
    return records[0]


# --- Redis down -------------------------------------------------------------------------------


def test_with_redis_down_the_api_serves_from_the_database(healthy, cached_server):
    server = cached_server
    detail_url = "/api/v1/facilities/spring-8/"
    list_url = "/api/v1/facilities/?country=JP&limit=50"
    before_list = server.get(list_url)
    before_detail = server.get(detail_url)
    assert before_list.status == before_detail.status == HTTPStatus.OK
    assert before_list.json()["count"] > 0

    mark = server.log_mark()
    healthy.redis.stop()
    stopped = time.monotonic()
    for attempt in range(6):  # both workers meet the outage
        listing = server.get(list_url, headers={"X-Request-ID": f"redis-down-list-{attempt}"})
        detail = server.get(detail_url)
        assert listing.status == detail.status == HTTPStatus.OK
        assert listing.json() == before_list.json()
        assert detail.json() == before_detail.json()
        assert listing.headers.get("x-cache") != "hit"  # served from the database
    fresh = server.get(unique_list_query())
    assert fresh.status == HTTPStatus.OK
    # Writes go on too (their cache invalidation is lost, and Redis restarts empty anyway).
    created = server.post(
        "/api/v1/facilities/",
        {
            "slug": "redis-outage-lab",
            "name": "Redis Outage Lab",
            "kind": "laser",
            "status": "planned",
            "country": "JP",
        },
        headers={"Authorization": f"Token {healthy.token}"},
    )
    assert created.status == HTTPStatus.CREATED, created.text

    outage = time.monotonic() - stopped
    warnings = [
        r
        for r in server.log_records(mark)
        if r["logger"] == "config.cache" and r["level"] == "WARNING"
    ]
    assert warnings, "no cache failure was logged"
    assert "cache unavailable" in warnings[0]["message"]
    assert str(healthy.redis.port) in warnings[0]["message"]  # names what it could not reach
    # One line per worker per pause of the backend's breaker, not one per cache call.
    from config.cache import ResilientRedisCache

    pauses = 1 + int(outage // ResilientRedisCache.RETRY_AFTER_SECONDS)
    assert len(warnings) <= pauses * server.workers, warnings
    ready = server.get("/readyz")
    assert ready.status == HTTPStatus.SERVICE_UNAVAILABLE
    assert ready.json()["failed"] == ["cache"]

    healthy.redis.start()  # same port, empty

    def cached_again() -> bool:
        url = "/api/v1/facilities/?country=JP&limit=49"
        return server.get(url).status == 200 and server.get(url).headers.get("x-cache") == "hit"

    took = wait_for(cached_again, "the response cache hitting again after Redis came back")
    print(f"\nresponse cache hitting again {took:.2f} s after Redis came back")
    assert server.get(list_url).json() == before_list.json()
    assert server.get("/readyz").status == HTTPStatus.OK


# --- PostgreSQL down --------------------------------------------------------------------------


def test_with_postgres_down_answers_are_503_and_recover_by_themselves(healthy, cached_server):
    server = cached_server
    token = {"Authorization": f"Token {healthy.token}"}
    cached_url = "/api/v1/facilities/?kind=synchrotron"
    assert server.get(cached_url).status == HTTPStatus.OK
    # Every worker must be using Redis again: a worker that met the previous test's Redis
    # outage pauses the cache for RETRY_AFTER_SECONDS, and requests cannot pick their worker.
    time.sleep(ResilientRedisCache.RETRY_AFTER_SECONDS)
    wait_for(
        lambda: all(server.get(cached_url).headers.get("x-cache") == "hit" for _ in range(6)),
        "cached answers from every worker",
    )
    embed_url = "/embed/facilities/?limit=3&lang=ja"
    uncached = unique_list_query()

    mark = server.log_mark()
    healthy.postgres.stop("immediate")

    # An answer already in the response cache is still served: a hit runs no SQL.
    hit = server.get(cached_url)
    assert hit.status == HTTPStatus.OK
    assert hit.headers["x-cache"] == "hit"

    failing = {
        "list": lambda rid: server.get(uncached, headers=rid),
        "detail": lambda rid: server.get("/api/v1/facilities/sacla/", headers=rid),
        "token": lambda rid: server.get(unique_list_query(), headers={**rid, **token}),
        "session": lambda rid: server.get(
            unique_list_query(), headers={**rid, "Cookie": "sessionid=abc123def456"}
        ),
        "write": lambda rid: server.post(
            "/api/v1/facilities/", {"slug": "x", "name": "X"}, headers={**rid, **token}
        ),
    }
    for name, send in failing.items():
        request_id = f"pg-down-{name}"
        answer = send({"X-Request-ID": request_id})
        assert_database_unavailable_json(answer)
        assert answer.headers["x-request-id"] == request_id
        assert "no-store" in answer.headers["cache-control"]
        one_failure_line(server, request_id, mark, "database unavailable", "503")

    page = server.get(embed_url, headers={"X-Request-ID": "pg-down-embed"})
    assert_database_unavailable_page(page)
    assert "x-frame-options" not in page.headers  # the partner's iframe shows the note
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert 'lang="ja"' in page.text
    one_failure_line(server, "pg-down-embed", mark, "database unavailable")

    admin = server.get("/admin/", headers={"Cookie": "sessionid=abc123def456"})
    assert_database_unavailable_page(admin)
    assert admin.headers["x-frame-options"] == "DENY"
    # The page's own policy lets its inline styles show (the site-wide one forbids them).
    policy = admin.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "frame-ancestors 'none'" in policy

    ready = server.get("/readyz", headers={"X-Request-ID": "pg-down-readyz"})
    assert ready.status == HTTPStatus.SERVICE_UNAVAILABLE
    assert ready.json()["failed"] == ["database:default"]
    assert ready.headers["retry-after"].isdigit()
    one_failure_line(server, "pg-down-readyz", mark, "database default unreachable")
    assert server.get("/healthz").status == HTTPStatus.OK

    # Nothing in the log is a 500, and the 503 lines name the driver's reason.
    records = server.log_records(mark)
    assert not [r for r in records if "Internal Server Error" in r["message"]]
    unavailable = [r for r in records if "database unavailable" in r["message"]]
    assert all("Connection refused" in r["message"] for r in unavailable), unavailable

    started = healthy.postgres.start()
    recovered = wait_for(
        lambda: server.get(uncached).status == HTTPStatus.OK,
        "the API answering 200 again after PostgreSQL came back",
        timeout=10,
    )
    print(f"\nPostgreSQL start took {started:.2f} s; first 200 {recovered:.2f} s after it")
    for _ in range(2 * server.workers):  # every worker is back, not just one
        assert server.get(unique_list_query()).status == HTTPStatus.OK
    assert server.get(embed_url).status == HTTPStatus.OK
    assert server.get("/readyz").status == HTTPStatus.OK


def test_a_middleware_meeting_the_outage_answers_503_too(healthy, local_server):
    """With the per-process cache the response-cache middleware reads the directory's
    generation from the database before the view runs: that failure is a 503 as well."""
    server = local_server
    assert server.get("/api/v1/facilities/").status == HTTPStatus.OK
    mark = server.log_mark()
    healthy.postgres.stop("fast")
    answer = server.get("/api/v1/facilities/", headers={"X-Request-ID": "mw-list"})
    assert_database_unavailable_json(answer)
    one_failure_line(server, "mw-list", mark, "database unavailable")
    assert_database_unavailable_page(server.get("/embed/facilities/"))
    healthy.postgres.start()
    wait_for(
        lambda: server.get("/api/v1/facilities/").status == HTTPStatus.OK,
        "the API answering again",
        timeout=10,
    )


def test_a_broken_persistent_connection_is_replaced_on_the_next_request(healthy, local_server):
    """The worker keeps its connection between requests (CONN_MAX_AGE); after a database
    restart that connection is dead, and the very next request must still succeed."""
    server = local_server

    def app_backends() -> set[int]:
        with healthy.postgres.connect() as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                [LOCAL_APP_NAME],
            ).fetchall()
        return {pid for (pid,) in rows}

    assert server.get(unique_list_query()).status == HTTPStatus.OK
    before = app_backends()
    assert len(before) == 1, "the worker should keep one persistent connection"

    healthy.postgres.stop("fast")
    healthy.postgres.start()  # no request in between: the worker still holds the dead one

    for _ in range(3):
        answer = server.get(unique_list_query())
        assert answer.status == HTTPStatus.OK, answer.text
    after = app_backends()
    assert len(after) == 1
    assert after.isdisjoint(before)


# --- a write cut off mid-transaction ----------------------------------------------------------

CUT_TRIGGER = f"""
CREATE OR REPLACE FUNCTION faults_cut_connection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The server drops this very connection, as a crash, failover or admin kill would.
    PERFORM pg_terminate_backend(pg_backend_pid());
    PERFORM pg_sleep(5);
    RETURN NEW;
END $$;
CREATE TRIGGER faults_cut_connection BEFORE INSERT ON directory_facilityrole
    FOR EACH ROW WHEN (NEW.note = '{CUT_NOTE}') EXECUTE FUNCTION faults_cut_connection();
"""


def table_counts(conn) -> dict[str, int]:
    tables = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    ).fetchall()
    counts = {
        table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for (table,) in tables
    }
    counts["generation"] = conn.execute(
        "SELECT coalesce(max(generation), 0) FROM directory_directorystate"
    ).fetchone()[0]
    return counts


def test_a_write_cut_off_mid_transaction_leaves_no_partial_record(healthy, local_server):
    server = local_server
    token = {"Authorization": f"Token {healthy.token}"}
    payload = {
        "slug": "cut-light-source",
        "name": "Cut Light Source",
        "kind": "synchrotron",
        "status": "planned",
        "country": "JP",
        "techniques": ["xafs", "ptychography"],
        "institutions": [
            {"institution": "qst", "role": "operator"},
            {"institution": "riken", "role": "funder", "note": CUT_NOTE},
        ],
    }
    with healthy.postgres.connect() as conn:
        conn.execute(CUT_TRIGGER)
        try:
            before = table_counts(conn)
            mark = server.log_mark()
            cut = server.post(
                "/api/v1/facilities/", payload, headers={**token, "X-Request-ID": "cut-write"}
            )
            assert_database_unavailable_json(cut)
            line = one_failure_line(server, "cut-write", mark, "database unavailable", "POST")
            assert "terminating connection" in line["message"]
            assert table_counts(conn) == before, "the cut write left rows behind"

            # The same worker connects again, and the same write without the cut goes through:
            # it touches the tables the cut one had already written to.
            payload["institutions"][1]["note"] = "funds the upgrade"
            done = server.post("/api/v1/facilities/", payload, headers=token)
            assert done.status == HTTPStatus.CREATED, done.text
        finally:
            conn.execute("DROP TRIGGER IF EXISTS faults_cut_connection ON directory_facilityrole")
        after = table_counts(conn)
    changed = {table for table in before if after[table] != before[table]}
    assert {
        "directory_facility",
        "directory_historicalfacility",
        "directory_facility_techniques",
        "directory_facilityrole",
        "directory_historicalfacilityrole",
        "generation",
    } <= changed
    assert after["directory_facilityrole"] == before["directory_facilityrole"] + 2


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason=(
        "pg_terminate_backend is PostgreSQL's: run with DATABASE_URL=postgres://… "
        "(test_a_write_cut_off_mid_transaction_leaves_no_partial_record covers every run)"
    ),
)
def test_in_process_a_killed_write_connection_rolls_back_and_answers_503(
    reference_data, django_user_model
):
    """The same fault on the test database: the write's own backend is killed from a second
    connection right after the facility row (and its history row) are inserted."""
    sync_role_groups()
    user = django_user_model.objects.create_user("cutter", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=CURATOR))
    client = APIClient(HTTP_HOST="localhost", raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    InstitutionFactory(slug="qst", name="QST")
    TechniqueFactory(slug="xafs", name="XAFS")
    payload = {
        "slug": "killed-light-source",
        "name": "Killed Light Source",
        "kind": "synchrotron",
        "status": "planned",
        "country": "JP",
        "techniques": ["xafs"],
        "institutions": [{"institution": "qst", "role": "operator"}],
    }
    killed: list[int] = []

    def kill_the_writer(sender, instance, using, **kwargs):
        if killed:
            return
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        other = connection.get_new_connection(connection.get_connection_params())
        try:
            other.autocommit = True
            # Waits (up to 5 s) until the backend is gone, so the next statement meets it.
            other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        finally:
            other.close()
        killed.append(pid)

    post_save.connect(kill_the_writer, sender=Facility, weak=False, dispatch_uid="faults-kill")
    try:
        response = client.post("/api/v1/facilities/", payload, format="json")
    finally:
        post_save.disconnect(sender=Facility, dispatch_uid="faults-kill")

    assert killed, "the write never reached the facility insert"
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
    assert "database is unavailable" in response.json()["detail"]
    assert response["Retry-After"].isdigit()
    assert not Facility.objects.filter(slug="killed-light-source").exists()
    assert not Facility.history.filter(slug="killed-light-source").exists()
    assert not FacilityRole.objects.exists()
    assert not FacilityRole.history.exists()

    retried = client.post("/api/v1/facilities/", payload, format="json")
    assert retried.status_code == HTTPStatus.CREATED, retried.content
    assert FacilityRole.objects.filter(facility__slug="killed-light-source").count() == 1
