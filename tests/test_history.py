"""Every curation write is in the history: who, when, which fields, old → new.

Covers saves through the admin (add, change, delete, bulk actions, inline role links,
many-to-many fields) and plain model saves; the admin history page shows the changes, its
history form reverts a record and restores a deleted one (listed on the deleted-records page).

Not covered on purpose: ``seed_synthetic`` bulk-creates its synthetic records through
directory.services.synthetic, which writes no history rows; those records are generated
scale-test data, never curated.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.urls import reverse

from directory import services
from directory.models import Facility, FacilityRole
from directory.writes import DirectWriteError
from tests.factories import (
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    TechniqueFactory,
    cited_source,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cited_source(db):
    """The source record the citations of these tests name (tests.factories.citation)."""
    cited_source()


# --- reading forms as a browser would -----------------------------------------------------


class _FormParser(HTMLParser):
    """Collects every form of a page with the values a browser would submit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"attrs": attrs, "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None or "name" not in attrs or "disabled" in attrs:
            if tag == "option" and self._select is not None:
                self._option = [attrs.get("value"), "selected" in attrs, ""]
                self._select["options"].append(self._option)
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self._form["fields"].append((attrs["name"], attrs.get("value") or "on"))
                return
            self._form["fields"].append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self._select = {"name": attrs["name"], "multiple": "multiple" in attrs, "options": []}
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        elif self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # Browsers drop the newline that follows <textarea>.
            text = text[1:] if text.startswith("\n") else text
            self._form["fields"].append((name, text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            options = [
                (value if value is not None else text.strip(), selected)
                for value, selected, text in self._select["options"]
            ]
            chosen = [value for value, selected in options if selected]
            if not chosen and options and not self._select["multiple"]:
                chosen = [options[0][0]]
            self._form["fields"].extend((self._select["name"], value) for value in chosen)
            self._select = None


def form_data(response, form_id: str | None = None) -> dict[str, list[str]]:
    """The data a browser would post from a page's form, for the test client.

    The form is picked by id, or else it is the first POST form other than the admin's
    logout form.
    """
    parser = _FormParser()
    parser.feed(response.content.decode())
    for form in parser.forms:
        attrs = form["attrs"]
        if form_id is not None and attrs.get("id") != form_id:
            continue
        if form_id is None and (
            attrs.get("id") == "logout-form" or (attrs.get("method") or "get").lower() != "post"
        ):
            continue
        data: dict[str, list[str]] = {}
        for name, value in form["fields"]:
            data.setdefault(name, []).append(value)
        return data
    raise AssertionError(f"no such form on the page: {form_id or 'first POST form'}")


def page_text(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- helpers ----------------------------------------------------------------------------


def change_url(facility) -> str:
    return reverse("admin:directory_facility_change", args=[facility.pk])


def history_url(pk) -> str:
    return reverse("admin:directory_facility_history", args=[pk])


def history_form_url(pk, history_id) -> str:
    return reverse("admin:directory_facility_simple_history", args=[pk, history_id])


def change_through_admin(client, facility, **changes) -> None:
    """Open the facility's change page, edit some fields and save, as a curator would."""
    page = client.get(change_url(facility))
    assert page.status_code == HTTPStatus.OK
    data = form_data(page)
    for field, value in changes.items():
        data[field] = value if isinstance(value, list) else [value]
    data["_save"] = ["Save"]
    response = client.post(change_url(facility), data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]


def changes_between(new, old) -> dict[str, tuple]:
    delta = new.diff_against(old)
    return {change.field: (change.old, change.new) for change in delta.changes}


# --- who changed what -------------------------------------------------------------------


def test_admin_add_is_recorded_with_its_author(admin_client, admin_user):
    add_url = reverse("admin:directory_facility_add")
    data = form_data(admin_client.get(add_url))
    data.update(
        name=["Photon Factory"],
        slug=["photon-factory"],
        kind=["synchrotron"],
        status=["operational"],
        country=["JP"],
        city=["Tsukuba"],
        sources=['[{"source": "test-source", "locator": "p. 1"}]'],
        _save=["Save"],
    )
    response = admin_client.post(add_url, data)
    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]

    facility = Facility.objects.get(slug="photon-factory")
    records = list(facility.history.all())
    assert [record.history_type for record in records] == ["+"]
    assert records[0].history_user == admin_user
    assert records[0].name == "Photon Factory"
    assert records[0].city == "Tsukuba"


def test_admin_change_records_old_and_new_values(admin_client, admin_user):
    facility = FacilityFactory(name="Photon Factory", city="Tsukuba", slug="photon-factory")
    previous = facility.history.first()

    change_through_admin(admin_client, facility, name="Photon Factory II", city="Tokai")

    latest = facility.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == admin_user
    changes = changes_between(latest, previous)
    assert changes["name"] == ("Photon Factory", "Photon Factory II")
    assert changes["city"] == ("Tsukuba", "Tokai")
    # Saving the form round-trips every other value unchanged.
    assert not {"slug", "country", "kind", "status", "energy_gev", "sources"} & set(changes)


def test_system_writes_are_recorded_without_a_user_and_with_their_reason():
    facility = FacilityFactory(city="Tsukuba")
    services.record_update(record=facility, fields={"city": "Tokai"}, reason="Scripted fix")

    latest, first = list(facility.history.all())
    assert (first.history_type, latest.history_type) == ("+", "~")
    assert latest.history_user is None
    assert latest.history_change_reason == "Scripted fix"
    assert changes_between(latest, first)["city"] == ("Tsukuba", "Tokai")


def test_a_save_outside_the_services_is_refused():
    facility = FacilityFactory(city="Tsukuba")
    facility.city = "Tokai"
    with pytest.raises(DirectWriteError, match="outside the write services"):
        facility.save()
    with pytest.raises(DirectWriteError):
        Facility.objects.filter(pk=facility.pk).update(city="Tokai")
    with pytest.raises(DirectWriteError):
        facility.delete()
    assert Facility.objects.get(pk=facility.pk).city == "Tsukuba"


def test_admin_delete_is_recorded_with_its_author(admin_client, admin_user):
    facility = FacilityFactory()
    url = reverse("admin:directory_facility_delete", args=[facility.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == HTTPStatus.FOUND
    assert not Facility.objects.filter(pk=facility.pk).exists()
    last = Facility.history.filter(id=facility.pk).first()
    assert last.history_type == "-"
    assert last.history_user == admin_user
    assert last.slug == facility.slug


def test_bulk_action_records_each_record_with_its_author(admin_client, admin_user):
    facilities = FacilityFactory.create_batch(3, last_verified_on=None)
    response = admin_client.post(
        reverse("admin:directory_facility_changelist"),
        {"action": "mark_verified_today", "_selected_action": [f.pk for f in facilities]},
    )
    assert response.status_code == HTTPStatus.FOUND

    for facility in facilities:
        latest = facility.history.first()
        assert latest.history_user == admin_user
        assert latest.last_verified_on is not None
        assert "last_verified_on" in changes_between(latest, latest.prev_record)


# --- the history page -------------------------------------------------------------------


def test_history_page_lists_changed_fields_with_old_and_new_values(admin_client, admin_user):
    facility = FacilityFactory(name="Photon Factory", city="Tsukuba")
    change_through_admin(admin_client, facility, name="Photon Factory II", city="Tokai")

    response = admin_client.get(history_url(facility.pk))

    assert response.status_code == HTTPStatus.OK
    text = page_text(response)
    assert re.search(r"Name \(English\): Photon Factory → Photon Factory II", text), text
    assert re.search(r"City: Tsukuba → Tokai", text), text
    assert admin_user.username in text
    # Only the fields that changed are listed for that version.
    assert "Slug:" not in text


def test_history_page_lists_technique_changes(admin_client):
    spectroscopy = TechniqueFactory(name="X-ray absorption spectroscopy", slug="xas")
    facility = FacilityFactory()
    change_through_admin(admin_client, facility, techniques=[str(spectroscopy.pk)])

    text = page_text(admin_client.get(history_url(facility.pk)))

    assert "Techniques:" in text
    assert "X-ray absorption spectroscopy" in text


# --- revert and restore -----------------------------------------------------------------


def test_revert_through_the_history_form_restores_earlier_values(admin_client, admin_user):
    facility = FacilityFactory(name="Photon Factory", city="Tsukuba")
    original = facility.history.first()
    change_through_admin(admin_client, facility, name="Photon Factory II", city="Tokai")

    url = history_form_url(facility.pk, original.history_id)
    page = admin_client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert "Revert" in page_text(page)
    response = admin_client.post(url, {**form_data(page), "_save": ["Revert"]})

    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    facility.refresh_from_db()
    assert (facility.name, facility.city) == ("Photon Factory", "Tsukuba")
    latest = facility.history.first()
    assert latest.history_user == admin_user
    assert changes_between(latest, latest.prev_record)["name"] == (
        "Photon Factory II",
        "Photon Factory",
    )
    # The search key follows the reverted name.
    assert Facility.objects.filter(pk=facility.pk, search_key__contains="photonfactory").exists()


def test_revert_through_the_history_form_restores_earlier_techniques(admin_client):
    spectroscopy = TechniqueFactory(name="X-ray absorption spectroscopy", slug="xas")
    scattering = TechniqueFactory(name="Small-angle X-ray scattering", slug="saxs")
    facility = FacilityFactory()
    facility.techniques.set([spectroscopy])
    before = facility.history.first()
    assert [row.technique_id for row in before.techniques.all()] == [spectroscopy.pk]
    change_through_admin(admin_client, facility, techniques=[str(scattering.pk)])
    assert set(facility.techniques.all()) == {scattering}

    url = history_form_url(facility.pk, before.history_id)
    page = admin_client.get(url)
    response = admin_client.post(url, {**form_data(page), "_save": ["Revert"]})

    assert response.status_code == HTTPStatus.FOUND
    # The version reverted to had spectroscopy only; reverting brings that list back.
    assert set(facility.techniques.all()) == {spectroscopy}


def delete_through_admin(client, facility) -> None:
    url = reverse("admin:directory_facility_delete", args=[facility.pk])
    assert client.post(url, {"post": "yes"}).status_code == HTTPStatus.FOUND
    assert not Facility.objects.filter(pk=facility.pk).exists()


def test_deleted_facility_is_listed_and_restored_through_its_history_form(admin_client):
    facility = FacilityFactory(name="Photon Factory", slug="photon-factory", city="Tsukuba")
    pk = facility.pk
    delete_through_admin(admin_client, facility)

    deleted_url = reverse("admin:directory_facility_deleted")
    listing = admin_client.get(deleted_url)
    assert listing.status_code == HTTPStatus.OK
    text = page_text(listing)
    assert "Photon Factory" in text
    assert "photon-factory" in text
    assert "admin" in text  # deleted by
    assert f'href="{history_url(pk)}"' in listing.content.decode()

    history_page = admin_client.get(history_url(pk))
    assert history_page.status_code == HTTPStatus.OK
    last_version = Facility.history.filter(id=pk).first()
    assert last_version.history_type == "-"
    form_url = history_form_url(pk, last_version.history_id)
    assert f'href="{form_url}"' in history_page.content.decode()

    page = admin_client.get(form_url)
    assert page.status_code == HTTPStatus.OK
    response = admin_client.post(form_url, {**form_data(page), "_save": ["Revert"]})

    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    restored = Facility.objects.get(slug="photon-factory")
    assert restored.pk == pk
    assert (restored.name, restored.city) == ("Photon Factory", "Tsukuba")
    assert "No deleted facilities." in page_text(admin_client.get(deleted_url))


def test_restored_facility_gets_its_techniques_back(admin_client):
    spectroscopy = TechniqueFactory(name="X-ray absorption spectroscopy", slug="xas")
    facility = FacilityFactory(slug="photon-factory")
    facility.techniques.set([spectroscopy])
    pk = facility.pk
    delete_through_admin(admin_client, facility)
    # The deletion's own version has no links left (they are deleted first); the version
    # before it has them, and is the one a curator picks to "bring the record back as it was".
    before_deletion = Facility.history.filter(id=pk).first().prev_record
    assert [row.technique_id for row in before_deletion.techniques.all()] == [spectroscopy.pk]

    form_url = history_form_url(pk, before_deletion.history_id)
    page = admin_client.get(form_url)
    response = admin_client.post(form_url, {**form_data(page), "_save": ["Revert"]})

    assert response.status_code == HTTPStatus.FOUND
    restored = Facility.objects.get(slug="photon-factory")
    assert set(restored.techniques.all()) == {spectroscopy}


def test_deleted_page_hides_records_that_were_restored_or_never_deleted(admin_client):
    kept = FacilityFactory(name="Kept Source")
    gone = FacilityFactory(name="Gone Source")
    delete_through_admin(admin_client, gone)

    text = page_text(admin_client.get(reverse("admin:directory_facility_deleted")))

    assert "Gone Source" in text
    assert kept.name not in text


# --- role links and many-to-many ----------------------------------------------------------


def test_role_links_added_and_removed_in_the_inline_are_recorded(admin_client, admin_user):
    qst = InstitutionFactory(name="QST", slug="qst")
    facility = FacilityFactory()

    change_through_admin(
        admin_client,
        facility,
        **{"roles-0-institution": str(qst.pk), "roles-0-role": "operator"},
    )
    link = FacilityRole.objects.get(facility=facility)
    added = link.history.first()
    assert (added.history_type, added.history_user) == ("+", admin_user)
    assert (added.institution_id, added.role) == (qst.pk, "operator")

    change_through_admin(admin_client, facility, **{"roles-0-DELETE": "on"})
    assert not FacilityRole.objects.filter(facility=facility).exists()
    removed = FacilityRole.history.filter(id=link.pk).first()
    assert (removed.history_type, removed.history_user) == ("-", admin_user)


def test_role_change_in_the_inline_is_one_entry_of_the_facility_with_old_and_new_role(
    admin_client, admin_user
):
    link = FacilityRoleFactory(role="operator")
    facility = link.facility
    previous = facility.history.first()

    change_through_admin(admin_client, facility, **{"roles-0-role": "host"})

    latest = facility.history.first()
    assert (latest.history_type, latest.history_user) == ("~", admin_user)
    old, new = changes_between(latest, previous)["institutions"]
    assert [(row["institution"], row["role"]) for row in old] == [(link.institution_id, "operator")]
    assert [(row["institution"], row["role"]) for row in new] == [(link.institution_id, "host")]
    assert facility.history.count() == 3  # created, the link added, the role changed


def test_technique_changes_through_the_admin_are_recorded(admin_client, admin_user):
    spectroscopy = TechniqueFactory(name="X-ray absorption spectroscopy", slug="xas")
    scattering = TechniqueFactory(name="Small-angle X-ray scattering", slug="saxs")
    facility = FacilityFactory()
    facility.techniques.set([spectroscopy])
    before = facility.history.first()

    change_through_admin(admin_client, facility, techniques=[str(scattering.pk)])

    latest = facility.history.first()
    assert latest.history_user == admin_user
    assert [row.technique_id for row in latest.techniques.all()] == [scattering.pk]
    old, new = changes_between(latest, before)["techniques"]
    assert [row["technique"] for row in old] == [spectroscopy.pk]
    assert [row["technique"] for row in new] == [scattering.pk]


def test_history_page_says_who_and_why_and_never_none(admin_client):
    qst = InstitutionFactory(name="QST", slug="qst")
    facility = FacilityFactory(name="Photon Factory", city="")
    change_through_admin(
        admin_client,
        facility,
        city="Tsukuba",
        **{"roles-0-institution": str(qst.pk), "roles-0-role": "operator"},
    )

    text = page_text(admin_client.get(history_url(facility.pk)))

    assert "None" not in text
    assert re.search(r"City: — → Tsukuba", text), text
    assert "Operators and partners: — → [QST (Operator)]" in text
    assert "system" in text and "Test factory" in text  # the factory's creation entry
    assert "Changed in the admin" in text


def test_restoring_a_deleted_facility_brings_back_everything_it_had(admin_client, admin_user):
    from directory.models import Agreement, Instrument, Programme
    from tests.factories import AgreementFactory, InstrumentFactory, ProgrammeFactory

    qst = InstitutionFactory(name="QST", slug="qst")
    tohoku = InstitutionFactory(name="Tohoku University", slug="tohoku")
    xafs = TechniqueFactory(name="XAFS", slug="xafs")
    facility = FacilityFactory(name="NanoTerasu", slug="nanoterasu")
    services.record_update(
        record=facility,
        relations={
            "institutions": [
                services.RoleLink(qst, "operator"),
                services.RoleLink(tohoku, "host", "Aobayama"),
            ],
            "techniques": [xafs],
        },
    )
    beamline = InstrumentFactory(facility=facility, name="BL01", slug="nanoterasu-bl01")
    programme = ProgrammeFactory(slug="coalition")
    services.record_update(record=programme, relations={"facilities": [facility]})
    agreement = AgreementFactory(slug="mou")
    services.record_update(record=agreement, relations={"facilities": [facility]})
    pk = facility.pk
    delete_through_admin(admin_client, facility)
    assert not Instrument.objects.filter(pk=beamline.pk).exists()
    assert not Programme.objects.get(pk=programme.pk).facilities.exists()
    deletion = Facility.history.filter(id=pk).first()
    assert deletion.history_type == "-" and deletion.history_user == admin_user

    form_url = history_form_url(pk, deletion.history_id)
    page = admin_client.get(form_url)
    response = admin_client.post(form_url, {**form_data(page), "_save": ["Revert"]})

    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    restored = Facility.objects.get(pk=pk)
    assert set(restored.roles.values_list("institution__slug", "role", "note")) == {
        ("qst", "operator", ""),
        ("tohoku", "host", "Aobayama"),
    }
    assert list(restored.techniques.all()) == [xafs]
    assert list(Programme.objects.get(pk=programme.pk).facilities.all()) == [restored]
    assert list(Agreement.objects.get(pk=agreement.pk).facilities.all()) == [restored]
    assert Instrument.objects.get(pk=beamline.pk).facility == restored
    latest = restored.history.first()
    assert (latest.history_type, latest.history_user) == ("+", admin_user)
    assert "Restored in the admin" in latest.history_change_reason


def test_a_facility_deleted_before_entries_kept_links_comes_back_with_its_operators():
    """A deletion recorded by an earlier version (its entry has no links): the links' own
    history still says which were deleted with it."""
    from tests.factories import direct_writes

    qst = InstitutionFactory(name="QST", slug="qst")
    facility = FacilityFactory(slug="old-ring")
    FacilityRoleFactory(facility=facility, institution=qst, role="operator")
    pk = facility.pk
    with direct_writes():  # as the admin deleted before the write services
        Facility.objects.get(pk=pk).delete()
    deletion = Facility.history.filter(id=pk).first()
    assert deletion.history_type == "-" and not deletion.institutions.exists()

    restored = services.record_restore(model=Facility, record_id=pk)

    assert list(restored.roles.values_list("institution__slug", "role")) == [("qst", "operator")]
