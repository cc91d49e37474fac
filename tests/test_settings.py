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


def _variables_read_by_settings() -> set[str]:
    import re
    from pathlib import Path

    source = (Path(settings.BASE_DIR) / "config" / "settings.py").read_text()
    pattern = r'(?:os\.environ\.get|env_bool|env_int|env_list)\(\s*"([A-Z][A-Z0-9_]+)"'
    # dj_database_url.config() reads DATABASE_URL itself.
    return set(re.findall(pattern, source)) | {"DATABASE_URL"}


# Set by the image or built by compose from other variables, not passed through.
NOT_PASSED_BY_COMPOSE = {"STATIC_ROOT", "STATIC_MANIFEST"}


def test_every_variable_is_documented_and_passed_to_the_app_by_compose():
    """A deploy choice nobody can find is one nobody can make."""
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    variables = _variables_read_by_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DATABASE_REPLICA_URLS"} <= variables

    example = (root / ".env.example").read_text()
    readme = (root / "README.md").read_text()
    compose = (root / "docker-compose.yml").read_text()
    anchor = compose.split("x-app-environment:", 1)[1].split("\nservices:", 1)[0]
    for name in sorted(variables):
        assert f"\n{name}=" in example, f"{name} is not in .env.example"
        assert f"`{name}`" in readme, f"{name} is not in the README's configuration table"
        if name not in NOT_PASSED_BY_COMPOSE | {"DATABASE_URL"}:
            assert f"\n  {name}: " in anchor, f"compose does not pass {name} to the app"
    assert "\n  DATABASE_URL: postgres://" in anchor  # built from the POSTGRES_* variables


def _database_options(**env) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(sorted(settings.DATABASES['default'].get('OPTIONS', {}).items()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_postgresql_prepares_statements_unless_turned_off():
    postgres = {"DATABASE_URL": "postgres://u@db.example:5432/directory"}
    assert _database_options(**postgres) == (
        "[('prepare_threshold', 2), ('server_side_binding', True)]"
    )
    assert _database_options(**postgres, DATABASE_PREPARED_STATEMENTS="false") == "[]"
    assert _database_options(DATABASE_URL="sqlite:///x.sqlite3") == "[]"
