"""The widgets in Chromium: WCAG 2.1 AA in both themes and languages, one wording and one date
style across the iframe and the script widget, and the API's own 400 in the script widget.

Accessibility is checked by axe-core (Deque's engine behind Lighthouse and the browsers'
accessibility audits), from the npm registry at the exact version and sha512 that
package-lock.json pins; ``npm ci`` at the repository root installs it into node_modules/
(``make test`` and .ci/run do so). Without it the axe tests are skipped, naming the command;
in CI they fail. axe runs inside each page (``page.evaluate``, which the widgets' strict
Content-Security-Policy does not block: nothing is added to the page as a script), with the
WCAG 2.0/2.1 A and AA rules, ``color-contrast`` among them.

Screenshots land in test-artifacts/widgets/: each theme in each language, the iframe and the
script widget side by side on a partner's page.
"""

from __future__ import annotations

import datetime
import functools
import threading
import zoneinfo
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from tests import browser_support as ui
from tests.factories import CallFactory, FacilityFactory, ProgrammeFactory, country
from tests.test_widget_js import QuietHandler, host_page, tag, wait_for_widgets

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "widgets"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = pytest.mark.django_db(transaction=True)


def axe_source() -> str:
    if AXE.is_file():
        return AXE.read_text(encoding="utf-8")
    hint = "run `npm ci` at the repository root (package-lock.json pins axe-core)"
    if ui.in_ci():
        pytest.fail(f"axe-core is not installed: {hint}.", pytrace=False)
    pytest.skip(f"axe-core is not installed: {hint}.")


def run_axe(page, source: str) -> dict:
    """axe's results for the page (shadow roots included) under the WCAG 2.1 A/AA rules."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source + "\n;undefined")
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}})
            .then(r => ({
              violations: r.violations.map(v => ({id: v.id, help: v.help,
                nodes: v.nodes.map(n => [n.target.join(" "), n.failureSummary])})),
              incomplete: r.incomplete.map(v => ({id: v.id,
                nodes: v.nodes.map(n => n.target.join(" "))})),
              contrast: (r.passes.find(p => p.id === "color-contrast") || {nodes: []})
                .nodes.length}))""",
        WCAG_AA,
    )


def assert_accessible(results: dict, where: str) -> None:
    assert results["violations"] == [], f"{where}: {results['violations']}"
    # Contrast axe could not decide (text over an image, say) counts as a failure here too.
    unsure = [entry for entry in results["incomplete"] if entry["id"] == "color-contrast"]
    assert unsure == [], f"{where}: {unsure}"
    assert results["contrast"] >= 3, f"{where}: color-contrast checked too little text"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


PLAIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A partner's page</title>
<style>body {{ font-family: Georgia, serif; margin: 16px; display: grid; gap: 12px;
  grid-template-columns: 560px 1fr; align-items: start; }}</style></head>
<body><main style="display: contents">{body}</main></body></html>
"""


def plain_page(directory: Path, name: str, *parts: str) -> str:
    """A partner's page with nothing of its own that could fail an accessibility check."""
    (directory / name).write_text(PLAIN_PAGE.format(body="\n".join(parts)), encoding="utf-8")
    return name


@pytest.fixture
def partner_site(tmp_path):
    """A partner's static site on another origin (127.0.0.1, a port of its own)."""
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def records(reference_data):
    """Calls in every status (one without a Japanese name), facilities with and without a
    Japanese name, programmes (rows committed for the live server)."""
    programme = ProgrammeFactory(slug="uk-japan", name="UK-Japan Fund", name_ja="日英共同基金")
    programme.countries.add("GB", "JP")
    now = timezone.now()
    CallFactory(
        slug="open-call",
        name="Joint research call",
        name_ja="日英共同研究公募",
        programme=programme,
        opens_on=None,
        closes_at=datetime.datetime(2099, 1, 31, 17, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
        url="https://example.org/open-call",
    )
    CallFactory(
        slug="upcoming-call",
        name="Exchange visits",
        programme=programme,
        opens_on=(now + datetime.timedelta(days=10)).date(),
        closes_at=now + datetime.timedelta(days=40),
        deadline_timezone="Europe/London",
    )
    CallFactory(
        slug="closed-call",
        name="Pilot call",
        name_ja="試行公募",
        programme=programme,
        opens_on=(now - datetime.timedelta(days=90)).date(),
        closes_at=now - datetime.timedelta(days=2),
    )
    FacilityFactory(
        slug="ring", name="Tohoku Ring", name_ja="東北リング", city="Sendai", city_ja="仙台市"
    )
    FacilityFactory(
        slug="harwell-source",
        name="Harwell Source",
        city="Didcot",
        country=country("GB"),
        website="https://example.org/harwell",
    )


def new_page(chromium, **options):
    context = chromium.new_context(viewport={"width": 1200, "height": 900}, **options)
    context.set_default_timeout(ui.TIMEOUT_MS)
    page = context.new_page()
    console = ui.ConsoleLog()
    console.attach(page)
    return context, page, console


# --- WCAG 2.1 AA, both themes, both languages ---------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_both_themes_pass_wcag_aa_in_both_languages(
    live_server, records, partner_site, chromium, theme, lang
):
    source = axe_source()
    base = live_server.url
    directory, origin = partner_site
    context, page, console = new_page(chromium)
    try:
        # The iframe widgets (and a widget's 400 page) on their own.
        for path in (
            f"/embed/calls/?theme={theme}&lang={lang}",
            f"/embed/facilities/?theme={theme}&lang={lang}",
            f"/embed/programmes/?theme={theme}&lang={lang}",
            f"/embed/facilities/?theme={theme}&lang={lang}&contry=JP",
        ):
            page.goto(base + path)
            assert page.locator("html").get_attribute("lang") == lang
            assert_accessible(run_axe(page, source), path)
        # The builder, in the page's language.
        page.goto(f"{base}/embed/?theme={theme}&lang={lang}")
        page.frame_locator("#preview").locator("h1").wait_for()
        assert_accessible(run_axe(page, source), "the builder")

        # A partner's page: the iframe and the script widget side by side.
        page_name = plain_page(
            directory,
            f"showcase-{theme}-{lang}.html",
            f'<iframe id="frame" title="Calls" width="560" height="600" style="border:0" '
            f'src="{base}/embed/calls/?theme={theme}&amp;lang={lang}"></iframe>',
            "<div>"
            + tag(f"{base}/embed/widget.js", resource="calls", theme=theme, lang=lang)
            + tag(f"{base}/embed/widget.js", resource="facilities", theme=theme, lang=lang)
            + "</div>",
        )
        page.goto(f"{origin}/{page_name}")
        wait_for_widgets(page, 2)
        page.frame_locator("#frame").locator("footer").wait_for()
        # The script widgets, in their shadow roots on the partner's page.
        assert_accessible(run_axe(page, source), f"script widgets, {theme}, {lang}")
        suffix = "" if lang == "en" else "_ja"
        screenshot(page, f"widget_{theme}{suffix}")
    except Exception:
        screenshot(page, f"zz-failure-{theme}-{lang}")
        raise
    finally:
        context.close()
    assert console.errors(r"Failed to load resource: .*400") == []


# --- the script widget names the API's refusal -----------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title"),
    [("ja", "このウィジェットは表示できません"), ("en", "This widget cannot be shown")],
)
def test_the_script_widget_shows_the_apis_own_400_message(
    live_server, records, partner_site, chromium, lang, title
):
    base = live_server.url
    directory, origin = partner_site
    page_name = host_page(
        directory,
        f"typo-{lang}.html",
        tag(f"{base}/embed/widget.js", resource="facilities", contry="JP", lang=lang),
    )
    status, body = ui.anonymous_get(f"{base}/api/v1/facilities/?contry=JP&lang={lang}")
    assert status == 400
    (message,) = body["contry"]
    context, page, console = new_page(chromium)
    try:
        page.goto(f"{origin}/{page_name}")
        page.wait_for_function(
            "() => { const h = document.querySelector('fd-embed');"
            " return h && h.shadowRoot && h.shadowRoot.querySelector('.error'); }"
        )
        error = page.locator("fd-embed .error")
        text = error.inner_text()
        assert f"data-contry: {message}" in text, text
        assert "could not be reached" not in text and "接続できません" not in text
        assert error.locator("strong").inner_text() == title
        assert error.locator("li").all_inner_texts() == [f"data-contry: {message}"]
        if lang == "ja":
            assert message.startswith("不明なパラメータです。")
        screenshot(page, f"script-400-{lang}")
    finally:
        context.close()
    # The browser reports the 400 itself; the widget adds no error of its own.
    assert console.errors(r"Failed to load resource: .*400") == []


# --- one wording, one date style --------------------------------------------------------------

IFRAME_TEXT = """() => {
  const text = el => el ? el.textContent : null;
  return {
    title: text(document.querySelector('h1')),
    items: [...document.querySelectorAll('li.item')].map(li => {
      const a = li.querySelector('h2 a'), hidden = a.querySelector('.visually-hidden');
      return {name: a.textContent.replace(hidden.textContent, ''), hidden: hidden.textContent,
              status: text(li.querySelector('.status')),
              facts: text(li.querySelector('.facts')) || '',
              deadline: text(li.querySelector('.deadline')) || ''};
    }),
    empty: text(document.querySelector('.empty')),
    credit: text(document.querySelector('footer a')),
    updated: text(document.querySelector('footer .updated')),
  };
}"""

SCRIPT_TEXT = """host => {
  const root = host.shadowRoot, text = el => el ? el.textContent : null;
  const list = root.querySelector('.fd > ul');
  return {
    title: text(root.querySelector('h2')),
    items: list ? [...list.children].map(li => {
      const a = li.querySelector('a'), meta = li.querySelectorAll(':scope > .meta');
      return {name: a.firstChild.textContent, hidden: text(a.querySelector('.vh')),
              status: text(li.querySelector('.st')),
              facts: text(meta[0]) || '', deadline: text(meta[1]) || ''};
    }) : [],
    empty: list ? null : text(root.querySelector('.note')),
    credit: text(root.querySelector('.credit a')),
    updated: text(root.querySelector('.credit > span')),
  };
}"""


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_iframe_and_script_widgets_word_and_date_things_alike(
    live_server, records, partner_site, chromium, lang
):
    """The same listings in both kinds of widget say the same words and the same dates, far
    from the funder's and the server's time zones, in another browser locale."""
    base = live_server.url
    directory, origin = partner_site
    listings = [
        ("calls", {"country": "GB"}),
        ("facilities", {}),
        ("programmes", {}),
        ("calls", {"country": "FR"}),  # nothing: the empty message
    ]
    tags, frames = [], []
    for index, (resource, filters) in enumerate(listings):
        query = "&amp;".join(f"{key}={value}" for key, value in {**filters, "lang": lang}.items())
        frames.append(
            f'<iframe id="frame-{index}" title="{resource}" width="560" height="480" '
            f'src="{base}/embed/{resource}/?{query}"></iframe>'
        )
        tags.append(tag(f"{base}/embed/widget.js", resource=resource, lang=lang, **filters))
    page_name = host_page(directory, f"alike-{lang}.html", *tags, *frames)
    context, page, console = new_page(chromium, locale="de-DE", timezone_id="Pacific/Kiritimati")
    try:
        page.goto(f"{origin}/{page_name}")
        wait_for_widgets(page, len(listings))
        seen = []
        for index in range(len(listings)):
            frame = page.frame_locator(f"#frame-{index}")
            frame.locator("footer").wait_for()
            from_iframe = frame.locator("html").evaluate(f"(_html) => ({IFRAME_TEXT})()")
            from_script = page.locator("fd-embed").nth(index).evaluate(SCRIPT_TEXT)
            assert from_script == from_iframe, listings[index]
            seen.append(from_iframe)
        screenshot(page, f"alike-{lang}")
    finally:
        context.close()
    assert console.errors() == []

    calls, facilities, programmes, nothing = seen
    if lang == "ja":
        assert calls["title"] == "公募"
        assert [item["name"] for item in calls["items"]] == [
            "試行公募",
            "Exchange visits",
            "日英共同研究公募",
        ]
        assert calls["items"][2]["status"] == "公募中"
        assert calls["items"][2]["facts"] == "制度：日英共同基金"
        assert calls["items"][2]["deadline"] == "締切：2099年1月31日 17:00（Asia/Tokyo）"
        assert calls["items"][1]["facts"].startswith("制度：日英共同基金 · 受付開始：")
        assert calls["items"][1]["facts"].endswith("日")
        assert calls["credit"] == "データ提供：Facility Directory"
        assert calls["updated"].startswith("更新：") and calls["updated"].endswith("日")
        assert [item["facts"] for item in facilities["items"]] == [
            "放射光施設 · 運用中 · Didcot, 英国",  # no Japanese city: the English one
            "放射光施設 · 運用中 · 仙台市, 日本",
        ]
        assert nothing["empty"] == "条件に合う記録はありません。"
        assert programmes["title"] == "資金・利用制度"
    else:
        assert calls["title"] == "Calls for proposals"
        assert calls["items"][2]["deadline"] == "Deadline: 31 Jan 2099, 17:00 (Asia/Tokyo)"
        assert calls["items"][2]["facts"] == "Programme: UK-Japan Fund"
        assert calls["credit"] == "Data from Facility Directory"
        assert calls["updated"].startswith("updated ")
        assert nothing["empty"] == "No records match these filters."
        assert programmes["title"] == "Funding programmes"
