"""What a widget lists: its parameters, checked like the API's, and its items, ready to render.

The filtering is the API's own (``directory.filtersets``), so
``/embed/calls/?country=GB&status=open`` lists exactly what
``/api/v1/calls/?country=GB&status=open`` returns, in the same order.
Every piece of record text leaves here escaped (``format_html``/``conditional_escape``), with a
``lang`` attribute where its language differs from the page's. The widget's own words
(embed.words) and messages are in the active language: the views build a listing inside
``translation.override`` of the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from directory import selectors, validators
from directory.choices import (
    JAPANESE_LABELS,
    CallStatus,
    FacilityKind,
    FacilityStatus,
    ProgrammeKind,
    ProgrammeStatus,
    choice_label,
    in_language,
)
from directory.countries import countries_by_code
from directory.filtersets import CallFilterSet, FacilityFilterSet, ProgrammeFilterSet
from directory.models import Call, Facility, Programme
from embed.dates import format_date, format_deadline
from embed.themes import DEFAULT_THEME, THEMES
from embed.words import WORDS

LANGUAGES = ("en", "ja")
DEFAULT_LIMIT, MAX_LIMIT = 10, 50
#: Parameters of the widget itself; every other parameter is an API filter.
WIDGET_PARAMETERS = ("lang", "theme", "limit")


class BadParameters(Exception):
    """Parameters a widget cannot use: name -> messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


# --- Text in the page language ----------------------------------------------------------


def text(value: str, lang: str, page_lang: str) -> SafeString:
    """``value`` escaped, wrapped in ``<span lang>`` when not in the page's language."""
    if lang == page_lang:
        return conditional_escape(value)
    return format_html('<span lang="{}">{}</span>', lang, value)


def localised(english: str, japanese: str, page_lang: str) -> SafeString:
    """The Japanese text when the page is Japanese and it exists, else the English."""
    value, lang = in_language(english, japanese, page_lang)
    return text(value, lang, page_lang)


def label(choices, value: str, page_lang: str) -> SafeString:
    """A choice's label in the page language (English, marked as such, when untranslated)."""
    if not value:
        return SafeString("")
    japanese = JAPANESE_LABELS.get(choices, {}).get(value, "")
    return localised(choice_label(choices, value, "en"), japanese, page_lang)


def country_name(code: str, page_lang: str) -> SafeString:
    country = countries_by_code().get(code)
    if country is None:
        return conditional_escape(code)
    return localised(country.name, country.name_ja, page_lang)


# --- Items ----------------------------------------------------------------------------------


@dataclass
class Item:
    """One list entry: the record's name linking out, facts, and (calls) status and deadline."""

    name: SafeString
    url: str
    facts: list[SafeString] = field(default_factory=list)
    status: str = ""
    status_label: SafeString | str = ""
    deadline: SafeString | None = None

    @property
    def facts_html(self) -> SafeString:
        """The facts joined with middle dots."""
        return format_html_join(" · ", "{}", ((fact,) for fact in self.facts))


def facility_items(records, page_lang: str, api_root: str, now) -> list[Item]:
    items = []
    for facility in records:
        place = [
            part
            for part in (
                localised(facility.city, facility.city_ja, page_lang)
                if facility.city or facility.city_ja
                else "",
                country_name(facility.country_id, page_lang),
            )
            if part
        ]
        facts = [
            label(FacilityKind, facility.kind, page_lang),
            label(FacilityStatus, facility.status, page_lang),
            SafeString(", ".join(place)),
        ]
        items.append(
            Item(
                name=localised(facility.name, facility.name_ja, page_lang),
                url=facility.website or f"{api_root}facilities/{facility.slug}/",
                facts=[fact for fact in facts if fact],
            )
        )
    return items


def programme_items(records, page_lang: str, api_root: str, now) -> list[Item]:
    items = []
    for programme in records:
        countries = SafeString(
            ", ".join(country_name(c.code, page_lang) for c in programme.countries.all())
        )
        facts = [
            label(ProgrammeKind, programme.kind, page_lang),
            label(ProgrammeStatus, programme.status, page_lang),
            countries,
        ]
        items.append(
            Item(
                name=localised(programme.name, programme.name_ja, page_lang),
                url=programme.website or f"{api_root}programmes/{programme.slug}/",
                facts=[fact for fact in facts if fact],
            )
        )
    return items


def dated(value, text: str) -> SafeString:
    """``<time datetime="ISO">text</time>``."""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), text)


def call_items(records, page_lang: str, api_root: str, now) -> list[Item]:
    items = []
    for call in records:
        programme = call.programme
        status = call.status_at(now)
        local = call.closes_at_local
        when = format_deadline(local, call.deadline_timezone, page_lang)
        # The words come from our own catalogue (embed/locale); format_html escapes the values.
        deadline = format_html(str(WORDS["deadline"]), date=dated(local, when))
        facts = [
            format_html(
                str(WORDS["programme"]),
                name=localised(programme.name, programme.name_ja, page_lang),
            )
        ]
        if status == CallStatus.UPCOMING and call.opens_on:
            opens = dated(call.opens_on, format_date(call.opens_on, page_lang))
            facts.append(format_html(str(WORDS["opens"]), date=opens))
        items.append(
            Item(
                name=localised(call.name, call.name_ja, page_lang),
                url=call.url
                or call.website
                or programme.website
                or f"{api_root}calls/{call.slug}/",
                facts=facts,
                status=status,
                status_label=label(CallStatus, status, page_lang),
                deadline=deadline,
            )
        )
    return items


# --- Resources --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """A kind of record a widget can list."""

    name: str
    model: type
    filterset_class: type
    build_items: object

    def queryset(self, user):
        queryset = selectors.visible(self.model, user)
        if self.model is Call:
            queryset = queryset.select_related("programme")
        elif self.model is Programme:
            queryset = queryset.prefetch_related("countries")
        return queryset


RESOURCES = {
    "facilities": Resource("facilities", Facility, FacilityFilterSet, facility_items),
    "programmes": Resource("programmes", Programme, ProgrammeFilterSet, programme_items),
    "calls": Resource("calls", Call, CallFilterSet, call_items),
}


# --- Parameters -------------------------------------------------------------------------------


@dataclass
class Listing:
    """A widget's checked parameters and what it shows."""

    resource: Resource
    lang: str
    theme: str
    limit: int
    explicit_lang: bool
    filters: QueryDict
    items: list[Item] = field(default_factory=list)
    total: int = 0

    def title(self) -> str:
        """The widget's heading, in the active language (the views set the listing's)."""
        return str(WORDS[self.resource.name])


def check_widget_parameters(query: QueryDict, default_lang: str) -> tuple[dict, dict]:
    """(lang, theme, limit, explicit_lang) and the errors among them."""
    errors: dict[str, list[str]] = {}
    lang = query.get("lang")
    explicit = lang is not None
    if lang is None:
        lang = default_lang if default_lang in LANGUAGES else "en"
    elif lang not in LANGUAGES:
        errors["lang"] = [_("'%(value)s' is not supported: use en or ja.") % {"value": lang}]
        lang = "en"
    theme = query.get("theme", DEFAULT_THEME)
    if theme not in THEMES:
        errors["theme"] = [
            _("'%(value)s' is not a theme: use %(themes)s.")
            % {"value": theme, "themes": _(" or ").join(THEMES)}
        ]
        theme = DEFAULT_THEME
    raw_limit = query.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = validators.parse_count(raw_limit, name="limit", maximum=MAX_LIMIT)
    except ValueError as error:
        errors["limit"] = [str(error)]
        limit = DEFAULT_LIMIT
    for name in WIDGET_PARAMETERS:
        if len(query.getlist(name)) > 1:
            errors.setdefault(name, []).append(_("Give %(name)s once.") % {"name": name})
    values = {"lang": lang, "theme": theme, "limit": limit, "explicit_lang": explicit}
    return values, errors


def build_listing(
    resource_name: str,
    query: QueryDict,
    request,
    *,
    default_lang: str = "en",
    fetch: bool = True,
) -> Listing:
    """Check ``query`` as the widget of ``resource_name`` reads it; list the records.

    Raises :class:`BadParameters` naming every parameter that is unknown or malformed.
    """
    resource = RESOURCES[resource_name]
    values, errors = check_widget_parameters(query, default_lang)
    filters = query.copy()
    for name in WIDGET_PARAMETERS:
        filters.pop(name, None)
    allowed = set(resource.filterset_class.base_filters)
    for name in sorted(set(filters) - allowed):
        errors[name] = [
            _("Unknown parameter. Allowed here: %(names)s.")
            % {"names": ", ".join(sorted(allowed | set(WIDGET_PARAMETERS)))}
        ]
        filters.pop(name)
    user = getattr(request, "user", None)
    filterset = resource.filterset_class(filters, queryset=resource.queryset(user), request=request)
    if not filterset.is_valid():
        for name, messages in filterset.errors.items():
            errors[name] = list(messages)
    if errors:
        raise BadParameters(dict(sorted(errors.items())))
    listing = Listing(resource=resource, filters=filters, **values)
    if fetch:
        queryset = filterset.qs
        listing.total = queryset.count()
        records = list(queryset[: listing.limit])
        api_root = request.build_absolute_uri("/api/v1/")
        listing.items = resource.build_items(records, listing.lang, api_root, timezone.now())
    return listing
