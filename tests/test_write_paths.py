"""Every write path goes through the write services: each records one history entry (who,
why, with relations) and one change event, and keeps the public feed current.

The paths: the admin (add, change with inlines, delete, bulk delete, publish, unpublish,
mark verified, revert, restore), the admin import, the write API (POST, PUT, PATCH,
DELETE), ``import_directory`` and ``seed_directory``. A save anywhere else is refused.
"""

from __future__ import annotations

import io
import json
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from directory import services
from directory.models import ChangeEvent, Facility, FeedEntry, Technique
from directory.roles import sync_role_groups
from tests.factories import (
    FacilityFactory,
    InstitutionFactory,
    TechniqueFactory,
    api_token,
    cited_source,
)
from tests.test_history import form_data, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cited_source(db):
    """The source record the citations of these tests name (tests.factories.citation)."""
    cited_source()


CHANGELIST = reverse("admin:directory_facility_changelist")


def entries(slug, model=Facility):
    """(history entries, change events) recorded for the record with this slug."""
    ids = set(model.history.filter(slug=slug).values_list("id", flat=True))
    history = model.history.filter(id__in=ids)
    events = ChangeEvent.objects.filter(model=model._meta.label_lower, record_id__in=ids)
    return list(history.order_by("history_date", "history_id")), list(events.order_by("id"))


def assert_recorded(slug, action, user, *, model=Facility, reason_has=""):
    history, events = entries(slug, model)
    assert history and events, f"nothing recorded for {slug}"
    entry, event = history[-1], events[-1]
    assert event.action == action
    assert event.history_id == entry.history_id  # one entry, one event, linked
    assert entry.history_user == user and event.user == user
    assert reason_has in entry.history_change_reason
    assert entry.history_change_reason == event.reason
    return entry, event


@pytest.fixture
def ring(db):
    qst = InstitutionFactory(slug="qst", name="QST")
    xafs = TechniqueFactory(slug="xafs", name="XAFS")
    facility = FacilityFactory(slug="ring", name="Ring", city="Sendai")
    services.record_update(
        record=facility,
        fields={},
        relations={"institutions": [services.RoleLink(qst, "operator")], "techniques": [xafs]},
    )
    return facility


def admin_post(client, url, **changes):
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    data = form_data(page)
    for field, value in changes.items():
        data[field] = value if isinstance(value, list) else [value]
    data["_save"] = ["Save"]
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:2000]
    return response


# --- the admin ------------------------------------------------------------------------------


def test_admin_add(admin_client, admin_user):
    url = reverse("admin:directory_facility_add")
    admin_post(
        admin_client,
        url,
        name="Photon Factory",
        slug="photon-factory",
        kind="synchrotron",
        status="operational",
        country="JP",
        sources='[{"source": "test-source", "locator": "p. 1"}]',
        is_published="on",
    )
    entry, event = assert_recorded("photon-factory", "created", admin_user, reason_has="admin")
    assert entry.history_type == "+"
    assert FeedEntry.objects.get(slug="photon-factory").event == event


def test_admin_change_with_its_role_link_inline_is_one_entry(admin_client, admin_user, ring):
    kek = InstitutionFactory(slug="kek", name="KEK")
    before = len(entries("ring")[0])
    admin_post(
        admin_client,
        reverse("admin:directory_facility_change", args=[ring.pk]),
        city="Aoba",
        **{"roles-1-institution": str(kek.pk), "roles-1-role": "funder"},
    )
    entry, _event = assert_recorded("ring", "updated", admin_user)
    assert len(entries("ring")[0]) == before + 1
    recorded = {(row.institution_id, row.role) for row in entry.institutions.all()}
    qst = ring.roles.get(role="operator").institution_id
    assert recorded == {(qst, "operator"), (kek.pk, "funder")}
    assert entry.city == "Aoba"


def test_admin_inline_records_are_their_own_writes(admin_client, admin_user, ring):
    admin_post(
        admin_client,
        reverse("admin:directory_facility_change", args=[ring.pk]),
        **{
            "instruments-TOTAL_FORMS": "1",
            "instruments-0-name": "BL01",
            "instruments-0-slug": "ring-bl01",
            "instruments-0-kind": "beamline",
        },
    )
    from directory.models import Instrument

    assert_recorded("ring-bl01", "created", admin_user, model=Instrument)
    assert Instrument.objects.get(slug="ring-bl01").facility == ring


def test_admin_delete_and_bulk_delete(admin_client, admin_user, ring):
    other = FacilityFactory(slug="other")
    url = reverse("admin:directory_facility_delete", args=[ring.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == HTTPStatus.FOUND
    assert_recorded("ring", "deleted", admin_user)
    response = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert_recorded("other", "deleted", admin_user)


@pytest.mark.parametrize(
    ("action", "expected"),
    [("unpublish", "unpublished"), ("mark_verified_today", "updated")],
)
def test_admin_actions(admin_client, admin_user, ring, action, expected):
    response = admin_client.post(CHANGELIST, {"action": action, "_selected_action": [ring.pk]})
    assert response.status_code == HTTPStatus.FOUND
    assert_recorded("ring", expected, admin_user)
    if action == "unpublish":
        services.record_unpublish(record=ring)  # already: nothing more is recorded
        admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [ring.pk]})
        assert_recorded("ring", "published", admin_user)


def test_admin_revert_and_restore(admin_client, admin_user, ring):
    first = ring.history.order_by("history_date").first()
    services.record_update(record=ring, fields={"city": "Tokai"})
    form_url = reverse("admin:directory_facility_simple_history", args=[ring.pk, first.history_id])
    admin_post(admin_client, form_url)
    entry, _event = assert_recorded("ring", "reverted", admin_user)
    assert entry.city == "Sendai"

    services.record_delete(record=ring)
    deletion = Facility.history.filter(id=ring.pk).order_by("history_date").last()
    form_url = reverse(
        "admin:directory_facility_simple_history", args=[ring.pk, deletion.history_id]
    )
    admin_post(admin_client, form_url)
    assert_recorded("ring", "restored", admin_user)
    assert Facility.objects.filter(slug="ring").exists()


def test_admin_import(admin_client, admin_user):
    from tests.test_import_admin import as_csv, import_file, row

    InstitutionFactory(slug="kek", name="KEK")
    TechniqueFactory(slug="xas", name="XAS")
    import_file(admin_client, as_csv([row("photon-factory", institutions="kek:operator")]))
    entry, _ = assert_recorded("photon-factory", "created", admin_user, reason_has="Imported")
    assert [row.role for row in entry.institutions.all()] == ["operator"]


# --- the write API ------------------------------------------------------------------------


@pytest.fixture
def editor(django_user_model):
    sync_role_groups()
    user = django_user_model.objects.create_user("eddie", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    client.user = user
    return client


def test_api_post_put_patch_delete(editor, ring):
    url = "/api/v1/facilities/"
    payload = {
        "slug": "api-ring",
        "name": "API Ring",
        "kind": "synchrotron",
        "status": "planned",
        "country": "JP",
        "institutions": [{"institution": "qst", "role": "operator"}],
    }
    created = editor.post(url, payload, format="json")
    assert created.status_code == HTTPStatus.CREATED, created.json()
    assert_recorded("api-ring", "created", editor.user, reason_has="API")

    detail = f"{url}api-ring/"
    put = editor.put(detail, {**payload, "city": "Sendai"}, format="json", HTTP_IF_MATCH="*")
    assert put.status_code == HTTPStatus.OK, put.json()
    entry, _ = assert_recorded("api-ring", "updated", editor.user)
    assert entry.city == "Sendai"

    patch = editor.patch(detail, {"is_published": True}, format="json", HTTP_IF_MATCH="*")
    assert patch.status_code == HTTPStatus.OK, patch.json()
    assert_recorded("api-ring", "published", editor.user)

    assert editor.delete(detail, HTTP_IF_MATCH="*").status_code == HTTPStatus.NO_CONTENT
    entry, _ = assert_recorded("api-ring", "deleted", editor.user)
    assert [row.role for row in entry.institutions.all()] == ["operator"]


# --- commands -----------------------------------------------------------------------------


def test_import_directory_command(ring):
    from directory.portable import export_directory

    text = io.StringIO()
    export_directory(text)
    document = json.loads(text.getvalue())
    for obj in document["objects"]:
        if obj["model"] == "directory.facility":
            obj["fields"]["city"] = "Imported City"
    path = io.BytesIO(json.dumps(document).encode())
    from directory.portable import directory_import

    directory_import(path, change_reason="import_directory test.json")
    entry, _ = assert_recorded("ring", "updated", None, reason_has="import_directory")
    assert entry.city == "Imported City"


def test_seed_directory_command():
    call_command("seed_directory", verbosity=0)
    entry, _event = assert_recorded("spring-8", "created", None, reason_has="Seeded from")
    assert "fixtures/facilities.json" in entry.history_change_reason
    # names the record's source documents (by their source records, never a file path)
    assert "jst-qst-koyasu-interview-2023" in entry.history_change_reason
    assert Technique.history.filter(history_type="+").count() == Technique.objects.count()


# --- and nothing else ---------------------------------------------------------------------


def test_no_code_writes_a_record_outside_the_services():
    """The guard refuses saves, deletes and bulk writes, loaddata included."""
    from directory.writes import DirectWriteError

    technique = TechniqueFactory(slug="xafs")
    attempts = [
        technique.save,
        technique.delete,
        lambda: Technique.objects.filter(pk=technique.pk).update(name="x"),
        lambda: Technique._base_manager.filter(pk=technique.pk).delete(),
        lambda: Technique.objects.bulk_create([Technique(slug="a", name="A", probe="xray")]),
        lambda: call_command("loaddata", "taxonomy", verbosity=0),
    ]
    for attempt in attempts:
        with pytest.raises(DirectWriteError):
            attempt()
