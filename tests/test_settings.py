"""Deployment settings come from the environment, and production refuses an unsafe start."""

import os
import subprocess
import sys

from django.conf import settings

SETUP = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def run_settings(**env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_production_without_secret_key_refuses_to_start_and_says_why():
    result = run_settings()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_with_a_secret_key_starts():
    result = run_settings(SECRET_KEY="a-long-random-value-for-this-test-0123456789")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_development_mode_uses_a_throwaway_key():
    result = run_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_language_and_time_zone():
    assert settings.TIME_ZONE == "UTC"
    assert [code for code, _ in settings.LANGUAGES] == ["en", "ja"]
