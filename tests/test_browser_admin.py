"""The Japanese admin on a 1280 px laptop screen, in a real browser (Debian's Chromium).

Signed in as an editor with the browser set to Japanese, over the seeded directory: the
facility list shows every column without scrolling sideways, its country filter is a one-line
drop-down (not a 7,000 px list of every ISO country) that filters the list, and the other
filters are on the first screen; the change form fits too, its aliases are rows that the
"add" button extends and the save writes. No page logs a console error (a refused inline
style or script would). The English list fits too (its headers are the wider ones).
Screenshots: test-artifacts/browser/admin-ja-list.png, admin-ja-form.png, admin-en-list.png.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from directory.models import Facility
from tests import browser_support as ui

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Kestrel-Orbit-4412"
EDITOR = "browser-editor-ja"
WIDTH, HEIGHT = 1280, 900
#: The facility list's column headers in Japanese (Django's own catalogue names "name" 名前).
COLUMNS = ["名前", "国", "種別", "状況", "公開", "確認日"]

LAYOUT = """([country, kind]) => {
  const box = (element) => element && element.getBoundingClientRect();
  const results = document.querySelector('#changelist .results');
  const filter = (title) => box(document.querySelector(`details[data-filter-title="${title}"]`));
  return {
    page: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    results: results && [results.scrollWidth, results.clientWidth],
    headers: Array.from(document.querySelectorAll('#result_list thead th')).map(
      (th) => ({text: th.innerText.trim(), left: box(th).left, right: box(th).right})),
    country: filter(country) && {top: filter(country).top, height: filter(country).height},
    kind: filter(kind) && {top: filter(kind).top},
  };
}"""


@pytest.fixture
def seeded(reference_data, monkeypatch):
    """The seed data (as `make run` seeds it) and an editor, made before the browser starts."""
    call_command("seed_directory", verbosity=0)
    monkeypatch.setenv("CURATOR_PASSWORD", PASSWORD)
    call_command("createcurator", EDITOR, "--role", "editor", "--no-input", verbosity=0)
    japanese = Facility.objects.filter(country_id="JP").count()
    return {"nanoterasu": Facility.objects.get(slug="nanoterasu").pk, "in_japan": japanese}


def assert_fits(layout: dict, columns: list[str]) -> None:
    """Every column in sight without scrolling sideways; the country filter one line high,
    the next filter on the first screen."""
    assert layout["page"] <= layout["viewport"], layout  # no sideways scrolling
    scroll_width, client_width = layout["results"]
    assert scroll_width <= client_width, layout  # nor inside the list
    headers = [header["text"] for header in layout["headers"]][1:]  # after the check box
    assert headers == columns
    assert all(header["right"] <= WIDTH for header in layout["headers"]), layout
    assert layout["country"]["height"] < 150, layout
    assert layout["kind"]["top"] < HEIGHT, layout


def aliases_of(pk: int) -> list[str]:
    return Facility.objects.get(pk=pk).aliases


def test_the_japanese_admin_fits_a_1280_px_screen(live_server, seeded, chromium):
    base = live_server.url
    context = chromium.new_context(locale="ja-JP", viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(ui.TIMEOUT_MS)
    page = context.new_page()
    console = ui.ConsoleLog()
    console.attach(page)
    try:
        ui.log_in(page, base, EDITOR, PASSWORD)

        # --- the facility list ----------------------------------------------------------
        page.goto(f"{base}/admin/directory/facility/")
        page.wait_for_selector("#result_list")
        assert page.locator("#site-name").inner_text() == "研究施設ディレクトリ 管理サイト"
        ui.screenshot(page, "admin-ja-list", full_page=False)
        assert_fits(page.evaluate(LAYOUT, ["国", "種別"]), COLUMNS)

        # Choosing a country filters the list; typing narrows the choices.
        page.fill(".directory-choice-search", "日本")
        visible = page.locator(".directory-choice-select option:not([hidden])").all_inner_texts()
        assert visible[1:] == ["日本 (JP)"], visible
        page.select_option(".directory-choice-select", label="日本 (JP)")
        page.wait_for_url("**country__code__exact=JP**")
        assert page.locator("#result_list tbody tr").count() == seeded["in_japan"]

        # --- the change form --------------------------------------------------------------
        page.goto(f"{base}/admin/directory/facility/{seeded['nanoterasu']}/change/")
        page.wait_for_selector(".directory-aliases")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        assert page.locator("fieldset h2").first.inner_text() == "名称と識別"
        ui.screenshot(page, "admin-ja-form")

        aliases = page.locator(".directory-aliases input[type=text]")
        before = aliases.count()
        page.click(".directory-aliases .directory-row-add")
        assert aliases.count() == before + 1
        aliases.nth(before).fill("ナノテラス放射光施設")
        page.click("input[name=_save]")
        page.wait_for_url(f"{base}/admin/directory/facility/")
        assert page.locator("ul.messagelist li.success").count() == 1
    except Exception:
        ui.screenshot(page, "zz-admin-ja-failure")
        raise
    finally:
        context.close()

    assert "ナノテラス放射光施設" in ui.on_worker_thread(aliases_of, seeded["nanoterasu"])
    assert console.errors() == []


def test_the_english_facility_list_fits_too(live_server, seeded, chromium):
    """English headers are the wider ones ("PUBLISHED", "VERIFIED")."""
    base = live_server.url
    context = chromium.new_context(locale="en-GB", viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(ui.TIMEOUT_MS)
    page = context.new_page()
    try:
        ui.log_in(page, base, EDITOR, PASSWORD)
        page.goto(f"{base}/admin/directory/facility/")
        page.wait_for_selector("#result_list")
        ui.screenshot(page, "admin-en-list", full_page=False)
        columns = ["NAME", "COUNTRY", "KIND", "STATUS", "PUBLISHED", "VERIFIED"]
        assert_fits(page.evaluate(LAYOUT, ["country", "kind"]), columns)
    finally:
        context.close()
