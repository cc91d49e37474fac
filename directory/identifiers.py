"""Persistent identifiers of records: ROR, Wikidata, ISNI and Crossref Funder ID.

Each scheme is stated once here: its model column, its key in the API's ``identifiers``
object, how a value is normalised (the URL and spaced forms people paste become the one
stored form), how it is validated (shape and check digits, in ``directory.validators``), the
stored shape a database constraint holds, and the URL a reader can resolve. The admin, the
write API, the importers and ``import_ror`` all go through the same field, so each accepts
and refuses the same values with the same messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory import validators
from directory.constraints import FieldCheckConstraint


@dataclass(frozen=True)
class Scheme:
    """One identifier scheme."""

    key: str  # in the API's identifiers object
    column: str  # the model field
    label: object
    normalise: Callable[[str | None], str | None]
    validate: Callable[[str | None], None]
    #: the stored form (a regular expression both SQLite and PostgreSQL evaluate)
    pattern: str
    max_length: int
    url_template: str
    example: str

    def url(self, value: str | None) -> str | None:
        return self.url_template.format(value) if value else None


ROR = Scheme(
    key="ror",
    column="ror_id",
    label=_("ROR id"),
    normalise=validators.normalise_ror_id,
    validate=validators.validate_ror_id,
    pattern=validators.ROR_ID_PATTERN.pattern,
    max_length=9,
    url_template="https://ror.org/{}",
    example="https://ror.org/057zh3y96",
)
WIKIDATA = Scheme(
    key="wikidata",
    column="wikidata_id",
    label=_("Wikidata id"),
    normalise=validators.normalise_wikidata_id,
    validate=validators.validate_wikidata_id,
    pattern=validators.WIKIDATA_ID_PATTERN.pattern,
    max_length=20,
    url_template="https://www.wikidata.org/wiki/{}",
    example="Q42",
)
ISNI = Scheme(
    key="isni",
    column="isni",
    label=_("ISNI"),
    normalise=validators.normalise_isni,
    validate=validators.validate_isni,
    pattern=validators.ISNI_PATTERN.pattern,
    max_length=16,
    url_template="https://isni.org/isni/{}",
    example="0000000123480690",
)
CROSSREF_FUNDER = Scheme(
    key="crossref_funder_id",
    column="crossref_funder_id",
    label=_("Crossref Funder ID"),
    normalise=validators.normalise_crossref_funder_id,
    validate=validators.validate_crossref_funder_id,
    pattern=validators.CROSSREF_FUNDER_ID_PATTERN.pattern,
    max_length=40,
    url_template="https://doi.org/{}",
    example="10.13039/100000001",
)
SCHEMES = {scheme.key: scheme for scheme in (ROR, WIKIDATA, ISNI, CROSSREF_FUNDER)}
#: The columns the API shows on their own as well as in ``identifiers`` (ror_id came first,
#: and clients read it).
SHOWN_APART = {"ror_id"}


class IdentifierFormField(forms.CharField):
    """Normalises before validating, so the pasted URL or spaced form is accepted."""

    def __init__(self, *, scheme: str, **kwargs):
        self.scheme = SCHEMES[scheme]
        kwargs["max_length"] = None  # the scheme's validator says what is wrong, in words
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return self.empty_value
        return self.scheme.normalise(value) or self.empty_value


class IdentifierField(models.CharField):
    """A persistent identifier of one scheme: normalised on every clean, validated, and
    empty as NULL (so that the unique index holds only the identifiers given)."""

    def __init__(self, *args, scheme: str, **kwargs):
        self.scheme_key = scheme
        spec = SCHEMES[scheme]
        kwargs.setdefault("max_length", spec.max_length)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("validators", [spec.validate])
        super().__init__(*args, **kwargs)
        # The scheme's validator covers the length, with a message that says what is wrong.
        self.validators[:] = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    @property
    def scheme(self) -> Scheme:
        return SCHEMES[self.scheme_key]

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["scheme"] = self.scheme_key
        # Stated whatever their value: __init__'s defaults differ from CharField's (a history
        # model's copy is not unique, and must not become so when rebuilt from this).
        kwargs.update(null=self.null, blank=self.blank, unique=self._unique)
        kwargs.pop("validators", None)  # always the scheme's
        return name, path, args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        # "" stays "": a lookup of "" must not turn into IS NULL (NamedRecord.clean_fields
        # stores an empty identifier as NULL).
        return self.scheme.normalise(value) if isinstance(value, str) and value else value

    def formfield(self, **kwargs):
        return super().formfield(
            **{"form_class": IdentifierFormField, "scheme": self.scheme_key, **kwargs}
        )


def identifier_constraint(column: str) -> FieldCheckConstraint:
    """The database holds the stored shape of an identifier (the checksum is the validator's)."""
    scheme = next(s for s in SCHEMES.values() if s.column == column)
    return FieldCheckConstraint(
        field=column,
        condition=Q(**{f"{column}__isnull": True}) | Q(**{f"{column}__regex": scheme.pattern}),
        name=f"%(app_label)s_%(class)s_{column}_shape",
        violation_error_message=_("This identifier is not in its stored form."),
    )


def schemes_of(model) -> list[Scheme]:
    """The schemes whose column the model has, in SCHEMES order."""
    names = {f.name for f in model._meta.concrete_fields}
    return [scheme for scheme in SCHEMES.values() if scheme.column in names]


def columns_of(model) -> set[str]:
    return {scheme.column for scheme in schemes_of(model)}


def identifiers_of(record) -> dict[str, str | None]:
    """The API's ``identifiers`` object: ROR as its URL (the registry's canonical form), the
    others as stored; null where the record has none."""
    result = {}
    for scheme in schemes_of(type(record)):
        value = getattr(record, scheme.column)
        result[scheme.key] = (scheme.url(value) if scheme is ROR else value) or None
    return result
