"""The curator and editor roles: their groups, the createcurator command, what each may do.

A curator views, adds and changes records; an editor also deletes and publishes. Whatever
the route (form, action, history revert, import), a curator never publishes or unpublishes.
Unpublished records stay out of the anonymous API and show in a staff user's session.
"""

from __future__ import annotations

from http import HTTPStatus
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from directory.models import Facility, FacilityRole
from tests.factories import FacilityFactory, FacilityRoleFactory, cited_source
from tests.test_history import form_data, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cited_source(db):
    """The source record the citations of these tests name (tests.factories.citation)."""
    cited_source()


STRONG_PASSWORD = "Quiet-Lattice-Beamline-47"
EDITED_MODELS = {
    "accessmode",
    "agreement",
    "call",
    "facility",
    "facilityrole",
    "facilitysuccession",
    "institution",
    "institutionsuccession",
    "instrument",
    "programme",
    "programmerole",
    "programmesuccession",
    "researchfield",
    "source",
    "technique",
}
# Links are published with the records they join.
PUBLISHABLE_MODELS = EDITED_MODELS - {
    "facilityrole",
    "programmerole",
    "facilitysuccession",
    "programmesuccession",
    "institutionsuccession",
}
# Their own API tokens; other users' need api.manage_others_tokens, which no role grants.
TOKEN_PERMISSIONS = {f"api.{action}_apitoken" for action in ("add", "change", "delete", "view")}
CURATOR_PERMISSIONS = {
    f"directory.{action}_{model}" for model in EDITED_MODELS for action in ("view", "add", "change")
} | {f"directory.view_{model}" for model in ("country", "changeevent", "feedentry", "rorproposal")}
EDITOR_PERMISSIONS = (
    CURATOR_PERMISSIONS
    | {f"directory.delete_{model}" for model in EDITED_MODELS}
    | {f"directory.publish_{model}" for model in PUBLISHABLE_MODELS}
    | {"directory.decide_rorproposal"}  # accept or reject what import_ror proposes
    | TOKEN_PERMISSIONS
)


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.select_related("content_type")
    }


def create_account(username: str, role: str, monkeypatch) -> Client:
    """A staff account made by createcurator, signed in to a fresh browser session."""
    monkeypatch.setenv("CURATOR_PASSWORD", STRONG_PASSWORD)
    call_command("createcurator", username, "--role", role, "--no-input", stdout=StringIO())
    monkeypatch.delenv("CURATOR_PASSWORD")
    client = Client()
    assert client.login(username=username, password=STRONG_PASSWORD)
    return client


@pytest.fixture
def curator(monkeypatch) -> Client:
    return create_account("carol", "curator", monkeypatch)


@pytest.fixture
def editor(monkeypatch) -> Client:
    return create_account("edgar", "editor", monkeypatch)


def change_url(facility) -> str:
    return reverse("admin:directory_facility_change", args=[facility.pk])


CHANGELIST = reverse("admin:directory_facility_changelist")


def offered_actions(client) -> set[str]:
    response = client.get(CHANGELIST)
    assert response.status_code == HTTPStatus.OK
    return {value for value, _ in response.context["action_form"].fields["action"].choices}


def run_action(client, action: str, records) -> None:
    client.post(CHANGELIST, {"action": action, "_selected_action": [r.pk for r in records]})


def save_change_form(client, facility, **changes):
    page = client.get(change_url(facility))
    assert page.status_code == HTTPStatus.OK
    data = form_data(page)
    for field, value in changes.items():
        data[field] = [value]
    data["_save"] = ["Save"]
    return client.post(change_url(facility), data)


# --- the groups ---------------------------------------------------------------------------


def test_every_directory_model_is_assigned_to_the_roles_on_purpose():
    models = {
        model._meta.model_name
        for model in apps.get_app_config("directory").get_models()
        if not model._meta.model_name.startswith("historical")
    }
    # Country is read-only reference data, ChangeEvent and FeedEntry the change stream the
    # write services keep (read-only); DirectoryState is bookkeeping nobody sees, and so is
    # Citation, the index of who cites which source that the write services derive; ROR
    # proposals are filed by import_ror and decided (accepted or rejected) by editors.
    hidden = {"directorystate", "citation"}
    assert models == EDITED_MODELS | {"country", "changeevent", "feedentry", "rorproposal"} | hidden


def test_curator_group_has_exactly_view_add_change():
    assert group_permissions("curator") == CURATOR_PERMISSIONS


def test_editor_group_also_deletes_publishes_and_manages_tokens():
    assert group_permissions("editor") == EDITOR_PERMISSIONS


def test_migrate_puts_tampered_groups_back_in_step():
    Group.objects.get(name="curator").permissions.clear()
    Group.objects.get(name="editor").delete()

    call_command("migrate", verbosity=0)

    assert group_permissions("curator") == CURATOR_PERMISSIONS
    assert group_permissions("editor") == EDITOR_PERMISSIONS


# --- createcurator ------------------------------------------------------------------------


def test_createcurator_creates_a_staff_curator_from_the_environment(monkeypatch):
    monkeypatch.setenv("CURATOR_PASSWORD", STRONG_PASSWORD)
    out = StringIO()

    call_command("createcurator", "hana", "--no-input", "--email", "hana@example.org", stdout=out)

    user = get_user_model().objects.get(username="hana")
    assert user.is_staff
    assert not user.is_superuser
    assert user.email == "hana@example.org"
    assert user.check_password(STRONG_PASSWORD)
    assert [group.name for group in user.groups.all()] == ["curator"]
    assert "Created curator hana" in out.getvalue()


def test_createcurator_changes_the_role_of_an_existing_user_keeping_the_password(monkeypatch):
    monkeypatch.setenv("CURATOR_PASSWORD", STRONG_PASSWORD)
    call_command("createcurator", "hana", "--no-input", stdout=StringIO())
    monkeypatch.delenv("CURATOR_PASSWORD")
    out = StringIO()

    call_command("createcurator", "hana", "--role", "editor", "--no-input", stdout=out)

    user = get_user_model().objects.get(username="hana")
    assert [group.name for group in user.groups.all()] == ["editor"]
    assert user.is_staff
    assert user.check_password(STRONG_PASSWORD)
    assert "Updated editor hana" in out.getvalue()
    assert get_user_model().objects.filter(username="hana").count() == 1


def test_createcurator_makes_an_existing_non_staff_user_staff(monkeypatch, django_user_model):
    django_user_model.objects.create_user("ken", password=STRONG_PASSWORD)

    call_command("createcurator", "ken", "--no-input", stdout=StringIO())

    user = django_user_model.objects.get(username="ken")
    assert user.is_staff
    assert user.groups.filter(name="curator").exists()


def test_createcurator_without_password_and_no_input_fails(monkeypatch):
    monkeypatch.delenv("CURATOR_PASSWORD", raising=False)

    with pytest.raises(CommandError, match="CURATOR_PASSWORD"):
        call_command("createcurator", "hana", "--no-input", stdout=StringIO())

    assert not get_user_model().objects.filter(username="hana").exists()


@pytest.mark.parametrize("weak", ["password", "12345678", "hana2024", "short"])
def test_createcurator_refuses_a_weak_password(monkeypatch, weak):
    monkeypatch.setenv("CURATOR_PASSWORD", weak)

    with pytest.raises(CommandError, match="Password refused"):
        call_command("createcurator", "hana2024", "--no-input", stdout=StringIO())

    assert not get_user_model().objects.filter(username="hana2024").exists()


def test_createcurator_refuses_a_weak_new_password_for_an_existing_user(monkeypatch):
    monkeypatch.setenv("CURATOR_PASSWORD", STRONG_PASSWORD)
    call_command("createcurator", "hana", "--no-input", stdout=StringIO())
    monkeypatch.setenv("CURATOR_PASSWORD", "password")

    with pytest.raises(CommandError, match="Password refused"):
        call_command("createcurator", "hana", "--role", "editor", "--no-input", stdout=StringIO())

    user = get_user_model().objects.get(username="hana")
    assert user.check_password(STRONG_PASSWORD)
    assert [group.name for group in user.groups.all()] == ["curator"]


def test_createcurator_asks_for_the_password_twice(monkeypatch):
    monkeypatch.delenv("CURATOR_PASSWORD", raising=False)
    answers = iter([STRONG_PASSWORD, STRONG_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    call_command("createcurator", "hana", stdout=StringIO())

    assert get_user_model().objects.get(username="hana").check_password(STRONG_PASSWORD)


def test_createcurator_refuses_mismatched_passwords(monkeypatch):
    monkeypatch.delenv("CURATOR_PASSWORD", raising=False)
    answers = iter([STRONG_PASSWORD, STRONG_PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="do not match"):
        call_command("createcurator", "hana", stdout=StringIO())

    assert not get_user_model().objects.filter(username="hana").exists()


# --- a curator --------------------------------------------------------------------------


def test_curator_can_add_a_facility_but_not_publish_it(curator):
    add_url = reverse("admin:directory_facility_add")
    page = curator.get(add_url)
    assert page.status_code == HTTPStatus.OK
    data = form_data(page)
    assert "is_published" not in data
    data.update(
        name=["Photon Factory"],
        slug=["photon-factory"],
        kind=["synchrotron"],
        status=["operational"],
        country=["JP"],
        sources=['[{"source": "test-source", "locator": "p. 1"}]'],
        is_published=["on"],
        _save=["Save"],
    )

    response = curator.post(add_url, data)

    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    facility = Facility.objects.get(slug="photon-factory")
    assert facility.is_published is False
    assert facility.history.first().history_user.username == "carol"


def test_curator_can_change_a_facility(curator):
    facility = FacilityFactory(name="Photon Factory", city="Tsukuba")

    response = save_change_form(curator, facility, city="Tokai")

    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:3000]
    facility.refresh_from_db()
    assert facility.city == "Tokai"


def test_curator_sees_is_published_read_only_and_cannot_set_it(curator):
    facility = FacilityFactory(is_published=False)
    page = curator.get(change_url(facility))
    assert "is_published" not in form_data(page)
    assert 'name="is_published"' not in page.content.decode()

    response = save_change_form(curator, facility, is_published="on", city="Tokai")

    assert response.status_code == HTTPStatus.FOUND
    facility.refresh_from_db()
    assert facility.city == "Tokai"
    assert facility.is_published is False


def test_curator_editing_a_published_record_keeps_it_published(curator):
    facility = FacilityFactory(is_published=True)

    response = save_change_form(curator, facility, city="Tokai")

    assert response.status_code == HTTPStatus.FOUND
    facility.refresh_from_db()
    assert facility.is_published is True


def test_curator_gets_403_on_the_delete_view(curator):
    facility = FacilityFactory()
    url = reverse("admin:directory_facility_delete", args=[facility.pk])

    assert curator.get(url).status_code == HTTPStatus.FORBIDDEN
    assert curator.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert Facility.objects.filter(pk=facility.pk).exists()


def test_curator_is_not_offered_publish_unpublish_or_delete_actions(curator):
    actions = offered_actions(curator)

    assert "mark_verified_today" in actions
    assert not {"publish", "unpublish", "delete_selected"} & actions


def test_publish_and_delete_actions_posted_by_a_curator_do_nothing(curator):
    draft = FacilityFactory(is_published=False)
    published = FacilityFactory(is_published=True)

    run_action(curator, "publish", [draft])
    run_action(curator, "unpublish", [published])
    run_action(curator, "delete_selected", [draft, published])
    curator.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"},
    )

    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.is_published is False
    assert published.is_published is True


def test_curator_cannot_delete_role_links_in_the_inline(curator):
    link = FacilityRoleFactory()

    save_change_form(curator, link.facility, **{"roles-0-DELETE": "on"})

    assert FacilityRole.objects.filter(pk=link.pk).exists()


def test_curator_cannot_publish_by_reverting_to_a_published_version(curator, editor):
    facility = FacilityFactory(is_published=True)
    published_version = facility.history.first()
    run_action(editor, "unpublish", [facility])
    facility.refresh_from_db()
    assert facility.is_published is False

    url = reverse(
        "admin:directory_facility_simple_history",
        args=[facility.pk, published_version.history_id],
    )
    page = curator.get(url)
    assert page.status_code == HTTPStatus.OK
    curator.post(url, {**form_data(page), "_save": ["Revert"]})

    facility.refresh_from_db()
    assert facility.is_published is False


def test_curator_cannot_publish_through_an_import(curator):
    draft = FacilityFactory(slug="photon-factory", name="Photon Factory", is_published=False)
    csv = (
        "slug,name,kind,status,country,is_published,sources,institutions\n"
        "photon-factory,Photon Factory,synchrotron,operational,JP,1,,\n"
        "uvsor,UVSOR,synchrotron,operational,JP,1,,\n"
    )
    preview = curator.post(
        reverse("admin:directory_facility_import"),
        {
            "format": "0",  # the first of the admin's formats: CSV
            "import_file": SimpleUploadedFile("facilities.csv", csv.encode(), "text/csv"),
        },
    )
    assert preview.status_code == HTTPStatus.OK
    if "confirm_form" in preview.context:
        confirm = form_data(preview)
        curator.post(reverse("admin:directory_facility_process_import"), confirm)
        assert Facility.objects.filter(slug="uvsor").exists()  # a curator may add records
    else:
        # Refusing the whole file is fine too, as long as nothing is published.
        assert not Facility.objects.filter(slug="uvsor").exists()

    draft.refresh_from_db()
    assert draft.is_published is False
    assert not Facility.objects.filter(slug="uvsor", is_published=True).exists()


def test_curator_can_view_history_and_deleted_records_but_not_tokens(curator):
    facility = FacilityFactory()
    assert (
        curator.get(reverse("admin:directory_facility_history", args=[facility.pk])).status_code
        == HTTPStatus.OK
    )
    assert curator.get(reverse("admin:directory_facility_deleted")).status_code == HTTPStatus.OK
    tokens = reverse("admin:api_apitoken_changelist")
    assert curator.get(tokens).status_code == HTTPStatus.FORBIDDEN


# --- an editor --------------------------------------------------------------------------


def test_editor_is_offered_publish_unpublish_and_delete(editor):
    assert {"publish", "unpublish", "delete_selected", "mark_verified_today"} <= offered_actions(
        editor
    )


def test_editor_publishes_and_unpublishes_with_the_actions(editor):
    drafts = FacilityFactory.create_batch(2, is_published=False)

    run_action(editor, "publish", drafts)

    for facility in drafts:
        facility.refresh_from_db()
        assert facility.is_published is True
        latest = facility.history.first()
        assert latest.history_user.username == "edgar"
        assert (latest.prev_record.is_published, latest.is_published) == (False, True)

    run_action(editor, "unpublish", drafts[:1])
    drafts[0].refresh_from_db()
    drafts[1].refresh_from_db()
    assert (drafts[0].is_published, drafts[1].is_published) == (False, True)


def test_editor_can_publish_in_the_change_form(editor):
    facility = FacilityFactory(is_published=False)
    page = editor.get(change_url(facility))
    assert "is_published" in page.content.decode()

    response = save_change_form(editor, facility, is_published="on")

    assert response.status_code == HTTPStatus.FOUND
    facility.refresh_from_db()
    assert facility.is_published is True


def test_editor_deletes_through_the_delete_view(editor):
    facility = FacilityFactory()
    url = reverse("admin:directory_facility_delete", args=[facility.pk])

    assert editor.get(url).status_code == HTTPStatus.OK
    response = editor.post(url, {"post": "yes"})

    assert response.status_code == HTTPStatus.FOUND
    assert not Facility.objects.filter(pk=facility.pk).exists()
    assert Facility.history.filter(id=facility.pk).first().history_user.username == "edgar"


def test_editor_can_manage_api_tokens(editor):
    tokens = reverse("admin:api_apitoken_changelist")
    assert editor.get(tokens).status_code == HTTPStatus.OK


# --- drafts in the API --------------------------------------------------------------------


def test_unpublished_facility_is_hidden_from_anonymous_api_users(api):
    draft = FacilityFactory(is_published=False, slug="draft-source")
    FacilityFactory(is_published=True, slug="public-source")

    assert api.get(f"/api/v1/facilities/{draft.slug}/").status_code == HTTPStatus.NOT_FOUND
    listing = api.get("/api/v1/facilities/", {"limit": 100})
    slugs = {row["slug"] for row in listing.json()["results"]}
    assert slugs == {"public-source"}


def test_unpublished_facility_is_visible_in_a_curators_session(curator):
    draft = FacilityFactory(is_published=False, slug="draft-source")

    response = curator.get(f"/api/v1/facilities/{draft.slug}/")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["slug"] == "draft-source"
    listing = curator.get("/api/v1/facilities/", {"limit": 100})
    assert "draft-source" in {row["slug"] for row in listing.json()["results"]}


def test_signed_in_non_staff_user_does_not_see_drafts(django_user_model):
    draft = FacilityFactory(is_published=False)
    django_user_model.objects.create_user("reader", password=STRONG_PASSWORD)
    client = Client()
    client.login(username="reader", password=STRONG_PASSWORD)

    assert client.get(f"/api/v1/facilities/{draft.slug}/").status_code == HTTPStatus.NOT_FOUND


def test_publishing_makes_the_facility_visible_to_anonymous_users(editor, api):
    draft = FacilityFactory(is_published=False)
    assert api.get(f"/api/v1/facilities/{draft.slug}/").status_code == HTTPStatus.NOT_FOUND

    run_action(editor, "publish", [draft])

    assert api.get(f"/api/v1/facilities/{draft.slug}/").status_code == HTTPStatus.OK
