"""Every page a person opens, in a real Chromium: nothing from other hosts, no CSP violation.

* The API docs (Swagger UI and ReDoc) are offline: every request the browser makes while they
  load and work goes to this site (ReDoc's logo from Redocly's CDN is gone, api/docs.py).
* Every admin page (each registered model's list, add, change, history, delete confirmation,
  import, export and deleted-records pages, the revert and restore pages, a form with errors,
  the import preview of a real upload and its confirmation) runs under the admin's policy
  without a single violation; the import preview keeps its diff highlighting (diff-match-patch's
  two inline styles, allowed by hash in config/security.py).
* The landing page at / in both languages, with its style sheet applied.

Chromium is Debian's (tests/browser_support.py); screenshots land in test-artifacts/browser/.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import re
import textwrap
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from diff_match_patch import diff_match_patch
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from api.docs import (
    OFFLINE_REDOC_BUNDLE,
    REDOC_LOGO,
    SIDECAR_REDOC_BUNDLE,
    offline_redoc_bundle,
)
from config.security import ADMIN_CSP_UPDATE
from tests import browser_support as ui
from tests.factories import CallFactory, FacilityFactory, country, delete, update

PASSWORD = "Kestrel-Orbit-4412"
ADMIN = "walk-admin"

# Reports every violation (in every frame: Playwright runs this in each one) to the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def csp_hash(value: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(value.encode()).digest()).decode() + "'"


class Recorder:
    """Every request of a browser context, and its console's CSP violations and page errors."""

    def __init__(self, context):
        self.requests: list[str] = []
        self.console = ui.ConsoleLog()
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("page", self.console.attach)

    def violations(self) -> list[str]:
        return [
            entry
            for entry in self.console.entries
            if "Content Security Policy" in entry or "CSP violation" in entry
        ]

    def elsewhere(self, base: str) -> list[str]:
        """Requests to anything but this site (``blob:`` URLs of this site's origin are its)."""
        own = urlsplit(base).netloc
        return [
            url
            for url in self.requests
            if not (
                (url.startswith(("http://", "https://")) and urlsplit(url).netloc == own)
                or url.startswith(f"blob:{base}/")
                or url.startswith("data:")
            )
        ]


def new_context(chromium, **options):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(ui.TIMEOUT_MS)
    context.add_init_script(REPORT_VIOLATIONS)
    return context


# --- without a browser: the two fixes themselves ------------------------------------------


def test_diff_match_patch_writes_exactly_the_two_styles_the_admin_allows():
    """The import preview's diffs carry inline styles: a small fixed set, each allowed by hash."""
    dmp = diff_match_patch()
    html = dmp.diff_prettyHtml(dmp.diff_main("Berkeley <b>&\nCA", "Oakland, 'CA' \"x\""))
    styles = set(re.findall(r'style="([^"]*)"', html))

    assert styles == {"background:#e6ffe6;", "background:#ffe6e6;"}
    for style in styles:
        assert csp_hash(style) in ADMIN_CSP_UPDATE["style-src-attr"], style


def test_the_redoc_bundle_served_is_the_sidecars_without_the_cdn_logo():
    original = Path(finders.find(SIDECAR_REDOC_BUNDLE)).read_text(encoding="utf-8")
    served = Path(finders.find(OFFLINE_REDOC_BUNDLE)).read_text(encoding="utf-8")

    assert original.count(REDOC_LOGO) == 1
    assert "cdn.redoc.ly" not in served
    assert not re.search(r"(?m)^//# sourceMappingURL=", served)
    assert served == offline_redoc_bundle(original)
    assert len(original) - len(served) < 200, "only the logo's URL and the map line go"
    # An upgraded bundle with another logo URL (or two) is refused, not served half-offline.
    with pytest.raises(ImproperlyConfigured, match="not one"):
        offline_redoc_bundle(original.replace(REDOC_LOGO, "https://cdn.redoc.ly/other.svg"))
    with pytest.raises(ImproperlyConfigured, match="not one"):
        offline_redoc_bundle(original + f'"{REDOC_LOGO}"')


@pytest.mark.django_db
def test_the_redoc_page_loads_the_offline_bundle_and_allows_no_other_host(client):
    response = client.get("/api/redoc/")
    html = response.content.decode()

    assert f'src="{settings.STATIC_URL}{OFFLINE_REDOC_BUNDLE}"'.replace("//", "/") in html
    assert SIDECAR_REDOC_BUNDLE not in html
    policy = response["Content-Security-Policy"]
    assert "cdn.redoc.ly" not in policy
    assert re.search(r"img-src 'self' data:(;|$)", policy), policy


# --- in Chromium: the API docs ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_api_docs_request_nothing_from_another_host(live_server, chromium):
    base = live_server.url
    context = new_context(chromium)
    record = Recorder(context)
    page = context.new_page()
    workers = []
    page.on("worker", lambda worker: workers.append(worker.url))
    try:
        page.goto(f"{base}/api/docs/")
        page.wait_for_selector(".opblock")
        assert page.locator(".opblock").count() > 10
        page.locator(".opblock-summary").first.click()  # an operation's parameters and schemas
        page.wait_for_selector(".opblock.is-open .parameters-container, .opblock.is-open table")
        page.wait_for_load_state("networkidle")
        ui.screenshot(page, "offline-swagger-ui", full_page=False)

        page.goto(f"{base}/api/redoc/")
        page.wait_for_selector("h1")
        assert "Facility Directory API" in page.locator("h1").first.inner_text()
        # The side menu's attribution (where the CDN logo was) has rendered.
        page.get_by_text("API docs by Redocly").wait_for()
        page.fill("input.search-input", "facilit")  # searched in ReDoc's blob: worker
        page.wait_for_selector("[data-role='search:results'] li")
        page.wait_for_load_state("networkidle")
        assert any(url.startswith("blob:") for url in workers)
        assert page.locator("img[alt='redocly logo']").count() == 0
        ui.screenshot(page, "offline-redoc", full_page=False)
    finally:
        context.close()

    print("requests:", *record.requests, sep="\n  ")
    assert record.elsewhere(base) == []
    assert f"{base}/api/schema/" in record.requests
    assert record.violations() == []
    assert record.console.errors() == []


# --- in Chromium: every admin page --------------------------------------------------------


def admin_pages() -> list[str]:
    """Every GET page of the admin for each registered model, on its first object.

    The list, add, import, export and deleted-records pages; for the first object its change,
    history, delete confirmation and (simple-history) revert pages; a user's password form.
    """
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    pages = [reverse("admin:index"), reverse("admin:password_change")]
    registry = admin.site._registry  # every ModelAdmin; Django has no public accessor
    for app_label in sorted({model._meta.app_label for model in registry}):
        pages.append(reverse("admin:app_list", args=[app_label]))
    for model, model_admin in sorted(registry.items(), key=lambda item: item[0]._meta.label):
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        for view in ("changelist", "add", "import", "export", "deleted"):
            with contextlib.suppress(NoReverseMatch):  # not every admin has every view
                pages.append(reverse(f"{prefix}_{view}"))
        first = model._default_manager.order_by("pk").first()
        if first is None:
            continue
        for view in ("change", "history", "delete", "password_change"):
            with contextlib.suppress(NoReverseMatch):
                pages.append(reverse(f"{prefix}_{view}", args=[first.pk]))
        entries = getattr(model, "history", None)
        if entries is not None and hasattr(entries, "model"):
            entry = first.history.order_by("history_id").first()
            if entry is not None:
                args = [first.pk, entry.history_id]
                pages.append(reverse(f"{prefix}_simple_history", args=args))
    return pages


#: One existing facility changed (a word deleted, one inserted) and one new: the preview shows
#: both kinds of diff. Every column the import needs, as the admin exports them.
IMPORT_CSV = (
    "slug,name,kind,status,country,city,sources\n"
    "walk-light-source,Walk Light Source,synchrotron,operational,US,Oakland,"
    '"[{""source"": ""test-source"", ""locator"": ""p. 1""}]"\n'
    "walk-new-source,Walk New Source,synchrotron,operational,JP,Sendai,"
    '"[{""source"": ""test-source"", ""locator"": ""p. 1""}]"\n'
)
BAD_IMPORT_CSV = "slug,name,kind,status,country\nbad-row,Bad Row,spaceship,operational,XX\n"


@pytest.fixture
def walk_data(reference_data, django_user_model):
    """The seeded directory (as `make run` seeds it), a call, a changed and a deleted record,
    and a superuser: every admin list has rows and every history page entries."""
    call_command("seed_directory", verbosity=0)
    facility = FacilityFactory(
        name="Walk Light Source", slug="walk-light-source", city="Berkeley", country=country("US")
    )
    update(facility, name="Walk Light Source II")  # more history entries (the revert page)
    update(facility, name="Walk Light Source")
    CallFactory(name="Walk Call", slug="walk-call")
    delete(FacilityFactory(name="Walk Deleted Source", slug="walk-deleted-source"))
    django_user_model.objects.create_superuser(ADMIN, "walk@example.org", PASSWORD)
    return admin_pages()


def upload(page, base: str, content: str, name: str) -> None:
    """The import form of facilities, as a curator fills it: a CSV file, then "Submit"."""
    page.goto(f"{base}/admin/directory/facility/import/")
    page.set_input_files(
        "#id_import_file",
        files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}],
    )
    page.select_option("#id_format", label="csv")
    page.click(".submit-row input[type=submit]")
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_every_admin_page_runs_without_a_policy_violation(live_server, walk_data, chromium):
    base = live_server.url
    context = new_context(chromium, locale="en-GB")
    record = Recorder(context)
    page = context.new_page()
    statuses = {}
    try:
        # A failed sign-in first: the lockout's pages (access attempts, failures) have rows.
        page.goto(f"{base}/admin/login/?next=/admin/")
        page.fill("#id_username", ADMIN)
        page.fill("#id_password", "not-the-password")
        page.click("input[type=submit]")
        page.wait_for_selector(".errornote")
        ui.log_in(page, base, ADMIN, PASSWORD)

        for path in walk_data:
            statuses[path] = page.goto(f"{base}{path}").status
        # Records deleted: "History and restore" of the first one.
        page.goto(f"{base}/admin/directory/facility/deleted/")
        restore = page.locator("#content-main a", has_text="History and restore").first
        restore.click()
        page.wait_for_load_state()
        statuses["restore page"] = 200 if "/history/" in page.url else page.url
        # The admin's "View site" link: the landing page, under the site-wide policy.
        page.goto(f"{base}/admin/")
        page.click("#user-tools a:text('View site')")
        page.wait_for_url(f"{base}/")
        statuses["View site"] = 200 if page.locator("h1").inner_text() else page.url
        # A form with errors.
        page.goto(f"{base}/admin/directory/facility/add/")
        page.click("input[name=_save]")
        page.wait_for_selector(".errornote")

        # The import preview of a real upload: rows with errors, then a good file.
        upload(page, base, BAD_IMPORT_CSV, "bad.csv")
        assert page.locator(".errorlist, .validation-error-list, .import-error").count() > 0
        ui.screenshot(page, "walk-import-errors", full_page=False)

        upload(page, base, IMPORT_CSV, "facilities.csv")
        page.wait_for_selector("table.import-preview")
        inserted = page.locator("table.import-preview ins", has_text="Oakland")
        deleted = page.locator("table.import-preview del", has_text="Berkeley")
        highlights = {
            "ins": inserted.evaluate("e => getComputedStyle(e).backgroundColor"),
            "del": deleted.evaluate("e => getComputedStyle(e).backgroundColor"),
        }
        ui.screenshot(page, "walk-import-preview", full_page=False)
        page.click("input[type=submit][name=confirm]")
        page.wait_for_selector("ul.messagelist li.success")
        ui.screenshot(page, "walk-import-done", full_page=False)
    except Exception:
        ui.screenshot(page, "zz-walk-failure")
        raise
    finally:
        context.close()

    print(f"{len(statuses)} admin pages:", *(f"{s} {p}" for p, s in statuses.items()), sep="\n  ")
    # Only pages the admin refuses to anybody (adding a log entry, deleting a change event).
    refused = {path: status for path, status in statuses.items() if status != 200}
    assert set(refused.values()) <= {403}, refused
    assert len(statuses) - len(refused) > 60, "every registered model's pages were walked"
    assert record.violations() == []
    assert record.elsewhere(base) == []
    # The diff's colours (diff-match-patch's inline styles; import-export's own style sheet
    # colours only insertions unless a theme is chosen).
    assert highlights == {"ins": "rgb(230, 255, 230)", "del": "rgb(255, 230, 230)"}


# --- in Chromium: the landing page --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("locale", "lang", "heading"),
    [("en-GB", "en", "Facility Directory"), ("ja-JP", "ja", "研究施設ディレクトリ")],
)
def test_the_landing_page_in_both_languages(live_server, chromium, locale, lang, heading):
    base = live_server.url
    context = new_context(chromium, locale=locale)
    record = Recorder(context)
    page = context.new_page()
    try:
        response = page.goto(f"{base}/")
        assert response.status == 200
        assert page.get_attribute("html", "lang") == lang
        assert page.locator("h1").inner_text().startswith(heading)
        # Its style sheet applied (the site-wide policy allows it: it is this site's).
        band = page.locator(".masthead").evaluate("e => getComputedStyle(e).backgroundColor")
        assert band == "rgb(16, 54, 92)"
        ui.screenshot(page, f"landing-{lang}")
        links = page.locator("main a").evaluate_all("links => links.map(a => a.href)")
        assert len(links) == 9
        # The other language, through the switch.
        other = "ja" if lang == "en" else "en"
        page.click(f".languages a[hreflang={other}]")
        page.wait_for_url(f"{base}/?lang={other}")
        assert page.get_attribute("html", "lang") == other
        # Each link answers (fetched with the browser's cookies: the schema is a download; the
        # admin answers its sign-in page).
        for href in links:
            assert page.request.get(href).status == 200, href
    finally:
        context.close()

    assert record.violations() == []
    assert record.elsewhere(base) == []
    assert record.console.errors() == []


# --- in Chromium: the README's embed snippets, as written ---------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"
MAKE_RUN = "http://127.0.0.1:8000"


def readme_embed_snippets() -> list[str]:
    """The HTML code blocks of the README's "Embedding" section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Embedding\n", 1)[1].split("\n## ", 1)[0]
    return [textwrap.dedent(block) for block in re.findall(r"```html\n(.*?)```", section, re.S)]


@contextlib.contextmanager
def partner_site(page_html: str):
    """A partner's web server on loopback (another origin than the app's): its one page's URL."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/partner.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def seeded(reference_data):
    """The directory as `make run` seeds it (in a database whose writes commit)."""
    call_command("seed_directory", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_readmes_embed_snippets_work_as_written(live_server, seeded, chromium):
    # Every public programme of the GB widget the README embeds, as the API lists them (over
    # HTTP: the browser's event loop forbids the ORM in this thread).
    import json
    import urllib.request

    with urllib.request.urlopen(f"{live_server.url}/api/v1/programmes/?country=GB") as answer:
        listed = json.load(answer)
    snippets = readme_embed_snippets()
    assert len(snippets) == 2 and all(MAKE_RUN in snippet for snippet in snippets), snippets
    assert "HOST" not in "".join(snippets)
    # A partner's page on another origin of this machine, as a page next to `make run` is,
    # holding the snippets with make run's address replaced by the test server's (the only
    # difference between them and the README).
    body = "".join(snippet.replace(MAKE_RUN, live_server.url) for snippet in snippets)
    page_html = (
        f"<!doctype html><html><head><title>Partner</title></head><body>{body}</body></html>"
    )
    context = new_context(chromium, locale="en-GB")
    record = Recorder(context)
    page = context.new_page()
    expected = ["JST-UKRI 共同研究プログラム", "英国企業連携助成（Innovate UK）"]
    try:
        with partner_site(page_html) as partner:
            with page.expect_response(lambda answer: "/embed/programmes/" in answer.url):
                page.goto(partner)
            frame = page.frame_locator("iframe")
            frame.locator("h2").first.wait_for()
            in_frame = frame.locator("h2").all_inner_texts()
            # The script widget shows its title while it fetches the list: wait for the list
            # itself (every expected name), not for the first heading (a flake under load).
            page.wait_for_function(
                "names => { const text = [...document.querySelectorAll('*')]"
                ".filter(e => e.shadowRoot).map(e => e.shadowRoot.textContent).join('\\n');"
                " return names.every(name => text.includes(name)); }",
                arg=list(expected),
            )
            in_script = page.evaluate(
                "() => [...document.querySelectorAll('*')].filter(e => e.shadowRoot)"
                ".map(e => e.shadowRoot.textContent).join('\\n')"
            )
            ui.screenshot(page, "readme-snippets")
    finally:
        context.close()

    assert len(in_frame) == listed["count"] >= 4, in_frame
    for name in expected:
        assert any(name in heading for heading in in_frame), in_frame
        assert name in in_script
    assert record.console.errors() == []
