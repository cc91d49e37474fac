"""End to end in a real browser: a curator drafts a facility, an editor publishes it.

Chromium (Debian's package) drives the real admin against pytest-django's live server:
the curator signs in, adds a facility with a Japanese name and an operator through the
autocomplete widgets, and cannot publish it; the public API does not show the draft; the
editor publishes it with the changelist action; the public API then shows it with its
operator; the curator cannot delete it. Screenshots land in test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from directory.models import Facility
from tests import browser_support as ui
from tests.factories import InstitutionFactory

# The live server must see the test's rows, so they are committed (and flushed afterwards).
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Kestrel-Orbit-4412"
CURATOR, EDITOR = "browser-curator", "browser-editor"
SLUG = "test-synchrotron-browser"
NAME, NAME_JA = "Test Synchrotron Radiation Facility", "試験用放射光施設"
#: The source the curator cites (tests.factories.cited_source, made with the operator), where.
SOURCE_SLUG, SOURCE_LOCATOR = "test-source", "p. 4"


@pytest.fixture
def staff(monkeypatch, reference_data):
    """A curator and an editor, made with the project's own createcurator command."""
    monkeypatch.setenv("CURATOR_PASSWORD", PASSWORD)
    call_command("createcurator", CURATOR, "--role", "curator", "--no-input", verbosity=0)
    call_command("createcurator", EDITOR, "--role", "editor", "--no-input", verbosity=0)


@pytest.fixture
def operator(reference_data):
    """A published institution for the curator to pick as the facility's operator."""
    return InstitutionFactory(
        name="Test Photon Science Institute", name_ja="試験光科学研究所", slug="tpsi"
    )


def saved_facility() -> tuple[Facility, list[tuple[str, str]]]:
    facility = Facility.objects.get(slug=SLUG)
    return facility, list(facility.roles.values_list("institution__slug", "role"))


# staff and operator come before chromium: they use the ORM before Playwright's loop starts.
def test_curator_drafts_editor_publishes_curator_cannot_delete(
    live_server, staff, operator, chromium
):
    base = live_server.url
    api_url = f"{base}/api/v1/facilities/{SLUG}/"

    context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ui.TIMEOUT_MS)
    page = context.new_page()
    console = ui.ConsoleLog()
    console.attach(page)
    try:
        # --- the curator drafts the facility ---------------------------------------
        page.goto(f"{base}/admin/login/?next=/admin/")
        ui.screenshot(page, "01-login-form")
        ui.log_in(page, base, CURATOR, PASSWORD)

        page.goto(f"{base}/admin/directory/facility/add/")
        assert page.locator("#id_is_published").count() == 0, "a curator must not publish"
        assert page.locator(".field-is_published .readonly").count() == 1
        page.fill("#id_name", NAME)
        page.fill("#id_name_ja", NAME_JA)
        page.fill("#id_slug", SLUG)
        page.select_option("#id_kind", "synchrotron")
        page.select_option("#id_status", "operational")
        ui.pick_autocomplete(page, "id_country", "Japan", "Japan (JP)")
        # Sources are rows (directory.admin_rows): the first row's source and locator.
        page.select_option("#id_sources_0_source", SOURCE_SLUG)
        page.fill("#id_sources_0_locator", SOURCE_LOCATOR)
        ui.pick_autocomplete(page, "id_roles-0-institution", "photon science", operator.name)
        page.select_option("#id_roles-0-role", "operator")
        ui.screenshot(page, "02-curator-add-form-filled")

        page.click("input[name=_save]")
        page.wait_for_url(f"{base}/admin/directory/facility/")
        assert any(
            re.search(rf"“?{re.escape(NAME)}”? was added successfully", m)
            for m in ui.messages(page)
        ), ui.messages(page)
        ui.screenshot(page, "03-curator-saved", full_page=False)
        # The curator has no publish action either.
        actions = page.locator("select[name=action] option").evaluate_all(
            "options => options.map(o => o.value)"
        )
        assert "publish" not in actions
        assert "delete_selected" not in actions

        facility, roles = ui.on_worker_thread(saved_facility)
        assert facility.name_ja == NAME_JA
        assert facility.country_id == "JP"
        assert facility.is_published is False
        assert facility.sources == [{"source": SOURCE_SLUG, "locator": SOURCE_LOCATOR}]
        assert roles == [("tpsi", "operator")]

        page.goto(f"{base}/admin/directory/facility/{facility.pk}/change/")
        assert page.input_value("#id_name_ja") == NAME_JA
        assert page.locator("#id_is_published").count() == 0
        assert page.locator(".field-is_published .readonly img[alt=False]").count() == 1
        ui.screenshot(page, "04-curator-change-published-read-only")

        status, body = ui.anonymous_get(api_url)
        assert status == 404, (status, body)

        ui.log_out(page, base)

        # --- the editor publishes it with the changelist action ----------------------
        ui.log_in(page, base, EDITOR, PASSWORD)
        page.goto(f"{base}/admin/directory/facility/")
        page.check(f"input.action-select[value='{facility.pk}']")
        page.select_option("select[name=action]", "publish")
        ui.screenshot(page, "05-editor-publish-action-selected", full_page=False)
        page.click("button[name=index]")
        page.wait_for_selector("ul.messagelist li.success")
        assert "Published 1 record." in ui.messages(page)
        ui.screenshot(page, "06-editor-published", full_page=False)
        ui.log_out(page, base)

        # --- the anonymous public API shows it, with its operator ------------------------
        status, body = ui.anonymous_get(api_url)
        assert status == 200, (status, body)
        assert body["name"] == NAME
        assert body["name_ja"] == NAME_JA
        assert body["is_published"] is True
        assert body["country"] == "JP"
        assert [(i["slug"], [r["role"] for r in i["roles"]]) for i in body["institutions"]] == [
            ("tpsi", ["operator"])
        ]
        anonymous = chromium.new_context(viewport={"width": 1280, "height": 900})
        public = anonymous.new_page()
        assert public.goto(api_url).status == 200
        ui.screenshot(public, "07-public-api-published")
        anonymous.close()

        # --- the curator cannot delete it --------------------------------------------
        ui.log_in(page, base, CURATOR, PASSWORD)
        page.goto(f"{base}/admin/directory/facility/{facility.pk}/change/")
        assert page.locator(".submit-row a.deletelink").count() == 0
        assert page.locator("input[name=_save]").count() == 1  # still editable, just not deletable
        ui.screenshot(page, "08-curator-change-no-delete")
        delete_url = f"{base}/admin/directory/facility/{facility.pk}/delete/"
        response = page.goto(delete_url)
        assert response.status == 403
        ui.screenshot(page, "09-curator-delete-refused")
        assert ui.on_worker_thread(saved_facility)[0].pk == facility.pk  # still there
    except Exception:
        ui.screenshot(page, "zz-failure")
        raise
    finally:
        context.close()

    # Chromium reports the refused delete page as a failed load: expected, nothing else is.
    expected = rf"\[{re.escape(delete_url)}\]: Failed to load resource: .* 403"
    assert console.errors(expected) == []
