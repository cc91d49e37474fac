"""API tokens: hashed at rest, expiring, several per user, named, revocable, shown once.

Through HTTP (/api/v1/auth/tokens/ and the write API), the admin and ``issue_token``; and the
migration that moved DRF's plain-text keys into hashed tokens without changing them.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
from http import HTTPStatus
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api import tokens
from api.models import ApiToken
from directory.models import Facility, Institution
from directory.roles import CURATOR, EDITOR, sync_role_groups
from tests.factories import InstitutionFactory, TechniqueFactory, api_token

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/auth/tokens/"


def staff_user(django_user_model, username: str, role: str | None = EDITOR, *, manager=False):
    sync_role_groups()
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if manager:
        user.user_permissions.add(Permission.objects.get(codename="manage_others_tokens"))
    return user


def signed_in(user) -> APIClient:
    """A session, as staff signed in to the admin have."""
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def with_token(key: str) -> APIClient:
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def facility_payload(slug: str) -> dict:
    if not Institution.objects.filter(slug="qst").exists():
        InstitutionFactory(slug="qst", name="QST")
        TechniqueFactory(slug="xafs", name="XAFS")
    return {
        "slug": slug,
        "name": f"Light source {slug}",
        "kind": "synchrotron",
        "status": "planned",
        "country": "JP",
        "techniques": ["xafs"],
        "institutions": [{"institution": "qst", "role": "operator"}],
    }


def assert_json_401(response):
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


# --- the lifecycle through HTTP ---------------------------------------------------------------


def test_lifecycle_issue_use_list_revoke(django_user_model, settings):
    user = staff_user(django_user_model, "eddie", CURATOR)

    issued = signed_in(user).post(TOKENS, {"name": "nightly import"}, format="json")

    assert issued.status_code == HTTPStatus.CREATED, issued.content
    assert issued["Cache-Control"] == "no-store"
    body = issued.json()
    key = body["token"]
    assert key.startswith("fd_") and len(key) == 3 + 64
    assert body["name"] == "nightly import"
    assert body["token_key"] == key[:15]
    expiry = datetime.datetime.fromisoformat(body["expiry"])
    expected = timezone.now() + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert abs(expiry - expected) < datetime.timedelta(minutes=1)

    # A write with it records the token's user in the history.
    client = with_token(key)
    created = client.post("/api/v1/facilities/", facility_payload("via-token"), format="json")
    assert created.status_code == HTTPStatus.CREATED, created.content
    entry = Facility.history.get(slug="via-token", history_type="+")
    assert entry.history_user == user

    # The list shows it, never its key or digest.
    listed = client.get(TOKENS)
    assert listed.status_code == HTTPStatus.OK
    assert listed["Cache-Control"] == "no-store"
    [row] = listed.json()
    assert row == {
        "name": "nightly import",
        "token_key": key[:15],
        "created": row["created"],
        "expiry": body["expiry"],
        "current": True,
    }
    digest = ApiToken.objects.get().digest
    assert key not in listed.text and digest not in listed.text

    # Revoked: the next request with it is refused at once.
    revoked = client.delete(f"{TOKENS}{key[:15]}/")
    assert revoked.status_code == HTTPStatus.NO_CONTENT
    assert_json_401(client.post("/api/v1/facilities/", facility_payload("late"), format="json"))
    assert_json_401(client.get(TOKENS))
    assert not Facility.objects.filter(slug="late").exists()


def test_several_named_tokens_per_user_each_revocable_alone(django_user_model):
    user = staff_user(django_user_model, "eddie")
    session = signed_in(user)
    laptop = session.post(TOKENS, {"name": "laptop"}, format="json").json()["token"]
    ci = session.post(TOKENS, {"name": "CI", "expires_in_days": 7}, format="json").json()

    listed = session.get(TOKENS).json()
    assert [row["name"] for row in listed] == ["CI", "laptop"]  # newest first
    assert all(row["current"] is False for row in listed)  # a session, not a token
    in_a_week = timezone.now() + datetime.timedelta(days=7)
    assert abs(datetime.datetime.fromisoformat(ci["expiry"]) - in_a_week).total_seconds() < 60

    assert session.delete(f"{TOKENS}{laptop[:15]}/").status_code == HTTPStatus.NO_CONTENT
    assert_json_401(with_token(laptop).get(TOKENS))
    assert with_token(ci["token"]).get(TOKENS).status_code == HTTPStatus.OK


def test_an_expired_token_is_refused_with_json(django_user_model):
    user = staff_user(django_user_model, "eddie")
    key = api_token(user, "old script")
    ApiToken.objects.update(expiry=timezone.now() - datetime.timedelta(seconds=1))

    response = with_token(key).post("/api/v1/facilities/", facility_payload("x"), format="json")

    assert_json_401(response)
    assert response.json() == {"detail": "Invalid, expired or revoked token."}
    assert not ApiToken.objects.exists()  # knox deletes it when it is presented
    assert signed_in(user).get(TOKENS).json() == []


def test_expired_tokens_are_not_listed(django_user_model):
    user = staff_user(django_user_model, "eddie")
    api_token(user, "live")
    api_token(user, "expired")
    ApiToken.objects.filter(name="expired").update(expiry=timezone.now())
    assert [row["name"] for row in signed_in(user).get(TOKENS).json()] == ["live"]


def test_a_token_issued_with_a_token_expires_with_it_at_the_latest(django_user_model):
    user = staff_user(django_user_model, "eddie")
    key = api_token(user, "parent")
    soon = timezone.now() + datetime.timedelta(days=2)
    ApiToken.objects.update(expiry=soon)

    child = with_token(key).post(TOKENS, {"name": "child"}, format="json")

    assert child.status_code == HTTPStatus.CREATED
    assert datetime.datetime.fromisoformat(child.json()["expiry"]) <= soon


def test_the_database_holds_no_key(django_user_model):
    user = staff_user(django_user_model, "eddie")
    key = signed_in(user).post(TOKENS, {"name": "laptop"}, format="json").json()["token"]

    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha512(key.encode()).hexdigest()
    assert token.token_key == key[:15]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                assert not any(key in str(value) for value in row), table


def test_one_user_cannot_revoke_another_users_token(django_user_model):
    mine = staff_user(django_user_model, "eddie")
    theirs = staff_user(django_user_model, "erin")
    their_key = api_token(theirs, "theirs")

    response = signed_in(mine).delete(f"{TOKENS}{their_key[:15]}/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"]
    assert with_token(their_key).get(TOKENS).status_code == HTTPStatus.OK


# --- bad input: a clear 4xx with a JSON body --------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ci", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "ci", "expires_in_days": 1000}, "expires_in_days"),
        ({"name": "ci", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "ci", "user": "erin"}, "user"),
        ([{"name": "ci"}], "non_field_errors"),
    ],
)
def test_bad_requests_for_a_token_are_400_naming_the_field(django_user_model, body, field):
    user = staff_user(django_user_model, "eddie")
    response = signed_in(user).post(TOKENS, body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json(), response.json()
    assert not ApiToken.objects.exists()


def test_other_bad_requests(django_user_model):
    session = signed_in(staff_user(django_user_model, "eddie"))
    not_json = session.post(TOKENS, "{name", content_type="application/json")
    assert not_json.status_code == HTTPStatus.BAD_REQUEST and not_json.json()["detail"]
    unknown = session.get(TOKENS, {"user": "erin"})
    assert unknown.status_code == HTTPStatus.BAD_REQUEST and "user" in unknown.json()
    missing = session.delete(f"{TOKENS}fd_000000000000/")
    assert missing.status_code == HTTPStatus.NOT_FOUND and missing.json()["detail"]
    assert session.put(TOKENS, {}, format="json").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_too_many_tokens_is_a_409(django_user_model, monkeypatch):
    monkeypatch.setattr(tokens, "MAX_LIVE_PER_USER", 2)
    session = signed_in(staff_user(django_user_model, "eddie"))
    for name in ("one", "two"):
        assert session.post(TOKENS, {"name": name}, format="json").status_code == 201
    third = session.post(TOKENS, {"name": "three"}, format="json")
    assert third.status_code == HTTPStatus.CONFLICT
    assert "revoke" in third.json()["detail"]


def test_a_session_cannot_mint_a_token_without_the_csrf_token(django_user_model):
    """Another site's page cannot make a signed-in curator's browser issue a token."""
    browser = APIClient(HTTP_HOST="localhost", enforce_csrf_checks=True)
    browser.force_login(staff_user(django_user_model, "eddie"))

    response = browser.post(TOKENS, {"name": "planted"}, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in response.json()["detail"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_callers_get_401(api, method):
    assert_json_401(getattr(api, method)(TOKENS, {"name": "x"}, format="json"))


@pytest.mark.parametrize(
    "header",
    [
        "Token ",
        "Token a b",
        "Token " + "f" * 300,
        "Token fd_\x00abc",
        "Token fd_é",
        b"Token \xff\xfe".decode("latin-1"),
    ],
    ids=["empty", "spaces", "long", "nul", "non-ascii", "not-utf8"],
)
def test_malformed_keys_are_401_json_not_500(api, header):
    response = api.get(TOKENS, HTTP_AUTHORIZATION=header)
    assert_json_401(response)


def test_a_deactivated_users_token_is_refused(django_user_model):
    user = staff_user(django_user_model, "eddie")
    key = api_token(user)
    user.is_active = False
    user.save()
    assert_json_401(with_token(key).get(TOKENS))


# --- the admin -----------------------------------------------------------------------------

CHANGELIST = reverse("admin:api_apitoken_changelist")
ADD = reverse("admin:api_apitoken_add")


def admin_session(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_an_editor_sees_and_issues_only_their_own_tokens(django_user_model):
    editor = staff_user(django_user_model, "eddie")
    other = staff_user(django_user_model, "erin")
    api_token(editor, "eddie's laptop")
    theirs = ApiToken.objects.get(pk=tokens.issue(other, "erin's secret script")[0].pk)
    client = admin_session(editor)

    listing = client.get(CHANGELIST)
    assert listing.status_code == HTTPStatus.OK
    assert "eddie&#x27;s laptop" in listing.text
    assert "erin" not in listing.text
    # Another user's token is not there to open or delete.
    change = client.get(reverse("admin:api_apitoken_change", args=[theirs.pk]))
    assert change.status_code == HTTPStatus.FOUND
    assert change["Location"] == reverse("admin:index")
    delete = client.post(reverse("admin:api_apitoken_delete", args=[theirs.pk]), {"post": "yes"})
    assert delete.status_code == HTTPStatus.FOUND
    assert ApiToken.objects.filter(pk=theirs.pk).exists()

    # The add form has no user; a crafted POST naming another user issues to the editor.
    form = client.get(ADD)
    assert 'name="user"' not in form.text
    issued = client.post(
        ADD, {"name": "impersonation", "user": other.pk, "expires_in_days": 30}, follow=True
    )
    assert issued.status_code == HTTPStatus.OK
    token = ApiToken.objects.get(name="impersonation")
    assert token.user == editor
    assert not ApiToken.objects.filter(user=other, name="impersonation").exists()


def test_the_admin_shows_the_key_once_and_never_the_digest(django_user_model):
    editor = staff_user(django_user_model, "eddie")
    client = admin_session(editor)

    issued = client.post(ADD, {"name": "deploy bot", "expires_in_days": 10}, follow=True)

    [message] = [m for m in issued.context["messages"] if "copy it now" in str(m)]
    key = str(message).split("<code>", 1)[1].split("</code>", 1)[0]
    assert key.startswith("fd_")
    token = ApiToken.objects.get(name="deploy bot")
    assert token.digest == hashlib.sha512(key.encode()).hexdigest()
    assert abs(token.expiry - timezone.now() - datetime.timedelta(days=10)).total_seconds() < 60
    assert with_token(key).get(TOKENS).status_code == HTTPStatus.OK
    # Never again: not on the list, the token's page, its history or a second look.
    pages = [
        client.get(CHANGELIST),
        client.get(reverse("admin:api_apitoken_change", args=[token.pk])),
        client.get(reverse("admin:api_apitoken_history", args=[token.pk])),
        client.get(reverse("admin:index")),
    ]
    for page in pages:
        assert page.status_code == HTTPStatus.OK
        assert key not in page.text and token.digest not in page.text
    assert token.token_key in pages[0].text and token.token_key in pages[1].text


def test_the_admin_refuses_a_longer_life_than_the_ttl(django_user_model, settings):
    client = admin_session(staff_user(django_user_model, "eddie"))
    too_long = settings.API_TOKEN_TTL_DAYS + 1
    response = client.post(ADD, {"name": "forever", "expires_in_days": too_long})
    assert response.status_code == HTTPStatus.OK  # the form again, with the error
    assert "Ensure this value is less than or equal to" in response.text
    assert not ApiToken.objects.exists()


def test_an_editor_revokes_their_token_in_the_admin(django_user_model):
    editor = staff_user(django_user_model, "eddie")
    key = api_token(editor, "old laptop")
    token = ApiToken.objects.get()
    client = admin_session(editor)

    url = reverse("admin:api_apitoken_delete", args=[token.pk])
    assert client.post(url, {"post": "yes"}).status_code == HTTPStatus.FOUND

    assert_json_401(with_token(key).get(TOKENS))


def test_a_manager_of_others_tokens_sees_all_and_issues_for_another_user(django_user_model):
    manager = staff_user(django_user_model, "mona", manager=True)
    partner = staff_user(django_user_model, "partner", CURATOR)
    api_token(partner, "partner's sync")
    client = admin_session(manager)

    listing = client.get(CHANGELIST)
    assert "partner&#x27;s sync" in listing.text
    assert 'name="user"' in client.get(ADD).text

    issued = client.post(
        ADD, {"name": "partner onboarding", "user": partner.pk, "expires_in_days": 30}, follow=True
    )

    assert issued.status_code == HTTPStatus.OK
    token = ApiToken.objects.get(name="partner onboarding")
    assert token.user == partner
    [message] = [m for m in issued.context["messages"] if "copy it now" in str(m)]
    key = str(message).split("<code>", 1)[1].split("</code>", 1)[0]
    made = with_token(key).post("/api/v1/facilities/", facility_payload("onboard"), format="json")
    assert made.status_code == HTTPStatus.CREATED
    assert Facility.history.get(slug="onboard", history_type="+").history_user == partner


def test_no_role_grants_managing_others_tokens():
    sync_role_groups()
    for role in (CURATOR, EDITOR):
        codenames = Group.objects.get(name=role).permissions.values_list("codename", flat=True)
        assert "manage_others_tokens" not in codenames
    editor = set(Group.objects.get(name=EDITOR).permissions.values_list("codename", flat=True))
    assert {"add_apitoken", "view_apitoken", "delete_apitoken"} <= editor


def test_drf_token_admin_is_gone(admin_client):
    from django.contrib import admin
    from rest_framework.authtoken.models import TokenProxy

    assert not admin.site.is_registered(TokenProxy)
    assert admin_client.get(CHANGELIST).status_code == HTTPStatus.OK


# --- the migrated DRF keys and the operators' command ----------------------------------------


def test_a_migrated_drf_key_still_authenticates(django_user_model):
    user = staff_user(django_user_model, "legacy", CURATOR)
    legacy_key = Token.objects.create(user=user).key
    move = importlib.import_module("api.migrations.0002_move_drf_tokens").move_drf_tokens

    move(django_apps, type("SchemaEditor", (), {"connection": connection})())

    assert not Token.objects.exists()  # no plain-text key left
    token = ApiToken.objects.get()
    assert token.user == user and token.name.startswith("Migrated")
    assert token.expiry > timezone.now() + datetime.timedelta(days=80)
    client = with_token(legacy_key)
    assert client.get(TOKENS).json()[0]["current"] is True
    made = client.post("/api/v1/facilities/", facility_payload("legacy"), format="json")
    assert made.status_code == HTTPStatus.CREATED
    assert Facility.history.get(slug="legacy", history_type="+").history_user == user


def test_issue_token_prints_the_key_alone(django_user_model):
    staff_user(django_user_model, "bot", CURATOR)
    out, err = StringIO(), StringIO()

    call_command("issue_token", user="bot", name="CI", days=5, stdout=out, stderr=err)

    key = out.getvalue().strip()
    assert key.startswith("fd_") and "\n" not in key
    assert "shown this once" in err.getvalue() and key not in err.getvalue()
    assert with_token(key).get(TOKENS).json()[0]["name"] == "CI"
    with pytest.raises(CommandError, match="No user"):
        call_command("issue_token", user="nobody", name="x", stdout=out, stderr=err)
    with pytest.raises(CommandError, match="--days"):
        call_command("issue_token", user="bot", name="x", days=9999, stdout=out, stderr=err)


# --- the documented schema ----------------------------------------------------------------------


def test_the_token_endpoints_are_documented_as_signed_in_only(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listing = schema["paths"][TOKENS]
    assert {} not in listing["get"]["security"]
    assert {"tokenAuth": []} in listing["get"]["security"]
    issued = listing["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][issued["$ref"].rsplit("/", 1)[-1]]
    assert set(component["properties"]) == {
        "name",
        "token_key",
        "created",
        "expiry",
        "current",
        "token",
    }
    assert "204" in schema["paths"][TOKENS + "{token_key}/"]["delete"]["responses"]
    # The header clients already send: `Authorization: Token <key>`.
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["in"] == "header" and scheme["name"] == "Authorization"
    assert '"Token"' in scheme["description"]
