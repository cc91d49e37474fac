"""The image's build and start, as the Dockerfile runs them, serve a working production site.

No Docker engine runs here, so the test replays the Dockerfile's own collectstatic line (read
from the file, so the two cannot drift apart) and starts gunicorn in production mode on what it
collected, then asks for the pages whose assets come from that step.
"""

from __future__ import annotations

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
        [str(GUNICORN), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=runtime,
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
        yield base_url
    finally:
        server.terminate()
        server.wait(10)
        log.close()


@pytest.mark.parametrize("page", ["/admin/login/", "/api/docs/", "/api/redoc/"])
def test_pages_and_their_assets_are_served_by_the_built_image(production_server, page):
    status, _headers, body = fetch(production_server + page)
    assert status == HTTPStatus.OK, body[:500]
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', body)
    assert assets, "the page links its static files"
    for asset in assets:
        asset_status, asset_headers, _ = fetch(production_server + asset.decode())
        assert asset_status == HTTPStatus.OK, asset
        # Hashed names from the manifest: cacheable for ever by browsers and proxies.
        assert re.search(rb"\.[0-9a-f]{12}\.", asset), asset
        assert "max-age=315360000" in asset_headers.get("Cache-Control", ""), asset
