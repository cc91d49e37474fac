"""The script widget (embed/static/embed/widget.js): small, safe, and working on another site.

The static checks read the file (size, shadow root, no cookies, text never parsed as HTML).
The browser test serves a partner's page from a different origin (a plain http.server on
127.0.0.1) with two widget tags and hostile CSS; Debian's Chromium loads widget.js from the
live server, which the widgets then call over CORS. Screenshots land in test-artifacts/embed/.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import shutil
import subprocess
import threading
import zoneinfo
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from config import urls as project_urls
from embed.dates import format_date, format_deadline
from embed.themes import THEMES
from embed.words import script_words
from tests import browser_support as ui
from tests.factories import CallFactory, FacilityFactory, ProgrammeFactory

WIDGET = Path(__file__).resolve().parent.parent / "embed" / "static" / "embed" / "widget.js"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "embed"
XSS = "<script>alert(1)</script>"
ERROR_EN = "The directory could not be reached."
ERROR_JA = "ディレクトリに接続できませんでした。"


def source() -> str:
    return WIDGET.read_text(encoding="utf-8")


def code() -> str:
    """The script without its comments (so the checks look at what runs)."""
    text = re.sub(r"/\*.*?\*/", "", source(), flags=re.S)
    return re.sub(r"^\s*//.*$|\s//\s.*$", "", text, flags=re.M)


# --- the file -----------------------------------------------------------------------------


def test_the_widget_is_under_10_kb():
    assert WIDGET.is_file()
    assert WIDGET.stat().st_size < 10 * 1024, WIDGET.stat().st_size


def test_renders_in_a_shadow_root_without_cookies():
    script = code()
    assert "attachShadow(" in script
    assert re.search(r"credentials:\s*\"omit\"", script)
    assert re.search(r"mode:\s*\"cors\"", script)
    assert "textContent" in script
    assert "document.cookie" not in script
    assert "localStorage" not in script


def test_record_text_is_never_parsed_as_html():
    script = code()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "new Function" not in script
    assert not re.search(r"setTimeout\(\s*[\"'`]", script)


def test_no_dependencies_and_no_syntax_beyond_es2017():
    script = code()
    assert not re.search(r"^\s*(import|export)\s", script, flags=re.M)
    assert "require(" not in script
    assert "?." not in script  # optional chaining is ES2020
    assert "??" not in script  # so is nullish coalescing
    assert "//cdn" not in script and "https://" not in script


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_script_parses():
    result = subprocess.run(
        ["node", "--check", str(WIDGET)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- the same words, dates and colours as the iframe widget ---------------------------------


def script_table(name: str) -> str:
    """The source of widget.js's ``var NAME = {…};`` (its closing brace at column 0 or 2)."""
    found = re.search(rf"^var {name} = (\{{.*?^\}});$", source(), flags=re.S | re.M)
    assert found, f"widget.js has no var {name}"
    return found.group(1)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_script_words_things_as_the_iframe_widget(lang):
    """widget.js's TEXT is embed.words' catalogue (embed/locale) in each language."""
    assert json.loads(script_table("TEXT"))[lang] == script_words(lang)


def test_the_script_colours_are_the_themes():
    """widget.js's palette is embed/themes.py's, in the order its variables name them."""
    order = ("bg", "fg", "muted", "link", "border", "focus")
    order += ("open-fg", "open-bg", "upcoming-fg", "upcoming-bg", "closed-fg", "closed-bg")
    found = dict(re.findall(r'^  (\w+): "([#0-9a-f ]+)",$', script_table("THEMES"), flags=re.M))
    assert sorted(found) == sorted(THEMES)
    for theme, colours in found.items():
        assert colours.split() == [THEMES[theme][key] for key in order], theme


# Dates the widgets show: every month, one- and two-digit days, midnight, the year's ends.
DATE_CASES = [
    (datetime.datetime(2027, 1, 31, 17, 0), "Asia/Tokyo"),
    (datetime.datetime(2027, 2, 1, 0, 0), "UTC"),
    (datetime.datetime(2026, 12, 31, 23, 59), "Europe/London"),
    *(
        (datetime.datetime(2030, month, 9 + month, 8, 5), "America/New_York")
        for month in range(1, 13)
    ),
]


def test_the_script_writes_dates_as_the_server_does():
    """widget.js's ``day``/``deadline`` (run in node) and embed.dates give the same strings."""
    if shutil.which("node") is None:
        if ui.in_ci():
            pytest.fail("node is needed in CI (apt-get install -y nodejs)", pytrace=False)
        pytest.skip("node is not installed")
    functions = re.search(r"^var MONTHS = .*?;$", source(), flags=re.M).group(0)
    for name in ("day", "deadline"):
        functions += "\n" + re.search(
            rf"^function {name}\(.*?^\}}$", source(), flags=re.S | re.M
        ).group(0)
    calls = [
        {
            "closes_at_local": when.replace(tzinfo=zoneinfo.ZoneInfo(zone)).isoformat(),
            "deadline_timezone": zone,
        }
        for when, zone in DATE_CASES
    ]
    program = functions + (
        "\nconst calls = JSON.parse(process.argv[1]);"
        "\nconsole.log(JSON.stringify(calls.map(c => [false, true].map(ja =>"
        " [day(c.closes_at_local, ja), deadline(c, ja)]))));"
    )
    result = subprocess.run(
        ["node", "-e", program, json.dumps(calls)], capture_output=True, text=True, check=True
    )
    from_script = json.loads(result.stdout)
    expected = [
        [
            [format_date(when.date(), lang), format_deadline(when, zone, lang)]
            for lang in ("en", "ja")
        ]
        for when, zone in DATE_CASES
    ]
    assert from_script == expected
    assert expected[0] == [
        ["31 Jan 2027", "31 Jan 2027, 17:00 (Asia/Tokyo)"],
        ["2027年1月31日", "2027年1月31日 17:00（Asia/Tokyo）"],
    ]


# --- in a real browser, on another site ---------------------------------------------------


def serve_widget(request):
    """Test-only route: widget.js, as the embed app serves it once it is installed."""
    return HttpResponse(WIDGET.read_bytes(), content_type="text/javascript; charset=utf-8")


# Used only when the project does not serve /embed/widget.js yet (settings.ROOT_URLCONF).
urlpatterns = [path("embed/widget.js", serve_widget), *project_urls.urlpatterns]


@pytest.fixture
def widget_records(reference_data):
    """Calls and facilities to list (in a database whose writes commit)."""
    programme = ProgrammeFactory(slug="uk-japan", name="UK-Japan Fund", name_ja="日英共同基金")
    programme.countries.add("GB", "JP")
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    CallFactory(
        slug="tokyo-2030",
        name="Tokyo call",
        name_ja="東京共同研究公募",
        programme=programme,
        closes_at=datetime.datetime(2030, 1, 31, 12, tzinfo=tokyo),
        url="https://example.org/tokyo-call",
    )
    CallFactory(
        slug="xss-call",
        name=XSS,
        name_ja=XSS,
        programme=programme,
        closes_at=datetime.datetime(2030, 3, 1, 17, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
        deadline_timezone="Europe/London",
    )
    CallFactory(slug="draft-call", name="Draft call", programme=programme, is_published=False)
    other = ProgrammeFactory(slug="jp-only")
    other.countries.add("JP")
    CallFactory(slug="jp-call", name="Japan-only call", programme=other)
    for index in range(4):
        FacilityFactory(
            slug=f"facility-{index}",
            name=f"Light Source {index}",
            website=f"https://example.org/facility-{index}",
        )


@pytest.fixture
def widget_src(live_server, settings):
    """The widget's URL on the live server: the project's route, or a test-only one."""
    if Client(HTTP_HOST="localhost").get("/embed/widget.js").status_code != 200:
        settings.ROOT_URLCONF = __name__
    return f"{live_server.url}/embed/widget.js"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def partner_site(tmp_path):
    """A static web server on another origin (127.0.0.1, its own port): the partner's site."""
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner site</title>
<style>
  body {{ font-family: serif; background: #fafafa; }}
  li {{ color: red !important; font-size: 40px }}
  a {{ color: lime !important; }}
  h2 {{ color: red; text-transform: uppercase; }}
  div, p {{ border: 5px dotted red; }}
</style></head>
<body>
<h1>A partner's page</h1>
<ul><li id="host-li">The partner's own list item</li></ul>
{tags}
<p id="after">End of the partner's page.</p>
</body></html>
"""


def host_page(directory: Path, name: str, *tags: str) -> str:
    (directory / name).write_text(HOST_PAGE.format(tags="\n".join(tags)), encoding="utf-8")
    return name


def tag(src: str, **data: str) -> str:
    attributes = " ".join(f'data-{key.replace("_", "-")}="{value}"' for key, value in data.items())
    return f'<script src="{src}" {attributes} async></script>'


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_for_widgets(page, count: int) -> None:
    """Until ``count`` widgets have finished loading (a list, or a message in place of it)."""
    page.wait_for_function(
        """count => {
            const hosts = [...document.querySelectorAll('fd-embed')];
            const done = root => { const note = root.querySelector('.note');
                return !note || note.textContent.indexOf('…') < 0; };
            return hosts.length === count && hosts.every(h => h.shadowRoot && done(h.shadowRoot));
        }""",
        arg=count,
    )


def widget_items(page, index: int) -> list[dict]:
    return (
        page.locator("fd-embed")
        .nth(index)
        .evaluate(
            """host => [...host.shadowRoot.querySelectorAll('li')].map(li => {
            const a = li.querySelector('a'), status = li.querySelector('.st');
            return {text: a.firstChild.textContent, href: a.getAttribute('href'), rel: a.rel,
                    hidden: a.querySelector('.vh').textContent,
                    status: status ? status.textContent : null,
                    meta: [...li.querySelectorAll('.meta')].map(m => m.textContent).join('\\n')};
        })"""
        )
    )


def api_results(base: str, resource: str, **params) -> list[dict]:
    status, body = ui.anonymous_get(f"{base}/api/v1/{resource}/?{urlencode(params)}")
    assert status == 200, body
    return body["results"]


@pytest.mark.django_db(transaction=True)
def test_widgets_on_a_partner_page(live_server, widget_records, widget_src, partner_site, chromium):
    directory, origin = partner_site
    base = live_server.url
    assert origin.split(":")[1] != base.split(":")[1] or origin != base  # another origin
    page_name = host_page(
        directory,
        "partner.html",
        tag(widget_src, resource="calls", country="GB", lang="ja"),
        "<p>Between the widgets.</p>",
        tag(widget_src, resource="facilities", lang="en", limit="3", theme="dark"),
        f'<iframe id="fd-frame" title="Calls" width="480" height="400" '
        f'src="{base}/embed/calls/?country=GB&amp;lang=ja"></iframe>',
    )
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(ui.TIMEOUT_MS)
    # A cookie on the API's site: the widget must not send it.
    context.add_cookies([{"name": "sessionid", "value": "secret", "url": base}])
    page = context.new_page()
    console = ui.ConsoleLog()
    console.attach(page)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    api_requests = []
    page.on("request", lambda r: "/api/v1/" in r.url and api_requests.append(r))
    try:
        page.goto(f"{origin}/{page_name}")
        wait_for_widgets(page, 2)
        screenshot(page, "01-partner-page-two-widgets")

        # Each widget sits right after its own script tag.
        following = page.evaluate(
            """() => [...document.querySelectorAll('script[src$="/embed/widget.js"]')]
                .map(s => s.nextElementSibling && s.nextElementSibling.tagName)"""
        )
        assert following == ["FD-EMBED", "FD-EMBED"]

        # Calls, in Japanese: exactly what the API lists, XSS shown as text.
        calls = api_results(base, "calls", country="GB", lang="ja", limit=10)
        items = widget_items(page, 0)
        assert [item["text"] for item in items] == [row["display_name"] for row in calls]
        assert [item["text"] for item in items] == ["東京共同研究公募", XSS]
        assert items[0]["href"] == "https://example.org/tokyo-call"
        assert items[1]["href"] == f"{base}/api/v1/calls/xss-call/"
        assert all(item["rel"] == "noopener" for item in items)
        # The programme, then the deadline in the funder's time zone (embed.dates).
        assert items[0]["meta"] == "制度：日英共同基金\n締切：2030年1月31日 12:00（Asia/Tokyo）"
        assert items[0]["status"] == calls[0]["status_label"] == "公募中"
        assert items[0]["hidden"] == " （新しいタブで開きます）"
        first = page.locator("fd-embed").nth(0)
        assert first.locator("h2").inner_text() == "公募"
        assert first.locator(".credit a").inner_text() == "データ提供：Facility Directory"
        credit_href = first.locator(".credit a").get_attribute("href")
        assert credit_href.startswith(f"{base}/api/v1/calls/?")
        assert "country=GB" in credit_href
        shadow_scripts = first.evaluate("h => h.shadowRoot.querySelectorAll('script').length")
        assert shadow_scripts == 0
        assert dialogs == []

        # The iframe widget from the other origin: the same calls, escaped, framed.
        frame = page.frame_locator("#fd-frame")
        frame_titles = frame.locator("li.item h2 a").all_inner_texts()
        expected = [row["display_name"] for row in calls]
        # Each link also says, for screen readers, that it opens a new tab.
        assert [title.split("\n")[0].strip() for title in frame_titles] == expected
        assert frame.locator("html").get_attribute("lang") == "ja"
        assert dialogs == []

        # Facilities, dark, three of four.
        facilities = api_results(base, "facilities", lang="en", limit=3)
        items = widget_items(page, 1)
        assert [item["text"] for item in items] == [row["display_name"] for row in facilities]
        assert len(items) == 3
        assert [item["href"] for item in items] == [row["website"] for row in facilities]
        second = page.locator("fd-embed").nth(1)
        assert second.locator("h2").inner_text() == "Research facilities"

        # The partner's CSS does not reach inside, and the widget's does not leak out.
        host_li = page.evaluate(
            "() => { const s = getComputedStyle(document.getElementById('host-li'));"
            " return [s.color, s.fontSize]; }"
        )
        assert host_li == ["rgb(255, 0, 0)", "40px"]
        for index in (0, 1):
            styles = (
                page.locator("fd-embed")
                .nth(index)
                .evaluate(
                    """h => { const li = h.shadowRoot.querySelector('li');
                        const a = li.querySelector('a'), box = h.shadowRoot.querySelector('.fd');
                        const s = getComputedStyle(li), b = getComputedStyle(box);
                        return {color: s.color, size: s.fontSize, link: getComputedStyle(a).color,
                                border: b.borderTopStyle, font: b.fontFamily,
                                background: b.backgroundColor}; }"""
                )
            )
            assert styles["color"] != "rgb(255, 0, 0)", styles
            assert styles["size"] != "40px", styles
            assert styles["link"] != "rgb(0, 255, 0)", styles
            assert styles["border"] == "solid", styles
            assert styles["font"].split(",")[0].strip() != "serif", styles
        dark = (
            page.locator("fd-embed")
            .nth(1)
            .evaluate("h => getComputedStyle(h.shadowRoot.querySelector('.fd')).backgroundColor")
        )
        assert dark == "rgb(21, 23, 26)"

        # Keyboard focus is visible.
        page.locator("fd-embed").nth(0).locator("li a").first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        outline = (
            page.locator("fd-embed")
            .nth(0)
            .locator("li a")
            .first.evaluate("a => getComputedStyle(a).outlineStyle")
        )
        assert outline == "solid"
        screenshot(page, "02-focus-visible")

        # CORS, no cookies.
        assert len(api_requests) == 2
        for request in api_requests:
            assert "cookie" not in request.all_headers(), request.all_headers()
            response = request.response()
            assert response.status == 200
            assert response.headers.get("access-control-allow-origin") == "*"
        # The page's custom properties restyle it.
        page.add_style_tag(content="fd-embed { --fd-accent: rgb(120, 0, 120); }")
        themed = (
            page.locator("fd-embed")
            .nth(0)
            .locator("li a")
            .first.evaluate("a => getComputedStyle(a).color")
        )
        assert themed == "rgb(120, 0, 120)"
        screenshot(page, "03-custom-accent")
    except Exception:
        screenshot(page, "zz-failure")
        raise
    finally:
        context.close()
    assert dialogs == []
    assert console.errors() == []


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_directory_shows_a_message(
    live_server, widget_records, widget_src, partner_site, chromium
):
    directory, origin = partner_site
    base = live_server.url
    # A copy of widget.js on the partner's own server: its "API" there answers 404.
    (directory / "embed").mkdir()
    shutil.copy(WIDGET, directory / "embed" / "widget.js")
    page_name = host_page(
        directory,
        "unreachable.html",
        tag(widget_src, resource="calls", lang="ja"),  # network failure (aborted below)
        tag(f"{origin}/embed/widget.js", resource="facilities"),  # HTTP 404
    )
    context = chromium.new_context(viewport={"width": 900, "height": 700})
    context.set_default_timeout(ui.TIMEOUT_MS)
    page = context.new_page()
    page.route(f"{base}/api/**", lambda route: route.abort("connectionrefused"))
    console = ui.ConsoleLog()
    console.attach(page)
    try:
        page.goto(f"{origin}/{page_name}")
        page.wait_for_function(
            "() => document.querySelectorAll('fd-embed').length === 2 && [...document"
            ".querySelectorAll('fd-embed')].every(h => h.shadowRoot.querySelector('.error'))"
        )
        messages = page.evaluate(
            "() => [...document.querySelectorAll('fd-embed')]"
            ".map(h => h.shadowRoot.querySelector('.error').textContent)"
        )
        assert messages == [ERROR_JA, ERROR_EN]
        assert page.locator("#after").is_visible()  # the rest of the page is unharmed
        screenshot(page, "04-unreachable")
    except Exception:
        screenshot(page, "zz-failure-unreachable")
        raise
    finally:
        context.close()
    # Only the refused loads themselves are reported; the widget adds no error of its own.
    assert console.errors(r"Failed to load resource") == []
