"""Output formats (CSV, GeoJSON, JSON-LD), sparse fieldsets, languages and facets."""

import csv
import io
import json
from http import HTTPStatus

import pytest

from directory.choices import FacilityKind, FacilityRoleKind, FacilityStatus
from tests.factories import (
    AgreementFactory,
    CallFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    ProgrammeFactory,
    ProgrammeRoleFactory,
    ResearchFieldFactory,
    TechniqueFactory,
    country,
)

pytestmark = pytest.mark.django_db

BOM = "\ufeff"


def read_csv(response) -> list[dict]:
    """Rows of a CSV answer, after checking its type and its UTF-8 byte-order mark."""
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))


def csv_header(response) -> list[str]:
    text = response.content.decode("utf-8").removeprefix(BOM)
    return next(csv.reader(io.StringIO(text)))


def read_geojson(response) -> dict:
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"].startswith("application/geo+json")
    return json.loads(response.content)


def read_jsonld(response) -> dict:
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"].startswith("application/ld+json")
    return json.loads(response.content)


# --- CSV ----------------------------------------------------------------------------------


def _one_of_each():
    """One published record of every kind, each with a Japanese name."""
    quantum = ResearchFieldFactory(slug="quantum", name="Quantum technology", name_ja="量子技術")
    TechniqueFactory(slug="xafs", name="XAFS", name_ja="X線吸収微細構造")
    FacilityFactory(slug="nanoterasu", name="NanoTerasu", name_ja="ナノテラス").fields.add(quantum)
    InstitutionFactory(slug="tohoku", name="Tohoku University", name_ja="東北大学")
    programme = ProgrammeFactory(slug="qleap", name="Q-LEAP", name_ja="光・量子飛躍")
    CallFactory(slug="call-2030", name="Call 2030", name_ja="2030年度公募", programme=programme)
    AgreementFactory(slug="mou", name="MOU", name_ja="覚書")


@pytest.mark.parametrize(
    ("url", "slug", "name_ja"),
    [
        ("/api/v1/facilities/", "nanoterasu", "ナノテラス"),
        ("/api/v1/programmes/", "qleap", "光・量子飛躍"),
        ("/api/v1/calls/", "call-2030", "2030年度公募"),
        ("/api/v1/institutions/", "tohoku", "東北大学"),
        ("/api/v1/agreements/", "mou", "覚書"),
        ("/api/v1/techniques/", "xafs", "X線吸収微細構造"),
        ("/api/v1/fields/", "quantum", "量子技術"),
        ("/api/v1/search/?q=ナノテラス", "nanoterasu", "ナノテラス"),
    ],
)
def test_every_list_has_a_csv_form(api, url, slug, name_ja):
    """BOM, a header row, one row per record, Japanese text intact."""
    _one_of_each()
    separator = "&" if "?" in url else "?"
    response = api.get(f"{url}{separator}format=csv")
    rows = read_csv(response)
    header = csv_header(response)
    assert {"slug", "name", "name_ja"} <= set(header)
    assert [row["slug"] for row in rows] == [slug]
    assert rows[0]["name_ja"] == name_ja


def test_csv_flattens_related_records(api):
    """Related records become slugs (with their role), several joined by "; "."""
    facility = FacilityFactory(slug="diamond", name="Diamond Light Source", country=country("GB"))
    FacilityRoleFactory(facility=facility, institution=InstitutionFactory(slug="stfc"))
    FacilityRoleFactory(
        facility=facility,
        institution=InstitutionFactory(slug="wellcome"),
        role=FacilityRoleKind.FUNDER,
    )
    facility.techniques.add(TechniqueFactory(slug="saxs"), TechniqueFactory(slug="xafs"))
    row = read_csv(api.get("/api/v1/facilities/", {"format": "csv"}))[0]
    assert row["institutions"] == "wellcome (funder); stfc (operator)"
    assert sorted(row["techniques"].split("; ")) == ["saxs", "xafs"]
    assert row["country"] == "GB"
    assert row["sources"] == "Test source (Test publisher), p. 1 <https://example.org/source>"


def test_csv_flattens_programme_countries_to_codes(api):
    programme = ProgrammeFactory(slug="uk-japan")
    programme.countries.add("GB", "JP")
    ProgrammeRoleFactory(programme=programme, institution=InstitutionFactory(slug="ukri"))
    row = read_csv(api.get("/api/v1/programmes/", {"format": "csv"}))[0]
    assert sorted(row["countries"].split("; ")) == ["GB", "JP"]
    assert row["institutions"] == "ukri (funder)"


def test_csv_flattens_the_programme_of_a_call(api):
    CallFactory(slug="call-2030", programme=ProgrammeFactory(slug="qleap"))
    row = read_csv(api.get("/api/v1/calls/", {"format": "csv"}))[0]
    assert row["programme"] == "qleap"
    assert row["status"] == "open"


def test_csv_detail_is_one_row(api):
    FacilityFactory(slug="diamond", name="Diamond")
    rows = read_csv(api.get("/api/v1/facilities/diamond/", {"format": "csv"}))
    assert [row["slug"] for row in rows] == ["diamond"]


def test_csv_errors_stay_json(api):
    response = api.get("/api/v1/facilities/", {"format": "csv", "country": "XX"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("application/json")
    assert "country" in response.json()


# --- GeoJSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "factory"),
    [("/api/v1/facilities/", FacilityFactory), ("/api/v1/institutions/", InstitutionFactory)],
)
def test_geojson_feature_collection(api, url, factory):
    """Points in [longitude, latitude] order (RFC 7946); records without coordinates left out."""
    factory(slug="sendai", latitude=38.2572, longitude=140.836)
    factory(slug="didcot", latitude=51.574, longitude=-1.3108)
    factory(slug="nowhere")
    document = read_geojson(api.get(url, {"format": "geojson"}))
    assert document["type"] == "FeatureCollection"
    features = {feature["id"]: feature for feature in document["features"]}
    assert set(features) == {"sendai", "didcot"}
    assert document["count"] == 2
    for feature in features.values():
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
    assert features["sendai"]["geometry"]["coordinates"] == [140.836, 38.2572]
    assert features["didcot"]["geometry"]["coordinates"] == [-1.3108, 51.574]
    assert features["sendai"]["properties"]["slug"] == "sendai"


@pytest.mark.parametrize(
    ("url", "factory"),
    [("/api/v1/facilities/", FacilityFactory), ("/api/v1/institutions/", InstitutionFactory)],
)
def test_geojson_detail_is_one_feature(api, url, factory):
    factory(slug="sendai", name="Sendai site", name_ja="仙台", latitude=38.2572, longitude=140.836)
    feature = read_geojson(api.get(f"{url}sendai/", {"format": "geojson"}))
    assert feature["type"] == "Feature"
    assert feature["id"] == "sendai"
    assert feature["geometry"] == {"type": "Point", "coordinates": [140.836, 38.2572]}
    assert feature["properties"]["name_ja"] == "仙台"


def test_geojson_with_filters_keeps_distance(api):
    FacilityFactory(slug="sendai", latitude=38.2572, longitude=140.836)
    FacilityFactory(slug="didcot", latitude=51.574, longitude=-1.3108)
    query = {"format": "geojson", "near": "35.6812,139.7671", "radius_km": "500"}
    document = read_geojson(api.get("/api/v1/facilities/", query))
    assert [feature["id"] for feature in document["features"]] == ["sendai"]
    assert 290 < document["features"][0]["properties"]["distance_km"] < 320


def test_geojson_is_offered_only_where_records_have_places(api):
    response = api.get("/api/v1/programmes/", {"format": "geojson"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "format" in response.json()


# --- JSON-LD ------------------------------------------------------------------------------


def test_jsonld_facility_is_a_place(api):
    FacilityFactory(
        slug="nanoterasu",
        name="NanoTerasu",
        name_ja="ナノテラス",
        latitude=38.2572,
        longitude=140.836,
        city="Sendai",
    )
    document = read_jsonld(api.get("/api/v1/facilities/nanoterasu/", {"format": "jsonld"}))
    assert document["@context"] == "https://schema.org"
    assert document["@type"] == "Place"
    assert document["@id"] == "http://localhost/api/v1/facilities/nanoterasu/"
    assert document["name"] == [
        {"@value": "NanoTerasu", "@language": "en"},
        {"@value": "ナノテラス", "@language": "ja"},
    ]
    assert document["geo"]["latitude"] == 38.2572
    assert document["geo"]["longitude"] == 140.836
    assert document["address"]["addressCountry"] == "JP"


def test_jsonld_institution_is_an_organization(api):
    InstitutionFactory(slug="tohoku", name="Tohoku University", name_ja="東北大学")
    document = read_jsonld(api.get("/api/v1/institutions/tohoku/", {"format": "jsonld"}))
    assert document["@context"] == "https://schema.org"
    assert document["@type"] == "Organization"
    assert {"@value": "東北大学", "@language": "ja"} in document["name"]
    assert {"@value": "Tohoku University", "@language": "en"} in document["name"]


def test_jsonld_programme_is_a_funding_scheme(api):
    programme = ProgrammeFactory(slug="qleap", name="Q-LEAP", name_ja="光・量子飛躍")
    ProgrammeRoleFactory(programme=programme, institution=InstitutionFactory(slug="mext"))
    programme.countries.add("JP")
    document = read_jsonld(api.get("/api/v1/programmes/qleap/", {"format": "jsonld"}))
    assert document["@type"] == "FundingScheme"
    assert document["name"] == [
        {"@value": "Q-LEAP", "@language": "en"},
        {"@value": "光・量子飛躍", "@language": "ja"},
    ]
    assert [funder["@id"] for funder in document["funder"]] == [
        "http://localhost/api/v1/institutions/mext/"
    ]
    assert [area["identifier"] for area in document["areaServed"]] == ["JP"]


def test_jsonld_without_japanese_name_has_english_only(api):
    FacilityFactory(slug="diamond", name="Diamond", name_ja="")
    document = read_jsonld(api.get("/api/v1/facilities/diamond/", {"format": "jsonld"}))
    assert document["name"] == [{"@value": "Diamond", "@language": "en"}]


@pytest.mark.parametrize("url", ["/api/v1/facilities/", "/api/v1/programmes/", "/api/v1/search/"])
def test_jsonld_on_a_list_is_400(api, url):
    response = api.get(url, {"format": "jsonld", "q": "x"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "format" in response.json()


@pytest.mark.parametrize(
    "url", ["/api/v1/facilities/", "/api/v1/calls/", "/api/v1/facilities/diamond/"]
)
def test_unknown_format_is_400(api, url):
    FacilityFactory(slug="diamond")
    response = api.get(url, {"format": "xml"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("application/json")
    assert "format" in response.json()


# --- Sparse fieldsets ---------------------------------------------------------------------


def test_sparse_fields_in_json(api):
    FacilityFactory(slug="diamond", name="Diamond", country=country("GB"))
    rows = api.get("/api/v1/facilities/", {"fields": "slug,name,country"}).json()["results"]
    assert rows == [{"slug": "diamond", "name": "Diamond", "country": "GB"}]
    detail = api.get("/api/v1/facilities/diamond/", {"fields": "slug,country"}).json()
    assert detail == {"slug": "diamond", "country": "GB"}


def test_sparse_fields_in_csv(api):
    FacilityFactory(slug="diamond", name="Diamond", country=country("GB"))
    response = api.get("/api/v1/facilities/", {"fields": "slug,name,country", "format": "csv"})
    assert read_csv(response) == [{"slug": "diamond", "name": "Diamond", "country": "GB"}]
    assert csv_header(response) == ["slug", "name", "country"]


def test_sparse_fields_in_geojson_keep_the_geometry(api):
    """Only the listed properties, but every feature still has its point."""
    FacilityFactory(
        slug="diamond", name="Diamond", country=country("GB"), latitude=51.574, longitude=-1.3108
    )
    query = {"fields": "slug,name,country", "format": "geojson"}
    document = read_geojson(api.get("/api/v1/facilities/", query))
    [feature] = document["features"]
    assert feature["properties"] == {"slug": "diamond", "name": "Diamond", "country": "GB"}
    assert feature["geometry"] == {"type": "Point", "coordinates": [-1.3108, 51.574]}


def test_sparse_detail_only_field_on_a_list_is_filled_or_refused(api):
    """Asking a list for a detail-only summary must not answer an empty list as if true."""
    facility = FacilityFactory(slug="diamond")
    ProgrammeFactory(slug="access").facilities.add(facility)
    response = api.get("/api/v1/facilities/", {"fields": "slug,programmes"})
    if response.status_code == HTTPStatus.BAD_REQUEST:
        assert "fields" in response.json()
    else:
        [row] = response.json()["results"]
        assert [p["slug"] for p in row["programmes"]] == ["access"]


def test_unknown_sparse_field_is_400(api):
    response = api.get("/api/v1/programmes/", {"fields": "slug,colour"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "colour" in response.json()["fields"][0]


# --- Languages ----------------------------------------------------------------------------


@pytest.fixture
def bilingual(db):
    FacilityFactory(slug="nanoterasu", name="NanoTerasu", name_ja="ナノテラス")
    FacilityFactory(slug="diamond", name="Diamond", name_ja="", country=country("GB"))


def _by_slug(response) -> dict:
    assert response.status_code == HTTPStatus.OK, response.content
    return {row["slug"]: row for row in response.json()["results"]}


def test_lang_ja_gives_japanese_names_and_labels_with_english_fallback(api, bilingual):
    response = api.get("/api/v1/facilities/", {"lang": "ja"})
    assert response["Content-Language"] == "ja"
    rows = _by_slug(response)
    assert rows["nanoterasu"]["display_name"] == "ナノテラス"
    assert rows["diamond"]["display_name"] == "Diamond"  # no Japanese name: English
    assert rows["nanoterasu"]["kind_label"] == "放射光施設"
    assert rows["nanoterasu"]["status_label"] == "運用中"
    assert rows["nanoterasu"]["country_name"] == "日本"
    assert rows["nanoterasu"]["name"] == "NanoTerasu"  # both names always present


def test_accept_language_ja(api, bilingual):
    response = api.get("/api/v1/facilities/", HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5")
    assert response["Content-Language"] == "ja"
    rows = _by_slug(response)
    assert rows["nanoterasu"]["display_name"] == "ナノテラス"
    assert rows["diamond"]["display_name"] == "Diamond"
    assert rows["diamond"]["kind_label"] == "放射光施設"


def test_english_by_default_and_lang_overrides_accept_language(api, bilingual):
    default = api.get("/api/v1/facilities/")
    assert default["Content-Language"] == "en"
    assert _by_slug(default)["nanoterasu"]["display_name"] == "NanoTerasu"
    explicit = api.get("/api/v1/facilities/", {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert explicit["Content-Language"] == "en"
    assert _by_slug(explicit)["nanoterasu"]["kind_label"] == "Synchrotron light source"


def test_lang_ja_on_details_briefs_and_search(api):
    facility = FacilityFactory(slug="spring-8", name="SPring-8", name_ja="スプリングエイト")
    FacilityRoleFactory(
        facility=facility, institution=InstitutionFactory(slug="riken", name_ja="理化学研究所")
    )
    detail = api.get("/api/v1/facilities/spring-8/", {"lang": "ja"})
    assert detail["Content-Language"] == "ja"
    body = detail.json()
    assert body["display_name"] == "スプリングエイト"
    assert body["institutions"][0]["display_name"] == "理化学研究所"
    assert body["institutions"][0]["roles"][0]["role_label"] == "運営"
    search = api.get("/api/v1/search/", {"q": "spring8", "lang": "ja"})
    assert search["Content-Language"] == "ja"
    assert search.json()["results"][0]["display_name"] == "スプリングエイト"


def test_lang_ja_in_csv(api, bilingual):
    rows = read_csv(api.get("/api/v1/facilities/", {"lang": "ja", "format": "csv"}))
    assert {row["display_name"] for row in rows} == {"ナノテラス", "Diamond"}


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/v1/facilities/", {}),
        ("/api/v1/facilities/diamond/", {}),
        ("/api/v1/search/", {"q": "diamond"}),
    ],
)
def test_unsupported_lang_is_400(api, bilingual, url, query):
    response = api.get(url, {**query, "lang": "fr"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "lang" in response.json()


# --- Facets -------------------------------------------------------------------------------


@pytest.fixture
def facet_facilities(db):
    FacilityFactory(country=country("JP"), kind=FacilityKind.SYNCHROTRON, name="Photon A")
    FacilityFactory(country=country("JP"), kind=FacilityKind.SYNCHROTRON, name="Photon B")
    FacilityFactory(country=country("JP"), kind=FacilityKind.SPALLATION_NEUTRON, name="Neutron")
    FacilityFactory(
        country=country("GB"),
        kind=FacilityKind.SYNCHROTRON,
        status=FacilityStatus.UNDER_CONSTRUCTION,
        name="Photon C",
    )
    FacilityFactory(country=country("FR"), kind=FacilityKind.XFEL, is_published=False)


def _counts(facet: list[dict]) -> dict:
    return {entry["value"]: entry["count"] for entry in facet}


def test_facets_count_each_value(api, facet_facilities):
    body = api.get("/api/v1/facilities/", {"facets": "country,kind,status"}).json()
    facets = body["facets"]
    assert _counts(facets["country"]) == {"JP": 3, "GB": 1}
    assert _counts(facets["kind"]) == {"synchrotron": 3, "spallation_neutron": 1}
    assert _counts(facets["status"]) == {"operational": 3, "under_construction": 1}
    assert facets["country"][0] == {"value": "JP", "label": "Japan", "count": 3}
    kind_labels = {entry["value"]: entry["label"] for entry in facets["kind"]}
    assert kind_labels["synchrotron"] == "Synchrotron light source"


def test_facets_follow_the_current_filters(api, facet_facilities):
    body = api.get("/api/v1/facilities/", {"facets": "country,kind", "kind": "synchrotron"}).json()
    assert body["count"] == 3
    assert _counts(body["facets"]["country"]) == {"JP": 2, "GB": 1}
    # Disjunctive: the kind facet counts every kind under the other filters (none here).
    assert _counts(body["facets"]["kind"]) == _counts(
        api.get("/api/v1/facilities/", {"facets": "kind"}).json()["facets"]["kind"]
    )
    assert _counts(body["facets"]["kind"])["synchrotron"] == 3
    searched = api.get("/api/v1/facilities/", {"facets": "country,kind", "q": "photon"}).json()
    assert searched["count"] == 3
    assert _counts(searched["facets"]["country"]) == {"JP": 2, "GB": 1}


def test_facets_with_a_radius(api):
    FacilityFactory(country=country("JP"), latitude=38.2572, longitude=140.836)
    FacilityFactory(country=country("JP"), latitude=36.05, longitude=140.08)
    FacilityFactory(country=country("GB"), latitude=51.574, longitude=-1.3108)
    query = {"facets": "country", "near": "35.6812,139.7671", "radius_km": "500"}
    body = api.get("/api/v1/facilities/", query).json()
    assert _counts(body["facets"]["country"]) == {"JP": 2}


def test_facet_labels_in_japanese(api, facet_facilities):
    body = api.get("/api/v1/facilities/", {"facets": "country,kind", "lang": "ja"}).json()
    labels = {entry["value"]: entry["label"] for entry in body["facets"]["kind"]}
    assert labels["synchrotron"] == "放射光施設"
    assert {entry["value"]: entry["label"] for entry in body["facets"]["country"]}["JP"] == "日本"


def test_facets_never_reveal_unpublished_records(api):
    """A technique that is not published must not show up as a facet value."""
    facility = FacilityFactory()
    facility.techniques.add(
        TechniqueFactory(slug="public-technique"),
        TechniqueFactory(slug="secret-technique", is_published=False),
    )
    body = api.get("/api/v1/facilities/", {"facets": "technique"}).json()
    assert _counts(body["facets"]["technique"]) == {"public-technique": 1}


def test_facets_on_other_lists(api):
    ProgrammeFactory().countries.add("GB", "JP")
    ProgrammeFactory().countries.add("JP")
    body = api.get("/api/v1/programmes/", {"facets": "country,kind"}).json()
    assert _counts(body["facets"]["country"]) == {"JP": 2, "GB": 1}
    assert _counts(body["facets"]["kind"]) == {"bilateral_call": 2}


def test_geojson_carries_facets(api, facet_facilities):
    FacilityFactory(country=country("GB"), latitude=51.574, longitude=-1.3108)
    document = read_geojson(
        api.get("/api/v1/facilities/", {"format": "geojson", "facets": "country"})
    )
    assert _counts(document["facets"]["country"]) == {"GB": 1}


@pytest.mark.parametrize(
    ("url", "facets"),
    [
        ("/api/v1/facilities/", "colour"),
        ("/api/v1/facilities/", "country,colour"),
        ("/api/v1/institutions/", "status"),
        ("/api/v1/programmes/", ","),
    ],
)
def test_unknown_facet_is_400(api, url, facets):
    response = api.get(url, {"facets": facets})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "facets" in response.json()
