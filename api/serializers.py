"""Serializers: records with their related records in brief, in English or Japanese.

Every record carries ``slug``, its absolute ``url``, ``name`` and ``name_ja`` (both always),
``display_name`` in the request language, brief summaries of related records, its
``sources`` and its timestamps. Related summaries come from ``record.briefs``, filled in
one query per page by :func:`directory.selectors.attach_briefs`.
"""

from __future__ import annotations

import functools
import json

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from directory import choices, selectors
from directory.cross_search import KIND_NAMES
from directory.matching import MatchType
from directory.models import (
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

# --- Context helpers ------------------------------------------------------------------


@functools.cache
def field_names(serializer_class) -> tuple[str, ...]:
    """The fields a serializer offers (built once per class, not per request)."""
    return tuple(serializer_class().fields)


def language_of(context) -> str:
    return context.get("language", "en")


#: Kinds of record without an endpoint of their own, and the list their ``url`` opens instead
#: (an access mode: the facilities open through it).
LISTED_BY = {"access-modes": "facilities/?access_mode={slug}"}


def record_url(context, resource: str, slug: str) -> str | None:
    """Absolute URL of a record of ``resource`` ("" resource: the record has no endpoint)."""
    if not resource:
        return None
    base = context.get("api_root", "/api/v1/")
    if resource in LISTED_BY:
        return base + LISTED_BY[resource].format(slug=slug)
    return f"{base}{resource}/{slug}/"


#: The directory's one language fallback (re-exported for the API's views and feeds).
localised = choices.localised


# --- Brief summaries ------------------------------------------------------------------


class BriefSerializer(serializers.Serializer):
    """A related record in brief (schema and documentation of the nested objects)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    name_ja = serializers.CharField()
    display_name = serializers.CharField()
    url = serializers.URLField(
        help_text="The record in this API; for an access mode, the facilities open through it."
    )


class RoleSerializer(serializers.Serializer):
    """One role a related record holds, with what the link rests on."""

    role = serializers.CharField()
    role_label = serializers.CharField()
    note = serializers.CharField(help_text="What the link rests on, e.g. its source line.")
    needs_review = serializers.BooleanField(
        help_text="The link rests on an unchecked fact (the note names it); shown on both ends."
    )


class CitedSourceSerializer(serializers.Serializer):
    """The source a citation names, as a reader finds it."""

    slug = serializers.CharField()
    title = serializers.CharField()
    title_ja = serializers.CharField()
    display_title = serializers.CharField()
    publisher = serializers.CharField()
    publisher_ja = serializers.CharField()
    date = serializers.CharField(
        allow_null=True,
        help_text="ISO 8601 to the precision the document gives: 2023, 2023-03 or 2018-08-09.",
    )
    url = serializers.URLField(
        help_text="Where to open the document: its public address, or else this API's record "
        "of the source."
    )
    api_url = serializers.URLField(help_text="This API's record of the source.")


class CitationSerializer(serializers.Serializer):
    """A citation backing a record's facts: the source, where in it, and the passage."""

    source = CitedSourceSerializer()
    locator = serializers.CharField(help_text="Where in the source: line 43, lines 49–53, p. 12.")
    passage = serializers.CharField(required=False, help_text="The words quoted.")


class RoleBriefSerializer(BriefSerializer):
    """A related record once, with every role it holds (an operator that is also the owner)."""

    roles = RoleSerializer(many=True)


class SuccessionBriefSerializer(BriefSerializer):
    """A predecessor or successor in brief, with how and when one followed the other."""

    type = serializers.CharField(help_text="How the predecessor led to the successor.")
    type_label = serializers.CharField()
    date = serializers.DateField(allow_null=True, help_text="When; null if no source says.")
    date_precision = serializers.ChoiceField(
        choices=choices.DatePrecision.choices,
        help_text="How precise `date` is; present only when `date` is set.",
    )
    note = serializers.CharField()
    note_ja = serializers.CharField()
    sources = CitationSerializer(
        many=True, help_text="Its citations, as a record's (those the caller may see)."
    )


class CountryBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_ja = serializers.CharField()
    display_name = serializers.CharField()


def brief_dict(context, brief) -> dict:
    return {
        "slug": brief.slug,
        "name": brief.name,
        "name_ja": brief.name_ja,
        "display_name": localised(brief.name, brief.name_ja, language_of(context)),
        "url": record_url(context, brief.kind, brief.slug),
    }


class BriefsField(serializers.Field):
    """The related records of one relation, read from ``record.briefs``."""

    def __init__(self, relation: str, role_choices=None, **kwargs):
        self.relation = relation
        self.role_choices = role_choices
        kwargs.setdefault("read_only", True)
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, record):
        return [brief_dict(self.context, brief) for brief in record.briefs.get(self.relation, [])]


@extend_schema_field(BriefSerializer(many=True))
class PlainBriefsField(BriefsField):
    pass


@extend_schema_field(RoleBriefSerializer(many=True))
class RoleBriefsField(BriefsField):
    """Each related record once, with the list of its roles (the briefs hold one link per
    role, sorted by role then name: a record appears where its first role puts it)."""

    def to_representation(self, record):
        language = language_of(self.context)
        grouped: dict[str, dict] = {}
        for brief in record.briefs.get(self.relation, []):
            entry = grouped.get(brief.slug)
            if entry is None:
                entry = grouped[brief.slug] = {**brief_dict(self.context, brief), "roles": []}
            entry["roles"].append(
                {
                    "role": brief.role,
                    "role_label": choices.choice_label(self.role_choices, brief.role, language),
                    "note": brief.note,
                    "needs_review": brief.needs_review,
                }
            )
        return list(grouped.values())


def _link_date(value) -> str | None:
    """A date from the briefs query (a date on PostgreSQL, text on SQLite) as ISO text."""
    if value is None or value == "":
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def _link_json(value) -> list:
    """A JSON column from the briefs query (text on either database, or already parsed)."""
    if value is None or value == "":
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value


@extend_schema_field(SuccessionBriefSerializer(many=True))
class SuccessionBriefsField(BriefsField):
    """Predecessors or successors: each in brief with its type, date, note and citations
    (shown as the record's own: :func:`citations_shown`).

    Only those the caller may see: a succession to a draft is not shown to the public, nor a
    citation of a draft source.
    """

    def to_representation(self, record):
        language = language_of(self.context)
        result = []
        for brief in record.briefs.get(self.relation, []):
            date, precision, note, note_ja, sources = brief.extra
            data = brief_dict(self.context, brief)
            data.update(
                {
                    "type": brief.role,
                    "type_label": choices.choice_label(self.role_choices, brief.role, language),
                    "date": _link_date(date),
                    "date_precision": precision,
                    "note": note or "",
                    "note_ja": note_ja or "",
                    "sources": citations_shown(self.context, record, _link_json(sources)),
                }
            )
            if data["date"] is None:
                del data["date_precision"]  # no date, nothing to be precise about
            result.append(data)
        return result


@extend_schema_field(CountryBriefSerializer(many=True))
class CountryBriefsField(BriefsField):
    def to_representation(self, record):
        language = language_of(self.context)
        countries = self.context["countries"]
        result = []
        for brief in record.briefs.get(self.relation, []):
            country = countries.get(brief.slug)
            name, name_ja = (country.name, country.name_ja) if country else (brief.name, "")
            result.append(
                {
                    "code": brief.slug,
                    "name": name,
                    "name_ja": name_ja,
                    "display_name": localised(name, name_ja, language),
                }
            )
        return result


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.Field):
    """The label of a choice field in the request language."""

    def __init__(self, choices_class, **kwargs):
        self.choices_class = choices_class
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return choices.choice_label(self.choices_class, value, language_of(self.context))


@extend_schema_field(OpenApiTypes.STR)
class CountryNameField(serializers.Field):
    """The country's name in the request language, from its code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "country_id")
        super().__init__(**kwargs)

    def to_representation(self, code):
        country = self.context["countries"].get(code)
        if country is None:
            return code
        return localised(country.name, country.name_ja, language_of(self.context))


@extend_schema_field(OpenApiTypes.STR)
class CityNameField(serializers.Field):
    """The city in the request language: with lang=ja its Japanese name where the record has
    one, else the English (as display_name falls back)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        kwargs.setdefault("help_text", "`city` or, in Japanese, `city_ja` where it is set.")
        super().__init__(**kwargs)

    def to_representation(self, record):
        return localised(record.city, record.city_ja, language_of(self.context))


class InstitutionIdentifiersSerializer(serializers.Serializer):
    """An institution's persistent identifiers (null where it has none)."""

    ror = serializers.URLField(allow_null=True, help_text="ROR id as its URL (canonical form).")
    wikidata = serializers.CharField(allow_null=True, help_text="Wikidata item, e.g. Q42.")
    isni = serializers.CharField(allow_null=True, help_text="ISNI, 16 characters, no spaces.")
    crossref_funder_id = serializers.CharField(
        allow_null=True, help_text="Crossref Funder ID as its DOI, 10.13039/<digits>."
    )


class FacilityIdentifiersSerializer(serializers.Serializer):
    """A facility's persistent identifiers (null where it has none)."""

    wikidata = serializers.CharField(allow_null=True, help_text="Wikidata item, e.g. Q42.")


class IdentifiersField(serializers.Field):
    """The record's ``identifiers`` object (directory.identifiers states the schemes)."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value


@extend_schema_field(InstitutionIdentifiersSerializer)
class InstitutionIdentifiersField(IdentifiersField):
    pass


@extend_schema_field(FacilityIdentifiersSerializer)
class FacilityIdentifiersField(IdentifiersField):
    pass


def source_date(published_on, precision) -> str | None:
    """A source's date as ISO 8601 to the precision it is known: 2023, 2023-03, 2018-08-09."""
    if not published_on:
        return None
    text = str(published_on)[:10]  # a date, or its ISO text from the briefs query
    return {"year": text[:4], "month": text[:7]}.get(precision or "day", text)


def cited_source_dict(context, brief) -> dict:
    """The source of a citation (a brief of relations.cited_sources) as the API shows it."""
    publisher, publisher_ja, url, published_on, precision = brief.extra
    api_url = record_url(context, "sources", brief.slug)
    return {
        "slug": brief.slug,
        "title": brief.name,
        "title_ja": brief.name_ja,
        "display_title": localised(brief.name, brief.name_ja, language_of(context)),
        "publisher": publisher or "",
        "publisher_ja": publisher_ja or "",
        "date": source_date(published_on, precision),
        "url": url or api_url,
        "api_url": api_url,
    }


def citations_shown(context, record, citations) -> list[dict]:
    """``citations`` (stored ``{source, locator, passage?}`` dicts: the record's own, or those
    of one of its successions) as the API shows them, each with what a reader needs to find
    its source, read from ``record.briefs["sources"]`` (filled with the other summaries in one
    query; a succession's sources are indexed on both its ends: services.citations). A
    citation of a source the caller may not see (a draft) is left out, as any relation to a
    draft."""
    sources = {brief.slug: brief for brief in record.briefs.get("sources", [])}
    shown = []
    for citation in citations or []:
        brief = sources.get(citation.get("source")) if isinstance(citation, dict) else None
        if brief is None:
            continue
        item = {
            "source": cited_source_dict(context, brief),
            "locator": citation.get("locator", ""),
        }
        if citation.get("passage"):
            item["passage"] = citation["passage"]
        shown.append(item)
    return shown


@extend_schema_field(CitationSerializer(many=True))
class CitationsField(serializers.Field):
    """A record's citations (:func:`citations_shown`)."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, record):
        return citations_shown(self.context, record, record.sources)


# --- Records --------------------------------------------------------------------------


class NumberField(serializers.DecimalField):
    """A decimal column as a JSON number (``3.0``, not ``"3.000"``), its precision stated in
    the schema: the database keeps it exact to ``decimal_places``."""

    def __init__(self, *args, **kwargs):
        kwargs["coerce_to_string"] = False
        super().__init__(*args, **kwargs)
        precision = (
            f"A number with at most {self.decimal_places} decimal places "
            f"(exact to that precision in the directory)."
        )
        self.help_text = f"{self.help_text} {precision}" if self.help_text else precision


class RecordSerializer(serializers.ModelSerializer):
    """Fields every record shares; ``fields=`` in the query keeps only the listed ones.

    Decimal columns are JSON numbers (:class:`NumberField`); a ``<date>_precision`` field is
    left out when its date is not set (it would say how precise nothing is).
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: NumberField,
    }
    resource = ""
    #: Related summaries too costly for a page of 200 records: shown on the detail only.
    DETAIL_ONLY: tuple[str, ...] = ()

    url = serializers.SerializerMethodField()
    display_name = serializers.SerializerMethodField()
    display_description = serializers.SerializerMethodField()
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    sources = CitationsField()

    COMMON_FIELDS = (
        "slug",
        "url",
        "name",
        "name_ja",
        "display_name",
        "acronym",
        "aliases",
    )
    PROVENANCE_FIELDS = (
        "description",
        "description_ja",
        "display_description",
        "website",
        "sources",
        "last_verified_on",
        "needs_review",
        "review_note",
        "is_published",
        "created_at",
        "updated_at",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.context.get("listing", False):
            for name in self.DETAIL_ONLY:
                self.fields.pop(name, None)

    def build_field(self, field_name, info, model_class, nested_depth):
        field_class, kwargs = super().build_field(field_name, info, model_class, nested_depth)
        if field_name.endswith(choices.PRECISION_SUFFIX):
            date = field_name.removesuffix(choices.PRECISION_SUFFIX)
            note = f"Present only when `{date}` is set."
            known = kwargs.get("help_text")
            kwargs["help_text"] = f"{known} {note}" if known else note
        return field_class, kwargs

    def to_representation(self, record):
        return choices.drop_undated_precisions(super().to_representation(record))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, record) -> str:
        return record_url(self.context, self.resource, record.slug)

    def get_display_name(self, record) -> str:
        return localised(record.name, record.name_ja, language_of(self.context))

    def get_display_description(self, record) -> str:
        return localised(record.description, record.description_ja, language_of(self.context))


class TechniqueSerializer(RecordSerializer):
    resource = "techniques"
    probe_label = ChoiceLabelField(choices.Probe, source="probe")
    facilities = PlainBriefsField("facilities")

    class Meta:
        model = Technique
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "probe",
            "probe_label",
            "facilities",
            *RecordSerializer.PROVENANCE_FIELDS,
        )


class ResearchFieldSerializer(RecordSerializer):
    resource = "fields"
    facilities = PlainBriefsField("facilities")
    programmes = PlainBriefsField("programmes")

    class Meta:
        model = ResearchField
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "facilities",
            "programmes",
            *RecordSerializer.PROVENANCE_FIELDS,
        )


class FacilityDistance(serializers.Serializer):
    """What a facility's answer holds of the request rather than of the record: its distance
    to ``near``, present only when the list was asked for one."""

    distance_km = serializers.SerializerMethodField(
        help_text="Great-circle distance to `near` in km; present only when `near` is given."
    )

    def get_distance_km(self, record) -> float | None:
        distance = getattr(record, "distance_km", None)
        return None if distance is None else round(distance, 3)

    def to_representation(self, record):
        data = super().to_representation(record)
        if data.get("distance_km") is None:
            data.pop("distance_km", None)
        return data


def calls_link(context, parameter: str, slug: str) -> str:
    """The calls list narrowed to one programme or facility (every status, nearest first)."""
    return f"{context.get('api_root', '/api/v1/')}calls/?{parameter}={slug}"


class FacilitySerializer(RecordSerializer, FacilityDistance):
    Volatile = FacilityDistance
    resource = "facilities"
    kind_label = ChoiceLabelField(choices.FacilityKind, source="kind")
    status_label = ChoiceLabelField(choices.FacilityStatus, source="status")
    country = serializers.CharField(source="country_id", read_only=True)
    country_name = CountryNameField()
    display_city = CityNameField()
    institutions = RoleBriefsField(
        "institutions",
        choices.FacilityRoleKind,
        help_text="Operators, owners, partners and funders, each with its role.",
    )
    techniques = PlainBriefsField("techniques")
    access_modes = PlainBriefsField("access_modes")
    research_fields = PlainBriefsField("fields")
    identifiers = FacilityIdentifiersField()
    instruments = PlainBriefsField("instruments", help_text="Detail only.")
    programmes = PlainBriefsField("programmes", help_text="Detail only.")
    agreements = PlainBriefsField("agreements", help_text="Detail only.")
    successors = SuccessionBriefsField(
        "successors",
        choices.SuccessionType,
        help_text="Detail only. The facilities that followed this one (JT-60 → JT-60SA).",
    )
    predecessors = SuccessionBriefsField(
        "predecessors",
        choices.SuccessionType,
        help_text="Detail only. The facilities this one followed; `type` reads from them to it.",
    )

    calls = serializers.SerializerMethodField(
        help_text="The calls of the programmes giving access to this facility, every status: "
        "/calls/?facility=<slug>."
    )

    DETAIL_ONLY = ("instruments", "programmes", "agreements", "successors", "predecessors")

    @extend_schema_field(OpenApiTypes.URI)
    def get_calls(self, facility) -> str:
        return calls_link(self.context, "facility", facility.slug)

    def to_representation(self, record):
        data = super().to_representation(record)
        # The request's own (api.representations adds it from Volatile): never cached.
        data.pop("distance_km", None)
        return data

    class Meta:
        model = Facility
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "kind",
            "kind_label",
            "status",
            "status_label",
            "country",
            "country_name",
            "city",
            "city_ja",
            "display_city",
            "site",
            "latitude",
            "longitude",
            "distance_km",
            "energy_gev",
            "circumference_m",
            "beamline_count",
            "first_operation_year",
            "user_programme_year",
            "closed_on",
            "closed_on_precision",
            "construction_cost",
            "construction_cost_currency",
            "identifiers",
            "institutions",
            "techniques",
            "access_modes",
            "research_fields",
            "instruments",
            "programmes",
            "calls",
            "agreements",
            "predecessors",
            "successors",
            *RecordSerializer.PROVENANCE_FIELDS,
        )


class CallBriefSerializer(serializers.Serializer):
    """A call in brief, with its deadline."""

    slug = serializers.CharField()
    name = serializers.CharField()
    name_ja = serializers.CharField()
    display_name = serializers.CharField()
    url = serializers.URLField()
    opens_on = serializers.DateField(allow_null=True)
    closes_at = serializers.DateTimeField()
    status = serializers.CharField()


@extend_schema_field(CallBriefSerializer(many=True))
class OpenCallsField(serializers.Field):
    """The programme's calls that are open or upcoming now (prefetched as ``current_calls``)."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, programme):
        language = language_of(self.context)
        now = self.context["now"]
        return [
            {
                "slug": call.slug,
                "name": call.name,
                "name_ja": call.name_ja,
                "display_name": localised(call.name, call.name_ja, language),
                "url": record_url(self.context, "calls", call.slug),
                "opens_on": call.opens_on.isoformat() if call.opens_on else None,
                "closes_at": serializers.DateTimeField().to_representation(call.closes_at),
                "status": call.status_at(now),
            }
            for call in programme.current_calls
        ]


class ProgrammeOpenCalls(serializers.Serializer):
    """What a programme's answer holds of the moment of the request: its current calls."""

    open_calls = OpenCallsField(help_text="Calls open now or opening soon, nearest deadline first.")


class ProgrammeSerializer(RecordSerializer, ProgrammeOpenCalls):
    Volatile = ProgrammeOpenCalls
    resource = "programmes"
    kind_label = ChoiceLabelField(choices.ProgrammeKind, source="kind")
    status_label = ChoiceLabelField(choices.ProgrammeStatus, source="status")
    call_frequency_label = ChoiceLabelField(choices.CallFrequency, source="call_frequency")
    institutions = RoleBriefsField(
        "institutions",
        choices.ProgrammeRoleKind,
        help_text="Funders, implementing agencies and partners, each with its role.",
    )
    countries = CountryBriefsField("countries")
    research_fields = PlainBriefsField("fields")
    facilities = PlainBriefsField("facilities")
    successors = SuccessionBriefsField(
        "successors",
        choices.SuccessionType,
        help_text="Detail only. The programmes that followed this one.",
    )
    predecessors = SuccessionBriefsField(
        "predecessors",
        choices.SuccessionType,
        help_text="Detail only. The programmes this one followed; `type` reads from them to it.",
    )

    calls = serializers.SerializerMethodField(
        help_text="Every call of this programme, open, upcoming and closed: "
        "/calls/?programme=<slug> (open_calls holds only the current ones)."
    )

    DETAIL_ONLY = ("successors", "predecessors")

    @extend_schema_field(OpenApiTypes.URI)
    def get_calls(self, programme) -> str:
        return calls_link(self.context, "programme", programme.slug)

    class Meta:
        model = Programme
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "kind",
            "kind_label",
            "status",
            "status_label",
            "starts_on",
            "starts_on_precision",
            "ends_on",
            "ends_on_precision",
            "total_budget",
            "total_budget_currency",
            "max_funding_per_project",
            "max_funding_currency",
            "typical_duration_months",
            "call_frequency",
            "call_frequency_label",
            "institutions",
            "countries",
            "research_fields",
            "facilities",
            "predecessors",
            "successors",
            "open_calls",
            "calls",
            *RecordSerializer.PROVENANCE_FIELDS,
        )


@extend_schema_field(BriefSerializer)
class RecordBriefField(serializers.Field):
    """A record a foreign key points at, in brief (a call's programme, an instrument's
    facility): loaded with the page (``select_related``), public whenever its owner is."""

    def __init__(self, resource: str, **kwargs):
        self.resource = resource
        kwargs.update(read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, record):
        language = language_of(self.context)
        return {
            "slug": record.slug,
            "name": record.name,
            "name_ja": record.name_ja,
            "display_name": localised(record.name, record.name_ja, language),
            "url": record_url(self.context, self.resource, record.slug),
        }


class CallStatus(serializers.Serializer):
    """A call's status at the moment of the request (it moves at the opening and deadline)."""

    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "enum": choices.CallStatus.values})
    def get_status(self, call) -> str:
        return call.status_at(self.context["now"])

    def get_status_label(self, call) -> str:
        return choices.choice_label(
            choices.CallStatus, call.status_at(self.context["now"]), language_of(self.context)
        )


class CallSerializer(RecordSerializer, CallStatus):
    Volatile = CallStatus
    resource = "calls"
    programme = RecordBriefField("programmes")
    closes_at_local = serializers.SerializerMethodField()
    call_url = serializers.URLField(source="url", read_only=True)

    class Meta:
        model = Call
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "programme",
            "status",
            "status_label",
            "opens_on",
            "closes_at",
            "closes_at_local",
            "deadline_timezone",
            "call_url",
            *RecordSerializer.PROVENANCE_FIELDS,
        )

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_closes_at_local(self, call) -> str:
        return call.closes_at_local.isoformat()


class InstitutionSerializer(RecordSerializer):
    resource = "institutions"
    kind_label = ChoiceLabelField(choices.InstitutionKind, source="kind")
    country = serializers.CharField(source="country_id", read_only=True)
    country_name = CountryNameField()
    display_city = CityNameField()
    ror_url = serializers.CharField(read_only=True)
    identifiers = InstitutionIdentifiersField()
    parent = serializers.SerializerMethodField()
    facilities = RoleBriefsField("facilities", choices.FacilityRoleKind)
    programmes = RoleBriefsField("programmes", choices.ProgrammeRoleKind)
    agreements = PlainBriefsField("agreements", help_text="Detail only.")
    successors = SuccessionBriefsField(
        "successors",
        choices.InstitutionSuccessionType,
        help_text="Detail only. What this institution became, or became part of (NIRS → QST).",
    )
    predecessors = SuccessionBriefsField(
        "predecessors",
        choices.InstitutionSuccessionType,
        help_text="Detail only. The institutions it came from; `type` reads from them to it.",
    )

    DETAIL_ONLY = ("agreements", "successors", "predecessors")

    class Meta:
        model = Institution
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "kind",
            "kind_label",
            "country",
            "country_name",
            "city",
            "city_ja",
            "display_city",
            "latitude",
            "longitude",
            "ror_id",
            "ror_url",
            "identifiers",
            "parent",
            "facilities",
            "programmes",
            "agreements",
            "predecessors",
            "successors",
            *RecordSerializer.PROVENANCE_FIELDS,
        )

    @extend_schema_field(BriefSerializer(allow_null=True))
    def get_parent(self, institution) -> dict | None:
        parent = institution.parent
        if parent is None or not (self.context.get("drafts") or selectors.is_public(parent)):
            return None
        language = language_of(self.context)
        return {
            "slug": parent.slug,
            "name": parent.name,
            "name_ja": parent.name_ja,
            "display_name": localised(parent.name, parent.name_ja, language),
            "url": record_url(self.context, "institutions", parent.slug),
        }


class AgreementSerializer(RecordSerializer):
    resource = "agreements"
    kind_label = ChoiceLabelField(choices.AgreementKind, source="kind")
    institutions = PlainBriefsField("institutions")
    facilities = PlainBriefsField("facilities")

    class Meta:
        model = Agreement
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "kind",
            "kind_label",
            "signed_on",
            "renewed_on",
            "expires_on",
            "renewal_period_years",
            "institutions",
            "facilities",
            *RecordSerializer.PROVENANCE_FIELDS,
        )


class InstrumentSerializer(RecordSerializer):
    """A beamline or instrument at a facility; public while its facility is."""

    resource = "instruments"
    facility = RecordBriefField("facilities")
    kind_label = ChoiceLabelField(choices.InstrumentKind, source="kind")
    techniques = PlainBriefsField("techniques")

    class Meta:
        model = Instrument
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "facility",
            "kind",
            "kind_label",
            "techniques",
            *RecordSerializer.PROVENANCE_FIELDS,
        )


class CitedBySerializer(serializers.Serializer):
    """The records citing a source, by kind (those the caller may see)."""

    facilities = BriefSerializer(many=True)
    programmes = BriefSerializer(many=True)
    calls = BriefSerializer(many=True)
    institutions = BriefSerializer(many=True)
    agreements = BriefSerializer(many=True)
    techniques = BriefSerializer(many=True)
    research_fields = BriefSerializer(many=True)
    instruments = BriefSerializer(many=True)
    access_modes = BriefSerializer(many=True)


#: The kinds of record citing a source: (relation in relations.SOURCE_DETAIL, API name)
CITING_KINDS = (
    ("facilities", "facilities"),
    ("programmes", "programmes"),
    ("calls", "calls"),
    ("institutions", "institutions"),
    ("agreements", "agreements"),
    ("techniques", "techniques"),
    ("fields", "research_fields"),
    ("instruments", "instruments"),
    ("access_modes", "access_modes"),
)


@extend_schema_field(CitedBySerializer)
class CitedByField(serializers.Field):
    """The records citing the source, grouped by kind (from ``record.briefs``)."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, record):
        return {
            name: [brief_dict(self.context, brief) for brief in record.briefs.get(relation, [])]
            for relation, name in CITING_KINDS
        }


class SourceSerializer(RecordSerializer):
    """A document records cite, and the records citing it (detail only)."""

    resource = "sources"
    sources = None  # a source cites no sources of its own
    display_publisher = serializers.SerializerMethodField()
    display_author = serializers.SerializerMethodField()
    date = serializers.SerializerMethodField()
    source_url = serializers.CharField(
        source="url",
        read_only=True,
        help_text="Where a reader can open the document; empty when no source gives an address.",
    )
    display_reliability_note = serializers.SerializerMethodField()
    cited_by = CitedByField(help_text="Detail only.")

    DETAIL_ONLY = ("cited_by",)

    class Meta:
        model = Source
        fields = (
            *RecordSerializer.COMMON_FIELDS,
            "author",
            "author_ja",
            "display_author",
            "publisher",
            "publisher_ja",
            "display_publisher",
            "published_on",
            "published_on_precision",
            "date",
            "language",
            "source_url",
            "reliability_note",
            "reliability_note_ja",
            "display_reliability_note",
            "cited_by",
            *(
                name
                for name in RecordSerializer.PROVENANCE_FIELDS
                if name not in ("website", "sources")
            ),
        )

    def get_display_publisher(self, source) -> str:
        return localised(source.publisher, source.publisher_ja, language_of(self.context))

    def get_display_author(self, source) -> str:
        return localised(source.author, source.author_ja, language_of(self.context))

    @extend_schema_field({"type": "string", "nullable": True, "example": "2023-03"})
    def get_date(self, source) -> str | None:
        return source_date(source.published_on, source.published_on_precision)

    def get_display_reliability_note(self, source) -> str:
        return localised(
            source.reliability_note, source.reliability_note_ja, language_of(self.context)
        )


class SearchResultSerializer(serializers.Serializer):
    """One hit of the cross-kind search."""

    kind = serializers.ChoiceField(choices=KIND_NAMES)
    slug = serializers.CharField()
    name = serializers.CharField()
    name_ja = serializers.CharField()
    display_name = serializers.CharField()
    url = serializers.URLField()
    score = serializers.FloatField()


class MatchedFacilitySerializer(BriefSerializer):
    """The facility an institution was found through, and its role there."""

    role = serializers.CharField(help_text="The institution's role at the facility.")


class AffiliationCandidateSerializer(serializers.Serializer):
    """An institution an affiliation string may name (ROR's affiliation item, our types)."""

    substring = serializers.CharField(help_text="The part of the affiliation that matched.")
    score = serializers.FloatField(help_text="0 to 1; chosen only from 0.85, 0.1 ahead.")
    matching_type = serializers.ChoiceField(
        choices=MatchType.ALL,
        help_text="exact (a name), alias, acronym, fuzzy (reordered words, typos), parent "
        "(a unit of the institution is named: a department, school, institute), facility "
        "(a facility it operates, owns or hosts is named).",
    )
    chosen = serializers.BooleanField(
        help_text="The confident match; true on at most one item, none when unsure."
    )
    institution = BriefSerializer()
    facility = MatchedFacilitySerializer(
        allow_null=True, help_text="For a facility match: the facility named; else null."
    )


class AffiliationMatchSerializer(serializers.Serializer):
    """The candidates for one affiliation string, best first."""

    number_of_results = serializers.IntegerField()
    items = AffiliationCandidateSerializer(many=True)


class ChangeSerializer(serializers.Serializer):
    """One change of the public directory."""

    kind = serializers.ChoiceField(choices=KIND_NAMES)
    slug = serializers.CharField()
    url = serializers.URLField()
    action = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    at = serializers.DateTimeField()
    cursor = serializers.CharField(help_text="Pass as ?since= to get the changes after this one.")
    data = serializers.DictField(
        allow_null=True,
        help_text=(
            "The record's public fields after the change, as its detail shows them; related "
            "records as slugs (countries as codes), role links as {slug, role}. Null when "
            "deleted."
        ),
    )
    user = serializers.CharField(required=False, allow_null=True, help_text="Staff only.")
    reason = serializers.CharField(required=False, help_text="Staff only: why it changed.")


class ChangesPageSerializer(serializers.Serializer):
    """A page of the changes feed."""

    results = ChangeSerializer(many=True)
    cursor = serializers.CharField(help_text="Where this page ends; ask ?since=<cursor> next.")
    next = serializers.URLField(help_text="This feed from the cursor on (always a valid URL).")
    has_more = serializers.BooleanField(help_text="Whether more changes follow right now.")
