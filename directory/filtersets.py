"""Query-parameter filters of the list endpoints (django-filter).

Every multi-valued filter accepts repeated (``?country=JP&country=GB``) and comma-separated
(``?country=JP,GB``) values, meaning OR. Bad values give a 400 naming the parameter.
The rules themselves (search, distance, call status…) live in ``directory``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field

from directory import identifiers, search, selectors
from directory.choices import (
    COUNTRY_CODES,
    AccessModeKind,
    AgreementKind,
    CallFrequency,
    CallStatus,
    FacilityKind,
    FacilityRoleKind,
    FacilityStatus,
    InstitutionKind,
    InstrumentKind,
    Probe,
    ProgrammeKind,
    ProgrammeRoleKind,
    ProgrammeStatus,
    choice_label,
    localised,
)
from directory.countries import countries_by_code
from directory.filter_costs import (
    FilterTable,
    FormClassPerFilterSet,
    NumberFilter,
    OrderingFilter,
    SharedConfiguration,
)
from directory.models import (
    AccessMode,
    Agreement,
    Call,
    Facility,
    Institution,
    Instrument,
    Programme,
    ResearchField,
    Source,
    Technique,
)
from directory.models.facilities import OPERATING_ROLES

#: What a parameter given no value holds once cleaned.
EMPTY = (None, "", [])
SLUG_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_VALUES = 50


# --- Multi-valued parameters -------------------------------------------------


class MultiValueWidget(forms.Widget):
    """Reads every occurrence of a parameter and splits each on commas."""

    def value_from_datadict(self, data, files, name):
        raw = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [part.strip() for value in raw if value for part in str(value).split(",")]

    def value_omitted_from_data(self, data, files, name):
        return name not in data


class MultiValueField(forms.Field):
    """A list of values, each checked by ``check`` (which returns the cleaned value)."""

    widget = MultiValueWidget

    def __init__(self, *args, check=None, **kwargs):
        self.check = check
        super().__init__(*args, **kwargs)

    def clean(self, value):
        values = [item for item in (value or []) if item != ""]
        if len(values) > MAX_VALUES:
            raise ValidationError(
                _("At most %(count)s values are allowed."), params={"count": MAX_VALUES}
            )
        cleaned, errors = [], []
        for item in values:
            try:
                cleaned.append(self.check(item) if self.check else item)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(cleaned))


def not_one_of(value: str, allowed: list[str]) -> ValidationError:
    """The error for a value that is none of ``allowed`` (the API's codes, listed as they are)."""
    return ValidationError(
        _("'%(value)s' is not one of: %(allowed)s."),
        params={"value": value, "allowed": ", ".join(allowed)},
    )


def check_choice(choices):
    allowed = list(choices.values)

    def check(value: str) -> str:
        if value not in allowed:
            raise not_one_of(value, allowed)
        return value

    return check


def check_country(value: str) -> str:
    code = value.upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(
            _("'%(value)s' is not an ISO 3166-1 alpha-2 country code (e.g. JP, GB)."),
            params={"value": value},
        )
    return code


def check_slug(value: str) -> str:
    if not SLUG_PATTERN.match(value):
        raise ValidationError(
            _("'%(value)s' is not a slug (letters, digits, hyphens)."), params={"value": value}
        )
    return value.lower()


def document(filter_, schema: dict) -> None:
    """Give a filter its OpenAPI schema (with its description and an example)."""
    extend_schema_field({**schema, "description": filter_.extra.get("help_text", "")})(filter_)


class MultiValueFilter(SharedConfiguration, django_filters.Filter):
    """OR over several values, of a field or of related records.

    With ``relation`` (a relation path such as ``techniques`` or ``programme__fields``), the
    values are matched on the related records' ``key`` field, among the related records the
    caller may see (``selectors.visible``): matching through a draft would reveal that it
    exists. Documented as an array parameter (``?kind=a&kind=b``); ``?kind=a,b`` works too.
    """

    field_class = MultiValueField

    def __init__(
        self,
        *args,
        check=None,
        relation: str | None = None,
        key: str = "slug",
        enum=None,
        pattern: str | None = None,
        example=None,
        **kwargs,
    ):
        self.relation = relation
        self.key = key
        if relation and "field_name" not in kwargs:
            kwargs["field_name"] = f"{relation}__{key}"
        super().__init__(*args, **kwargs)
        self.extra["check"] = check
        items: dict = {"type": "string"}
        if enum is not None:
            items["enum"] = list(enum)
        if pattern:
            items["pattern"] = pattern
        schema: dict = {"type": "array", "items": items}
        if example is not None:
            schema["example"] = example
        #: the OpenAPI schema of the parameter (its ``__n`` lookup documents the same values)
        self.schema = schema
        document(self, schema)

    def filter(self, qs, value):
        if not value:
            return qs
        if self.method:
            return self.get_method(qs)(qs, self.field_name, value)
        if self.relation:
            target = selectors.related_model(qs.model, self.relation)
            targets = self.parent.visible(target).filter(**{f"{self.key}__in": value})
            return selectors.through_visible(qs, self.relation, targets)
        return qs.filter(**{f"{self.field_name}__in": value})


def choice_filter(field_name, choices, help_text, **kwargs):
    values = ", ".join(choices.values)
    return MultiValueFilter(
        field_name=field_name,
        check=check_choice(choices),
        enum=choices.values,
        example=[choices.values[0]],
        help_text=f"{help_text} One or more of: {values} (comma-separated or repeated: OR).",
        **kwargs,
    )


def slug_filter(relation, help_text, example, **kwargs):
    """Records linked to any of the given slugs (through records the caller may see)."""
    if "method" in kwargs:
        kwargs.setdefault("field_name", relation)
    else:
        kwargs["relation"] = relation
    return MultiValueFilter(
        check=check_slug,
        pattern=SLUG_PATTERN.pattern,
        example=[example],
        help_text=f"{help_text} Slug(s); comma-separated or repeated values mean OR.",
        **kwargs,
    )


def country_filter(field_name="country_id", help_text="Country", **kwargs):
    return MultiValueFilter(
        field_name=field_name,
        check=check_country,
        enum=sorted(COUNTRY_CODES),
        example=["JP", "GB"],
        help_text=f"{help_text}: ISO 3166-1 alpha-2 code(s), e.g. JP or GB,JP (OR).",
        **kwargs,
    )


def check_identifier(scheme):
    """A value of ``scheme`` in any accepted form, normalised; a malformed one is a 400."""

    def check(value: str) -> str:
        scheme.validate(value)
        return scheme.normalise(value)

    return check


def identifier_filter(scheme, help_text: str) -> MultiValueFilter:
    """Records holding any of these identifiers (the column's unique index answers it)."""
    return MultiValueFilter(
        field_name=scheme.column,
        check=check_identifier(scheme),
        example=[scheme.example],
        help_text=f"{help_text}; malformed ids are refused (OR).",
    )


def number_filter(field_name, lookup, help_text, example, integer=False, **kwargs):
    number = NumberFilter(field_name=field_name, lookup_expr=lookup, help_text=help_text, **kwargs)
    document(number, {"type": "integer" if integer else "number", "example": example})
    return number


# --- Single-valued parameters ---------------------------------------------------------


#: A date (YYYY-MM-DD) or a date-time (ISO 8601).
MOMENT_SCHEMA = {"type": "string", "example": "2026-01-01"}
#: Comma-separated decimal numbers.
NUMBERS_PATTERN = r"^-?[0-9.]+(,-?[0-9.]+)*$"


class UpdatedSinceField(forms.CharField):
    """An ISO 8601 date or date-time; a date means its midnight UTC."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        if "T" in value or " " in value:
            try:
                moment = parse_datetime(value)
            except ValueError:
                moment = None
            if moment is None:
                raise ValidationError(
                    _("'%(value)s' is not an ISO 8601 date-time."), params={"value": value}
                )
        else:
            day = _parse_day(value)
            moment = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, datetime.UTC)
        return moment


def _parse_day(value: str) -> datetime.date:
    try:
        day = parse_date(value)
    except ValueError:
        day = None
    if day is None:
        raise ValidationError(
            _("'%(value)s' is not a date (YYYY-MM-DD) or date-time (ISO 8601)."),
            params={"value": value},
        )
    return day


class DayField(forms.CharField):
    """A calendar date, YYYY-MM-DD."""

    def clean(self, value):
        value = super().clean(value)
        return _parse_day(value) if value else None


class PointField(forms.CharField):
    """``lat,lon`` in decimal degrees."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        numbers = _parse_numbers(value, 2, _("lat,lon, e.g. 38.26,140.87"))
        lat, lon = numbers
        if not -90 <= lat <= 90:
            raise ValidationError(_("Latitude must be between -90 and 90."))
        if not -180 <= lon <= 180:
            raise ValidationError(_("Longitude must be between -180 and 180."))
        return lat, lon


class BoxField(forms.CharField):
    """``min_lon,min_lat,max_lon,max_lat`` (RFC 7946 order)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        min_lon, min_lat, max_lon, max_lat = _parse_numbers(
            value, 4, _("min_lon,min_lat,max_lon,max_lat, e.g. 129,30,146,46")
        )
        if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
            raise ValidationError(_("Longitudes must be between -180 and 180."))
        if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
            raise ValidationError(_("Latitudes must be between -90 and 90."))
        if min_lat > max_lat:
            raise ValidationError(_("min_lat must not be greater than max_lat."))
        return min_lon, min_lat, max_lon, max_lat


def _parse_numbers(value: str, count: int, shape: str) -> list[float]:
    """``count`` comma-separated numbers; ``shape`` (translated) says which, with an example."""
    parts = value.split(",")
    if len(parts) != count:
        raise ValidationError(
            _("Expected %(count)s comma-separated numbers: %(shape)s."),
            params={"count": count, "shape": shape},
        )
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise ValidationError(_("Expected numbers: %(shape)s."), params={"shape": shape}) from None
    if any(number != number or number in (float("inf"), float("-inf")) for number in numbers):
        raise ValidationError(_("Expected finite numbers: %(shape)s."), params={"shape": shape})
    return numbers


#: The one rule for a boolean query parameter (filters, ``all=``, ``sync=``): true or false, in
#: any case, also 1/0 and yes/no.
BOOLEAN_TRUE, BOOLEAN_FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


def parse_boolean(value: str) -> bool:
    """A boolean query parameter's value; a ValidationError naming it if it is none."""
    lowered = value.lower()
    if lowered in BOOLEAN_TRUE:
        return True
    if lowered in BOOLEAN_FALSE:
        return False
    raise ValidationError(
        _("'%(value)s' is not a boolean: use true or false."), params={"value": value}
    )


class BooleanChoiceField(forms.CharField):
    """A boolean filter's value (``parse_boolean``); empty is no filter."""

    def clean(self, value):
        value = super().clean(value)
        return parse_boolean(value) if value else None


class ValueFilter(SharedConfiguration, django_filters.Filter):
    """A filter whose field (``field_class``) parses the value and whose method applies it."""

    def __init__(self, *args, field_class=forms.CharField, schema: dict, **kwargs):
        self.field_class = field_class
        super().__init__(*args, **kwargs)
        document(self, schema)

    def filter(self, qs, value):
        if value is None or value == "":
            return qs
        return self.get_method(qs)(qs, self.field_name, value)


def moment_filter(method: str, help_text: str, **kwargs) -> ValueFilter:
    """A date (its midnight UTC) or an ISO 8601 date-time, applied by ``method``."""
    return ValueFilter(
        field_class=UpdatedSinceField,
        method=method,
        schema=MOMENT_SCHEMA,
        help_text=help_text,
        **kwargs,
    )


class DirectoryOrderingFilter(OrderingFilter):
    """django-filter's ordering, but ``name_ja`` sorts as :func:`selectors.by_japanese_name`
    says (records without a Japanese name last, ascending or descending)."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            if not param:
                continue
            order = self.get_ordering_value(param)
            if order.lstrip("-") == "name_ja":
                ordering.extend(selectors.by_japanese_name(descending=order.startswith("-")))
            else:
                ordering.append(order)
        return qs.order_by(*ordering)


def _ordering(fields: dict[str, str], help_text: str) -> OrderingFilter:
    """``ordering`` over ``fields`` ({model field: parameter value}); where a list sorts by
    ``name`` it also sorts by ``name_ja``. A value outside them is a 400 listing every
    choice (the same message as any other choice: :func:`not_one_of`)."""
    if "name" in fields:
        fields = {**fields, "name_ja": "name_ja"}
    names = list(fields.values())
    choices = [*names, *(f"-{n}" for n in names)]
    ordering = DirectoryOrderingFilter(
        fields=tuple(fields.items()),
        help_text=(
            f"{help_text} Comma-separated; prefix with '-' for descending. "
            f"One or more of: {', '.join(names)}."
        ),
        error_messages={"invalid_choice": _choice_message(", ".join(choices))},
    )
    # drf-spectacular wraps a CSV filter's item schema into a comma-separated array.
    document(ordering, {"type": "string", "enum": choices, "example": names[0]})
    return ordering


def _not_one_of_message(allowed: str) -> str:
    """not_one_of's message with ``allowed`` filled in and ``%(value)s`` left for the form
    field, in the language active when the error is raised."""
    return _("'%(value)s' is not one of: %(allowed)s.") % {"value": "%(value)s", "allowed": allowed}


_choice_message = lazy(_not_one_of_message, str)


# --- Lookup expressions (NetBox style) ------------------------------------------------------
#
# Each list declares, in its ``lookups`` table, which fields take which families of lookup;
# DirectoryFilterSet.get_filters() generates one parameter per field and lookup from it, named
# ``<field>__<lookup>`` (``name__ic``, ``energy_gev__gte``, ``kind__n``), plus the plain
# ``<field>=`` where no filter of that name is declared. Nothing is written out per field.

#: Text: equal, equal ignoring case, contains (ignoring case), starts with (ignoring case).
TEXT = "text"
#: Numbers and dates: equal (not for date-times), at least, at most, above, below.
RANGE = "range"
#: ``__n``: the opposite of the declared multi-valued filter of that name (a choice, a country,
#: related records by slug): records matching none of the values.
NEGATE = "negate"

#: lookup suffix -> (ORM lookup, what it means); "" is the plain parameter.
TEXT_LOOKUPS = {
    "": ("exact", "equals (case-sensitive)"),
    "ie": ("iexact", "equals, ignoring case"),
    "ic": ("icontains", "contains, ignoring case"),
    "isw": ("istartswith", "starts with, ignoring case"),
}
RANGE_LOOKUPS = {
    "": ("exact", "equals"),
    "gte": ("gte", "is at least"),
    "lte": ("lte", "is at most"),
    "gt": ("gt", "is above"),
    "lt": ("lt", "is below"),
}
#: Longest text value a text lookup takes (no stored text field is longer).
MAX_TEXT_LOOKUP = 500


def _value_field(model_field) -> tuple[type[forms.Field], dict, dict]:
    """The form field class, its arguments and the OpenAPI schema of one value of
    ``model_field`` (a number, a date or a date-time)."""
    if isinstance(model_field, models.DateTimeField):
        return UpdatedSinceField, {}, MOMENT_SCHEMA
    if isinstance(model_field, models.DateField):
        return DayField, {}, {"type": "string", "format": "date", "example": "2020-01-01"}
    if isinstance(model_field, models.IntegerField):
        # Bounded: a value no column holds is refused, never sent to the database.
        bounds = {"min_value": -(2**31), "max_value": 2**31 - 1}
        return (
            forms.IntegerField,
            bounds,
            {
                "type": "integer",
                "example": 2000,
                **{"minimum": bounds["min_value"], "maximum": bounds["max_value"]},
            },
        )
    if isinstance(model_field, models.DecimalField | models.FloatField):
        return (
            forms.DecimalField,
            {"max_digits": 24, "decimal_places": 12},
            {"type": "number", "example": 3},
        )
    raise TypeError(f"{model_field} takes no range lookups")


def _optional(model_field) -> bool:
    """Whether ``model_field`` may be empty (so ``__empty`` makes sense)."""
    return model_field.null or (model_field.blank and isinstance(model_field, models.CharField))


class LookupFilter(SharedConfiguration, django_filters.Filter):
    """One generated lookup (``name__ic``, ``energy_gev__gte``…) on a field of the record
    itself; ``base`` is the parameter it derives from (``name``)."""

    def __init__(self, *args, base: str, lookup: str, field_class, schema: dict, **kwargs):
        self.base, self.lookup = base, lookup
        self.field_class = field_class
        super().__init__(*args, **kwargs)
        document(self, schema)

    def filter(self, qs, value):
        if value is None or value == "":
            return qs
        if self.lookup == "isempty":
            empty = Q(**{f"{self.field_name}__isnull": True})
            field = qs.model._meta.get_field(self.field_name)
            if isinstance(field, models.CharField | models.TextField):
                empty |= Q(**{self.field_name: ""})
            return qs.filter(empty) if value else qs.exclude(empty)
        return qs.filter(**{f"{self.field_name}__{self.lookup}": value})


class NegatedFilter(SharedConfiguration, django_filters.Filter):
    """``<filter>__n``: the records the declared multi-valued filter ``base`` would NOT match.

    The records it matches are found by that filter itself (its relation, its method), so they
    are matched only through related records the caller may see: ``operator__n=<draft>``
    excludes nothing for the public, as ``operator=<draft>`` matches nothing.
    """

    field_class = MultiValueField

    def __init__(self, *args, base: str, check, schema: dict, **kwargs):
        self.base = base
        super().__init__(*args, **kwargs)
        self.extra["check"] = check
        document(self, schema)

    def filter(self, qs, value):
        if not value:
            return qs
        positive = self.parent.filters[self.base]
        matched = positive.filter(qs.model.objects.all(), value)
        return qs.exclude(pk__in=matched.values("pk"))


def _suffixed(base: str, suffix: str) -> str:
    return f"{base}__{suffix}" if suffix else base


def lookup_filters(model, table: dict, declared: dict) -> dict:
    """The parameters ``table`` (field or filter name -> families) generates for ``model``,
    leaving out any name ``declared`` already has."""
    generated = {}
    for name, families in table.items():
        if NEGATE in families:
            positive = declared[name]
            help_text = (
                f"Records matching none of these (the opposite of `{name}`; through related "
                "records you may see). Comma-separated or repeated."
            )
            generated[f"{name}__n"] = NegatedFilter(
                field_name=positive.field_name,
                base=name,
                check=positive.extra["check"],
                schema=positive.schema,
                help_text=help_text,
            )
        field = model._meta.get_field(name) if families != (NEGATE,) else None
        if field is None:
            continue
        label = str(field.verbose_name)
        lookups: dict[str, tuple] = {}
        if TEXT in families:
            text = {"type": "string", "maxLength": MAX_TEXT_LOOKUP, "example": "spring"}
            for suffix, (lookup, meaning) in TEXT_LOOKUPS.items():
                lookups[suffix] = (
                    lookup,
                    meaning,
                    forms.CharField,
                    {"max_length": MAX_TEXT_LOOKUP},
                    text,
                )
        if RANGE in families:
            field_class, arguments, schema = _value_field(field)
            for suffix, (lookup, meaning) in RANGE_LOOKUPS.items():
                if suffix == "" and isinstance(field, models.DateTimeField):
                    continue  # equal to the microsecond: no use
                lookups[suffix] = (lookup, meaning, field_class, arguments, schema)
        if lookups and _optional(field):
            lookups["empty"] = (
                "isempty",
                "is empty (true) or not (false)",
                BooleanChoiceField,
                {},
                {"type": "boolean", "example": True},
            )
        for suffix, (lookup, meaning, field_class, arguments, schema) in lookups.items():
            parameter = _suffixed(name, suffix)
            if parameter in declared:
                continue
            generated[parameter] = LookupFilter(
                field_name=name,
                base=name,
                lookup=lookup,
                field_class=field_class,
                schema=schema,
                help_text=f"Records whose {label} {meaning}.",
                **arguments,
            )
    return generated


# --- Facets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facet:
    """Counts of the listed records per value of one field or relation (``?facets=``).

    ``labels`` names the values: a choices class, ``"country"`` (country names) or None (the
    value itself). With ``relation``, only links to related records the caller may see count,
    and only those links meeting ``condition`` (a role). Facets are disjunctive: a facet is
    counted under every filter but its own, ``filters`` (default: the parameter of the
    facet's name), and the lookups generated from them (``kind__n``).
    """

    path: str
    labels: object = None
    relation: str | None = None
    condition: tuple[tuple[str, object], ...] = ()
    filters: tuple[str, ...] = ()

    def label(self, value, language: str) -> str:
        if self.labels == "country":
            country = countries_by_code().get(value)
            if country is None:
                return str(value)
            return localised(country.name, country.name_ja, language)
        if self.labels is None:
            return str(value)
        return choice_label(self.labels, value, language)


# --- Base ------------------------------------------------------------------------------


class DirectoryFilterSet(FormClassPerFilterSet, django_filters.FilterSet):
    """Common parameters: ``q`` (normalised, ranked search) and ``updated_since``."""

    q = ValueFilter(
        field_class=forms.CharField,
        # The field's clean() runs search_terms(): a query too long or with too many words
        # is a 400 naming q, before any SQL is built.
        validators=[search.search_terms],
        method="filter_search",
        schema={"type": "string", "example": "spring8", "maxLength": search.MAX_QUERY_LENGTH},
        help_text=(
            "Free-text search over names, Japanese names, acronyms and aliases, and for "
            "facilities and institutions their city, site and country (English or Japanese); "
            "tolerant of case, full-width characters, dash variants (spring8 finds SPring-8), "
            "katakana digits (スプリング8) and typos (diamnd finds Diamond). Results are ranked "
            "best first (exact name, prefix, word, place, similar spelling) unless `ordering` "
            "is given; each result then carries its `score`. At most "
            f"{search.MAX_QUERY_LENGTH} characters and {search.MAX_QUERY_TERMS} different words."
        ),
    )
    updated_since = moment_filter(
        "filter_updated_since",
        "Records changed at or after this ISO 8601 date or date-time.",
        field_name="updated_at",
    )

    #: name -> Facet offered by ``?facets=`` on this list
    facets: dict[str, Facet] = {}

    #: field or filter name -> lookup families (TEXT, RANGE, NEGATE): the generated
    #: parameters of each list (lookup_filters); the lists add their own to these
    lookups: dict[str, tuple[str, ...]] = {
        "slug": (TEXT,),
        "name": (TEXT,),
        "name_ja": (TEXT,),
        "acronym": (TEXT,),
        "created_at": (RANGE,),
        "updated_at": (RANGE,),
    }

    @classmethod
    def get_filters(cls):
        """The declared filters, then those the ``lookups`` tables of the class and its bases
        generate (django-filter's hook for generated filters)."""
        filters = FilterTable(super().get_filters())
        if cls._meta.model is None:
            return filters
        table: dict = {}
        for klass in reversed(cls.__mro__):
            table.update(vars(klass).get("lookups", {}))
        generated = lookup_filters(cls._meta.model, table, filters)
        cls.optional_filters = frozenset(generated)
        filters.update(generated)
        return filters

    def facet_filters(self, name: str) -> set[str]:
        """The parameters facet ``name`` ignores: its own filters and their lookups."""
        own = set(self.facets[name].filters or (name,))
        return {
            parameter
            for parameter, filter_ in self.filters.items()
            if parameter in own or getattr(filter_, "base", None) in own
        }

    def filter_queryset_without(self, queryset, skipped: set[str]):
        """``queryset`` under every given filter but ``skipped`` (as filter_queryset)."""
        for name, value in self.form.cleaned_data.items():
            if name not in skipped:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def facet_counts(self, queryset, names, language: str) -> dict:
        """``{name: [{value, label, count}]}`` for the requested facets: one query per facet.

        ``queryset`` is the filtered list; each facet counts the records of ``self.queryset``
        (the records the caller may see) under every filter but its own (disjunctive: with
        ``kind=synchrotron`` the kind facet still counts every kind).
        """
        result = {}
        given = {name for name, value in self.form.cleaned_data.items() if value not in EMPTY}
        for name in names:
            facet = self.facets[name]
            skipped = self.facet_filters(name) & given
            counted = self.filter_queryset_without(self.queryset, skipped) if skipped else queryset
            targets = None
            if facet.relation:
                targets = self.visible(selectors.related_model(counted.model, facet.relation))
            rows = selectors.facet_counts(
                counted, facet.path, facet.relation, targets, dict(facet.condition)
            )
            result[name] = [
                {"value": value, "label": facet.label(value, language), "count": count}
                for value, count in rows
            ]
        return result

    @property
    def user(self):
        return getattr(self.request, "user", None)

    def visible(self, model):
        """The records of ``model`` this filterset's caller may see (selectors.visible)."""
        return selectors.visible(model, self.user)

    def filter_search(self, queryset, name, value):
        return selectors.search(queryset, value)

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(updated_at__gte=value)

    #: Filters whose matches the database finds by testing every candidate row — the
    #: trigram recheck of ``q``, the great-circle distance of ``near`` — and whose page is
    #: ordered by a value computed for each (score, distance): counting them costs as much
    #: as reading the page, so the page's own query counts them (api.pagination; at 100,000
    #: facilities ``?q=tsukuba light`` took 26 ms to count and 24 ms for the page, 26 ms
    #: for both in one query on PostgreSQL).
    COUNTED_WITH_PAGE = ("q", "near")

    def counts_with_page(self) -> bool:
        """Whether this (valid) list's count is best read with its page (COUNTED_WITH_PAGE)."""
        data = self.form.cleaned_data
        return any(data.get(name) not in EMPTY for name in self.COUNTED_WITH_PAGE)

    def reads_every_write(self) -> bool:
        """Whether this (valid) list reads the time of each record's last change, which every
        write moves: a filter on ``updated_at`` given a value (``updated_since``,
        ``updated_at__gte``…), or an ordering on it (directory.kinds list_dependencies)."""
        data = self.form.cleaned_data
        orders = data.get("ordering") or []
        return any(
            data.get(name) not in EMPTY
            for name, filter_ in self.filters.items()
            if filter_.field_name == "updated_at"
        ) or any(order.lstrip("-") == "updated_at" for order in orders)


class SuccessionFilters(django_filters.FilterSet):
    """What came before and after a record (facilities, programmes, institutions): matched
    only through the records the caller may see, so a draft predecessor matches nothing."""

    successor_of = slug_filter(
        "predecessors",
        "Records that followed these (their successors), e.g. successor_of=jt-60.",
        "jt-60",
    )
    predecessor_of = slug_filter(
        "successors",
        "Records these followed (their predecessors), e.g. predecessor_of=jt-60sa.",
        "jt-60sa",
    )


# --- Facilities -------------------------------------------------------------------

HALF_EARTH_CIRCUMFERENCE_KM = 20038


class FacilityFilterForm(forms.Form):
    """Rules between parameters: near and radius_km go together; distance needs near."""

    def clean(self):
        data = super().clean()
        near, radius = data.get("near"), data.get("radius_km")
        if near is not None and radius is None and "radius_km" not in self.errors:
            self.add_error("radius_km", _("radius_km is required with near."))
        if radius is not None and near is None and "near" not in self.errors:
            self.add_error("near", _("near (lat,lon) is required with radius_km."))
        if radius is not None and not 0 < radius <= HALF_EARTH_CIRCUMFERENCE_KM:
            self.add_error(
                "radius_km",
                _("radius_km must be above 0 and at most %(most)s.")
                % {"most": HALF_EARTH_CIRCUMFERENCE_KM},
            )
        orders = data.get("ordering") or []
        if near is None and any(order.lstrip("-") == "distance" for order in orders):
            self.add_error("ordering", _("ordering=distance needs near and radius_km."))
        return data


FACILITY_ORDERING = {
    "name": "name",
    "updated_at": "updated_at",
    "first_operation_year": "first_operation_year",
    "energy_gev": "energy_gev",
    "country_id": "country",
    "distance_km": "distance",
}


class FacilityFilterSet(SuccessionFilters, DirectoryFilterSet):
    facets = {
        "country": Facet("country_id", "country"),
        "kind": Facet("kind", FacilityKind),
        "status": Facet("status", FacilityStatus),
        "technique": Facet("techniques__slug", None, "techniques"),
        "field": Facet("fields__slug", None, "fields"),
        "access_mode": Facet("access_modes__slug", None, "access_modes"),
        "operator": Facet(
            "roles__institution__slug",
            relation="roles__institution",
            condition=(("roles__role__in", OPERATING_ROLES),),
        ),
        "programme": Facet("programmes__slug", relation="programmes"),
    }
    lookups = {
        "city": (TEXT,),
        "city_ja": (TEXT,),
        "site": (TEXT,),
        "energy_gev": (RANGE,),
        "circumference_m": (RANGE,),
        "beamline_count": (RANGE,),
        "first_operation_year": (RANGE,),
        "user_programme_year": (RANGE,),
        "closed_on": (RANGE,),
        **dict.fromkeys(
            ("country", "kind", "status", "operator", "technique", "field", "access_mode"),
            (NEGATE,),
        ),
        "programme": (NEGATE,),
    }
    country = country_filter()
    kind = choice_filter("kind", FacilityKind, "Facility kind.")
    status = choice_filter("status", FacilityStatus, "Facility status.")
    operator = slug_filter(
        "operator", "Institutions operating the facility.", "riken", method="filter_operator"
    )
    technique = slug_filter("techniques", "Techniques offered.", "xafs")
    field = slug_filter("fields", "Research fields served.", "materials-science")
    access_mode = slug_filter(
        "access_modes",
        "Access modes, by the slug the API shows (peer-reviewed-proposal); the older kind "
        f"values ({', '.join(AccessModeKind.values)}) still work as aliases.",
        "peer-reviewed-proposal",
        method="filter_access_mode",
    )
    programme = slug_filter("programmes", "Programmes giving access to the facility.", "q-leap")
    wikidata = identifier_filter(identifiers.WIKIDATA, "Wikidata item(s), e.g. Q42")
    energy_gev_min = number_filter("energy_gev", "gte", "Minimum beam energy in GeV.", 3)
    energy_gev_max = number_filter("energy_gev", "lte", "Maximum beam energy in GeV.", 8)
    first_operation_year_min = number_filter(
        "first_operation_year", "gte", "Earliest year of first operation.", 2000, integer=True
    )
    first_operation_year_max = number_filter(
        "first_operation_year", "lte", "Latest year of first operation.", 2025, integer=True
    )
    near = ValueFilter(
        field_class=PointField,
        method="filter_near",
        schema={"type": "string", "pattern": NUMBERS_PATTERN, "example": "38.26,140.87"},
        help_text=(
            "lat,lon of a point; with radius_km, keeps facilities within that great-circle "
            "distance and adds distance_km to each result (ordering=distance sorts by it)."
        ),
    )
    radius_km = number_filter(
        None, "exact", "Radius in km around `near` (required with near).", 300, method="filter_noop"
    )
    bbox = ValueFilter(
        field_class=BoxField,
        method="filter_bbox",
        schema={"type": "string", "pattern": NUMBERS_PATTERN, "example": "129,30,146,46"},
        help_text="min_lon,min_lat,max_lon,max_lat: facilities inside this box.",
    )
    ordering = _ordering(FACILITY_ORDERING, "Sort order.")

    class Meta:
        model = Facility
        fields: list[str] = []
        form = FacilityFilterForm

    def filter_operator(self, queryset, name, value):
        return queryset.operated_by(self.visible(Institution).filter(slug__in=value))

    def filter_access_mode(self, queryset, name, value):
        modes = self.visible(AccessMode).filter(Q(slug__in=value) | Q(kind__in=value))
        return selectors.through_visible(queryset, "access_modes", modes)

    def filter_near(self, queryset, name, value):
        lat, lon = value
        return selectors.within_radius(
            queryset, lat, lon, float(self.form.cleaned_data["radius_km"])
        )

    def filter_bbox(self, queryset, name, value):
        return selectors.in_bbox(queryset, *value)

    def filter_noop(self, queryset, name, value):
        return queryset


# --- Programmes --------------------------------------------------------------------


PROGRAMME_ORDERING = {
    "name": "name",
    "updated_at": "updated_at",
    "starts_on": "starts_on",
    "ends_on": "ends_on",
}


class ProgrammeFilterSet(SuccessionFilters, DirectoryFilterSet):
    facets = {
        "kind": Facet("kind", ProgrammeKind),
        "status": Facet("status", ProgrammeStatus),
        "country": Facet("countries__code", "country", filters=("country", "country_all")),
        "field": Facet("fields__slug", None, "fields"),
        "call_frequency": Facet("call_frequency", CallFrequency),
        "funder": Facet(
            "roles__institution__slug",
            relation="roles__institution",
            condition=(("roles__role", ProgrammeRoleKind.FUNDER),),
        ),
        "facility": Facet("facilities__slug", relation="facilities"),
    }
    lookups = {
        "starts_on": (RANGE,),
        "ends_on": (RANGE,),
        "typical_duration_months": (RANGE,),
        **dict.fromkeys(("kind", "status", "funder", "country", "field", "facility"), (NEGATE,)),
    }
    kind = choice_filter("kind", ProgrammeKind, "Programme kind.")
    status = choice_filter("status", ProgrammeStatus, "Programme status.")
    funder = slug_filter("funder", "Funding institutions.", "jst", method="filter_funder")
    country = country_filter(
        "countries__code", "Participating country", relation="countries", key="code"
    )
    country_all = MultiValueFilter(
        field_name="countries",
        check=check_country,
        enum=sorted(COUNTRY_CODES),
        example=["GB", "JP"],
        method="filter_country_all",
        help_text="Programmes involving EVERY listed country, e.g. GB,JP (AND).",
    )
    field = slug_filter("fields", "Research fields.", "quantum-technology")
    facility = slug_filter("facilities", "Facilities the programme gives access to.", "nanoterasu")
    active_on = ValueFilter(
        field_class=DayField,
        method="filter_active_on",
        schema={"type": "string", "format": "date", "example": "2026-04-01"},
        help_text="Programmes running on this date (YYYY-MM-DD).",
    )
    has_open_call = ValueFilter(
        field_class=BooleanChoiceField,
        method="filter_has_open_call",
        schema={"type": "boolean", "example": True},
        help_text="true: programmes with a call open now; false: programmes without one.",
    )
    deadline_before = moment_filter(
        "filter_deadline_before",
        "Programmes with a call whose deadline is before this date or date-time.",
    )
    deadline_after = moment_filter(
        "filter_deadline_after",
        "Programmes with a call whose deadline is at or after this date or date-time.",
    )
    ordering = _ordering(PROGRAMME_ORDERING, "Sort order.")

    class Meta:
        model = Programme
        fields: list[str] = []

    def visible_calls(self):
        return self.visible(Call)

    def filter_funder(self, queryset, name, value):
        return queryset.funded_by(self.visible(Institution).filter(slug__in=value))

    def filter_country_all(self, queryset, name, value):
        return queryset.involving_every_country(value)

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)

    def filter_has_open_call(self, queryset, name, value):
        with_open = queryset.with_calls(self.visible_calls().with_status(CallStatus.OPEN))
        if value:
            return with_open
        return queryset.exclude(pk__in=with_open.values("pk"))

    def filter_deadline_before(self, queryset, name, value):
        return queryset.with_calls(self.visible_calls().filter(closes_at__lt=value))

    def filter_deadline_after(self, queryset, name, value):
        return queryset.with_calls(self.visible_calls().filter(closes_at__gte=value))


# --- Calls ----------------------------------------------------------------------------


CALL_ORDERING = {
    "closes_at": "closes_at",
    "opens_on": "opens_on",
    "name": "name",
    "updated_at": "updated_at",
}


class CallFilterSet(DirectoryFilterSet):
    facets = {
        "programme": Facet("programme__slug"),
        "country": Facet("programme__countries__code", "country"),
        "field": Facet("programme__fields__slug", None, "programme__fields"),
    }
    lookups = {
        "opens_on": (RANGE,),
        "closes_at": (RANGE,),
        **dict.fromkeys(("programme", "status", "field", "country"), (NEGATE,)),
    }
    programme = slug_filter("programme", "Programmes.", "q-leap")
    facility = slug_filter(
        "programme__facilities", "Facilities the call's programme gives access to.", "spring-8"
    )
    status = MultiValueFilter(
        check=check_choice(CallStatus),
        enum=CallStatus.values,
        example=["open"],
        method="filter_status",
        help_text="open, upcoming or closed, computed from the dates at request time (OR).",
    )
    closes_before = moment_filter(
        "filter_closes_before", "Calls whose deadline is before this date or date-time."
    )
    closes_after = moment_filter(
        "filter_closes_after", "Calls whose deadline is at or after this date or date-time."
    )
    field = slug_filter(
        "programme__fields", "Research fields of the call's programme.", "photonics"
    )
    country = country_filter(
        "programme__countries__code",
        "Participating country of the programme",
        relation="programme__countries",
        key="code",
    )
    ordering = _ordering(CALL_ORDERING, "Sort order (default: deadline).")

    class Meta:
        model = Call
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        now = timezone.now()
        condition = Q()
        for status in value:
            condition |= Q(pk__in=Call.objects.with_status(status, now).values("pk"))
        return queryset.filter(condition)

    def filter_closes_before(self, queryset, name, value):
        return queryset.filter(closes_at__lt=value)

    def filter_closes_after(self, queryset, name, value):
        return queryset.filter(closes_at__gte=value)


# --- Institutions ---------------------------------------------------------------------

INSTITUTION_ROLES = list(dict.fromkeys([*FacilityRoleKind.values, *ProgrammeRoleKind.values]))
INSTITUTION_ORDERING = {"name": "name", "updated_at": "updated_at", "country_id": "country"}


class InstitutionFilterSet(SuccessionFilters, DirectoryFilterSet):
    facets = {
        "country": Facet("country_id", "country"),
        "kind": Facet("kind", InstitutionKind),
        "parent": Facet("parent__slug", relation="parent"),
    }
    lookups = {
        "city": (TEXT,),
        "city_ja": (TEXT,),
        **dict.fromkeys(("kind", "country", "parent"), (NEGATE,)),
    }
    kind = choice_filter("kind", InstitutionKind, "Institution kind.")
    country = country_filter()
    parent = slug_filter("parent", "Parent institutions.", "ukri")
    ror_id = identifier_filter(identifiers.ROR, "ROR id(s), e.g. 057zh3y96 or its URL")
    has_ror_id = ValueFilter(
        field_class=BooleanChoiceField,
        method="filter_has_ror_id",
        schema={"type": "boolean", "example": True},
        help_text="true: institutions with a ROR id; false: institutions without one.",
    )
    wikidata = identifier_filter(identifiers.WIKIDATA, "Wikidata item(s), e.g. Q42")
    role = MultiValueFilter(
        check=lambda value: check_choice_list(value, INSTITUTION_ROLES),
        enum=INSTITUTION_ROLES,
        example=["operator"],
        method="filter_links",
        help_text=(
            "Institutions holding one of these roles at a facility or in a programme: "
            f"{', '.join(INSTITUTION_ROLES)} (OR)."
        ),
    )
    facility_kind = MultiValueFilter(
        check=check_choice(FacilityKind),
        enum=FacilityKind.values,
        example=["spallation_neutron"],
        method="filter_links",
        help_text=(
            "Institutions linked to a facility of this kind; with role, through that role "
            "(role=operator&facility_kind=spallation_neutron)."
        ),
    )
    ordering = _ordering(INSTITUTION_ORDERING, "Sort order.")

    class Meta:
        model = Institution
        fields: list[str] = []

    def filter_has_ror_id(self, queryset, name, value):
        return queryset.filter(ror_id__isnull=not value)

    def filter_links(self, queryset, name, value):
        # role and facility_kind combine into one condition: apply it once, from role.
        data = self.form.cleaned_data
        roles, kinds = data.get("role") or [], data.get("facility_kind") or []
        if name == "facility_kind" and roles:
            return queryset
        return queryset.linked(
            roles=roles,
            facility_kinds=kinds,
            facilities=self.visible(Facility),
            programmes=self.visible(Programme),
        )


def check_choice_list(value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise not_one_of(value, allowed)
    return value


# --- Agreements, techniques, fields -------------------------------------------------------


class AgreementFilterSet(DirectoryFilterSet):
    facets = {
        "kind": Facet("kind", AgreementKind),
        "institution": Facet("institutions__slug", relation="institutions"),
        "facility": Facet("facilities__slug", relation="facilities"),
    }
    lookups = {
        "signed_on": (RANGE,),
        "renewed_on": (RANGE,),
        "expires_on": (RANGE,),
        "renewal_period_years": (RANGE,),
        **dict.fromkeys(("kind", "institution", "facility"), (NEGATE,)),
    }
    kind = choice_filter("kind", AgreementKind, "Agreement kind.")
    institution = slug_filter("institutions", "Institution parties.", "kek")
    facility = slug_filter("facilities", "Facility parties.", "j-parc")
    ordering = _ordering(
        {"name": "name", "signed_on": "signed_on", "updated_at": "updated_at"}, "Sort order."
    )

    class Meta:
        model = Agreement
        fields: list[str] = []


class TechniqueFilterSet(DirectoryFilterSet):
    facets = {"probe": Facet("probe", Probe)}
    lookups = {"probe": (NEGATE,)}
    probe = choice_filter("probe", Probe, "Probe.")
    ordering = _ordering({"name": "name", "updated_at": "updated_at"}, "Sort order.")

    class Meta:
        model = Technique
        fields: list[str] = []


class ResearchFieldFilterSet(DirectoryFilterSet):
    ordering = _ordering({"name": "name", "updated_at": "updated_at"}, "Sort order.")

    class Meta:
        model = ResearchField
        fields: list[str] = []


class SourceFilterSet(DirectoryFilterSet):
    lookups = {"author": (TEXT,), "publisher": (TEXT,), "published_on": (RANGE,)}
    ordering = _ordering(
        {"name": "name", "published_on": "published_on", "updated_at": "updated_at"},
        "Sort order.",
    )

    class Meta:
        model = Source
        fields: list[str] = []


# --- Instruments ----------------------------------------------------------------------


class InstrumentFilterSet(DirectoryFilterSet):
    facets = {
        "facility": Facet("facility__slug"),
        "kind": Facet("kind", InstrumentKind),
        "technique": Facet("techniques__slug", None, "techniques"),
    }
    facility = slug_filter(
        "facility", "Facilities the instrument belongs to.", "diamond-light-source"
    )
    kind = choice_filter("kind", InstrumentKind, "Instrument kind.")
    technique = slug_filter("techniques", "Techniques offered at the instrument.", "xafs")
    facility_energy_gev_min = number_filter(
        "facility__energy_gev",
        "gte",
        "Minimum beam energy in GeV of the instrument's facility (instruments record no "
        "energy range of their own).",
        3,
    )
    facility_energy_gev_max = number_filter(
        "facility__energy_gev",
        "lte",
        "Maximum beam energy in GeV of the instrument's facility.",
        8,
    )
    ordering = _ordering({"name": "name", "updated_at": "updated_at"}, "Sort order.")

    class Meta:
        model = Instrument
        fields: list[str] = []
