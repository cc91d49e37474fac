"""The image's build and start, as the Dockerfile runs them, serve a working production site.

No Docker engine runs here, so the test replays the Dockerfile's own collectstatic line (read
from the file, so the two cannot drift apart) and starts gunicorn in production mode on what it
collected, then asks for the pages whose assets come from that step.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
GUNICORN = Path(sys.executable).with_name("gunicorn")


def dockerfile_collectstatic() -> tuple[dict[str, str], list[str]]:
    """The environment assignments and command of the Dockerfile's collectstatic step."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "collectstatic" in line)
    words = shlex.split(line.removeprefix("RUN ").split("&&")[0])
    env = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    command = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    return env, command


def dockerfile_command(port: int) -> list[str]:
    """The image's CMD, bound to a loopback port instead of every interface."""
    text = (ROOT / "Dockerfile").read_text()
    command = json.loads(re.search(r"^CMD (\[.*\])$", text, re.MULTILINE).group(1))
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    assert command[0] == "gunicorn", command
    return [str(GUNICORN), *command[1:]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("image")
    build_env, command = dockerfile_collectstatic()
    assert command[:3] == ["python", "manage.py", "collectstatic"], command
    build_env["STATIC_ROOT"] = str(work / "staticfiles")  # /app/staticfiles in the image
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    subprocess.run(
        [sys.executable, *command[1:], "-v0"],
        cwd=ROOT,
        env={**base, **build_env},
        check=True,
        timeout=300,
    )

    runtime = {
        **base,
        "DEBUG": "false",
        "SECRET_KEY": "deploy-test-" + "s3cr3t" * 8,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": build_env["STATIC_ROOT"],
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }
    runtime.pop("STATIC_MANIFEST", None)  # production's own default
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=runtime,
        check=True,
        timeout=300,
    )
    port = free_port()
    log = (work / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        dockerfile_command(port),
        cwd=ROOT,
        env={**runtime, "WEB_CONCURRENCY": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if fetch(f"{base_url}/healthz")[0] == HTTPStatus.OK:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not start: {(work / 'gunicorn.log').read_text()}")
        yield base_url, work / "gunicorn.log"
    finally:
        server.terminate()
        server.wait(10)
        log.close()


@pytest.mark.parametrize("page", ["/admin/login/", "/api/docs/", "/api/redoc/"])
def test_pages_and_their_assets_are_served_by_the_built_image(production_server, page):
    base_url, _log = production_server
    status, _headers, body = fetch(base_url + page)
    assert status == HTTPStatus.OK, body[:500]
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', body)
    assert assets, "the page links its static files"
    for asset in assets:
        asset_status, asset_headers, _ = fetch(base_url + asset.decode())
        assert asset_status == HTTPStatus.OK, asset
        # Hashed names from the manifest: cacheable for ever by browsers and proxies.
        assert re.search(rb"\.[0-9a-f]{12}\.", asset), asset
        assert "max-age=315360000" in asset_headers.get("Cache-Control", ""), asset


def test_access_lines_are_json_with_the_request_id_and_no_query_string(production_server):
    base_url, log = production_server
    request = urllib.request.Request(
        f"{base_url}/api/v1/facilities/?q=secret-looking-value",
        headers={"X-Request-ID": "deploy-access-1", "Authorization": "Token abc123secret"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == HTTPStatus.UNAUTHORIZED  # an unknown token
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [
            line
            for line in log.read_text().splitlines()
            if "deploy-access-1" in line and "gunicorn.access" in line
        ]
        if lines:
            break
        time.sleep(0.1)
    entry = json.loads(lines[0])
    assert entry["logger"] == "gunicorn.access"
    assert entry["request_id"] == "deploy-access-1"
    assert entry["status"] == 401 and entry["path"] == "/api/v1/facilities/"
    assert "secret" not in log.read_text()
