"""Deployment settings come from the environment, and production refuses an unsafe start."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from config.settings_checks import secret_key_problem

SETUP = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def run_settings(code: str = SETUP, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
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
    result = run_settings(SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def _env_example_secret_key() -> str:
    from pathlib import Path

    example = (Path(settings.BASE_DIR) / ".env.example").read_text()
    return re.search(r"^SECRET_KEY=(.*)$", example, re.MULTILINE).group(1)


UNSAFE_KEYS = [
    ("change-me", "a well-known placeholder"),
    ("changeme", "a well-known placeholder"),
    ("secret", "a well-known placeholder"),
    ("Change_Me", "a well-known placeholder"),
    (".env.example", 'it is a placeholder (it contains "changeme")'),
    ("change-me-" + "x7Kq2" * 10, 'it is a placeholder (it contains "changeme")'),
    ("insecure-" + "x7Kq2" * 10, 'it starts with "insecure-"'),
    ("django-insecure-" + "x7Kq2" * 10, 'it starts with "django-insecure-"'),
    ("x7Kq2-a-random-looking-but-short-key-0123456789", "47 characters long; at least 50"),
    ("abcd" * 20, "it has 4 distinct characters; at least 5"),
]


@pytest.mark.parametrize(("key", "why"), UNSAFE_KEYS)
def test_unsafe_secret_keys_are_named_with_the_reason(key, why):
    key = _env_example_secret_key() if key == ".env.example" else key
    assert why in secret_key_problem(key)


@pytest.mark.parametrize(
    ("key", "why"),
    [UNSAFE_KEYS[0], UNSAFE_KEYS[4], UNSAFE_KEYS[7], UNSAFE_KEYS[8]],
    ids=["change-me", ".env.example", "django-insecure", "short"],
)
def test_production_refuses_an_unsafe_secret_key_and_says_why(key, why):
    key = _env_example_secret_key() if key == ".env.example" else key
    result = run_settings(SECRET_KEY=key)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is unsafe for production: " in result.stderr
    assert why in result.stderr
    assert 'python -c "import secrets; print(secrets.token_urlsafe(50))"' in result.stderr


def test_development_accepts_any_secret_key():
    result = run_settings(SECRET_KEY="change-me", DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_good_secret_keys_pass():
    assert secret_key_problem(secrets.token_urlsafe(50)) is None
    # The keys other tests and bench/load.sh start production with.
    assert secret_key_problem("deploy-test-" + "s3cr3t" * 8) is None
    assert secret_key_problem("bench-only-secret-key-not-for-production-0123456789") is None


PROXIES = SETUP.replace("settings.DEBUG", "settings.TRUSTED_PROXIES")


def test_trusted_proxies_are_networks_read_from_the_environment():
    result = run_settings(
        PROXIES, DEBUG="true", TRUSTED_PROXIES=" 172.31.250.0/24, 10.0.0.7,2001:db8::/48"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['172.31.250.0/24', '10.0.0.7/32', '2001:db8::/48']"
    assert run_settings(PROXIES, DEBUG="true").stdout.strip() == "[]"  # default: none


@pytest.mark.parametrize(
    "value", ["172.31.250.0/33", "10.0.0.0/8,proxy.example.org", "10.0.0.0/8;10.1.0.0/16"]
)
def test_an_invalid_trusted_proxy_network_stops_the_start_and_says_which(value):
    result = run_settings(PROXIES, DEBUG="true", TRUSTED_PROXIES=value)

    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: TRUSTED_PROXIES must be comma-separated IP networks" in result.stderr
    )
    bad = value.split(",")[-1]
    assert f"got {bad!r}" in result.stderr


def test_the_replaced_trusted_proxy_count_stops_the_start_and_names_its_successor():
    result = run_settings(PROXIES, DEBUG="true", TRUSTED_PROXY_COUNT="1")

    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT was replaced by TRUSTED_PROXIES" in result.stderr
    assert run_settings(PROXIES, DEBUG="true", TRUSTED_PROXY_COUNT="").returncode == 0


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
