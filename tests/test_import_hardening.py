"""The admin import refuses bad input in words, never with a 500 (directory/admin_import.py).

Driven through the admin like tests/test_import_admin.py: upload to ``import/`` (the preview),
post the confirm form to ``process_import/``. Uploads wait in a private directory under the
temporary directory, here a fresh one per test (``tempfile.tempdir``), so each test can check
that nothing is left behind and that no other file is read or deleted.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from directory import admin_import
from directory.models import Facility
from tests.test_history import form_data, page_text
from tests.test_import_admin import (
    CHANGELIST,
    IMPORT_URL,
    PROCESS_URL,
    VALID_ROWS,
    as_csv,
    as_json,
    format_index,
    preview,
    related_records,  # noqa: F401 (the institutions and techniques the rows refer to)
    row,
    snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def temporary_directory(tmp_path, monkeypatch) -> Path:
    """A temporary directory of this test's own (tempfile.gettempdir() answers it)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def stored_uploads(temporary_directory) -> list[str]:
    directory = temporary_directory / admin_import.STORAGE_DIRECTORY
    return sorted(os.listdir(directory)) if directory.exists() else []


def upload(client, content: bytes, title: str):
    """Step 1 without assertions: the page answered to an upload."""
    suffix = "json" if title == "json" else "csv"
    file = SimpleUploadedFile(f"facilities.{suffix}", content, f"text/{suffix}")
    return client.post(IMPORT_URL, {"format": format_index(client, title), "import_file": file})


def file_errors(response) -> list[str]:
    assert response.status_code == HTTPStatus.OK
    assert "confirm_form" not in response.context
    return list(response.context["form"].errors.get("import_file", []))


def messages_on(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def refused(client, data) -> str:
    """Post a confirmation that must be refused: back on the import page, saying why."""
    response = client.post(PROCESS_URL, data, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain == [(IMPORT_URL, HTTPStatus.FOUND)]
    (message,) = [m for m in messages_on(response) if m.startswith("Nothing was imported: ")]
    return message


# --- a. confirming twice ----------------------------------------------------------------------


def test_confirming_a_preview_twice_imports_once_and_says_so(admin_client, temporary_directory):
    page = preview(admin_client, as_csv(VALID_ROWS))
    data = form_data(page)
    first = admin_client.post(PROCESS_URL, data)
    assert first.status_code == HTTPStatus.FOUND
    assert first["Location"] == CHANGELIST
    after_first = snapshot()

    message = refused(admin_client, data)  # the double click

    assert "already been confirmed" in message
    assert snapshot() == after_first
    assert stored_uploads(temporary_directory) == []


def test_a_stale_preview_is_refused(admin_client, monkeypatch):
    """A preview more than a day old cannot be confirmed (its signature says when it was made)."""
    real_timestamp = signing.TimestampSigner.timestamp
    two_days = 2 * 24 * 3600
    monkeypatch.setattr(
        signing.TimestampSigner,
        "timestamp",
        lambda self: signing.b62_encode(int(time.time()) - two_days),
    )
    page = preview(admin_client, as_csv(VALID_ROWS))
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", real_timestamp)
    before = snapshot()

    message = refused(admin_client, form_data(page))

    assert "more than a day old" in message
    assert snapshot() == before


# --- b. forged confirmations ----------------------------------------------------------------


@pytest.fixture
def victim(temporary_directory) -> Path:
    """Some other file in the temporary directory, holding valid import rows."""
    path = temporary_directory / "tmpvictim"
    path.write_bytes(as_csv([row("victim-row", name="Victim row")]))
    return path


def forged_names(victim: Path, temporary_directory: Path) -> dict[str, str]:
    return {
        "absolute path": str(victim),
        "bare name": victim.name,
        "parent directory": f"../{victim.name}",
        "traversal": "../../../../etc/hostname",
        "storage-shaped name": "0" * 32,
        "empty": "",
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "absolute path",
        "bare name",
        "parent directory",
        "traversal",
        "storage-shaped name",
        "empty",
        "missing",
    ],
)
def test_a_forged_file_name_is_refused_and_no_file_is_touched(
    admin_client, victim, temporary_directory, forgery
):
    page = preview(admin_client, as_csv(VALID_ROWS))
    data = form_data(page)
    if forgery == "missing":
        del data["import_file_name"]
    else:
        data["import_file_name"] = [forged_names(victim, temporary_directory)[forgery]]
    stored = stored_uploads(temporary_directory)
    before = snapshot()

    message = refused(admin_client, data)

    assert "does not match a preview of this site" in message
    assert victim.exists()
    assert victim.read_bytes() == as_csv([row("victim-row", name="Victim row")])
    assert stored_uploads(temporary_directory) == stored  # the real upload is still there
    assert snapshot() == before
    assert not Facility.objects.filter(slug="victim-row").exists()


def test_even_a_signed_name_never_opens_a_file_outside_the_uploads(
    admin_client, admin_user, victim, temporary_directory
):
    """The second lock: the storage opens its own 32-hex-digit names only."""
    page = preview(admin_client, as_csv(VALID_ROWS))
    data = form_data(page)
    values = {
        "import_file_name": str(victim),
        "original_file_name": "facilities.csv",
        "format": data["format"][0],
        "resource": "",
    }
    owner = f"{admin_user.pk}:directory.facility"
    data["import_file_name"] = [admin_import.SignedConfirmImportForm.sign(values, owner)]

    message = refused(admin_client, data)

    assert "does not match a preview of this site" in message
    assert victim.exists()
    assert not Facility.objects.filter(slug="victim-row").exists()


def test_another_users_preview_cannot_be_confirmed(admin_client, client, django_user_model):
    page = preview(admin_client, as_csv(VALID_ROWS))
    other = django_user_model.objects.create_superuser("other", "other@example.org", "x")
    client.force_login(other)
    before = snapshot()

    message = refused(client, form_data(page))

    assert "does not match a preview of this site" in message
    assert snapshot() == before


def test_edited_hidden_fields_are_ignored_for_the_signed_ones(admin_client):
    """The format, resource and file name posted beside the signed name change nothing."""
    page = preview(admin_client, as_csv(VALID_ROWS))
    data = form_data(page)
    data.update(format=["99"], resource=["x"], original_file_name=["../../other.csv"])

    response = admin_client.post(PROCESS_URL, data)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == CHANGELIST
    assert Facility.objects.filter(slug="nanoterasu").exists()


# --- c. size limits -------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["csv", "json"])
def test_a_file_with_more_rows_than_allowed_is_refused_naming_the_limit(
    admin_client, settings, temporary_directory, title
):
    settings.ADMIN_IMPORT_MAX_ROWS = 2
    content = as_csv(VALID_ROWS) if title == "csv" else as_json(VALID_ROWS)
    before = snapshot()

    (error,) = file_errors(upload(admin_client, content, title))

    assert "This file has 3 rows; the admin imports at most 2 at a time" in error
    assert "manage.py import_directory" in error
    assert snapshot() == before
    assert stored_uploads(temporary_directory) == []


def test_a_file_with_as_many_rows_as_allowed_is_previewed(admin_client, settings):
    settings.ADMIN_IMPORT_MAX_ROWS = 3

    page = preview(admin_client, as_csv(VALID_ROWS))

    assert "confirm_form" in page.context


def test_a_file_larger_than_allowed_is_refused_before_it_is_read(
    admin_client, settings, temporary_directory
):
    settings.ADMIN_IMPORT_MAX_ROWS = 1  # 20 kB
    content = as_csv([row("long", city="x" * 25_000)])

    (error,) = file_errors(upload(admin_client, content, "csv"))

    assert "This file is 25 kB; the admin imports files of at most 20 kB (1 rows)" in error
    assert "manage.py import_directory" in error
    assert stored_uploads(temporary_directory) == []


def test_the_import_form_states_the_limit(admin_client):
    text = page_text(admin_client.get(IMPORT_URL))

    assert "At most 100 rows (2.0 MB) per file." in text
    assert "manage.py import_directory" in text


# --- d. files that cannot be read ------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
UNREADABLE = {
    # name: (format, content, words the form shows)
    "not JSON": (
        "json",
        b"slug,name\nx,y\n",
        "not valid JSON: expecting a value at line 1, column 1",
    ),
    "truncated JSON": ("json", b'[{"slug": "x"', "not valid JSON: expecting ',' delimiter"),
    "nested 100,000 deep": ("json", DEEP, "nested at most 64 levels deep"),
    "nested too deep in a cell": (
        "json",
        b'[{"slug": "x", "sources": ' + b"[" * 70 + b"]" * 70 + b"}]",
        "nested at most 64 levels deep",
    ),
    "an object, not rows": ("json", b'{"slug": "x"}', "holds a list of rows"),
    "a row that is a list": ("json", b"[[1, 2]]", "Row 1 is a list"),
    "rows with other fields": (
        "json",
        b'[{"slug": "a", "name": "A"}, {"slug": "b"}]',
        "Row 2 does not have the fields of row 1 (missing: name",
    ),
    "NUL in a JSON cell": (
        "json",
        b'[{"slug": "a\\u0000b"}]',
        "Row 1, column slug, contains a NUL",
    ),
    "NUL in a JSON list": (
        "json",
        b'[{"slug": "a", "aliases": ["x\\u0000"]}]',
        "Row 1, column aliases, contains a NUL",
    ),
    "NUL in a CSV cell": ("csv", b"slug,name\na,x\x00y\n", "Row 1, column name, contains a NUL"),
    "not UTF-8": ("csv", b"slug,name\na,\xff\xfe\n", "not UTF-8 text"),
    "more cells than columns": ("csv", b"slug,name\na,b,c\n", "more cells than the header row"),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_a_file_that_cannot_be_read_is_refused_in_words(admin_client, temporary_directory, case):
    title, content, words = UNREADABLE[case]
    before = snapshot()

    errors = file_errors(upload(admin_client, content, title))

    assert len(errors) == 1
    assert words in errors[0]
    assert "encountered while trying to read file" not in errors[0]  # import-export's wording
    assert "(char " not in errors[0]  # json's
    assert snapshot() == before
    assert stored_uploads(temporary_directory) == []


def test_json_rows_listing_their_fields_in_any_order_import_into_the_right_columns(admin_client):
    first = row("nanoterasu", name="NanoTerasu", city="Sendai")
    second = dict(reversed(list(row("uvsor", name="UVSOR", city="Okazaki").items())))

    page = preview(admin_client, json.dumps([first, second]).encode(), "json")
    admin_client.post(PROCESS_URL, form_data(page))

    assert Facility.objects.get(slug="uvsor").name == "UVSOR"
    assert Facility.objects.get(slug="uvsor").city == "Okazaki"
    assert Facility.objects.get(slug="nanoterasu").name == "NanoTerasu"


# --- the stored uploads ------------------------------------------------------------------------


def test_an_upload_waits_in_a_private_directory_until_confirmed(admin_client, temporary_directory):
    page = preview(admin_client, as_csv(VALID_ROWS))
    directory = temporary_directory / admin_import.STORAGE_DIRECTORY
    (name,) = stored_uploads(temporary_directory)
    assert len(name) == 32
    assert directory.stat().st_mode & 0o777 == 0o700
    assert (directory / name).stat().st_mode & 0o777 == 0o600

    admin_client.post(PROCESS_URL, form_data(page))

    assert stored_uploads(temporary_directory) == []


def test_an_upload_with_bad_rows_is_not_kept(admin_client, temporary_directory):
    page = preview(admin_client, as_csv([row("bad", latitude="95")]))

    assert "confirm_form" not in page.context
    assert stored_uploads(temporary_directory) == []


def test_uploads_left_unconfirmed_for_a_day_go_with_the_next_upload(
    admin_client, temporary_directory
):
    preview(admin_client, as_csv(VALID_ROWS[:1]))
    (old,) = stored_uploads(temporary_directory)
    path = temporary_directory / admin_import.STORAGE_DIRECTORY / old
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(path, (two_days_ago, two_days_ago))

    preview(admin_client, as_csv(VALID_ROWS[1:]))

    remaining = stored_uploads(temporary_directory)
    assert old not in remaining
    assert len(remaining) == 1
