"""Sources as records: the documents records cite, listed and shown with the records citing them;
citations name a source, a locator and a passage; no local file path in any public answer."""

from __future__ import annotations

import csv
import io
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from config.throttles import AnonymousRateThrottle
from directory import services
from directory.models import Citation, Facility, Institution, Source
from directory.roles import sync_role_groups
from tests.factories import (
    FacilityFactory,
    InstitutionFactory,
    SourceFactory,
    api_token,
    citation,
    cited_source,
)
from tests.test_history import form_data

pytestmark = pytest.mark.django_db

#: The five seed documents as source records: (slug, title fragment, publisher fragment, date)
SEED_SOURCES = [
    ("harwell-uk-japan-web-article", "Harwell", "", None),
    ("takata-nanoterasu-coalition-essay", "NanoTerasu", "", "2022"),
    (
        "mext-quantum-technology-diplomacy-2018",
        "quantum technology diplomacy",
        "MEXT",
        "2018-08-09",
    ),
    ("jst-qst-koyasu-interview-2023", "Shigeo Koyasu", "JST", "2023-10-23"),
    ("crds-nanotech-materials-panoramic-view-2023", "Nanotechnology", "CRDS", "2023-03"),
]
#: What a local file reference looks like (fixtures used to cite "seeds/003_….txt:43").
FILE_PATH = re.compile(rb"seeds/|\.txt\b|[0-9]{3}_[0-9a-f]{16}")


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    """Every answer computed by its view (the response cache would replay the first)."""
    settings.RESPONSE_CACHE_SECONDS = 0


def editor_client(django_user_model) -> APIClient:
    sync_role_groups()
    user = django_user_model.objects.create_user("edna", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


# --- the seeded directory ----------------------------------------------------------------------


def test_the_seed_documents_are_sources_a_reader_can_find(api, seed_data):
    listed = api.get("/api/v1/sources/", {"limit": 200}).json()
    by_slug = {row["slug"]: row for row in listed["results"]}
    for slug, title, publisher, date in SEED_SOURCES:
        row = by_slug[slug]
        assert title in row["name"], slug
        assert publisher in row["publisher"], slug
        assert row["date"] == date, slug
        assert row["url"].endswith(f"/api/v1/sources/{slug}/")
        assert row["source_url"] == ""  # neither the seeds nor the fact sheet give an address
        assert "cited_by" not in row  # detail only
    low = by_slug["harwell-uk-japan-web-article"]
    assert "Low reliability" in low["reliability_note"]
    assert low["published_on"] is None  # undated

    detail = api.get("/api/v1/sources/jst-qst-koyasu-interview-2023/").json()
    facilities = {brief["slug"]: brief for brief in detail["cited_by"]["facilities"]}
    assert facilities["nanoterasu"]["url"] == "http://localhost/api/v1/facilities/nanoterasu/"
    assert "qst" in {brief["slug"] for brief in detail["cited_by"]["institutions"]}

    # A record's citations name the source with its title, publisher and address.
    (first, *_rest) = api.get("/api/v1/facilities/nanoterasu/").json()["sources"]
    assert first["source"]["slug"] == "jst-qst-koyasu-interview-2023"
    assert first["source"]["publisher"] == "Japan Science and Technology Agency (JST)"
    assert (
        first["source"]["url"] == "http://localhost/api/v1/sources/jst-qst-koyasu-interview-2023/"
    )
    assert first["locator"] == "line 43" and first["passage"]
    japanese = api.get("/api/v1/facilities/nanoterasu/", {"lang": "ja"}).json()["sources"][0]
    assert japanese["source"]["display_title"].startswith("世界最先端インフラを活用")


def public_answers(api):
    """Every public list and detail of every kind, in every format, in both languages."""
    root = api.get("/api/v1/").json()
    resources = [name for name in root if name not in ("search", "changes", "schema", "docs")]
    for resource in resources:
        base = f"/api/v1/{resource}/"
        formats = [
            "json",
            "csv",
            *(["geojson"] if resource in ("facilities", "institutions") else []),
        ]
        offset, slugs = 0, []
        while True:
            page = api.get(base, {"limit": 200, "offset": offset})
            yield page
            slugs += [row["slug"] for row in page.json()["results"]]
            if page.json()["next"] is None:
                break
            offset += 200
        for fmt in formats:
            for lang in ("en", "ja"):
                yield api.get(base, {"limit": 200, "format": fmt, "lang": lang})
        for slug in slugs:
            for fmt in [*formats[:1], "jsonld"]:
                yield api.get(f"{base}{slug}/", {"format": fmt})
            yield api.get(f"{base}{slug}/", {"format": "csv", "lang": "ja"})
    yield api.get("/api/v1/changes/", {"limit": 500})
    yield api.get("/api/v1/search/", {"q": "nanoterasu"})


def test_no_public_answer_shows_a_local_file_path(api, seed_data, monkeypatch):
    # Every answer of the seeded directory is more than one anonymous caller's minute allows.
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})
    seen = 0
    for response in public_answers(api):
        assert response.status_code == HTTPStatus.OK, response.content[:300]
        found = FILE_PATH.search(response.content)
        assert found is None, (response.request["PATH_INFO"], response.content[:300])
        seen += 1
    assert seen > 400  # every record of every kind, not a handful


def test_json_ld_citations_are_creative_works(api, seed_data):
    document = api.get("/api/v1/facilities/nanoterasu/", {"format": "jsonld"}).json()
    work = document["citation"][0]
    assert work["@type"] == "CreativeWork"
    assert work["@id"] == "http://localhost/api/v1/sources/jst-qst-koyasu-interview-2023/"
    assert {"@value": "Japan Science and Technology Agency (JST)", "@language": "en"} in work[
        "publisher"
    ]["name"]
    assert work["datePublished"] == "2023-10-23"
    assert "url" not in work  # no public address is known: only its record here
    website = [item for item in document["citation"] if item.get("url")]
    assert website == [] or all(item["url"].startswith("https://") for item in website)
    source = api.get(
        "/api/v1/sources/crds-nanotech-materials-panoramic-view-2023/", {"format": "jsonld"}
    ).json()
    assert source["@type"] == "CreativeWork"
    assert source["datePublished"] == "2023-03"
    assert source["inLanguage"] == "ja"


# --- drafts, citations and writes ----------------------------------------------------------------


def test_drafts_never_appear_to_the_public(api, staff_api):
    report = SourceFactory(slug="annual-report", name="Annual Report")
    draft_source = SourceFactory(slug="draft-memo", name="Draft memo", is_published=False)
    FacilityFactory(slug="public-ring", sources=[citation("annual-report", "p. 3")])
    FacilityFactory(slug="draft-ring", is_published=False, sources=[citation("annual-report")])
    FacilityFactory(
        slug="mixed-ring",
        sources=[citation("draft-memo", "p. 9"), citation("annual-report", "p. 4")],
    )

    shown = api.get("/api/v1/sources/annual-report/").json()["cited_by"]["facilities"]
    assert {brief["slug"] for brief in shown} == {"public-ring", "mixed-ring"}
    staff = staff_api.get("/api/v1/sources/annual-report/").json()["cited_by"]["facilities"]
    assert {brief["slug"] for brief in staff} == {"public-ring", "draft-ring", "mixed-ring"}

    assert api.get("/api/v1/sources/draft-memo/").status_code == HTTPStatus.NOT_FOUND
    assert "draft-memo" not in {
        row["slug"] for row in api.get("/api/v1/sources/").json()["results"]
    }
    # A citation of the draft source is left out for the public, as any link to a draft.
    public = api.get("/api/v1/facilities/mixed-ring/").json()["sources"]
    assert [item["source"]["slug"] for item in public] == ["annual-report"]
    assert b"draft-memo" not in api.get("/api/v1/facilities/mixed-ring/").content
    staff_view = staff_api.get("/api/v1/facilities/mixed-ring/").json()["sources"]
    assert [item["source"]["slug"] for item in staff_view] == ["draft-memo", "annual-report"]
    # The changes feed names the public sources only, as the detail does.
    assert b"draft-memo" not in api.get("/api/v1/changes/", {"limit": 500}).content
    # Publishing the source shows it everywhere at once (the representations follow it).
    services.record_publish(record=draft_source)
    public = api.get("/api/v1/facilities/mixed-ring/").json()["sources"]
    assert [item["source"]["slug"] for item in public] == ["draft-memo", "annual-report"]
    last = api.get("/api/v1/changes/", {"limit": 500}).json()["results"][-1]
    assert (last["slug"], last["action"]) == ("mixed-ring", "updated")
    assert [item["source"] for item in last["data"]["sources"]] == ["draft-memo", "annual-report"]
    assert report.pk in Citation.objects.values_list("source_id", flat=True)


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ([{"source": "no-such-report", "locator": "p. 1"}], "cites no-such-report"),
        ([{"source": "annual-report"}], "needs a locator"),
        ([{"locator": "p. 1"}], "needs a source"),
        ([{"source": "annual-report", "locator": "p. 1", "page": 3}], "unknown keys: page"),
        (
            [{"title": "Plan", "document": "seeds/001_0b0baf97f8f31bd4.txt:63"}],
            "unknown keys: document, title",
        ),
        ("a string", "Expected a list"),
    ],
)
def test_a_bad_citation_is_a_400_naming_sources(django_user_model, sources, message):
    SourceFactory(slug="annual-report")
    InstitutionFactory(slug="qst")
    editor = editor_client(django_user_model)
    payload = {
        "slug": "test-ring",
        "name": "Test Ring",
        "kind": "synchrotron",
        "status": "planned",
        "country": "JP",
        "sources": sources,
    }
    response = editor.post("/api/v1/facilities/", payload, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert message in " ".join(response.json()["sources"]), response.json()
    assert not Facility.objects.filter(slug="test-ring").exists()


def test_a_source_is_written_through_the_api_and_a_cited_one_cannot_be_deleted(
    django_user_model,
):
    editor = editor_client(django_user_model)
    created = editor.post(
        "/api/v1/sources/",
        {
            "slug": "spring-8-annual-report-2022",
            "name": "SPring-8 Annual Report 2022",
            "publisher": "JASRI",
            "published_on": "2023-05-17",
            "published_on_precision": "month",
            "language": "en",
            "source_url": "https://example.org/report.pdf",
            "is_published": True,
        },
        format="json",
    )
    assert created.status_code == HTTPStatus.CREATED, created.json()
    assert created.json()["date"] == "2023-05"
    assert created.json()["published_on"] == "2023-05-01"
    bad = editor.post(
        "/api/v1/sources/",
        {"slug": "x", "name": "X", "language": "JA"},
        format="json",
    )
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "ISO 639-1" in " ".join(bad.json()["language"])

    FacilityFactory(slug="ring", sources=[citation("spring-8-annual-report-2022", "p. 12")])
    row = editor.get("/api/v1/facilities/ring/").json()["sources"][0]
    assert row["source"]["url"] == "https://example.org/report.pdf"  # its public address
    assert row["source"]["api_url"].endswith("/api/v1/sources/spring-8-annual-report-2022/")
    detail = editor.get("/api/v1/sources/spring-8-annual-report-2022/")
    deleted = editor.delete(
        "/api/v1/sources/spring-8-annual-report-2022/", HTTP_IF_MATCH=detail["ETag"]
    )
    assert deleted.status_code == HTTPStatus.CONFLICT
    assert "ring" in deleted.json()["detail"]
    assert Source.objects.filter(slug="spring-8-annual-report-2022").exists()


def test_a_cited_source_keeps_its_slug_through_the_api(django_user_model):
    """Renaming a cited source would leave its citing records naming nothing: refused with a
    400 naming ``slug`` and the records; an uncited one is renamed."""
    editor = editor_client(django_user_model)
    SourceFactory(slug="annual-report")
    SourceFactory(slug="white-paper")
    FacilityFactory(slug="ring", sources=[citation("annual-report", "p. 3")])
    detail = editor.get("/api/v1/sources/annual-report/")
    refused = editor.patch(
        "/api/v1/sources/annual-report/",
        {"slug": "annual-report-2024"},
        format="json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST, refused.content
    (message,) = refused.json()["slug"]
    assert "cited source cannot change" in message and "facility ring" in message
    source = Source.objects.get(slug="annual-report")
    assert source.history.count() == 1  # created only: nothing written
    shown = editor.get("/api/v1/facilities/ring/").json()["sources"]
    assert [row["source"]["slug"] for row in shown] == ["annual-report"]

    detail = editor.get("/api/v1/sources/white-paper/")
    renamed = editor.patch(
        "/api/v1/sources/white-paper/",
        {"slug": "white-paper-2"},
        format="json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert renamed.status_code == HTTPStatus.OK, renamed.content
    assert renamed.json()["slug"] == "white-paper-2"


def test_the_service_refuses_renaming_a_cited_source_and_names_the_citing_records():
    source = SourceFactory(slug="transition-report")
    old, new = FacilityFactory(slug="old-ring"), FacilityFactory(slug="new-ring")
    link = services.SuccessionLink(
        new, "upgraded_into", sources=[citation("transition-report", "p. 7")]
    )
    services.record_update(record=old, relations={"successors": [link]})
    for n in range(5):
        InstitutionFactory(slug=f"lab-{n}", sources=[citation("transition-report")])
    with pytest.raises(ValidationError) as raised:
        services.record_update(record=source, fields={"slug": "transition-report-2"})
    (message,) = raised.value.message_dict["slug"]
    # The succession's citation is cited by both its ends; five named, the rest counted.
    assert "7 record(s) cite it" in message and "and 2 more" in message
    assert "facility old-ring" in message and "facility new-ring" in message
    assert Source.objects.get(pk=source.pk).slug == "transition-report"

    # Once nothing cites it, it may be renamed.
    services.record_update(record=old, relations={"successors": []})
    for n in range(5):
        institution = Institution.objects.get(slug=f"lab-{n}")
        services.record_update(record=institution, fields={"sources": [citation()]})
    services.record_update(record=source, fields={"slug": "transition-report-2"})
    assert Source.objects.get(pk=source.pk).slug == "transition-report-2"


def test_on_the_seed_data_a_cited_seed_source_keeps_its_slug(seed_data, django_user_model):
    editor = editor_client(django_user_model)
    url = "/api/v1/sources/jst-qst-koyasu-interview-2023/"
    detail = editor.get(url)
    refused = editor.patch(
        url, {"slug": "koyasu-interview"}, format="json", HTTP_IF_MATCH=detail["ETag"]
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST, refused.content
    citing = sum(len(briefs) for briefs in detail.json()["cited_by"].values())
    assert citing > 5
    assert f"{citing} record(s) cite it" in " ".join(refused.json()["slug"])
    cited = editor.get("/api/v1/facilities/jt-60sa/").json()["sources"]
    assert "jst-qst-koyasu-interview-2023" in {row["source"]["slug"] for row in cited}


def test_the_citation_index_follows_every_write():
    SourceFactory(slug="a-report")
    SourceFactory(slug="b-report")
    facility = FacilityFactory(slug="ring", sources=[citation("a-report")])

    def cited():
        return set(
            Citation.objects.filter(facility=facility).values_list("source__slug", flat=True)
        )

    assert cited() == {"a-report"}
    services.record_update(
        record=facility, fields={"sources": [citation("b-report"), citation("b-report", "p. 2")]}
    )
    assert cited() == {"b-report"}
    first = facility.history.order_by("history_id").first()
    services.record_revert(record=Facility.objects.get(pk=facility.pk), version=first)
    assert cited() == {"a-report"}
    services.record_delete(record=Facility.objects.get(pk=facility.pk))
    assert not Citation.objects.filter(facility_id=facility.pk).exists()
    services.record_restore(model=Facility, record_id=facility.pk)
    assert cited() == {"a-report"}


# --- the admin -------------------------------------------------------------------------------


def test_the_admin_cites_a_source_by_choosing_it(admin_client):
    SourceFactory(slug="annual-report", name="Annual Report", publisher="QST")
    facility = FacilityFactory(slug="ring")
    url = reverse("admin:directory_facility_change", args=[facility.pk])
    page = admin_client.get(url)
    assert '<option value="annual-report">Annual Report — QST</option>' in page.text

    data = form_data(page)
    data["sources-source"] = ["annual-report", ""]
    data["sources-locator"] = ["lines 49-53", ""]
    data["sources-passage"] = ["官民地域パートナーシップ", ""]
    saved = admin_client.post(url, data)
    assert saved.status_code == HTTPStatus.FOUND, saved.content[:2000]
    assert Facility.objects.get(pk=facility.pk).sources == [
        {"source": "annual-report", "locator": "lines 49-53", "passage": "官民地域パートナーシップ"}
    ]

    data["sources-source"] = ["no-such-report", ""]
    refused = admin_client.post(url, data)
    assert refused.status_code == HTTPStatus.OK  # the form again, with the error
    assert "Source 1 cites no-such-report, which is not a source record." in refused.text
    data["sources-source"] = ["annual-report", ""]
    data["sources-locator"] = ["", ""]
    refused = admin_client.post(url, data)
    assert "Source 1 needs a locator" in refused.text
    assert Facility.objects.get(pk=facility.pk).sources[0]["locator"] == "lines 49-53"


def test_the_admin_lists_and_edits_sources(admin_client):
    SourceFactory(slug="annual-report", name="Annual Report")
    assert admin_client.get(reverse("admin:directory_source_changelist")).status_code == 200
    source = Source.objects.get(slug="annual-report")
    page = admin_client.get(reverse("admin:directory_source_change", args=[source.pk]))
    assert page.status_code == 200
    data = form_data(page)
    data["name"] = ["Annual Report 2024"]
    saved = admin_client.post(reverse("admin:directory_source_change", args=[source.pk]), data)
    assert saved.status_code == HTTPStatus.FOUND, saved.content[:2000]
    source.refresh_from_db()
    assert source.name == "Annual Report 2024"
    assert source.history.count() == 2  # created, changed: through the services


def test_the_admin_refuses_renaming_a_cited_source(admin_client):
    SourceFactory(slug="annual-report", name="Annual Report")
    FacilityFactory(slug="ring", sources=[citation("annual-report")])
    source = Source.objects.get(slug="annual-report")
    url = reverse("admin:directory_source_change", args=[source.pk])
    data = form_data(admin_client.get(url))
    data["slug"] = ["annual-report-2024"]
    refused = admin_client.post(url, data)
    assert refused.status_code == HTTPStatus.OK  # the form again, with the error
    assert "The slug of a cited source cannot change" in refused.text
    assert "facility ring" in refused.text
    assert Source.objects.get(pk=source.pk).slug == "annual-report"


# --- the representation cache -------------------------------------------------------------------


def test_renaming_a_source_changes_the_cached_facility_detail(api, settings):
    settings.REPRESENTATION_CACHE_SECONDS = 600
    source = SourceFactory(slug="annual-report", name="Annual Report", publisher="QST")
    facility = FacilityFactory(slug="ring", sources=[citation("annual-report", "p. 3")])
    other = FacilityFactory(slug="other-ring")
    path = "/api/v1/facilities/ring/"
    assert api.get(path).json()["sources"][0]["source"]["title"] == "Annual Report"
    version = Facility.objects.get(pk=facility.pk).version
    other_version = Facility.objects.get(pk=other.pk).version

    services.record_update(record=source, fields={"name": "Annual Report 2024"})
    assert api.get(path).json()["sources"][0]["source"]["title"] == "Annual Report 2024"
    services.record_update(
        record=Source.objects.get(pk=source.pk),
        fields={"publisher": "QST Chiba", "url": "https://example.org/ar"},
    )
    shown = api.get(path).json()["sources"][0]["source"]
    assert (shown["publisher"], shown["url"]) == ("QST Chiba", "https://example.org/ar")
    assert Facility.objects.get(pk=facility.pk).version > version
    # A facility that does not cite it keeps its cached representation.
    assert Facility.objects.get(pk=other.pk).version == other_version


def test_the_source_detail_follows_the_records_citing_it(api, settings):
    settings.REPRESENTATION_CACHE_SECONDS = 600
    SourceFactory(slug="annual-report")
    cited_source()
    facility = FacilityFactory(slug="ring", name="Ring", sources=[citation("annual-report")])
    path = "/api/v1/sources/annual-report/"
    assert [b["name"] for b in api.get(path).json()["cited_by"]["facilities"]] == ["Ring"]
    services.record_update(record=facility, fields={"name": "Big Ring"})
    assert [b["name"] for b in api.get(path).json()["cited_by"]["facilities"]] == ["Big Ring"]
    services.record_update(
        record=Facility.objects.get(pk=facility.pk), fields={"sources": [citation()]}
    )
    assert api.get(path).json()["cited_by"]["facilities"] == []


def test_csv_shows_a_readable_citation(api):
    SourceFactory(slug="annual-report", name="Annual Report", publisher="QST")
    FacilityFactory(slug="ring", sources=[citation("annual-report", "p. 3")])
    body = api.get("/api/v1/facilities/ring/", {"format": "csv"}).content.decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["sources"] == (
        "Annual Report (QST), p. 3 <http://localhost/api/v1/sources/annual-report/>"
    )
