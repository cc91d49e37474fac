"""CSV/JSON import through the admin (dry-run preview, confirm) and export of a filtered list.

The flow is django-import-export 4.4.3's: POST the file and its format to ``import/``; the
page previews every row (or lists each bad row's errors, with no confirm form); the confirm
form's hidden fields are POSTed to ``process_import/``. Rows are keyed by slug; related
records are written by slug, role links as ``institution-slug:role; …``. One bad row and
nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory.models import Facility, FacilityRole
from tests.factories import (
    FacilityFactory,
    InstitutionFactory,
    TechniqueFactory,
    cited_source,
    country,
    update,
)
from tests.test_history import form_data, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cited_source(db):
    """The source record the rows' citations name."""
    cited_source()


IMPORT_URL = reverse("admin:directory_facility_import")
PROCESS_URL = reverse("admin:directory_facility_process_import")
CHANGELIST = reverse("admin:directory_facility_changelist")
SOURCES = '[{"source": "test-source", "locator": "p. 1"}]'
COLUMNS = [
    "slug",
    "name",
    "kind",
    "status",
    "country",
    "city",
    "latitude",
    "longitude",
    "techniques",
    "institutions",
    "sources",
]


@pytest.fixture(autouse=True)
def related_records(db):
    """Institutions and techniques the files refer to by slug."""
    InstitutionFactory(slug="qst", name="QST")
    InstitutionFactory(slug="tohoku-university", name="Tohoku University")
    InstitutionFactory(slug="kek", name="KEK")
    TechniqueFactory(slug="xas", name="X-ray absorption spectroscopy")
    TechniqueFactory(slug="saxs", name="Small-angle X-ray scattering")


def row(slug: str, **values) -> dict[str, str]:
    base = {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "kind": "synchrotron",
        "status": "operational",
        "country": "JP",
        "city": "Sendai",
        "latitude": "38.25",
        "longitude": "140.85",
        "techniques": "xas",
        "institutions": "qst:operator",
        "sources": SOURCES,
    }
    return {**base, **values}


VALID_ROWS = [
    row(
        "nanoterasu",
        name="NanoTerasu",
        techniques="xas; saxs",
        institutions="qst:operator; tohoku-university:host",
    ),
    row("photon-factory", name="Photon Factory", city="Tsukuba", institutions="kek:operator"),
    row("uvsor", name="UVSOR", city="Okazaki", latitude="", longitude="", institutions=""),
]


def as_csv(rows, columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def as_json(rows) -> bytes:
    return json.dumps(rows).encode()


def format_index(client, title: str) -> str:
    """The value of the import or export form's format choice titled ``title``."""
    form = client.get(IMPORT_URL).context["form"]
    return next(value for value, label in form.fields["format"].choices if label == title)


def preview(client, content: bytes, title: str = "csv"):
    """Step 1: upload the file; the page shows a dry run (nothing is written)."""
    suffix = "json" if title == "json" else "csv"
    upload = SimpleUploadedFile(f"facilities.{suffix}", content, f"text/{suffix}")
    response = client.post(
        IMPORT_URL, {"format": format_index(client, title), "import_file": upload}
    )
    assert response.status_code == HTTPStatus.OK
    return response


def confirm(client, preview_response):
    """Step 2: post the preview page's confirm form."""
    result = preview_response.context["result"]
    assert "confirm_form" in preview_response.context, problems(result)
    return client.post(PROCESS_URL, form_data(preview_response))


def import_file(client, content: bytes, title: str = "csv"):
    response = confirm(client, preview(client, content, title))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == CHANGELIST
    return response


def finished_message(client) -> str:
    return page_text(client.get(CHANGELIST))


def snapshot() -> tuple:
    """Everything an import could write."""
    return (
        Facility.objects.count(),
        FacilityRole.objects.count(),
        Facility.techniques.through.objects.count(),
        Facility.history.count(),
    )


def links(slug: str) -> set[tuple[str, str]]:
    return set(
        FacilityRole.objects.filter(facility__slug=slug).values_list("institution__slug", "role")
    )


# --- errors in the preview ----------------------------------------------------------------


BAD_ROWS = {
    # problem: (changed cells, column blamed, message shown)
    "latitude out of range": (
        {"latitude": "95"},
        "latitude",
        "Latitude must be between -90 and 90 degrees.",
    ),
    "unknown country": ({"country": "XX"}, "country", "unknown country code: XX"),
    "unknown technique": (
        {"techniques": "xas; levitation"},
        "techniques",
        "unknown technique slug(s): levitation",
    ),
    "unknown institution": (
        {"institutions": "nowhere:operator"},
        "institutions",
        "unknown institution slug(s): nowhere",
    ),
    "unknown role": (
        {"institutions": "qst:landlord"},
        "institutions",
        "'qst:landlord': role must be one of operator",
    ),
    "missing kind": ({"kind": ""}, "kind", "This field cannot be blank."),
    "missing name": ({"name": ""}, "name", "This field cannot be blank."),
    "unknown kind": ({"kind": "teleporter"}, "kind", "Value 'teleporter' is not a valid choice."),
    "malformed sources": ({"sources": "[{"}, "sources", "Expecting property name"),
}


def problems(result) -> list:
    """The rows an import refused, with their errors, in a readable form."""
    return [
        *(
            (r.number, r.field_specific_errors, r.non_field_specific_errors)
            for r in result.invalid_rows
        ),
        *((number, [str(e.error) for e in errors]) for number, errors in result.row_errors()),
    ]


@pytest.mark.parametrize("title", ["csv", "json"])
@pytest.mark.parametrize("problem", list(BAD_ROWS))
def test_preview_lists_a_bad_rows_error_in_words_and_writes_nothing(admin_client, title, problem):
    changes, column, message = BAD_ROWS[problem]
    rows = [*VALID_ROWS[:2], {**row("bad-source"), **changes}, VALID_ROWS[2]]
    before = snapshot()
    content = as_csv(rows) if title == "csv" else as_json(rows)

    response = preview(admin_client, content, title)

    result = response.context["result"]
    assert "confirm_form" not in response.context
    assert message in page_text(response)
    if result.has_validation_errors():
        (invalid,) = result.invalid_rows
        assert invalid.number == 3
        assert any(message in error for error in invalid.field_specific_errors[column])
    else:  # a related-record error found while saving: listed by line number
        ((line, errors),) = result.row_errors()
        assert line == 3
        assert message in str(errors[0].error)
    assert snapshot() == before


def test_error_in_row_50_of_60_is_reported_and_nothing_is_written(admin_client):
    rows = [row(f"source-{n:02d}", name=f"Source {n:02d}") for n in range(1, 61)]
    rows[49]["latitude"] = "95"
    before = snapshot()

    response = preview(admin_client, as_csv(rows))

    result = response.context["result"]
    assert [invalid.number for invalid in result.invalid_rows] == [50]
    assert "Latitude must be between -90 and 90 degrees." in page_text(response)
    assert "confirm_form" not in response.context
    assert snapshot() == before


def test_confirmed_import_writes_nothing_when_a_row_has_become_invalid(admin_client):
    """One transaction at the confirm step too: a row that fails then stops the whole file.

    Between preview and confirm another curator renames the institution row 50 refers to.
    """
    late = InstitutionFactory(slug="late-institute")
    rows = [row(f"source-{n:02d}", name=f"Source {n:02d}") for n in range(1, 61)]
    rows[49]["institutions"] = "late-institute:operator"
    page = preview(admin_client, as_csv(rows))
    assert "confirm_form" in page.context
    update(late, slug="renamed-institute")
    before = snapshot()

    admin_client.post(PROCESS_URL, form_data(page))

    assert snapshot() == before
    assert not Facility.objects.filter(slug__startswith="source-").exists()


# --- a valid file: preview, confirm, re-import ---------------------------------------------


@pytest.mark.parametrize("title", ["csv", "json"])
def test_valid_file_is_previewed_then_written_on_confirm(admin_client, admin_user, title):
    content = as_csv(VALID_ROWS) if title == "csv" else as_json(VALID_ROWS)
    before = snapshot()

    page = preview(admin_client, content, title)

    result = page.context["result"]
    assert not problems(result)
    assert [r.import_type for r in result.valid_rows()] == ["new", "new", "new"]
    text = page_text(page)
    assert "Preview" in text
    assert "NanoTerasu" in text
    assert snapshot() == before  # the dry run wrote nothing

    response = confirm(admin_client, page)

    assert response.status_code == HTTPStatus.FOUND
    assert "Import finished: 3 new, 0 updated, 0 deleted and 0 skipped facilities." in (
        finished_message(admin_client)
    )
    nanoterasu = Facility.objects.get(slug="nanoterasu")
    assert nanoterasu.name == "NanoTerasu"
    assert nanoterasu.country_id == "JP"
    assert (nanoterasu.latitude, nanoterasu.longitude) == (38.25, 140.85)
    assert nanoterasu.sources == json.loads(SOURCES)
    assert nanoterasu.is_published is False
    assert set(nanoterasu.techniques.values_list("slug", flat=True)) == {"xas", "saxs"}
    assert nanoterasu.search_key  # derived on save, as in the admin
    assert Facility.objects.get(slug="uvsor").latitude is None
    assert nanoterasu.history.first().history_user == admin_user


def test_role_links_column_creates_facility_roles(admin_client):
    import_file(admin_client, as_csv(VALID_ROWS))

    assert links("nanoterasu") == {("qst", "operator"), ("tohoku-university", "host")}
    assert links("photon-factory") == {("kek", "operator")}
    assert links("uvsor") == set()


def test_importing_the_same_file_twice_creates_no_duplicates(admin_client):
    content = as_csv(VALID_ROWS)
    import_file(admin_client, content)
    after_first = snapshot()

    page = preview(admin_client, content)
    assert [r.import_type for r in page.context["result"].valid_rows()] == ["skip"] * 3
    confirm(admin_client, page)

    assert snapshot() == after_first  # no new records, links or history versions
    assert "0 new, 0 updated, 0 deleted and 3 skipped" in finished_message(admin_client)


def test_reimport_updates_changed_values_by_slug(admin_client):
    import_file(admin_client, as_csv(VALID_ROWS))
    changed = [
        {**VALID_ROWS[0], "city": "Aoba, Sendai", "techniques": "saxs"},
        VALID_ROWS[1],
        VALID_ROWS[2],
    ]

    import_file(admin_client, as_csv(changed))

    assert Facility.objects.filter(slug="nanoterasu").count() == 1
    nanoterasu = Facility.objects.get(slug="nanoterasu")
    assert nanoterasu.city == "Aoba, Sendai"
    assert list(nanoterasu.techniques.values_list("slug", flat=True)) == ["saxs"]
    assert "0 new, 1 updated, 0 deleted and 2 skipped" in finished_message(admin_client)


def test_reimport_with_only_role_links_changed_updates_the_links(admin_client):
    import_file(admin_client, as_csv(VALID_ROWS))
    changed = [{**VALID_ROWS[0], "institutions": "qst:operator"}, *VALID_ROWS[1:]]

    page = preview(admin_client, as_csv(changed))
    assert page.context["result"].valid_rows()[0].import_type == "update"
    confirm(admin_client, page)

    assert links("nanoterasu") == {("qst", "operator")}


def test_reimport_updates_an_existing_record_made_in_the_admin(admin_client):
    existing = FacilityFactory(slug="nanoterasu", name="Old name", city="Somewhere")

    import_file(admin_client, as_csv(VALID_ROWS[:1]))

    existing.refresh_from_db()
    assert (existing.name, existing.city) == ("NanoTerasu", "Sendai")
    assert Facility.objects.filter(slug="nanoterasu").count() == 1


def test_file_without_an_institutions_column_leaves_role_links_alone(admin_client):
    import_file(admin_client, as_csv(VALID_ROWS))
    columns = [column for column in COLUMNS if column != "institutions"]
    changed = [{**VALID_ROWS[0], "city": "Aoba, Sendai"}]

    import_file(admin_client, as_csv(changed, columns=columns))

    assert Facility.objects.get(slug="nanoterasu").city == "Aoba, Sendai"
    assert links("nanoterasu") == {("qst", "operator"), ("tohoku-university", "host")}


def test_json_file_with_native_lists_for_sources_and_aliases_imports(admin_client):
    rows = [
        {
            **row("nanoterasu", name="NanoTerasu"),
            "sources": [{"source": "test-source", "locator": "p. 2", "passage": "QST"}],
            "aliases": ["ナノテラス"],
        }
    ]

    import_file(admin_client, as_json(rows), "json")

    nanoterasu = Facility.objects.get(slug="nanoterasu")
    assert nanoterasu.sources == [{"source": "test-source", "locator": "p. 2", "passage": "QST"}]
    assert nanoterasu.aliases == ["ナノテラス"]


# --- export of the filtered list -----------------------------------------------------------


@pytest.fixture
def mixed_countries():
    for slug in ("nanoterasu", "spring-8", "photon-factory"):
        FacilityFactory(slug=slug, name=slug.title(), country=country("JP"))
    for slug in ("diamond", "isis"):
        FacilityFactory(slug=slug, name=slug.title(), country=country("GB"))


def export_link(client, changelist_query: str) -> str:
    """The changelist's own Export link, which carries its filters."""
    page = client.get(CHANGELIST + changelist_query)
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    start = html.index('class="export_link"')
    href = html.rfind('href="', 0, start)
    return html[href + len('href="') : html.index('"', href + len('href="'))].replace("&amp;", "&")


def export(client, url: str, title: str):
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    form = page.context["form"]
    data = form_data(page)
    data["format"] = [next(v for v, label in form.fields["format"].choices if label == title)]
    response = client.post(url, data)  # the form posts back to its own URL, filters included
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"].startswith("attachment;")
    return response


def exported_slugs(response, title: str) -> list[str]:
    body = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body))) if title == "csv" else json.loads(body)
    return sorted(r["slug"] for r in rows)


def japan_filter_query(client) -> str:
    """The query string of the changelist's country filter link for Japan."""
    changelist = client.get(CHANGELIST).context["cl"]
    (spec,) = (spec for spec in changelist.filter_specs if spec.title == "country")
    (japan,) = (choice for choice in spec.choices(changelist) if choice["display"] == "Japan (JP)")
    return japan["query_string"]


@pytest.mark.parametrize("title", ["csv", "json"])
def test_export_of_a_country_filtered_list_holds_only_those_records(
    admin_client, mixed_countries, title
):
    query = japan_filter_query(admin_client)
    assert "country__code__exact=JP" in query
    url = export_link(admin_client, query)
    assert url.startswith(reverse("admin:directory_facility_export"))
    assert "country__code__exact=JP" in url

    response = export(admin_client, url, title)

    assert exported_slugs(response, title) == ["nanoterasu", "photon-factory", "spring-8"]


@pytest.mark.parametrize("title", ["csv", "json"])
def test_export_of_a_searched_list_holds_only_the_matches(admin_client, mixed_countries, title):
    url = export_link(admin_client, "?q=spring8")

    response = export(admin_client, url, title)

    assert exported_slugs(response, title) == ["spring-8"]


def test_export_of_the_unfiltered_list_holds_every_record(admin_client, mixed_countries):
    response = export(admin_client, reverse("admin:directory_facility_export"), "csv")

    assert exported_slugs(response, "csv") == [
        "diamond",
        "isis",
        "nanoterasu",
        "photon-factory",
        "spring-8",
    ]


@pytest.mark.parametrize("title", ["csv", "json"])
def test_exported_file_imports_back_unchanged(admin_client, title):
    import_file(admin_client, as_csv(VALID_ROWS))
    before = snapshot()
    exported = export(admin_client, reverse("admin:directory_facility_export"), title)

    page = preview(admin_client, exported.content, title)

    result = page.context["result"]
    assert not problems(result)
    assert [r.import_type for r in result.valid_rows()] == ["skip"] * 3
    confirm(admin_client, page)
    assert snapshot() == before
    assert links("nanoterasu") == {("qst", "operator"), ("tohoku-university", "host")}


def test_export_writes_role_links_and_related_slugs(admin_client):
    import_file(admin_client, as_csv(VALID_ROWS[:1]))

    response = export(admin_client, reverse("admin:directory_facility_export"), "csv")

    (exported,) = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    assert sorted(exported["techniques"].split("; ")) == ["saxs", "xas"]
    assert sorted(exported["institutions"].split("; ")) == [
        "qst:operator",
        "tohoku-university:host",
    ]
    assert json.loads(exported["sources"]) == json.loads(SOURCES)
