"""Liveness and readiness probes, and the production security settings."""

import os
import subprocess
import sys
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connections


def test_healthz_answers_without_touching_anything(client):
    # No database access is allowed in this test: any query would raise.
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_cache(client):
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database:default": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readyz_names_what_failed(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["failed"] == ["database:default"]
    assert response["Retry-After"] == "5"


def test_check_deploy_passes_with_the_documented_production_variables():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DEBUG="false",
        SECRET_KEY="x" * 20 + "-a-long-random-production-value-0123456789-abcdefghij",
        ALLOWED_HOSTS="directory.example.org",
        SECURE_PROXY_SSL_HEADER="true",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        SECURE_COOKIES="true",
        STATIC_MANIFEST="false",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
