"""Every CSV the app writes is safe to open in a spreadsheet (directory/csvsafe.py).

OWASP's CSV-injection rule: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with ``'``, so a spreadsheet shows it as text instead of running
it; numbers (a negative longitude) are data and stay numbers. Every CSV starts with the UTF-8
byte-order mark, so Excel shows Japanese as written. Checked over real HTTP: the public API's
``?format=csv`` and the admin's export (django-import-export), and the admin's import of its
own export (the ``'`` it added is removed again, so nothing changes).
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory import csvsafe
from directory.models import Facility
from tests.factories import AgreementFactory, FacilityFactory, InstrumentFactory, SourceFactory
from tests.test_history import form_data

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Text a curator could type that a spreadsheet would run, one per leading character, and
#: two that try to escape their cell (a quote, a separator) to start a new one with "=".
HOSTILE = {
    "hyperlink": '=HYPERLINK("http://evil","x")',
    "at": "@SUM(1+1)",
    "dde": "+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "tab": "\t=1+2",
    "cr": "\r=1+2",
    "breakout-quote": '=1+2";=HYPERLINK("http://evil")',
    "breakout-comma": "Ring,=1+2",
}
#: What OWASP's rule makes of each: a leading ' where the text begins with a trigger.
EXPECTED = {
    key: ("'" + text if text.startswith(TRIGGERS) else text) for key, text in HOSTILE.items()
}
SOURCE_URL = "https://example.org/evil"
API_URL = "/api/v1/facilities/"
EXPORT_URL = reverse("admin:directory_facility_export")
IMPORT_URL = reverse("admin:directory_facility_import")
PROCESS_URL = reverse("admin:directory_facility_process_import")
CHANGELIST = reverse("admin:directory_facility_changelist")
#: Columns whose cells are numbers (they may begin with "-").
NUMERIC = {"latitude", "longitude", "distance_km", "energy_gev", "circumference_m"}


@pytest.fixture
def hostile(db):
    """One published facility per hostile text, in its name, description, alias and the
    title of the source it cites."""
    for key, text in HOSTILE.items():
        SourceFactory(slug=f"evil-source-{key}", name=text, publisher="", url=SOURCE_URL)
        FacilityFactory(
            slug=f"evil-{key}",
            name=text,
            description=text,
            aliases=[text, "second alias"],
            sources=[{"source": f"evil-source-{key}", "locator": "p. 1"}],
        )


@pytest.fixture
def southern(db):
    """A facility at negative coordinates, named in Japanese, with a name that is text that
    looks like a number, and a description with a line break as a browser sends it (CRLF)."""
    return FacilityFactory(
        slug="southern",
        name="-33.87",
        name_ja="南天放射光施設「オーストラル」",
        description="First line.\r\nSecond line.",
        latitude=-33.87,
        longitude=-87.98,
        energy_gev=Decimal("3.000"),
    )


# --- helpers ---------------------------------------------------------------------------------


def rows_of(body: bytes) -> list[dict]:
    """A CSV body's rows, after checking it starts with the BOM."""
    assert body.startswith(BOM), body[:20]
    return list(csv.DictReader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff"))))


def by_slug(rows: list[dict]) -> dict[str, dict]:
    return {row["slug"]: row for row in rows}


def unsafe_cells(rows: list[dict]) -> list[tuple[str, str, str]]:
    """Cells a spreadsheet would run as a formula: text beginning with a trigger. A numeric
    column's number (a negative coordinate) is data, not a formula."""
    found = []
    for row in rows:
        for column, value in row.items():
            if not value.startswith(TRIGGERS):
                continue
            if column in NUMERIC and _is_number(value):
                continue
            found.append((row.get("slug", "?"), column, value))
    return found


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def api_csv(api, **params) -> bytes:
    response = api.get(API_URL, {"format": "csv", **params})
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"].startswith("text/csv")
    return response.content


def admin_export(client, title: str, url: str = EXPORT_URL) -> bytes:
    """The admin's export form, posted as a browser would, in the format titled ``title``."""
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    data = form_data(page)
    choices = page.context["form"].fields["format"].choices
    data["format"] = [next(value for value, label in choices if label == title)]
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"].startswith("attachment;")
    return response.content


def admin_import_preview(client, content: bytes):
    """Step 1 of the admin import: upload a CSV file; the page previews each row."""
    form = client.get(IMPORT_URL).context["form"]
    index = next(value for value, label in form.fields["format"].choices if label == "csv")
    upload = SimpleUploadedFile("facilities.csv", content, "text/csv")
    response = client.post(IMPORT_URL, {"format": index, "import_file": upload})
    assert response.status_code == HTTPStatus.OK
    assert "confirm_form" in response.context, response.context["result"].invalid_rows
    return response


def stored(slug: str) -> dict:
    facility = Facility.objects.get(slug=slug)
    return {
        "name": facility.name,
        "name_ja": facility.name_ja,
        "description": facility.description,
        "aliases": facility.aliases,
        "sources": facility.sources,
    }


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [*HOSTILE.values(), "'=quoted", "''-x", "plain", "", "'"])
def test_restore_undoes_neutralise(text):
    assert csvsafe.restore(csvsafe.neutralise(text)) == text


@pytest.mark.parametrize("number", [-87.98, -3, Decimal("-1.5"), 0, None, True])
def test_only_text_is_neutralised(number):
    assert csvsafe.neutralise(number) is number


def test_text_that_looks_like_a_number_is_text():
    assert csvsafe.neutralise("-87.98") == "'-87.98"


# --- the public API's ?format=csv ---------------------------------------------------------


def test_api_csv_neutralises_every_hostile_cell(api, hostile):
    rows = rows_of(api_csv(api))

    facilities = by_slug(rows)
    for key, text in HOSTILE.items():
        row = facilities[f"evil-{key}"]
        expected = EXPECTED[key]
        assert row["name"] == expected, key
        assert row["display_name"] == expected, key
        assert row["description"] == expected, key
        assert row["aliases"] == f"{expected}; second alias", key
        assert row["sources"] == f"{expected}, p. 1 <{SOURCE_URL}>", key
    assert unsafe_cells(rows) == []


def test_api_csv_detail_is_neutralised_too(api, hostile):
    response = api.get(f"{API_URL}evil-hyperlink/", {"format": "csv"})

    (row,) = rows_of(response.content)
    assert row["name"] == EXPECTED["hyperlink"]


def test_api_csv_starts_with_the_bom_and_keeps_japanese(api, southern):
    body = api_csv(api)

    assert body[:3] == BOM
    (row,) = rows_of(body)
    assert row["name_ja"] == "南天放射光施設「オーストラル」"


def test_api_csv_keeps_negative_coordinates_as_numbers(api, southern):
    body = api_csv(api)

    (row,) = rows_of(body)
    assert (row["latitude"], row["longitude"]) == ("-33.87", "-87.98")
    assert row["energy_gev"] == "3.000"
    # The name is text that looks like a number: text, so neutralised.
    assert row["name"] == "'-33.87"
    # Written bare, not quoted, so a spreadsheet reads a number.
    assert b",-33.87,-87.98," in body


# --- the admin's export ---------------------------------------------------------------------


def test_admin_export_neutralises_every_hostile_cell(admin_client, hostile):
    rows = rows_of(admin_export(admin_client, "csv"))

    facilities = by_slug(rows)
    for key, text in HOSTILE.items():
        row = facilities[f"evil-{key}"]
        assert row["name"] == EXPECTED[key], key
        assert row["description"] == EXPECTED[key], key
        # Aliases and sources are JSON text ("[…"): no formula, the values intact inside.
        assert json.loads(row["aliases"]) == [text, "second alias"], key
        assert json.loads(row["sources"]) == [
            {"source": f"evil-source-{key}", "locator": "p. 1"}
        ], key
    assert unsafe_cells(rows) == []


def test_admin_export_starts_with_the_bom_and_keeps_japanese(admin_client, southern):
    body = admin_export(admin_client, "csv")

    assert body[:3] == BOM
    (row,) = rows_of(body)
    assert row["name_ja"] == "南天放射光施設「オーストラル」"


def test_admin_export_keeps_negative_coordinates_as_numbers(admin_client, southern):
    body = admin_export(admin_client, "csv")

    (row,) = rows_of(body)
    assert (row["latitude"], row["longitude"]) == ("-33.87", "-87.98")
    assert row["energy_gev"] == "3.000"
    assert row["name"] == "'-33.87"
    assert b",-33.87,-87.98," in body


def test_admin_json_export_is_not_touched_by_the_csv_rule(admin_client, hostile, southern):
    """JSON is not a spreadsheet: its text is exported as stored, its numbers as numbers."""
    (exported,) = (
        row
        for row in json.loads(admin_export(admin_client, "json"))
        if row["slug"] == "evil-hyperlink"
    )
    assert exported["name"] == HOSTILE["hyperlink"]
    (south,) = (
        row for row in json.loads(admin_export(admin_client, "json")) if row["slug"] == "southern"
    )
    assert (south["latitude"], south["longitude"]) == (-33.87, -87.98)
    assert south["energy_gev"] == "3.000"


def test_admin_export_of_a_model_without_its_own_resource(admin_client, southern):
    """Instruments export through import-export's default resource: the same rule, the BOM."""
    InstrumentFactory(facility=southern, name="=1+2", slug="bl-evil")

    body = admin_export(admin_client, "csv", reverse("admin:directory_instrument_export"))

    assert body[:3] == BOM
    (row,) = rows_of(body)
    assert row["name"] == "'=1+2"
    assert unsafe_cells([row]) == []


def test_admin_export_of_default_resources_keeps_numbers_as_numbers(admin_client):
    """Agreements too use import-export's default resource, with numbers kept as numbers."""
    AgreementFactory(slug="mou", name="-mou", renewal_period_years=5)
    url = reverse("admin:directory_agreement_export")

    (row,) = rows_of(admin_export(admin_client, "csv", url))
    (exported,) = json.loads(admin_export(admin_client, "json", url))

    assert (row["name"], row["renewal_period_years"]) == ("'-mou", "5")
    assert exported["renewal_period_years"] == 5


# --- the admin's import of its own export -------------------------------------------------


def test_admin_export_imports_back_unchanged(admin_client, hostile, southern):
    """The quote the export added is removed on import: every row unchanged, nothing written."""
    before = {slug: stored(slug) for slug in Facility.objects.values_list("slug", flat=True)}
    body = admin_export(admin_client, "csv")

    page = admin_import_preview(admin_client, body)

    result = page.context["result"]
    assert {row.import_type for row in result.valid_rows()} == {"skip"}
    response = admin_client.post(PROCESS_URL, form_data(page))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == CHANGELIST
    after = {slug: stored(slug) for slug in Facility.objects.values_list("slug", flat=True)}
    assert after == before
    assert after["evil-hyperlink"]["name"] == HOSTILE["hyperlink"]
    assert after["southern"]["name"] == "-33.87"
    assert after["southern"]["name_ja"] == "南天放射光施設「オーストラル」"
    assert after["southern"]["description"] == "First line.\r\nSecond line."


def test_a_value_that_begins_with_a_quote_survives_the_round_trip(admin_client):
    """``'=x`` is exported as ``''=x`` and imported back as ``'=x``: no value changes."""
    FacilityFactory(slug="quoted", name="'=already quoted", description="'plain quote")
    body = admin_export(admin_client, "csv")
    (row,) = rows_of(body)
    assert row["name"] == "''=already quoted"
    assert row["description"] == "'plain quote"

    page = admin_import_preview(admin_client, body)

    assert [row.import_type for row in page.context["result"].valid_rows()] == ["skip"]
