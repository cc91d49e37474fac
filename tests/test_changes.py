"""The changes feed lists creates, updates and deletes in order, page by page, by cursor."""

from http import HTTPStatus

import pytest
from django.utils import timezone

from tests.factories import FacilityFactory, InstitutionFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def feed(client, **params):
    response = client.get("/api/v1/changes/", params)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def test_lists_every_action_in_order(api):
    facility = FacilityFactory(slug="spring-8")
    facility.city = "Sayo"
    facility.save()
    InstitutionFactory(slug="riken")
    facility.delete()
    body = feed(api)
    assert [(c["kind"], c["slug"], c["action"]) for c in body["results"]] == [
        ("facility", "spring-8", "created"),
        ("facility", "spring-8", "updated"),
        ("institution", "riken", "created"),
        ("facility", "spring-8", "deleted"),
    ]
    assert body["results"][0]["url"].endswith("/api/v1/facilities/spring-8/")
    assert "user" not in body["results"][0]


def test_unpublished_records_appear_as_removed_to_the_public(api, staff_api):
    facility = FacilityFactory(slug="draft-soon")
    facility.is_published = False
    facility.save()
    public = [c["action"] for c in feed(api)["results"]]
    assert public == ["created", "deleted"]
    staff = feed(staff_api)["results"]
    assert [c["action"] for c in staff] == ["created", "updated"]
    assert staff[1]["is_published"] is False


def test_cursor_pages_without_gaps_or_repeats(api):
    for number in range(7):
        ProgrammeFactory(slug=f"programme-{number}")
    seen = []
    since = None
    for _ in range(5):
        params = {"limit": 3, **({"since": since} if since else {})}
        body = feed(api, **params)
        seen.extend(c["slug"] for c in body["results"])
        since = body["cursor"]
        if not body["has_more"]:
            break
    assert seen == [f"programme-{number}" for number in range(7)]
    assert feed(api, since=since)["results"] == []


def test_since_a_moment(api):
    FacilityFactory(slug="before")
    moment = timezone.now()
    FacilityFactory(slug="after")
    slugs = [c["slug"] for c in feed(api, since=moment.isoformat())["results"]]
    assert slugs == ["after"]


def test_staff_see_who_made_the_change(staff_api, admin_client):
    admin_client.post(
        "/admin/directory/institution/add/",
        {
            "name": "KEK",
            "slug": "kek",
            "kind": "national_institute",
            "country": "JP",
            "aliases": "[]",
            "sources": '[{"title": "t", "url": "https://www.kek.jp"}]',
        },
    )
    change = feed(staff_api)["results"][-1]
    assert (change["slug"], change["user"]) == ("kek", "admin")


@pytest.mark.parametrize("params", [{"since": "yesterday"}, {"limit": "0"}, {"colour": "red"}])
def test_bad_parameters_are_400(api, params):
    response = api.get("/api/v1/changes/", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(params) <= set(response.json())
