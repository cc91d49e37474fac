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
  fields, not UTF-8, a NUL character in a cell…) instead of the exception's class name; a
  file that is not JSON is named, with the line and column where reading stopped, what was
  expected there and the line itself.
* **how the preview reads** (``import_template_name``, :func:`preview_context`): one row per
  record with its action, its slug and name, and only the fields it changes (a new record:
  the fields it sets), wrapped to the page's width; a row that cannot be imported lists each
  error in the row itself, naming the row and the column ("row 3, column country: …"),
  instead of import-export's table of every column (about 3,500 px wide for a facility)
  with its errors behind a badge.

A refused confirmation sends the user back to the import page with a message saying why;
nothing is ever a 500. Rows are still checked and written all or nothing by the admin class
(``ImportExportRecordAdmin``), which this mixin leaves alone.
"""

from __future__ import annotations

import csv
import datetime
import json
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
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.formats.base_formats import CSV, JSON
from import_export.forms import ConfirmImportForm, ImportForm, SelectableFieldsExportForm
from import_export.tmp_storages import BaseStorage

from directory import jsonlimits
from directory.resources import SpreadsheetCSV

#: Bytes a file may hold per allowed row: far above any real row (the seed data's facility
#: rows are 2.5 kB on average in CSV, 7.6 kB at most), low enough to refuse a huge file
#: before reading it.
BYTES_PER_ROW = 20_000
#: How long a preview can be confirmed, and an unconfirmed upload is kept.
PREVIEW_MAX_AGE = datetime.timedelta(days=1)
SIGNING_SALT = "directory.admin_import.confirm"
STORAGE_DIRECTORY = "facility-directory-admin-imports"

BIGGER_IMPORTS = _(
    "Split it into files of at most %(limit)s rows, or load bigger sets with "
    "manage.py import_directory (a whole-directory JSON document: see the README)."
)
ALREADY_IMPORTED = _(
    "this preview has already been confirmed (or has expired): check the list for the "
    "imported records, or upload the file again."
)
FORGED = _("the confirmation does not match a preview of this site: upload the file again.")
EXPIRED = _("the preview is more than a day old: upload the file again.")


class ImportRefused(Exception):
    """A file or a confirmation the admin import will not use; the message says why."""


def max_rows() -> int:
    return settings.ADMIN_IMPORT_MAX_ROWS


def max_bytes() -> int:
    return max_rows() * BYTES_PER_ROW


def bigger_imports() -> str:
    """What to do with a file above the limit."""
    return BIGGER_IMPORTS % {"limit": f"{max_rows():,}"}


def limit_text() -> str:
    """The limit, as the import form states it under the file field."""
    limit = gettext("At most %(rows)s rows (%(size)s) per file.") % {
        "rows": f"{max_rows():,}",
        "size": size(max_bytes()),
    }
    return f"{limit} {bigger_imports()}"


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
        # Text as stored: no newline translation, which would turn a carriage return inside
        # a quoted CSV cell (a CRLF line break in a description, a CR-led value the export
        # neutralised) into "\n" and change the data (the csv module wants newline="").
        newline = {} if "b" in self.read_mode else {"newline": ""}
        with open(path, self.read_mode, encoding=self.encoding, **newline) as file:
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
            refused = gettext(
                "This file is %(size)s; the admin imports files of at most %(most)s "
                "(%(rows)s rows)."
            ) % {"size": size(upload.size), "most": size(max_bytes()), "rows": f"{max_rows():,}"}
            raise ValidationError(f"{refused} {bigger_imports()}")
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


class LabelledExportForm(SelectableFieldsExportForm):
    """import-export's export form, each column's box labelled with the field's name in the
    admin's language and the column it becomes: "名称（英語） (name)", not "Name"."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        for resource in resources:
            model = resource._meta.model
            prefix = f"{resource.__name__.lower()}_"
            for name in self.resource_fields.get(resource.__name__, []):
                column = name[len(prefix) :]
                try:
                    verbose = model._meta.get_field(column).verbose_name
                except FieldDoesNotExist:
                    continue
                self.fields[name].label = f"{capfirst(verbose)} ({column})"


# --- formats: rows counted, files read in words ---------------------------------------------


def check_row_count(count: int) -> None:
    if count > max_rows():
        refused = gettext(
            "This file has %(count)s rows; the admin imports at most %(most)s at a time (so "
            "that an import finishes within the server's time limit)."
        ) % {"count": f"{count:,}", "most": f"{max_rows():,}"}
        raise ImportRefused(f"{refused} {bigger_imports()}")


def check_rows(dataset: tablib.Dataset) -> None:
    """Refuse more rows than allowed, and NUL characters (PostgreSQL stores none)."""
    check_row_count(dataset.height)
    headers = dataset.headers or []
    for header in headers:
        if _holds_nul(header):
            raise ImportRefused(
                gettext("The column name %(name)s contains a NUL character.")
                % {"name": repr(header)}
            )
    for number, row in enumerate(dataset, start=1):
        for header, value in zip(headers, row, strict=False):
            if _holds_nul(value):
                raise ImportRefused(
                    gettext(
                        "Row %(number)s, column %(column)s, contains a NUL character, which "
                        "cannot be stored: remove it and upload the file again."
                    )
                    % {"number": number, "column": header}
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


class LimitedCSV(SpreadsheetCSV):
    """CSV with the row limit, and reading errors in words; the ``'`` that the export puts
    before a would-be formula is removed again (``SpreadsheetCSV``)."""

    def create_dataset(self, in_stream, **kwargs):
        try:
            dataset = super().create_dataset(in_stream, **kwargs)
        except csv.Error as error:
            raise ImportRefused(
                gettext("This file could not be read as CSV: %(error)s.") % {"error": error}
            ) from None
        except tablib.InvalidDimensions:
            raise ImportRefused(
                gettext("A row of this file has more cells than the header row has columns.")
            ) from None
        check_rows(dataset)
        return dataset


#: What JSON's reader found missing where it stopped, in words (English: its own, lower-cased,
#: "expecting ',' delimiter"), and what belongs there.
JSON_PROBLEMS = {
    "Expecting value": (
        _("expecting a value"),
        _(
            "A value must come there: text in double quotes, a number, true, false, null, a "
            "list […] or an object {…}."
        ),
    ),
    "Expecting ',' delimiter": (
        _("expecting ',' delimiter"),
        _(
            "A comma must come there, between two values, or the ] or } that closes the list "
            "or object."
        ),
    ),
    "Expecting ':' delimiter": (
        _("expecting ':' delimiter"),
        _('A colon must follow each field name: {"name": "…"}.'),
    ),
    "Expecting property name enclosed in double quotes": (
        _("expecting property name enclosed in double quotes"),
        _(
            "A field name in double quotes must come there (JSON allows no comma before } and "
            "no single quotes)."
        ),
    ),
    "Unterminated string starting at": (
        _("unterminated string starting at"),
        _("A text value is not closed by a double quote."),
    ),
    "Invalid control character at": (
        _("invalid control character at"),
        _("A text value holds a line break or a tab: write it as \\n or \\t."),
    ),
    "Extra data": (
        _("extra data"),
        _("The file goes on after its JSON value has ended: a file holds one list of rows."),
    ),
}
#: How much of the offending line the message quotes, either side of the column.
QUOTED_CHARACTERS = 40


class NotJSON(ImportRefused):
    """A file the JSON reader stopped in: where, what it expected there, the line itself."""

    def __init__(self, error: json.JSONDecodeError, text: str):
        super().__init__(jsonlimits.describe(error, subject="This file"))
        self.error = error
        self.text = text

    def describe(self, file_name: str = "") -> str:
        """ "“rows.json” is not valid JSON: expecting ',' delimiter at line 3, column 14. A
        comma must come there, … Line 3 reads: {"slug": "x" "name": …" (what was expected
        there and why it belongs there in the admin's language)."""
        error = self.error
        subject = f"“{file_name}”" if file_name else gettext("This file")
        if not self.text.strip():
            return gettext("%(file)s is empty: it holds no JSON at all.") % {"file": subject}
        problem, hint = JSON_PROBLEMS.get(error.msg, (error.msg[:1].lower() + error.msg[1:], None))
        parts = [
            gettext("%(file)s is not valid JSON: %(problem)s at line %(line)s, column %(column)s.")
            % {"file": subject, "problem": problem, "line": error.lineno, "column": error.colno}
        ]
        if hint is not None:
            parts.append(str(hint))
        stripped = self.text.lstrip()
        at_start = error.pos == len(self.text) - len(stripped)
        lines = self.text.splitlines()
        looks_like_csv = stripped[:1] not in "[{" and "," in stripped.split("\n", 1)[0]
        if error.msg == "Expecting value" and at_start and looks_like_csv:
            parts.append(gettext("It looks like a CSV file: choose the format csv."))
        line = lines[error.lineno - 1] if error.lineno <= len(lines) else ""
        if line.strip():
            parts.append(
                gettext("Line %(line)s reads: %(text)s")
                % {"line": error.lineno, "text": _excerpt(line, error.colno)}
            )
        return " ".join(parts)


def _excerpt(line: str, column: int) -> str:
    """The part of ``line`` around ``column`` (1-based), with "…" where it is cut."""
    start = max(0, column - 1 - QUOTED_CHARACTERS)
    end = column - 1 + QUOTED_CHARACTERS
    text = line[start:end].strip()
    return f"{'…' if start > 0 else ''}{text}{'…' if end < len(line) else ''}"


class LimitedJSON(JSON):
    """JSON rows: a list of objects with the same fields, nested at most 64 deep."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes) and self.encoding:
            in_stream = in_stream.decode(self.encoding)
        try:
            rows = jsonlimits.loads(in_stream)
        except json.JSONDecodeError as error:
            raise NotJSON(error, in_stream) from None
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
        shape = gettext(
            'A JSON import file holds a list of rows, one object per row: [{"slug": "…", '
            '"name": "…", …}, …].'
        )
        if not isinstance(rows, list):
            instead = gettext("This file holds %(kind)s instead.") % {"kind": _kind(rows)}
            raise ImportRefused(f"{shape} {instead}")
        check_row_count(len(rows))  # before building anything
        if not rows:
            return tablib.Dataset()
        headers = None
        dataset = tablib.Dataset()
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                is_kind = gettext("Row %(number)s is %(kind)s.")
                raise ImportRefused(f"{shape} {is_kind % {'number': number, 'kind': _kind(row)}}")
            if headers is None:
                headers = list(row)
                dataset.headers = headers
            elif row.keys() != set(headers):
                none = gettext("none")
                missing = ", ".join(sorted(set(headers) - row.keys())) or none
                extra = ", ".join(sorted(row.keys() - set(headers))) or none
                raise ImportRefused(
                    gettext(
                        "Row %(number)s does not have the fields of row 1 (missing: "
                        "%(missing)s; not in row 1: %(extra)s). Every row needs the same fields."
                    )
                    % {"number": number, "missing": missing, "extra": extra}
                )
            dataset.append([row[name] for name in headers])
        return dataset


def _kind(value) -> str:
    if isinstance(value, dict):
        return gettext("an object")
    if isinstance(value, list):
        return gettext("a list")
    if isinstance(value, str):
        return gettext("a string")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return gettext("true or false")
    return gettext("a number")


LIMITED_FORMATS = {CSV: LimitedCSV, SpreadsheetCSV: LimitedCSV, JSON: LimitedJSON}


# --- the preview -----------------------------------------------------------------------------

ACTIONS = {
    "new": _("New"),
    "update": _("Update"),
    "skip": _("No change"),
    "delete": _("Delete"),
}


def _changed(diff_html: str) -> bool:
    """Whether import-export's diff of a cell (diff-match-patch's HTML) shows a change."""
    return "<ins" in diff_html or "<del" in diff_html


def _cell(values, headers: list[str], column: str) -> str:
    return str(values[headers.index(column)]) if column in headers else ""


def preview_context(result) -> dict:
    """What the preview shows of an import's dry run (admin/directory/import.html).

    ``preview_rows``: one per valid row, with its number in the file, its action, the record
    (slug and name) and only the cells it changes, each with import-export's diff
    (a new record: every cell it fills). ``problem_rows``: one per row that cannot be
    imported, with every error as "column: message" (or the row's own message).
    """
    headers = [str(header) for header in result.diff_headers]
    rows = []
    for number, row in enumerate(result.rows, start=1):
        if row.import_type not in ACTIONS or row.diff is None:
            continue
        changes = [
            {"column": column, "diff": diff}
            for column, diff in zip(headers, row.diff, strict=False)
            if _changed(str(diff)) and column != "slug"
        ]
        slug = strip_tags(str(row.diff[headers.index("slug")])) if "slug" in headers else ""
        rows.append(
            {
                "number": number,
                "import_type": row.import_type,
                "action": ACTIONS[row.import_type],
                "slug": slug,
                "name": row.object_repr or "",
                "changes": changes,
            }
        )
    problems = []
    for invalid in result.invalid_rows:
        errors = [
            {"column": column, "message": message}
            for column, messages in invalid.field_specific_errors.items()
            for message in messages
        ] + [{"column": "", "message": message} for message in invalid.non_field_specific_errors]
        problems.append(
            {
                "number": invalid.number,
                "slug": _cell(invalid.values, headers, "slug"),
                "name": _cell(invalid.values, headers, "name"),
                "errors": errors,
            }
        )
    for number, errors in result.row_errors():
        row = getattr(errors[0], "row", None) or {}
        problems.append(
            {
                "number": number,
                "slug": str(row.get("slug", "")) if hasattr(row, "get") else "",
                "name": str(row.get("name", "")) if hasattr(row, "get") else "",
                "errors": [{"column": "", "message": str(error.error)} for error in errors],
            }
        )
    problems.sort(key=lambda problem: problem["number"])
    counts = {kind: sum(1 for row in rows if row["import_type"] == kind) for kind in ACTIONS}
    return {"preview_rows": rows, "problem_rows": problems, "preview_counts": counts}


# --- the admin mixin -------------------------------------------------------------------------


class SafeImportMixin:
    """Put before ``ImportExportMixin`` in a ModelAdmin's bases (see the module docstring)."""

    tmp_storage_class = ImportFileStorage
    import_form_class = LimitedImportForm
    confirm_form_class = SignedConfirmImportForm
    #: import-export's page, its preview and errors readable (see :func:`preview_context`).
    import_template_name = "admin/directory/import.html"

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
        if isinstance(e, NotJSON):
            upload = (getattr(form, "cleaned_data", None) or {}).get("import_file")
            form.add_error("import_file", e.describe(getattr(upload, "name", "") or ""))
        elif isinstance(e, ImportRefused):
            form.add_error("import_file", str(e))
        elif isinstance(e, UnicodeDecodeError):
            form.add_error(
                "import_file",
                gettext(
                    "This file is not UTF-8 text: save it as UTF-8 (in Excel: CSV UTF-8) and "
                    "upload it again."
                ),
            )
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if context.get("result") is not None:
            context.update(preview_context(context["result"]))
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
                expired = str(EXPIRED) in signature
                return self.refuse_import(request, str(EXPIRED if expired else FORGED))
        try:
            return super().process_import(request, **kwargs)
        except ImportRefused as refused:
            return self.refuse_import(request, str(refused))

    def refuse_import(self, request, problem: str):
        messages.error(request, gettext("Nothing was imported: %(problem)s") % {"problem": problem})
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
