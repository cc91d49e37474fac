"""Aliases and sources in the admin: one row per alias, one block per citation.

Both are JSON lists in the database (``aliases``: names; ``sources``: citations of
``directory.validators.SOURCE_KEYS``). A curator edits them as rows instead of JSON text: a
text box per alias, and per citation the source record it names (a drop-down of the
sources), the locator (where in it: a line, a page) and the passage quoted. The form gives
back the same JSON: a list of the non-empty names, a list of citations with only the keys
that have a value, in the order of :data:`SOURCE_FIELDS`; rows left empty are dropped. It is
checked by the validators the model, the API and the importers use (``validate_aliases``,
``validate_sources``; that a named source exists, by the model's ``clean()``).

Without JavaScript the page shows every row and one empty row to add another (save, and
another empty row comes); with it (``directory/admin/rows.js``) "Add" and "Remove" buttons
appear. A form posted with the JSON text instead (``aliases=["…"]``, as scripts and the old
text box did) is still read.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from directory import jsonlimits
from directory.validators import SOURCE_KEY_ORDER, validate_aliases, validate_sources

#: A citation's keys, in the order a row shows them and the JSON lists them.
SOURCE_FIELDS = SOURCE_KEY_ORDER

ALIASES_HELP = _(
    "Other spellings and names the record is found by, one per row "
    "(e.g. SPring–8, Spring8, スプリングエイト)."
)
SOURCES_HELP = _(
    "Where the facts come from: each citation names a source record and where in it (e.g. "
    "line 43, lines 49–53, p. 12); the passage quoted is optional. Add a document to Sources "
    "first if it is not in the list."
)


def _getlist(data, key: str) -> list | None:
    """All values posted under ``key`` (None when there are none)."""
    if key not in data:
        return None
    if hasattr(data, "getlist"):
        return data.getlist(key)
    value = data[key]
    return list(value) if isinstance(value, list | tuple) else [value]


def _parse_json(text: str):
    """The JSON text a script (or an old form) posted instead of rows."""
    if not text.strip():
        return []
    try:
        return jsonlimits.loads(text)
    except ValueError as error:
        raise ValidationError(jsonlimits.describe(error, subject=_("This value"))) from None


class RowsWidget(forms.Widget):
    """Rows of inputs posted as ``<name>-<key>`` lists, one entry per row."""

    keys: tuple[str, ...] = ()
    #: Empty rows shown after the filled ones (to add one without JavaScript).
    blank_rows = 1

    class Media:
        css = {"all": ["directory/admin/directory.css"]}
        js = ["directory/admin/rows.js"]

    def row_keys(self, name: str) -> list[str]:
        return [f"{name}-{key}" for key in self.keys]

    def value_from_datadict(self, data, files, name):
        columns = [_getlist(data, key) for key in self.row_keys(name)]
        filled = any(str(value).strip() for column in columns for value in column or [])
        if not filled and name in data:
            # JSON text instead of rows (a script, or the old text box), with the rows left
            # empty or absent.
            return data.get(name)
        if all(column is None for column in columns):
            return None
        height = max(len(column or []) for column in columns)
        rows = []
        for index in range(height):
            rows.append(
                {
                    key: str(column[index]) if column and index < len(column) else ""
                    for key, column in zip(self.keys, columns, strict=True)
                }
            )
        return rows

    def value_omitted_from_data(self, data, files, name):
        return name not in data and all(key not in data for key in self.row_keys(name))

    def id_for_label(self, id_):
        return f"{id_}_0_{self.keys[0]}" if id_ else id_

    def rows_of(self, value) -> list[dict]:
        """The rows to show for a value: the stored list, rows posted back, or JSON text."""
        if isinstance(value, str):
            try:
                value = _parse_json(value)
            except ValidationError:
                value = []
        if not isinstance(value, list):
            return []
        return [self.row_of(item) for item in value]

    def row_of(self, item) -> dict:
        raise NotImplementedError

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = self.rows_of(value)
        blank = dict.fromkeys(self.keys, "")
        rows += [dict(blank) for _ in range(self.blank_rows)]
        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["widget"]["rows"] = [
            {
                "number": index + 1,
                "cells": {
                    key: {
                        "name": f"{name}-{key}",
                        "id": f"{base_id}_{index}_{key}",
                        "value": row.get(key, ""),
                    }
                    for key in self.keys
                },
            }
            for index, row in enumerate(rows)
        ]
        context["widget"]["base_id"] = base_id
        return context


class AliasesWidget(RowsWidget):
    template_name = "admin/directory/widgets/aliases.html"
    keys = ("alias",)

    def row_of(self, item) -> dict:
        return {"alias": item if isinstance(item, str) else str(item)}


class SourcesWidget(RowsWidget):
    template_name = "admin/directory/widgets/sources.html"
    keys = SOURCE_FIELDS

    def row_of(self, item) -> dict:
        if not isinstance(item, dict):
            return {"locator": str(item)}
        return {key: "" if item.get(key) is None else str(item[key]) for key in self.keys}

    def get_context(self, name, value, attrs):
        from directory.models import Source

        context = super().get_context(name, value, attrs)
        options = [
            (slug, f"{title} — {publisher}" if publisher else title)
            for slug, title, publisher in Source._base_manager.order_by("name").values_list(
                "slug", "name", "publisher"
            )
        ]
        known = {slug for slug, _label in options}
        for row in context["widget"]["rows"]:
            chosen = row["cells"]["source"]["value"]
            # A slug that is no source (posted back with its error) stays visible as typed.
            extra = [(chosen, chosen)] if chosen and chosen not in known else []
            row["options"] = [
                {"value": slug, "label": label, "selected": slug == chosen}
                for slug, label in [*extra, *options]
            ]
        return context


class RowsField(forms.Field):
    """A JSON list edited as rows; cleaned to the list the model stores."""

    def __init__(self, *, validator, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.list_validator = validator

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if isinstance(value, str):
            return _parse_json(value)  # JSON text: the validator checks its shape
        return self.from_rows(value)

    def from_rows(self, rows: list[dict]) -> list:
        raise NotImplementedError

    def validate(self, value):
        super().validate(value)
        self.list_validator(value)

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial or [])
        except ValidationError:
            return True


class AliasesField(RowsField):
    widget = AliasesWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", ALIASES_HELP)
        super().__init__(validator=validate_aliases, **kwargs)

    def from_rows(self, rows):
        names = [row.get("alias", "").strip() for row in rows]
        return [name for name in names if name]


class SourcesField(RowsField):
    widget = SourcesWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", SOURCES_HELP)
        super().__init__(validator=validate_sources, **kwargs)

    def from_rows(self, rows):
        citations = []
        for row in rows:
            citation = {key: row.get(key, "").strip() for key in SOURCE_FIELDS}
            citation = {key: value for key, value in citation.items() if value}
            if citation:
                citations.append(citation)
        return citations


#: The admin's form field for each JSON list of a record, by model field name.
ROW_FIELDS = {"aliases": AliasesField, "sources": SourcesField}


def row_formfield(db_field, **kwargs):
    """The rows field for ``aliases`` or ``sources`` (None for any other field)."""
    field_class = ROW_FIELDS.get(db_field.name)
    if field_class is None:
        return None
    return field_class(label=capfirst(db_field.verbose_name), **kwargs)
