"""Request ids, structured JSON logs and slow-request warnings.

Every request carries an id: the caller's ``X-Request-ID`` when it is sane, otherwise a new
one; it is returned in the response and stamped on every log line written while the request
runs. A request slower than ``SLOW_REQUEST_MS`` logs a warning with its SQL query count.
Headers are never logged, so tokens never reach the logs; nor do the SQL query logs that
``DEBUG=true`` with ``LOG_LEVEL=DEBUG`` writes, whose values :class:`SQLSecretsFilter` withholds
for queries on credentials (API tokens, session keys, password hashes).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.db import connections
from gunicorn.glogging import Logger as GunicornLogger

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
logger = logging.getLogger("directory.requests")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras."""

    EXTRAS = ("method", "path", "status", "duration_ms", "sql_queries")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key in self.EXTRAS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestIdMiddleware:
    """Assigns the request id, times the request and warns about slow ones."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Kept until the response is closed (request_finished), not just until this returns:
        # Django logs 4xx/5xx answers ("Service Unavailable: /readyz") after every middleware.
        request_id_var.set(request_id)
        counter = _QueryCounter()
        started = time.perf_counter()
        with _counting(counter):
            response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        response["X-Request-ID"] = request_id
        if duration_ms > settings.SLOW_REQUEST_MS:
            logger.warning(
                "slow request: %s %s took %.0f ms with %d SQL queries",
                request.method,
                request.path,
                duration_ms,
                counter.count,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(duration_ms, 1),
                    "sql_queries": counter.count,
                },
            )
        return response


def _forget_request_id(**kwargs) -> None:
    request_id_var.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="observability-forget-request-id")


class _counting:
    """Count the queries of every database connection while the request runs."""

    def __init__(self, counter):
        self.counter = counter
        self.stack = []

    def __enter__(self):
        for alias in connections:
            wrapper = connections[alias].execute_wrapper(self.counter)
            wrapper.__enter__()
            self.stack.append(wrapper)
        return self

    def __exit__(self, *exc):
        while self.stack:
            self.stack.pop().__exit__(*exc)
        return False


#: SQL that reads or writes a credential: an API token, a session key or a password hash.
_SECRET_SQL = ('"api_apitoken"', '"authtoken_token"', '"django_session"', '"password"')
_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")
WITHHELD = "(withheld: credentials)"


class SQLSecretsFilter(logging.Filter):
    """Withholds the values of logged SQL that touches credentials (``django.db.backends``).

    Django logs every query with its parameters when ``DEBUG`` is on; the token lookup of
    every API request and the session lookup of every signed-in one would write the secret
    itself. Such a record keeps its statement with each string literal replaced by ``'…'``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        sql = getattr(record, "sql", None)
        if not isinstance(sql, str) or not any(marker in sql for marker in _SECRET_SQL):
            return True
        redacted = _SQL_LITERAL.sub("'…'", sql)
        record.sql, record.params = redacted, WITHHELD
        record.msg = "(%.3f) %s; args=%s; alias=%s"
        record.args = (getattr(record, "duration", 0.0), redacted, WITHHELD, record.alias)
        return True


class GunicornJSONLogger(GunicornLogger):
    """gunicorn's access lines as JSON objects with the request id (path only: no query
    string, no headers, so nothing a caller sends as a secret reaches the log)."""

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        request_id = next(
            (value for name, value in resp.headers if name.lower() == "x-request-id"), "-"
        )
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} {status}",
            "request_id": request_id,
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote": environ.get("REMOTE_ADDR"),
        }
        self.access_log.info(json.dumps(entry, ensure_ascii=False))
