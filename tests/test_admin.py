"""The admin serves every model, searches with the normalised key and explains bad input."""

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse

from directory.models import Facility
from tests.factories import CallFactory, FacilityFactory, FacilityRoleFactory

pytestmark = pytest.mark.django_db

DIRECTORY_MODELS = [model for model in admin.site._registry if model._meta.app_label == "directory"]


@pytest.mark.parametrize("model", DIRECTORY_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_and_add_pages_render(admin_client, model):
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == HTTPStatus.OK
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    # The change stream is written by the write services only: it has no add page.
    read_only = admin.site._registry[model].has_add_permission(add.wsgi_request) is False
    assert add.status_code == (HTTPStatus.FORBIDDEN if read_only else HTTPStatus.OK)


def test_facility_change_page_shows_operator_inline(admin_client):
    role = FacilityRoleFactory(facility__name="NanoTerasu", institution__name="QST")
    response = admin_client.get(reverse("admin:directory_facility_change", args=[role.facility.pk]))
    assert response.status_code == HTTPStatus.OK
    assert "QST" in response.text


@pytest.mark.parametrize("query", ["spring8", "SPring–8", "ｓｐｒｉｎｇ－８", "スプリングエイト"])
def test_search_uses_normalised_key(admin_client, query):
    FacilityFactory(name="SPring-8", aliases=["スプリングエイト"])
    FacilityFactory(name="Diamond Light Source")
    response = admin_client.get(reverse("admin:directory_facility_changelist"), {"q": query})
    assert response.status_code == HTTPStatus.OK
    assert response.context["cl"].result_count == 1


def test_call_changelist_shows_derived_status(admin_client):
    CallFactory(name="Open call")
    response = admin_client.get(reverse("admin:directory_call_changelist"))
    assert "open" in response.text


def test_add_form_explains_constraint_in_words(admin_client):
    facility = FacilityFactory.build()
    data = {
        "name": "Broken Source",
        "slug": "broken-source",
        "kind": "synchrotron",
        "status": "operational",
        "country": "JP",
        "latitude": "95",
        "longitude": "140",
        "aliases": "[]",
        "sources": '[{"source": "test-source", "locator": "p. 1"}]',
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "instruments-TOTAL_FORMS": "0",
        "instruments-INITIAL_FORMS": "0",
    }
    assert facility.country_id == "JP"
    response = admin_client.post(reverse("admin:directory_facility_add"), data)
    assert response.status_code == HTTPStatus.OK  # the form is shown again, not saved
    assert "Latitude must be between -90 and 90 degrees." in response.text
    assert not Facility.objects.filter(slug="broken-source").exists()


@pytest.mark.parametrize(
    ("model", "factory"),
    [("facility", FacilityFactory), ("call", CallFactory)],
)
def test_changelists_run_no_per_row_queries(admin_client, model, factory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    factory.create_batch(5)
    url = reverse(f"admin:directory_{model}_changelist")
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    factory.create_batch(40)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_change_events_are_listed_read_only(admin_client):
    FacilityFactory(slug="ring", name="Ring")
    url = reverse("admin:directory_changeevent_changelist")
    response = admin_client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert "ring" in response.content.decode()
    assert admin_client.get(reverse("admin:directory_changeevent_add")).status_code == 403
