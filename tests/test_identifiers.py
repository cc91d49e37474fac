"""Identifiers: validation (checksums included), the API's identifiers object, writes and
filters that refuse malformed ids, and ``import_ror``: a ROR schema-v2 dump that the tests
write, matched against the seeded directory, filed as proposals and decided in the admin.

No identifier here is a real one: every ROR id, ISNI and Wikidata id is computed from an
arbitrary number by the schemes' own algorithms.
"""

from __future__ import annotations

import json
import zipfile
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from directory import validators
from directory.models import ChangeEvent, Institution, RorProposal
from tests.factories import FacilityFactory, InstitutionFactory
from tests.test_history import form_data, page_text
from tests.test_roles import create_account

pytestmark = pytest.mark.django_db

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def ror_id(number: int) -> str:
    """A ROR id made by the registry's algorithm: 6 base32 digits and a Mod 97-10 checksum."""
    digits = ""
    for _ in range(6):
        number, rest = divmod(number, 32)
        digits = CROCKFORD[rest] + digits
    value = sum(CROCKFORD.index(c) * 32**i for i, c in enumerate(reversed(digits)))
    return f"0{digits}{98 - (value * 100) % 97:02d}"


def isni(first15: str) -> str:
    """An ISNI made by ISO 7064 Mod 11-2, written here as its sum (the validator iterates):
    the digits weighted by 2^15 … 2^1, and the check value (12 - sum mod 11) mod 11, X for 10."""
    total = sum(int(digit) * 2 ** (15 - position) for position, digit in enumerate(first15))
    check = (12 - total % 11) % 11
    return first15 + ("X" if check == 10 else str(check))


# --- validators --------------------------------------------------------------------------


def test_ror_ids_made_by_the_algorithm_pass_and_a_changed_digit_fails():
    for number in (1, 31, 1_000_003, 987_654_321 % 2**30):
        good = ror_id(number)
        validators.validate_ror_id(good)
        validators.validate_ror_id(f"https://ror.org/{good.upper()}")
        wrong = good[:7] + f"{(int(good[7:]) + 1) % 100:02d}"
        with pytest.raises(ValidationError, match="checksum"):
            validators.validate_ror_id(wrong)


@pytest.mark.parametrize("value", ["12345678", "0abcdefgh", "0ilou0012", "https://ror.org/x"])
def test_malformed_ror_ids_fail(value):
    with pytest.raises(ValidationError, match="is not a ROR id"):
        validators.validate_ror_id(value)


def test_isni_check_character_and_forms():
    # The ISNIs of the example records in ROR's documentation pass.
    validators.validate_isni("0000 0001 2348 0690")
    validators.validate_isni("0000 0004 1784 3645")
    good = isni("000000012345678")
    validators.validate_isni(good)
    spaced = " ".join(good[i : i + 4] for i in range(0, 16, 4))
    assert validators.normalise_isni(spaced) == good
    assert validators.normalise_isni(f"https://isni.org/isni/{good}") == good
    validators.validate_isni(spaced)
    bad = good[:15] + ("0" if good[15] != "0" else "1")
    with pytest.raises(ValidationError, match="check character"):
        validators.validate_isni(bad)
    with pytest.raises(ValidationError, match="not an ISNI"):
        validators.validate_isni("1234")
    # A check value of 10 is written X.
    first15 = next(f"{n:015d}" for n in range(1000) if isni(f"{n:015d}").endswith("X"))
    validators.validate_isni(first15 + "x")
    assert validators.normalise_isni(first15 + "x") == first15 + "X"


def test_wikidata_and_crossref_forms():
    assert validators.normalise_wikidata_id(" q123 ") == "Q123"
    assert validators.normalise_wikidata_id("https://www.wikidata.org/wiki/Q123") == "Q123"
    for bad in ("123", "Q", "Q012", "P31", "Q12a", "Q" + "9" * 20):
        with pytest.raises(ValidationError, match="Wikidata"):
            validators.validate_wikidata_id(bad)
    assert validators.normalise_crossref_funder_id("999000001") == "10.13039/999000001"
    assert (
        validators.normalise_crossref_funder_id("https://doi.org/10.13039/999000001")
        == "10.13039/999000001"
    )
    for bad in ("10.1000/123", "abc", "10.13039/12a", "9" * 40):
        with pytest.raises(ValidationError, match="Crossref"):
            validators.validate_crossref_funder_id(bad)


# --- the API ---------------------------------------------------------------------------


def test_identifiers_object_on_institutions_and_facilities(api):
    InstitutionFactory(
        slug="inst",
        ror_id=f"https://ror.org/{ror_id(5)}",
        wikidata_id="q777000001",
        isni=" ".join(isni("000000099990001")[i : i + 4] for i in range(0, 16, 4)),
        crossref_funder_id="999000001",
    )
    FacilityFactory(slug="ring", wikidata_id="Q777000002")
    body = api.get("/api/v1/institutions/inst/").json()
    assert body["identifiers"] == {
        "ror": f"https://ror.org/{ror_id(5)}",
        "wikidata": "Q777000001",
        "isni": isni("000000099990001"),
        "crossref_funder_id": "10.13039/999000001",
    }
    assert body["ror_id"] == ror_id(5)
    assert api.get("/api/v1/facilities/ring/").json()["identifiers"] == {"wikidata": "Q777000002"}
    listed = api.get("/api/v1/institutions/", {"fields": "slug,identifiers"}).json()["results"]
    assert listed[0]["identifiers"]["wikidata"] == "Q777000001"
    jsonld = api.get("/api/v1/institutions/inst/", {"format": "jsonld"}).json()
    assert "https://www.wikidata.org/wiki/Q777000001" in jsonld["sameAs"]
    assert f"https://ror.org/{ror_id(5)}" in jsonld["sameAs"]


@pytest.fixture
def editor_api(django_user_model):
    from tests.test_api_write import client_for

    return client_for(django_user_model, "eddie", "editor")


def institution_payload(**extra):
    return {
        "slug": "new-institute",
        "name": "New Institute",
        "kind": "national_institute",
        "country": "JP",
        **extra,
    }


def test_write_api_normalises_identifiers(editor_api):
    response = editor_api.post(
        "/api/v1/institutions/",
        institution_payload(
            identifiers={
                "ror": f"https://ror.org/{ror_id(7).upper()}",
                "wikidata": "https://www.wikidata.org/wiki/Q777000003",
                "isni": isni("000000099990002"),
                "crossref_funder_id": "https://doi.org/10.13039/999000003",
            }
        ),
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json()["identifiers"] == {
        "ror": f"https://ror.org/{ror_id(7)}",
        "wikidata": "Q777000003",
        "isni": isni("000000099990002"),
        "crossref_funder_id": "10.13039/999000003",
    }
    stored = Institution.objects.get(slug="new-institute")
    assert (stored.ror_id, stored.crossref_funder_id) == (ror_id(7), "10.13039/999000003")
    # An empty value clears one identifier (stored as NULL: any number of records have none).
    url = "/api/v1/institutions/new-institute/"
    response = editor_api.patch(
        url,
        {"identifiers": {"wikidata": "", "isni": None}},
        format="json",
        HTTP_IF_MATCH=editor_api.get(url).headers["ETag"],
    )
    assert response.status_code == HTTPStatus.OK, response.json()
    assert response.json()["identifiers"]["wikidata"] is None
    assert response.json()["identifiers"]["ror"] == f"https://ror.org/{ror_id(7)}"
    InstitutionFactory(slug="no-identifiers")
    assert Institution.objects.filter(wikidata_id__isnull=True, isni__isnull=True).count() == 2


@pytest.mark.parametrize(
    ("payload", "errors_at"),
    [
        ({"ror_id": ror_id(7)[:7] + "00"}, ["ror_id"]),
        ({"identifiers": {"ror": "not-a-ror"}}, ["identifiers", "ror"]),
        ({"ror_id": ror_id(7), "identifiers": {"ror": ror_id(8)}}, ["identifiers", "ror"]),
        ({"identifiers": {"wikidata": "P31"}}, ["identifiers", "wikidata"]),
        ({"identifiers": {"isni": "0000 0000 9999 0000"}}, ["identifiers", "isni"]),
        (
            {"identifiers": {"crossref_funder_id": "10.1000/1"}},
            ["identifiers", "crossref_funder_id"],
        ),
    ],
)
def test_write_api_refuses_bad_identifiers_naming_the_field(editor_api, payload, errors_at):
    # The ISNI above is wrong only by its check character.
    assert isni("000000009999000")[-1] != "0"
    response = editor_api.post(
        "/api/v1/institutions/", institution_payload(**payload), format="json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    for key in errors_at:
        body = body[key]
    assert body and isinstance(body, list)
    assert not Institution.objects.filter(slug="new-institute").exists()


def test_write_api_refuses_a_facility_wikidata_id_and_a_taken_one(editor_api):
    ring = FacilityFactory(slug="ring", wikidata_id="Q777000004")
    other = FacilityFactory(slug="other-ring")
    from api.concurrency import record_etag  # noqa: F401 (the ETag comes from a GET)

    etag = editor_api.get("/api/v1/facilities/other-ring/").headers["ETag"]
    response = editor_api.patch(
        "/api/v1/facilities/other-ring/",
        {"identifiers": {"wikidata": "Qx"}},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == ["identifiers"]
    assert "wikidata" in response.json()["identifiers"]
    response = editor_api.patch(
        "/api/v1/facilities/other-ring/",
        {"identifiers": {"wikidata": ring.wikidata_id}},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "wikidata" in response.json()["identifiers"]
    other.refresh_from_db()
    assert other.wikidata_id is None


def slugs(response) -> list[str]:
    assert response.status_code == HTTPStatus.OK, response.json()
    return sorted(item["slug"] for item in response.json()["results"])


def test_identifier_filters(api):
    InstitutionFactory(slug="with-ror", ror_id=ror_id(11), wikidata_id="Q777000005")
    InstitutionFactory(slug="without-ror")
    FacilityFactory(slug="ring", wikidata_id="Q777000006")
    FacilityFactory(slug="other-ring")
    url = "/api/v1/institutions/"
    assert slugs(api.get(url, {"has_ror_id": "true"})) == ["with-ror"]
    assert slugs(api.get(url, {"has_ror_id": "false"})) == ["without-ror"]
    assert slugs(api.get(url, {"ror_id": f"https://ror.org/{ror_id(11).upper()}"})) == ["with-ror"]
    assert slugs(api.get(url, {"wikidata": "q777000005"})) == ["with-ror"]
    assert slugs(api.get("/api/v1/facilities/", {"wikidata": "Q777000006"})) == ["ring"]


@pytest.mark.parametrize(
    ("url", "parameter", "value"),
    [
        ("/api/v1/institutions/", "ror_id", "01dq60k84"),  # the checksum of 01dq60k8x is 83
        ("/api/v1/institutions/", "ror_id", "spring8"),
        ("/api/v1/institutions/", "has_ror_id", "perhaps"),
        ("/api/v1/institutions/", "wikidata", "P31"),
        ("/api/v1/facilities/", "wikidata", "Q0"),
    ],
)
def test_malformed_identifier_filters_are_400(api, url, parameter, value):
    response = api.get(url, {parameter: value})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == [parameter]


def test_the_schema_documents_the_filters(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"] for p in schema["paths"]["/api/v1/institutions/"]["get"]["parameters"]}
    assert {"ror_id", "has_ror_id", "wikidata"} <= parameters


def test_admin_form_refuses_a_bad_isni_in_words(admin_client):
    institution = InstitutionFactory(slug="inst")
    url = reverse("admin:directory_institution_change", args=[institution.pk])
    data = form_data(admin_client.get(url))
    data["isni"] = ["0000 0000 9999 0000"]
    data["wikidata_id"] = ["https://www.wikidata.org/wiki/Q777000007"]
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK  # the form again, with the error
    assert "is not a valid ISNI: its check character does not match" in page_text(response)
    data["isni"] = ["0000 0000 9999 000" + isni("000000009999000")[-1]]
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    institution.refresh_from_db()
    assert institution.wikidata_id == "Q777000007"
    assert institution.isni == isni("000000009999000")


# --- import_ror --------------------------------------------------------------------------

DUMP_NAME = "v9.99-2026-11-20-ror-data"
IDS = {
    name: ror_id(1_000_000 + n)
    for n, name in enumerate(
        [
            "tohoku",
            "riken",
            "jasri",
            "kek",
            "jst",
            "stfc",
            "decoy-gakuin",
            "decoy-kek",
            "withdrawn-kyoto",
            "nagoya-a",
            "nagoya-b",
            "qst",
            "tsukuba",
            "jsps",
        ]
    )
}


def ror_record(
    key,
    display,
    *,
    country="JP",
    labels=(),
    aliases=(),
    acronyms=(),
    relationships=(),
    external_ids=(),
    status="active",
):
    names = [{"value": display, "types": ["ror_display", "label"], "lang": "en"}]
    names += [{"value": value, "types": ["label"], "lang": lang} for value, lang in labels]
    names += [{"value": value, "types": ["alias"], "lang": None} for value in aliases]
    names += [{"value": value, "types": ["acronym"], "lang": None} for value in acronyms]
    return {
        "id": f"https://ror.org/{IDS[key]}",
        "names": names,
        "relationships": [
            {"type": kind, "id": f"https://ror.org/{IDS[other]}", "label": other}
            for kind, other in relationships
        ],
        "locations": [
            {"geonames_id": 1, "geonames_details": {"country_code": country, "name": "Somewhere"}}
        ],
        "external_ids": [
            {"type": kind, "all": [value], "preferred": None} for kind, value in external_ids
        ],
        "status": status,
        "types": ["education"],
        "links": [],
        "established": None,
        "domains": [],
        "admin": {
            "created": {"date": "2020-01-01", "schema_version": "2.1"},
            "last_modified": {"date": "2026-11-20", "schema_version": "2.1"},
        },
    }


TOHOKU_ISNI = isni("000000049999001")
RECORDS = [
    ror_record(
        "tohoku",
        "Tohoku University",
        labels=[("東北大学", "ja"), ("Université du Tohoku", "fr")],
        external_ids=[
            ("wikidata", "Q999000001"),
            ("isni", " ".join(TOHOKU_ISNI[i : i + 4] for i in range(0, 16, 4))),
            ("grid", "grid.0.0"),
        ],
    ),
    ror_record(
        "riken", "RIKEN", labels=[("理化学研究所", "ja")], relationships=[("child", "jasri")]
    ),
    ror_record(
        "jasri",
        "Japan Synchrotron Radiation Research Institute",
        acronyms=["JASRI"],
        relationships=[("parent", "riken")],
    ),
    ror_record(
        "kek",
        "High Energy Accelerator Research Organization",
        acronyms=["KEK"],
        labels=[("高エネルギー加速器研究機構", "ja")],
    ),
    ror_record(
        "jst",
        "Japan Science & Technology Agency",
        acronyms=["JST"],
        external_ids=[("fundref", "999000002")],
    ),
    ror_record(
        "stfc",
        "Science and Technology Facilities Council",
        country="GB",
        labels=[("科学技術施設会議", "ja")],
    ),
    ror_record("decoy-gakuin", "Tohoku Gakuin University"),
    ror_record("decoy-kek", "Kernenergie Kommission", country="DE", acronyms=["KEK"]),
    ror_record("withdrawn-kyoto", "Kyoto University", status="withdrawn"),
    ror_record("nagoya-a", "Nagoya University"),
    ror_record("nagoya-b", "Nagoya University"),
    ror_record(
        "qst",
        "National Institutes for Quantum Science and Technology",
        aliases=["National Institute of Radiological Sciences"],
    ),
    ror_record("tsukuba", "Univ. of Tsukuba"),
    ror_record("jsps", "Society for the Promotion of Science", labels=[("日本学術振興会", "ja")]),
]
EXPECTED = {
    ("tohoku-university", "tohoku", "name", False),
    ("riken", "riken", "name", False),
    ("jasri", "jasri", "name", False),
    ("kek", "kek", "name", False),
    ("jst", "jst", "name", False),
    ("stfc", "stfc", "name", False),
    ("nagoya-university", "nagoya-a", "name", True),
    ("nagoya-university", "nagoya-b", "name", True),
    ("qst", "qst", "name", True),
    ("nirs", "qst", "alias", True),
    ("university-of-tsukuba", "tsukuba", "name", False),
    ("jsps", "jsps", "name_ja", False),
}


@pytest.fixture
def ror_dump(tmp_path):
    """A ROR data dump as Zenodo serves it: a zip with the v2 JSON and a CSV beside it."""
    path = tmp_path / f"{DUMP_NAME}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{DUMP_NAME}.json", json.dumps(RECORDS, ensure_ascii=False))
        archive.writestr(f"{DUMP_NAME}.csv", "id,name\n")
    return path


def run_import(path) -> str:
    out = StringIO()
    call_command("import_ror", str(path), stdout=out)
    return out.getvalue()


def filed() -> set[tuple]:
    key_of = {value: key for key, value in IDS.items()}
    return {
        (p.institution.slug, key_of[p.ror_id], p.match, p.ambiguous)
        for p in RorProposal.objects.select_related("institution")
    }


def proposal(slug: str, key: str) -> RorProposal:
    return RorProposal.objects.get(institution__slug=slug, ror_id=IDS[key])


def test_import_files_proposals_and_writes_nothing(seed_data, ror_dump):
    before = list(Institution.objects.order_by("pk").values())
    events = ChangeEvent.objects.count()
    output = run_import(ror_dump)
    assert filed() == EXPECTED
    assert "12 new proposals" in output and "4 ambiguous" in output
    assert list(Institution.objects.order_by("pk").values()) == before
    assert ChangeEvent.objects.count() == events
    assert set(RorProposal.objects.values_list("status", flat=True)) == {"pending"}
    tohoku = proposal("tohoku-university", "tohoku")
    assert tohoku.dump == f"{DUMP_NAME}.json" and tohoku.score == 95
    assert tohoku.record["names"][0]["value"] == "Tohoku University"


def test_import_is_idempotent_and_never_refiles_a_rejection(seed_data, ror_dump):
    run_import(ror_dump)
    from directory import services

    services.ror_proposal_reject(proposal=proposal("nagoya-university", "nagoya-a"))
    output = run_import(ror_dump)
    assert "0 new proposals" in output and "1 already decided" in output
    assert RorProposal.objects.count() == len(EXPECTED)
    assert proposal("nagoya-university", "nagoya-a").status == "rejected"


def test_import_reads_the_json_file_alone(seed_data, tmp_path):
    path = tmp_path / f"{DUMP_NAME}.json"
    path.write_text(json.dumps(RECORDS[:1]), encoding="utf-8")
    run_import(path)
    assert filed() == {("tohoku-university", "tohoku", "name", False)}


def test_import_takes_the_v2_file_of_a_release_holding_both_schemas(seed_data, tmp_path):
    """Releases 1.45 to 1.74 held schema v1 as …-ror-data.json and v2 as …_schema_v2.json."""
    path = tmp_path / "v1.50-2024-08-01-ror-data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("v1.50-2024-08-01-ror-data.json", json.dumps([{"id": "x", "name": "y"}]))
        archive.writestr("v1.50-2024-08-01-ror-data_schema_v2.json", json.dumps(RECORDS[:1]))
    run_import(path)
    assert filed() == {("tohoku-university", "tohoku", "name", False)}
    assert RorProposal.objects.get().dump == "v1.50-2024-08-01-ror-data_schema_v2.json"


def test_import_refuses_a_schema_v1_dump(db, tmp_path):
    path = tmp_path / "v1.0-ror-data.json"
    path.write_text(json.dumps([{"id": f"https://ror.org/{ror_id(3)}", "name": "X"}]))
    with pytest.raises(CommandError, match="not ROR schema v2"):
        run_import(path)


def test_an_institution_holding_the_id_is_proposed_only_what_it_lacks(seed_data, ror_dump):
    from directory import services

    for slug in ("kek", "tohoku-university"):
        services.record_update(
            record=Institution.objects.get(slug=slug), fields={"ror_id": IDS[slug.split("-")[0]]}
        )
    run_import(ror_dump)
    # KEK has every name and identifier its record gives: nothing to propose.
    assert not RorProposal.objects.filter(institution__slug="kek").exists()
    tohoku = proposal("tohoku-university", "tohoku")
    assert (tohoku.match, tohoku.score, tohoku.ambiguous) == ("ror_id", 100, False)


# --- deciding in the admin --------------------------------------------------------------

CHANGELIST = reverse("admin:directory_rorproposal_changelist")


@pytest.fixture
def editor(monkeypatch):
    return create_account("edgar", "editor", monkeypatch)


@pytest.fixture
def curator(monkeypatch):
    return create_account("carol", "curator", monkeypatch)


def act(client, action, *proposals):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [p.pk for p in proposals]}
    )


def changes_of(api, slug) -> list[dict]:
    results, since = [], None
    while True:
        body = api.get("/api/v1/changes/", {"limit": 500, **({"since": since} if since else {})})
        body = body.json()
        results += [change for change in body["results"] if change["slug"] == slug]
        since = body["cursor"]
        if not body["has_more"]:
            return results


def test_accepting_in_the_admin_writes_through_history_and_the_feed(
    seed_data, ror_dump, editor, api
):
    run_import(ror_dump)
    tohoku = proposal("tohoku-university", "tohoku")
    page = editor.get(reverse("admin:directory_rorproposal_change", args=[tohoku.pk]))
    text = page_text(page)
    assert "what accepting would change" in text.lower()
    assert IDS["tohoku"] in text and "Q999000001" in text and "Université du Tohoku" in text

    response = act(editor, "accept_selected", tohoku)
    assert response.status_code == HTTPStatus.FOUND

    tohoku.refresh_from_db()
    assert tohoku.status == "accepted" and tohoku.decided_by.username == "edgar"
    body = api.get("/api/v1/institutions/tohoku-university/").json()
    assert body["identifiers"] == {
        "ror": f"https://ror.org/{IDS['tohoku']}",
        "wikidata": "Q999000001",
        "isni": TOHOKU_ISNI,
        "crossref_funder_id": None,
    }
    assert "Université du Tohoku" in body["aliases"]
    assert body["name_ja"] == "東北大学"  # kept: it had one
    (cited,) = [
        citation
        for citation in body["sources"]
        if citation["locator"] == f"https://ror.org/{IDS['tohoku']}"
    ]
    # The dump it came from is a source record of its own, with its date.
    assert cited["source"]["publisher"] == "Research Organization Registry (ROR)"
    assert DUMP_NAME in cited["source"]["title"]
    assert api.get(cited["source"]["api_url"]).status_code == HTTPStatus.OK

    entry = Institution.objects.get(slug="tohoku-university").history.latest()
    reason = f"Accepted ROR proposal {tohoku.pk} ({DUMP_NAME}.json)"
    assert entry.history_change_reason == reason
    assert entry.history_user.username == "edgar"
    event = ChangeEvent.objects.filter(slug="tohoku-university").latest("id")
    assert (event.action, event.reason) == ("updated", reason)
    last = changes_of(api, "tohoku-university")[-1]
    assert last["action"] == "updated"
    assert last["data"]["identifiers"]["ror"] == f"https://ror.org/{IDS['tohoku']}"
    assert last["data"]["ror_id"] == IDS["tohoku"]
    assert api.get("/api/v1/institutions/", {"has_ror_id": "true"}).json()["count"] == 1


def test_accepting_fills_a_missing_japanese_name_and_a_funder_id(seed_data, ror_dump, editor):
    run_import(ror_dump)
    act(editor, "accept_selected", proposal("stfc", "stfc"), proposal("jst", "jst"))
    stfc = Institution.objects.get(slug="stfc")
    assert stfc.name_ja == "科学技術施設会議" and stfc.ror_id == IDS["stfc"]
    jst = Institution.objects.get(slug="jst")
    assert jst.crossref_funder_id == "10.13039/999000002"
    assert "Japan Science & Technology Agency" in jst.aliases


def test_children_then_parent(seed_data, ror_dump, editor, api):
    """JASRI is accepted first (its parent RIKEN has no ROR id yet: nothing); accepting RIKEN
    then makes it JASRI's parent, as RIKEN's ROR record lists JASRI as its child."""
    run_import(ror_dump)
    act(editor, "accept_selected", proposal("jasri", "jasri"))
    assert Institution.objects.get(slug="jasri").parent is None
    act(editor, "accept_selected", proposal("riken", "riken"))
    jasri = Institution.objects.get(slug="jasri")
    assert jasri.parent.slug == "riken"
    riken_proposal = proposal("riken", "riken")
    assert jasri.history.latest().history_change_reason == (
        f"Accepted ROR proposal {riken_proposal.pk} ({DUMP_NAME}.json)"
    )
    assert api.get("/api/v1/institutions/jasri/").json()["parent"]["slug"] == "riken"


def test_parent_then_child(seed_data, ror_dump, editor):
    run_import(ror_dump)
    act(editor, "accept_selected", proposal("riken", "riken"))
    act(editor, "accept_selected", proposal("jasri", "jasri"))
    assert Institution.objects.get(slug="jasri").parent.slug == "riken"


def test_ambiguous_proposals_rule_each_other_out(seed_data, ror_dump, editor):
    run_import(ror_dump)
    act(editor, "accept_selected", proposal("qst", "qst"))
    nirs = proposal("nirs", "qst")
    assert nirs.status == "rejected" and "accepted for qst" in nirs.decision_note
    act(editor, "accept_selected", proposal("nagoya-university", "nagoya-b"))
    other = proposal("nagoya-university", "nagoya-a")
    assert other.status == "rejected" and "accepted instead" in other.decision_note
    assert Institution.objects.get(slug="nagoya-university").ror_id == IDS["nagoya-b"]
    assert Institution.objects.get(slug="nirs").ror_id is None


def test_rejecting_from_the_proposal_page(seed_data, ror_dump, editor):
    run_import(ror_dump)
    kek = proposal("kek", "kek")
    url = reverse("admin:directory_rorproposal_decide", args=[kek.pk])
    response = editor.post(url, {"decision": "reject", "note": "Not this KEK"})
    assert response.status_code == HTTPStatus.FOUND
    kek.refresh_from_db()
    assert (kek.status, kek.decision_note) == ("rejected", "Not this KEK")
    assert Institution.objects.get(slug="kek").ror_id is None


def test_a_curator_may_review_but_not_decide(seed_data, ror_dump, curator):
    run_import(ror_dump)
    assert curator.get(CHANGELIST).status_code == HTTPStatus.OK
    action_form = curator.get(CHANGELIST).context["action_form"]
    actions = action_form.fields["action"].choices if action_form else []
    assert not {"accept_selected", "reject_selected"} & {value for value, _ in actions}
    kek = proposal("kek", "kek")
    act(curator, "accept_selected", kek)
    url = reverse("admin:directory_rorproposal_decide", args=[kek.pk])
    assert curator.post(url, {"decision": "accept"}).status_code == HTTPStatus.FORBIDDEN
    kek.refresh_from_db()
    assert kek.status == "pending"
    assert Institution.objects.get(slug="kek").ror_id is None
