"""Request ids and slow-request warnings."""

import json
import logging

import pytest

from config.observability import JSONFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_a_sane_request_id_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="partner-42.abc")
    assert response["X-Request-ID"] == "partner-42.abc"


@pytest.mark.parametrize("incoming", [None, "", "bad id with spaces", "x" * 200])
def test_otherwise_a_new_one_is_made(client, incoming):
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}
    response = client.get("/healthz", **headers)
    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != incoming


def test_slow_requests_are_logged_with_their_sql_count(client, settings, caplog):
    settings.SLOW_REQUEST_MS = -1  # every request counts as slow
    with caplog.at_level(logging.WARNING, logger="directory.requests"):
        response = client.get("/api/v1/facilities/", HTTP_X_REQUEST_ID="req-1")
    record = next(r for r in caplog.records if r.name == "directory.requests")
    assert record.sql_queries >= 2
    assert record.path == "/api/v1/facilities/"
    assert record.status == response.status_code == 200
    assert "Authorization" not in record.getMessage()


def test_log_lines_are_json_with_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    RequestIdFilter().filter(record)
    line = json.loads(JSONFormatter().format(record))
    assert line["message"] == "hello there"
    assert line["level"] == "INFO"
    assert line["request_id"] == "-"


def test_djangos_own_error_line_carries_the_request_id_then_it_is_forgotten(client):
    """Django logs 4xx/5xx answers after every middleware has run; the id must still be there."""
    from config.observability import request_id_var

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__()
            self.addFilter(RequestIdFilter())  # as the configured handler does, at emit time
            self.records = []

        def emit(self, record):
            self.records.append(record)

    keep = Keep()
    django_request = logging.getLogger("django.request")
    django_request.addHandler(keep)
    try:
        response = client.get("/api/v1/facilities/nowhere/", HTTP_X_REQUEST_ID="lost-42")
    finally:
        django_request.removeHandler(keep)
    assert response.status_code == 404
    assert [record.request_id for record in keep.records] == ["lost-42"]
    assert request_id_var.get() == "-"  # the closed response forgot it
