"""The admin's CSV/JSON import (django-import-export), hardened against bad input.

The flow stays import-export's: POST a file to ``import/``, which stores it and shows a dry-run
preview with a confirm form; the confirm form posts the stored file's name back to
``process_import/``, which imports it in one transaction. :class:`SafeImportMixin` changes,
through import-export's public extension points only:

* **where uploads wait** (``tmp_storage_class``): :class:`ImportFileStorage` keeps each in a
  directory of its own under a random 32-hex-digit name, and opens no other name, so nothing
  posted can make it read or delete any other file (import-export's default storage opens
  whatever name the confirm form posts, inside the temporary directory). The confirmation
  claims the file by renaming it before reading, so a second confirmation of the same
  preview (a double click, the back button) finds nothing and is refused, having written
  nothing; an upload that cannot be confirmed (bad file, bad rows) is deleted at once, and
  any left unconfirmed for :data:`PREVIEW_MAX_AGE` goes with the next upload.
* **what the confirm form carries** (``confirm_form_class``, ``get_confirm_form_initial``,
  ``get_confirm_form_kwargs``): the stored name, the original file name, the format and
  the resource are signed (``django.core.signing``, bound to the user and the model) into
  the ``import_file_name`` field; the confirmation uses the signed values only, so a forged
  or edited form is refused, as is one older than :data:`PREVIEW_MAX_AGE`.
* **how much one import may hold** (``import_form_class``, ``get_import_formats``): at most
  ``settings.ADMIN_IMPORT_MAX_ROWS`` rows and :data:`BYTES_PER_ROW` bytes per allowed row, so
  an import (preview, then confirmation: each one request) finishes well inside the app
  server's 30 s request timeout. Anything bigger: split the file, or use
  ``manage.py import_directory``.
* **how a file that cannot be read is reported** (``add_data_read_fail_error_to_form``): in
  words on the form (not JSON, nested too deep, not a list of rows, rows with different
  fields, not UTF-8, a NUL character in a cell…) instead of the exception's class name.

A refused confirmation sends the user back to the import page with a message saying why;
nothing is ever a 500. Rows are still checked and written all or nothing by the admin class
(``ImportExportRecordAdmin``), which this mixin leaves alone.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import secrets
import stat
import tempfile
import time
from pathlib import Path

import tablib
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from import_export.formats.base_formats import CSV, JSON
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.tmp_storages import BaseStorage

from directory import jsonlimits

#: Bytes a file may hold per allowed row: far above any real row (the seed data's facility
#: rows are 2.5 kB on average in CSV, 7.6 kB at most), low enough to refuse a huge file
#: before reading it.
BYTES_PER_ROW = 20_000
#: How long a preview can be confirmed, and an unconfirmed upload is kept.
PREVIEW_MAX_AGE = datetime.timedelta(days=1)
SIGNING_SALT = "directory.admin_import.confirm"
STORAGE_DIRECTORY = "facility-directory-admin-imports"

BIGGER_IMPORTS = (
    "Split it into files of at most {limit:,} rows, or load bigger sets with "
    "manage.py import_directory (a whole-directory JSON document: see the README)."
)
ALREADY_IMPORTED = (
    "this preview has already been confirmed (or has expired): check the list for the "
    "imported records, or upload the file again."
)
FORGED = "the confirmation does not match a preview of this site: upload the file again."
EXPIRED = "the preview is more than a day old: upload the file again."


class ImportRefused(Exception):
    """A file or a confirmation the admin import will not use; the message says why."""


def max_rows() -> int:
    return settings.ADMIN_IMPORT_MAX_ROWS


def max_bytes() -> int:
    return max_rows() * BYTES_PER_ROW


def limit_text() -> str:
    """The limit, as the import form states it under the file field."""
    limit = f"At most {max_rows():,} rows ({size(max_bytes())}) per file."
    return f"{limit} {BIGGER_IMPORTS.format(limit=max_rows())}"


def size(count: int) -> str:
    """Bytes for a person: "20 kB", "2.5 MB"."""
    if count < 1_000_000:
        return f"{count / 1000:,.0f} kB"
    return f"{count / 1e6:,.1f} MB"


# --- where uploads wait between preview and confirmation ---------------------------------


class ImportFileStorage(BaseStorage):
    """Uploaded files in a directory of their own, under random names; no other name opens.

    Created without a name (the preview), it saves the upload under a new name and reads it
    back as often as asked. Opened by name (the confirmation), it takes the file for itself
    on reading (an atomic rename), so each upload is imported at most once.
    """

    NAME = re.compile(r"[0-9a-f]{32}")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.opened_by_name = self.name is not None
        if self.opened_by_name and not self.NAME.fullmatch(str(self.name)):
            raise ImportRefused(FORGED)

    @staticmethod
    def directory() -> Path:
        """The uploads' directory, private to this user (made on first use)."""
        path = Path(tempfile.gettempdir()) / STORAGE_DIRECTORY
        path.mkdir(mode=0o700, exist_ok=True)
        status = path.lstat()
        if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid():
            raise ImproperlyConfigured(f"{path} is not a directory of this user: remove it.")
        return path

    def path(self) -> Path:
        return self.directory() / self.name

    def save(self, data):
        self.remove_stale()
        self.name = secrets.token_hex(16)
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        descriptor = os.open(self.path(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)

    def read(self):
        if not self.opened_by_name:
            return self._read(self.path())
        claimed = self.path().with_name(f"{self.name}.{secrets.token_hex(8)}.claimed")
        try:
            os.rename(self.path(), claimed)
        except FileNotFoundError:
            raise ImportRefused(ALREADY_IMPORTED) from None
        try:
            return self._read(claimed)
        finally:
            claimed.unlink(missing_ok=True)

    def _read(self, path: Path):
        with open(path, self.read_mode, encoding=self.encoding) as file:
            return file.read()

    def remove(self):
        if self.name:
            self.path().unlink(missing_ok=True)

    @classmethod
    def remove_stale(cls) -> None:
        """Delete uploads (and claimed files) older than PREVIEW_MAX_AGE."""
        oldest = time.time() - PREVIEW_MAX_AGE.total_seconds()
        with os.scandir(cls.directory()) as entries:
            for entry in entries:
                try:
                    if entry.is_file() and entry.stat().st_mtime < oldest:
                        os.unlink(entry.path)
                except FileNotFoundError:  # removed meanwhile by another request
                    continue


# --- forms ---------------------------------------------------------------------------------


class LimitedImportForm(ImportForm):
    """import-export's upload form, refusing a file above the size limit before storing it."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["import_file"].help_text = limit_text()

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > max_bytes():
            raise ValidationError(
                f"This file is {size(upload.size)}; the admin imports files of at most "
                f"{size(max_bytes())} ({max_rows():,} rows). "
                + BIGGER_IMPORTS.format(limit=max_rows())
            )
        return upload


class SignedConfirmImportForm(ConfirmImportForm):
    """The confirm form, whose ``import_file_name`` carries every value, signed.

    ``owner`` (the user and the model) must match the one the preview signed for.
    """

    def __init__(self, *args, owner: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.signed: dict = {}

    @staticmethod
    def sign(values: dict, owner: str) -> str:
        return signing.dumps({**values, "owner": owner}, salt=SIGNING_SALT)

    def clean_import_file_name(self):
        token = self.cleaned_data["import_file_name"]
        try:
            signed = signing.loads(
                token, salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE.total_seconds()
            )
        except signing.SignatureExpired:
            raise ValidationError(EXPIRED) from None
        except signing.BadSignature:
            raise ValidationError(FORGED) from None
        if not isinstance(signed, dict) or signed.get("owner") != self.owner:
            raise ValidationError(FORGED)
        self.signed = signed
        return signed["import_file_name"]

    def clean(self):
        cleaned = super().clean()
        if self.signed:  # the signed values, whatever else was posted
            for name in ("original_file_name", "format", "resource"):
                cleaned[name] = self.signed[name]
        return cleaned


# --- formats: rows counted, files read in words ---------------------------------------------


def check_row_count(count: int) -> None:
    if count > max_rows():
        raise ImportRefused(
            f"This file has {count:,} rows; the admin imports at most {max_rows():,} at a "
            "time (so that an import finishes within the server's time limit). "
            + BIGGER_IMPORTS.format(limit=max_rows())
        )


def check_rows(dataset: tablib.Dataset) -> None:
    """Refuse more rows than allowed, and NUL characters (PostgreSQL stores none)."""
    check_row_count(dataset.height)
    headers = dataset.headers or []
    for header in headers:
        if _holds_nul(header):
            raise ImportRefused(f"The column name {header!r} contains a NUL character.")
    for number, row in enumerate(dataset, start=1):
        for header, value in zip(headers, row, strict=False):
            if _holds_nul(value):
                raise ImportRefused(
                    f"Row {number}, column {header}, contains a NUL character, which cannot "
                    "be stored: remove it and upload the file again."
                )


def _holds_nul(value) -> bool:
    """Whether a cell (text, or a JSON file's list or object, at most 64 deep) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class LimitedCSV(CSV):
    """CSV with the row limit, and reading errors in words."""

    def create_dataset(self, in_stream, **kwargs):
        try:
            dataset = super().create_dataset(in_stream, **kwargs)
        except csv.Error as error:
            raise ImportRefused(f"This file could not be read as CSV: {error}.") from None
        except tablib.InvalidDimensions:
            raise ImportRefused(
                "A row of this file has more cells than the header row has columns."
            ) from None
        check_rows(dataset)
        return dataset


class LimitedJSON(JSON):
    """JSON rows: a list of objects with the same fields, nested at most 64 deep."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes) and self.encoding:
            in_stream = in_stream.decode(self.encoding)
        try:
            rows = jsonlimits.loads(in_stream)
        except ValueError as error:
            raise ImportRefused(jsonlimits.describe(error, subject="This file")) from None
        dataset = self.rows_to_dataset(rows)
        check_rows(dataset)
        return dataset

    @staticmethod
    def rows_to_dataset(rows) -> tablib.Dataset:
        """The rows as a dataset; every row must be an object with the fields of the first.

        (tablib's own JSON reader takes the fields of the first row and each row's values in
        its own order, so a row listing its fields in another order lands in wrong columns.)
        """
        shape = (
            'A JSON import file holds a list of rows, one object per row: [{"slug": "…", '
            '"name": "…", …}, …].'
        )
        if not isinstance(rows, list):
            raise ImportRefused(f"{shape} This file holds {_kind(rows)} instead.")
        check_row_count(len(rows))  # before building anything
        if not rows:
            return tablib.Dataset()
        headers = None
        dataset = tablib.Dataset()
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise ImportRefused(f"{shape} Row {number} is {_kind(row)}.")
            if headers is None:
                headers = list(row)
                dataset.headers = headers
            elif row.keys() != set(headers):
                missing = ", ".join(sorted(set(headers) - row.keys())) or "none"
                extra = ", ".join(sorted(row.keys() - set(headers))) or "none"
                raise ImportRefused(
                    f"Row {number} does not have the fields of row 1 (missing: {missing}; "
                    f"not in row 1: {extra}). Every row needs the same fields."
                )
            dataset.append([row[name] for name in headers])
        return dataset


def _kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return "a number"


LIMITED_FORMATS = {CSV: LimitedCSV, JSON: LimitedJSON}


# --- the admin mixin -------------------------------------------------------------------------


class SafeImportMixin:
    """Put before ``ImportExportMixin`` in a ModelAdmin's bases (see the module docstring)."""

    tmp_storage_class = ImportFileStorage
    import_form_class = LimitedImportForm
    confirm_form_class = SignedConfirmImportForm

    def get_import_formats(self):
        """The admin's formats, each with the row limit (CSV and JSON: what the admin offers)."""
        return [LIMITED_FORMATS.get(format_, format_) for format_ in super().get_import_formats()]

    def import_owner(self, request) -> str:
        return f"{request.user.pk}:{self.opts.label_lower}"

    def get_confirm_form_kwargs(self, request, import_form=None):
        kwargs = super().get_confirm_form_kwargs(request, import_form)
        kwargs["owner"] = self.import_owner(request)
        return kwargs

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["import_file_name"] = SignedConfirmImportForm.sign(
                initial, self.import_owner(request)
            )
        return initial

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportRefused):
            form.add_error("import_file", str(e))
        elif isinstance(e, UnicodeDecodeError):
            form.add_error(
                "import_file",
                "This file is not UTF-8 text: save it as UTF-8 (in Excel: CSV UTF-8) and "
                "upload it again.",
            )
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if request.method == "POST" and "confirm_form" not in context:
            # Nothing to confirm (the file or a row is bad): the upload is of no further use.
            # import-export names the stored file on the upload it came from.
            name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
            if name:
                ImportFileStorage(name=name).remove()
        return response

    def process_import(self, request, **kwargs):
        """import-export's confirmation, or back to the import page saying what is wrong."""
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_confirm_form(request)
            if not form.is_valid():
                # The signature's own words (forged, expired); any other field missing or
                # malformed means the form did not come from a preview page either.
                signature = form.errors.get("import_file_name", [])
                return self.refuse_import(request, EXPIRED if EXPIRED in signature else FORGED)
        try:
            return super().process_import(request, **kwargs)
        except ImportRefused as refused:
            return self.refuse_import(request, str(refused))

    def refuse_import(self, request, problem: str):
        messages.error(request, f"Nothing was imported: {problem}")
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
