"""Helpers for the real-browser tests (tests/test_browser.py): Chromium, the admin UI, artifacts.

The browser is Debian's Chromium driven by Playwright's sync API, with Debian's CJK fonts for
the Japanese pages (``apt-get install -y chromium fonts-noto-cjk``); ``playwright install`` is
never needed. What is missing is named in pytest's header (tests/conftest.py) and in each skip
reason; in CI (``$CI`` set) a missing piece fails the browser tests instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"

# Headless in a container, and quiet on a closed network: without the background-networking
# flags Chromium keeps dialling Google services and floods the network with refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


#: Debian's packages the browser tests need: the browser, and fonts for the Japanese pages.
APT_PACKAGES = ("chromium", "fonts-noto-cjk")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no", "off"}


def chromium_executable() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


def has_cjk_fonts() -> bool:
    """Whether fontconfig knows a Japanese font (Debian's fonts-noto-cjk, or another)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        found = subprocess.run(
            [fc_list, ":lang=ja", "family"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


def missing_browser_requirements() -> dict[str, str]:
    """What the browser tests lack: {what: how to install it}; empty when all is there."""
    missing = {}
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing["the playwright package"] = "pip install -r requirements-dev.txt"
    if not chromium_executable():
        missing["chromium"] = "apt-get install -y chromium"
    if not has_cjk_fonts():
        missing["fonts-noto-cjk"] = "apt-get install -y fonts-noto-cjk"
    return missing


def install_hint(missing: dict[str, str]) -> str:
    """One line naming what is missing and the commands that install it."""
    packages = [name for name in APT_PACKAGES if name in missing]
    commands = [f"apt-get install -y {' '.join(packages)}"] if packages else []
    commands += [how for how in missing.values() if not how.startswith("apt-get")]
    return f"missing {', '.join(missing)}; install with: {' && '.join(commands)}"


def chromium_or_skip() -> str:
    """The Chromium executable, or a skip naming what to install (a failure in CI).

    Without the CJK fonts the tests still run outside CI (Japanese text shows as boxes in
    the screenshots); in CI every piece is required.
    """
    missing = missing_browser_requirements()
    blocking = missing if in_ci() else {k: v for k, v in missing.items() if k != "fonts-noto-cjk"}
    if not blocking:
        return chromium_executable()
    if in_ci():
        pytest.fail(f"Browser test cannot run in CI: {install_hint(missing)}.", pytrace=False)
    pytest.skip(f"Browser test skipped: {install_hint(missing)}.")


def on_worker_thread(function, *args):
    """Run ORM code on a thread of its own and close its database connections afterwards.

    Playwright's sync API keeps an asyncio loop on the test's thread: Django refuses ORM
    calls there (SynchronousOnlyOperation), and forcing them with DJANGO_ALLOW_ASYNC_UNSAFE
    opens a connection that is never closed (PostgreSQL then cannot drop the test database).
    """
    from django.db import connections

    def call():
        try:
            return function(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/browser/ (the viewport only for change lists,
    whose country filter runs to thousands of pixels)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions of one page, with the URL they came from."""

    entries: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        def on_console(message) -> None:
            if message.type != "error":
                return
            source = message.location.get("url", "") if message.location else ""
            self.entries.append(f"{page.url} [{source}]: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.entries.append(f"{page.url} [uncaught]: {error}"))

    def errors(self, *expected: str) -> list[str]:
        """Entries that are neither a favicon 404 nor an expected refusal (regex patterns)."""
        ignored = [r"/favicon\.ico\]", *expected]
        return [e for e in self.entries if not any(re.search(p, e) for p in ignored)]


def anonymous_get(url: str) -> tuple[int, dict]:
    """GET a URL with no cookies at all (a partner's script): the status and the JSON body."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        return error.code, json.loads(body) if body.startswith("{") else {"body": body}


# --- the admin UI ---------------------------------------------------------------------


def log_in(page, base_url: str, username: str, password: str) -> None:
    """Sign in through the admin's login form and land on the admin index."""
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
    page.wait_for_selector("#user-tools")


def log_out(page, base_url: str) -> None:
    """Sign out with the admin's own "Log out" button (a POST form since Django 5)."""
    page.click("#logout-form button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/logout/")
    page.wait_for_selector("text=Logged out")


def pick_autocomplete(page, select_id: str, query: str, option_text: str) -> None:
    """Choose an option of an admin autocomplete (select2) widget the way a curator does:
    open it, type, wait for the AJAX results and click the one wanted."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(query)
    option = page.locator(
        ".select2-container--open .select2-results__option:not(.loading-results)",
        has_text=option_text,
    )
    option.first.click()
    page.wait_for_function(
        "([id, text]) => { const s = document.getElementById(id);"
        " return s.selectedIndex >= 0 && s.options[s.selectedIndex].text.includes(text); }",
        arg=[select_id, option_text],
    )


def messages(page) -> list[str]:
    """The admin's flash messages on the current page."""
    return [text.strip() for text in page.locator("ul.messagelist li").all_inner_texts()]
