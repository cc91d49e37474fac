"""Sources are a kind of record like the others: in the cross-kind search (by title and by
publisher) and in the changes feed, under the same publication rule (a draft source is
neither found nor fed to the public)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from directory import services
from directory.cross_search import KIND_NAMES
from directory.models import FeedEntry, Source
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/"
CHANGES = "/api/v1/changes/"


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    """Each test is one transaction that never commits: the response cache never learns of
    its writes (it is invalidated on commit)."""
    settings.RESPONSE_CACHE_SECONDS = 0


def hits(client, query, **params) -> list[dict]:
    response = client.get(SEARCH, {"q": query, **params})
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["results"]


def changes(client) -> list[tuple[str, str, str]]:
    response = client.get(CHANGES, {"limit": 500})
    assert response.status_code == HTTPStatus.OK, response.content
    return [(c["kind"], c["slug"], c["action"]) for c in response.json()["results"]]


def test_a_sources_title_or_publisher_finds_it_as_a_source(api):
    SourceFactory(
        slug="widget-census-2024",
        name="Census of Scientific Widgets",
        publisher="Ministry of Gauges",
        publisher_ja="計測器省",
    )
    for query in ("census widgets", "Ministry of Gauges", "計測器省"):
        (hit,) = hits(api, query)
        assert (hit["kind"], hit["slug"]) == ("source", "widget-census-2024"), query
        assert hit["url"] == "http://localhost/api/v1/sources/widget-census-2024/"
        assert api.get(hit["url"]).json()["publisher"] == "Ministry of Gauges"
    # The sources list searches the same key.
    listed = api.get("/api/v1/sources/", {"q": "gauges"}).json()["results"]
    assert [row["slug"] for row in listed] == ["widget-census-2024"]


def test_the_kind_filter_and_the_schema_know_sources(api):
    SourceFactory(slug="gauge-report", name="Gauge report")
    assert "source" in KIND_NAMES
    assert [hit["kind"] for hit in hits(api, "gauge", kind="source")] == ["source"]
    assert hits(api, "gauge", kind="facility,programme") == []
    refused = api.get(SEARCH, {"q": "gauge", "kind": "sources"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "source" in refused.json()["kind"][0]  # the known kinds are named
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "source" in schema["components"]["schemas"]["RecordKindEnum"]["enum"]


def test_a_draft_source_is_neither_found_nor_fed_to_the_public(api, staff_api):
    draft = SourceFactory(slug="internal-memo", name="Internal memo", publisher="Back Office")
    services.record_unpublish(record=draft)
    SourceFactory(slug="never-public", name="Unreleased memo", is_published=False)

    assert hits(api, "memo") == []
    assert hits(api, "Back Office") == []
    assert {hit["slug"] for hit in hits(staff_api, "memo")} == {"internal-memo", "never-public"}
    # Public once, then withdrawn: created then deleted; never public: never in the feed.
    assert changes(api) == [
        ("source", "internal-memo", "created"),
        ("source", "internal-memo", "deleted"),
    ]
    assert not FeedEntry.objects.filter(slug="never-public").exists()


def test_creating_and_renaming_a_source_through_the_services_feeds_it(api):
    source = services.record_create(
        model=Source,
        fields={
            "slug": "white-paper",
            "name": "White paper on beamlines",
            "publisher": "Light Source Council",
            "url": "https://example.org/white-paper",
            "is_published": True,
        },
        reason="test",
    )
    services.record_update(record=source, fields={"name": "White paper on beamlines, 2nd ed."})
    services.record_update(record=source, fields={"slug": "white-paper-2"})

    response = api.get(CHANGES).json()["results"]
    assert [(c["kind"], c["slug"], c["action"]) for c in response] == [
        ("source", "white-paper", "created"),
        ("source", "white-paper", "updated"),
        ("source", "white-paper", "deleted"),
        ("source", "white-paper-2", "created"),
    ]
    created, updated, _deleted, renamed = response
    assert created["url"] == "http://localhost/api/v1/sources/white-paper/"
    # Its fields as its detail names them (the document's address is source_url).
    assert created["data"]["source_url"] == "https://example.org/white-paper"
    assert created["data"]["publisher"] == "Light Source Council"
    assert "website" not in created["data"] and "sources" not in created["data"]
    assert updated["data"]["name"] == "White paper on beamlines, 2nd ed."
    detail = api.get(renamed["url"]).json()
    assert {key: detail[key] for key in renamed["data"]} == renamed["data"]


def test_the_atom_feed_names_a_new_source(api):
    SourceFactory(slug="atlas", name="Atlas of Facilities")
    response = api.get("/feeds/changes.atom")
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "New source: Atlas of Facilities" in body
    assert "http://localhost/api/v1/sources/atlas/" in body


# --- the seeded directory ------------------------------------------------------------------


def test_the_seeded_sources_are_found_by_the_cross_kind_search(api, seed_data):
    public = Source.objects.filter(is_published=True)
    assert public.count() > 20
    for source in public:
        title = " ".join(source.name.split()[:6])  # a query has at most 8 words
        found = hits(api, title, kind="source", limit=200)
        assert source.slug in [hit["slug"] for hit in found], source.slug
    # By publisher: the seed document of MEXT, among everything else MEXT is named in.
    found = hits(api, "MEXT", limit=200)
    assert ("source", "mext-quantum-technology-diplomacy-2018") in {
        (hit["kind"], hit["slug"]) for hit in found
    }
    assert {hit["kind"] for hit in found} > {"source"}  # the ministry's own records too
