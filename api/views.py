"""Read endpoints of /api/v1/: thin viewsets over the directory's selectors."""

from __future__ import annotations

from collections import OrderedDict
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api import concurrency, representations, schema, serializers, write_serializers
from api.caching import CacheHeadersMixin
from api.language import request_language
from api.pagination import TOTAL_COUNT_HEADER, DirectoryPagination
from api.parameters import unknown_parameter_errors
from api.permissions import ModelPermissionsOrReadOnly
from api.renderers import (
    CSVRenderer,
    DirectoryJSONRenderer,
    GeoJSONRenderer,
    JSONLDRenderer,
)
from directory import changes, filtersets, kinds, relations, selectors, services, validators
from directory.countries import countries_by_code
from directory.cross_search import KIND_NAMES, parse_kinds, search_everything
from directory.kinds import kinds_of_model
from directory.matching import MAX_AFFILIATION_LENGTH, check_affiliation, match_affiliation
from directory.models import (
    Agreement,
    Call,
    DirectoryState,
    Facility,
    Institution,
    Instrument,
    Programme,
    ResearchField,
    Source,
    Technique,
)
from directory.search import search_terms


class Conflict(APIException):
    """The write cannot happen while other records depend on this one."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Other records depend on this one.")
    default_code = "conflict"


LIST_PARAMETERS = {"format", "limit", "offset", "fields", "facets", "lang", "all", "cursor", "sync"}
#: the formats a whole list can be exported in (``?all=true``), and at most how many records
EXPORT_FORMATS = ("csv", "geojson")
EXPORT_MAX_ROWS = 100_000
#: records read, serialized and sent per step of an export (constant SQL per chunk)
EXPORT_CHUNK_ROWS = 500
DETAIL_PARAMETERS = {"format", "fields", "lang"}


class DirectoryViewSet(CacheHeadersMixin, viewsets.ModelViewSet):
    """List, detail and writes of one kind of record, by slug.

    Subclasses declare the model's base queryset, serializers (read and write), filterset,
    the related records to summarise (``list_relations``/``detail_relations``); the
    filterset declares the ``facets`` a list offers. Reads are public; writes need a token
    (or a staff session), the model permission, and ``If-Match`` with the record's current
    ETag (see api.concurrency).
    """

    permission_classes = [ModelPermissionsOrReadOnly]
    write_serializer_class = None

    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    pagination_class = DirectoryPagination
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [DirectoryJSONRenderer, CSVRenderer, JSONLDRenderer]
    list_relations: list = []
    detail_relations: list = []
    #: related records loaded with the page query (foreign keys)
    select_related: tuple = ()
    jsonld_type = "Thing"

    # --- request set-up -------------------------------------------------------------

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.language = request_language(request)
        self.now = timezone.now()
        self._check_parameters(request)

    def _check_parameters(self, request):
        allowed = set(DETAIL_PARAMETERS)
        if self.action == "list":
            allowed |= LIST_PARAMETERS | set(self.filterset_class.base_filters)
        errors = unknown_parameter_errors(request, allowed)
        errors.update(self._check_sparse_fields(request))
        if self.action == "list":
            errors.update(self._check_facets(request))
            errors.update(self._check_filters(request))
            errors.update(self._check_pagination(request))
            errors.update(self._check_export(request))
        if errors:
            raise ValidationError(errors)

    def get_renderers(self):
        """JSON-LD describes one record: a list is not offered in it (``?format=jsonld`` is a
        400 naming the formats, ``Accept: application/ld+json`` a 406: api.negotiation)."""
        renderers = super().get_renderers()
        if self.action == "list":
            renderers = [r for r in renderers if not isinstance(r, JSONLDRenderer)]
        return renderers

    def _check_export(self, request) -> dict:
        """``all=true`` (a whole export) with ``format=csv`` or ``geojson``; never with
        ``limit``/``offset`` (it has no pages)."""
        raw = request.query_params.get("all")
        self.export_all = False
        if raw is None:
            return {}
        formats = [r.format for r in self.get_renderers() if r.format in EXPORT_FORMATS]
        try:
            if not filtersets.parse_boolean(raw):
                return {}
        except DjangoValidationError as error:
            return {"all": error.messages}
        if self.request_format() not in formats:
            return {
                "all": [
                    _("all=true exports whole lists as %(formats)s: add format=%(formats)s.")
                    % {"formats": "|".join(formats)}
                ]
            }
        paged = [name for name in ("limit", "offset") if name in request.query_params]
        if paged:
            return {
                name: [_("A whole export (all=true) has no pages: leave out limit and offset.")]
                for name in paged
            }
        self.export_all = True
        return {}

    def _check_filters(self, request) -> dict:
        self.filterset = self.filterset_class(
            request.query_params, queryset=self.queryset.model.objects.none(), request=request
        )
        if self.filterset.is_valid():
            return {}
        return {name: list(messages) for name, messages in self.filterset.errors.items()}

    def filter_queryset(self, queryset):
        """Apply the filterset validated in ``initial`` (built once per request).

        Only a list is filtered: a record is found by its slug alone (and a detail, an
        update or a delete refuses list parameters in ``initial``).
        """
        if self.action != "list":
            return queryset
        self.filterset.queryset = queryset
        return self.filterset.qs

    def _check_pagination(self, request) -> dict:
        errors = {}
        for check in (self.paginator.get_limit, self.paginator.get_offset):
            try:
                check(request)
            except ValidationError as error:
                errors.update(error.detail)
        errors.update(self.paginator.check_sync(request, self))
        return errors

    def request_format(self) -> str:
        return self.request.query_params.get("format", "")

    def _check_sparse_fields(self, request) -> dict:
        raw = request.query_params.get("fields")
        self.sparse_fields = None
        if raw is None:
            return {}
        wanted = [name.strip() for name in raw.split(",") if name.strip()]
        serializer_class = self.serializer_class
        available = set(serializers.field_names(serializer_class))
        if self.action == "list":
            available -= set(serializer_class.DETAIL_ONLY)
        unknown = [name for name in wanted if name not in available]
        if not wanted or unknown:
            message = _("Unknown field(s): %(unknown)s. Available: %(available)s.") % {
                "unknown": ", ".join(unknown) or _("(none given)"),
                "available": ", ".join(sorted(available)),
            }
            return {"fields": [message]}
        self.sparse_fields = wanted
        return {}

    def _check_facets(self, request) -> dict:
        raw = request.query_params.get("facets")
        self.facet_names = []
        if raw is None:
            return {}
        names = [name.strip() for name in raw.split(",") if name.strip()]
        facets = self.filterset_class.facets
        unknown = [name for name in names if name not in facets]
        if not names or unknown:
            message = _("Unknown facet(s): %(unknown)s. Available: %(available)s.") % {
                "unknown": ", ".join(unknown) or _("(none given)"),
                "available": ", ".join(facets) or pgettext("no facets", "none"),
            }
            return {"facets": [message]}
        self.facet_names = list(dict.fromkeys(names))
        return {}

    # --- data -----------------------------------------------------------------------

    @property
    def drafts(self) -> bool:
        return selectors.shows_drafts(self.request.user)

    def base_queryset(self):
        return self.queryset.model.objects.all()

    def get_queryset(self):
        return self.with_related(selectors.visible(self.queryset.model, self.request.user))

    def with_related(self, queryset):
        """Load what the serializer reads besides the brief summaries."""
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.update(
            language=getattr(self, "language", "en"),
            api_root=self.request.build_absolute_uri("/api/v1/"),
            countries=countries_by_code(),
            now=getattr(self, "now", timezone.now()),
            drafts=self.drafts,
            sparse_fields=self.serialized_fields(),
            listing=getattr(self, "action", None) == "list",
        )
        return context

    def serialized_fields(self) -> list[str] | None:
        """The sparse fields to serialize; GeoJSON always needs the id and coordinates."""
        wanted = getattr(self, "sparse_fields", None)
        if wanted and self.request_format() == "geojson":
            return [*wanted, "slug", "latitude", "longitude"]
        return wanted

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if self.export_all:
            return self.export(queryset)
        page = self.paginate_queryset(queryset)
        data = representations.represent(
            self.serializer_class, page, self.get_serializer_context(), self.list_relations
        )
        response = self.get_paginated_response(self.with_scores(data, page))
        if self.facet_names:
            response.data["facets"] = self.filterset.facet_counts(
                queryset, self.facet_names, self.language
            )
        if not self.drafts:
            # What a shared response cache keeps this page against (config.response_cache).
            response.answer_dependencies = kinds.list_dependencies(
                kinds.MODEL_KINDS[queryset.model._meta.model_name],
                [record.slug for record in page],
                # A sync page is in the order of the last change, which every write moves.
                reads_every_write=self.filterset.reads_every_write() or self.paginator.syncing,
            )
        return response

    def export(self, queryset) -> StreamingHttpResponse:
        """Every matching record, streamed in chunks of EXPORT_CHUNK_ROWS (never the whole
        list in memory): one query for the ordered ids, then per chunk the page queries of a
        list (its records and their related summaries). More than EXPORT_MAX_ROWS is a 400.

        Never kept by the response cache (it stores no streamed answer), so a large export
        cannot fill Redis; the per-record representations are cached as for pages.
        """
        ids = list(queryset.values_list("pk", flat=True)[: EXPORT_MAX_ROWS + 1])
        if len(ids) > EXPORT_MAX_ROWS:
            message = _(
                "More than %(maximum)s records match: a whole export holds at most "
                "%(maximum)s. Narrow it with filters (e.g. country, kind, updated_since)."
            ) % {"maximum": EXPORT_MAX_ROWS}
            raise ValidationError({"all": [message]})
        context = self.get_serializer_context()
        renderer = self.request.accepted_renderer

        def chunks():
            for start in range(0, len(ids), EXPORT_CHUNK_ROWS):
                wanted = ids[start : start + EXPORT_CHUNK_ROWS]
                position = {pk: index for index, pk in enumerate(wanted)}
                records = sorted(queryset.filter(pk__in=wanted), key=lambda r: position[r.pk])
                yield representations.represent(
                    self.serializer_class, records, context, self.list_relations
                )

        response = StreamingHttpResponse(
            renderer.stream(chunks(), len(ids), self.serialized_fields()),
            content_type=f"{renderer.media_type}; charset=utf-8",
        )
        response[TOTAL_COUNT_HEADER] = str(len(ids))
        response["Content-Disposition"] = (
            f'attachment; filename="{self.basename}.{renderer.format}"'
        )
        return response

    @staticmethod
    def with_scores(data: list[dict], page) -> list[dict]:
        """With q=, each result and its search score (``score``): of the request, never kept
        in the per-record representations; without q, the representations as they are."""
        scores = [selectors.search_score(record) for record in page]
        if all(score is None for score in scores):
            return data
        return [{**item, "score": score} for item, score in zip(data, scores, strict=True)]

    def counts_with_page(self) -> bool:
        """Whether the paginator counts this list in its page's query (the filterset says:
        DirectoryFilterSet.COUNTED_WITH_PAGE)."""
        return self.action == "list" and self.filterset.counts_with_page()

    def kept_count_key(self) -> str | None:
        """The cache key of this list's count when it is the whole public table (see
        DirectoryPagination.get_count), else None."""
        filtered = any(
            value not in (None, "", []) for value in self.filterset.form.cleaned_data.values()
        )
        if self.action != "list" or self.drafts or filtered or self.request_format() == "geojson":
            return None
        model = self.queryset.model
        # The generations of the kinds whose writes can change this count (directory.kinds).
        state = DirectoryState.for_request(self.request)
        generations = "-".join(map(str, state.generations(kinds_of_model(model))))
        return f"count:{model._meta.label_lower}:{generations}"

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return self.write_serializer_class
        return self.serializer_class

    def retrieve(self, request, *args, **kwargs):
        return self.record_response(self.get_object())

    def record_response(self, record, status=200, headers=None) -> Response:
        """The record as a detail GET shows it, with its version ETag (see finalize_response)."""
        if self.action != "retrieve":
            record = self.with_related(self.base_queryset()).get(pk=record.pk)
        self.record = record
        (data,) = representations.represent(
            self.serializer_class, [record], self.get_serializer_context(), self.detail_relations
        )
        return Response(data, status=status, headers=headers)

    # --- writes ---------------------------------------------------------------------------
    # The views translate HTTP: the write services (directory.services) validate, save,
    # record the history and the change, and enforce the publishing rule.

    def _write(self, serializer, write):
        """Run a service with the serializer's values; its refusals as 400/409 answers."""
        fields, relations = serializer.to_domain()
        try:
            return write(fields, relations)
        except services.RecordInUse as error:
            raise Conflict({"detail": " ".join(error.messages)}) from None
        except DjangoValidationError as error:
            raise ValidationError(serializer.api_errors(error)) from None

    def write_reason(self, verb: str) -> str:
        return f"{verb} through the API ({self.request.method} {self.request.path})"

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self._write(
            serializer,
            lambda fields, relations: services.record_create(
                model=self.queryset.model,
                fields=fields,
                relations=relations,
                user=request.user,
                reason=self.write_reason("Created"),
            ),
        )
        location = request.build_absolute_uri(record.get_absolute_url())
        return self.record_response(record, status=201, headers={"Location": location})

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        # The version check and the write happen under the row's lock, in one transaction:
        # two writers holding the same ETag cannot both pass the check (one gets 412).
        with transaction.atomic():
            record = concurrency.locked(self.get_object())
            concurrency.check_if_match(request, record)
            serializer = self.get_serializer(record, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            record = self._write(
                serializer,
                lambda fields, relations: services.record_update(
                    record=record,
                    fields=fields,
                    relations=relations,
                    user=request.user,
                    reason=self.write_reason("Changed"),
                ),
            )
        return self.record_response(record)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            record = concurrency.locked(self.get_object())
            concurrency.check_if_match(request, record)
            try:
                services.record_delete(
                    record=record, user=request.user, reason=self.write_reason("Deleted")
                )
            except services.RecordInUse as error:
                raise Conflict({"detail": " ".join(error.messages)}) from None
        return Response(status=204)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "record", None)
        if record is not None and response.status_code in (200, 201):
            response["ETag"] = concurrency.record_etag(record, response.rendered_content)
        return response


def _schema(
    plural: str,
    singular: str,
    example: str,
    facets: dict,
    serializer,
    write_serializer,
    *,
    geojson: bool = False,
):
    geo = ["geojson"] if geojson else []
    writes = (
        schema.write_operations(
            singular, example, serializer, write_serializer, ["json", "csv", "jsonld", *geo]
        )
        if write_serializer is not None
        else {}
    )
    return extend_schema_view(
        **writes,
        list=extend_schema(
            summary=f"List {plural}",
            parameters=[
                schema.fields_parameter(serializer),
                schema.LANG_PARAMETER,
                *([schema.facets_parameter(facets)] if facets else []),
                schema.format_parameter(["json", "csv", *geo]),
                schema.ALL_PARAMETER,
                *schema.PAGE_HEADERS,
            ],
            responses=schema.list_responses(serializer, geojson=geojson),
        ),
        retrieve=extend_schema(
            summary=f"One {singular} by slug",
            parameters=[
                schema.slug_parameter(singular, example),
                schema.fields_parameter(serializer),
                schema.LANG_PARAMETER,
                schema.format_parameter(["json", "csv", "jsonld", *geo]),
            ],
            responses=schema.detail_responses(serializer, geojson=geojson),
        ),
    )


@_schema(
    "facilities",
    "facility",
    "spring-8",
    filtersets.FacilityFilterSet.facets,
    serializers.FacilitySerializer,
    write_serializers.FacilityWriteSerializer,
    geojson=True,
)
class FacilityViewSet(DirectoryViewSet):
    """Large research facilities: light sources, neutron sources, accelerators, fusion devices."""

    queryset = Facility.objects.all()
    serializer_class = serializers.FacilitySerializer
    write_serializer_class = write_serializers.FacilityWriteSerializer
    filterset_class = filtersets.FacilityFilterSet
    renderer_classes = [*DirectoryViewSet.renderer_classes, GeoJSONRenderer]
    list_relations = relations.FACILITY_LIST
    detail_relations = relations.FACILITY_DETAIL
    jsonld_type = "Place"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request_format() == "geojson":
            queryset = queryset.filter(latitude__isnull=False, longitude__isnull=False)
        return queryset


@_schema(
    "programmes",
    "programme",
    "q-leap",
    filtersets.ProgrammeFilterSet.facets,
    serializers.ProgrammeSerializer,
    write_serializers.ProgrammeWriteSerializer,
)
class ProgrammeViewSet(DirectoryViewSet):
    """Funding programmes and access schemes that open facilities and research to teams."""

    queryset = Programme.objects.all()
    serializer_class = serializers.ProgrammeSerializer
    write_serializer_class = write_serializers.ProgrammeWriteSerializer
    filterset_class = filtersets.ProgrammeFilterSet
    list_relations = relations.PROGRAMME_LIST
    detail_relations = relations.PROGRAMME_DETAIL
    jsonld_type = "FundingScheme"

    def with_related(self, queryset):
        current_calls = selectors.visible_calls(self.request.user).filter(
            closes_at__gt=timezone.now()
        )
        return (
            super()
            .with_related(queryset)
            .prefetch_related(
                Prefetch(
                    "calls",
                    queryset=current_calls.order_by("closes_at", "name"),
                    to_attr="current_calls",
                )
            )
        )


@_schema(
    "calls",
    "call",
    "diamond-proposals-2026",
    filtersets.CallFilterSet.facets,
    serializers.CallSerializer,
    write_serializers.CallWriteSerializer,
)
class CallViewSet(DirectoryViewSet):
    """Calls for proposals, with their deadlines; the status is computed at request time."""

    queryset = Call.objects.all()
    serializer_class = serializers.CallSerializer
    write_serializer_class = write_serializers.CallWriteSerializer
    filterset_class = filtersets.CallFilterSet
    select_related = ("programme",)
    list_relations = relations.CALL_DETAIL
    detail_relations = relations.CALL_DETAIL
    jsonld_type = "Event"


@_schema(
    "institutions",
    "institution",
    "tohoku-university",
    filtersets.InstitutionFilterSet.facets,
    serializers.InstitutionSerializer,
    write_serializers.InstitutionWriteSerializer,
    geojson=True,
)
class InstitutionViewSet(DirectoryViewSet):
    """Universities, agencies, ministries, companies: who runs and funds what."""

    queryset = Institution.objects.all()
    serializer_class = serializers.InstitutionSerializer
    write_serializer_class = write_serializers.InstitutionWriteSerializer
    filterset_class = filtersets.InstitutionFilterSet
    renderer_classes = [*DirectoryViewSet.renderer_classes, GeoJSONRenderer]
    select_related = ("parent",)
    list_relations = relations.INSTITUTION_LIST
    detail_relations = relations.INSTITUTION_DETAIL
    jsonld_type = "Organization"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request_format() == "geojson":
            queryset = queryset.filter(latitude__isnull=False, longitude__isnull=False)
        return queryset


@_schema(
    "agreements",
    "agreement",
    "j-parc-ess-cooperation",
    filtersets.AgreementFilterSet.facets,
    serializers.AgreementSerializer,
    write_serializers.AgreementWriteSerializer,
)
class AgreementViewSet(DirectoryViewSet):
    """Cooperation agreements and memoranda between institutions and facilities."""

    queryset = Agreement.objects.all()
    serializer_class = serializers.AgreementSerializer
    write_serializer_class = write_serializers.AgreementWriteSerializer
    filterset_class = filtersets.AgreementFilterSet
    list_relations = relations.AGREEMENT_LIST
    detail_relations = relations.AGREEMENT_LIST
    jsonld_type = "CreativeWork"


@_schema(
    "techniques",
    "technique",
    "xafs",
    filtersets.TechniqueFilterSet.facets,
    serializers.TechniqueSerializer,
    write_serializers.TechniqueWriteSerializer,
)
class TechniqueViewSet(DirectoryViewSet):
    """Experimental techniques offered at facilities, with their probe."""

    queryset = Technique.objects.all()
    serializer_class = serializers.TechniqueSerializer
    write_serializer_class = write_serializers.TechniqueWriteSerializer
    filterset_class = filtersets.TechniqueFilterSet
    list_relations = relations.TECHNIQUE_DETAIL
    detail_relations = relations.TECHNIQUE_DETAIL
    jsonld_type = "DefinedTerm"


@_schema(
    "research fields",
    "research field",
    "materials-science",
    {},
    serializers.ResearchFieldSerializer,
    write_serializers.ResearchFieldWriteSerializer,
)
class ResearchFieldViewSet(DirectoryViewSet):
    """Research fields served by facilities and funded by programmes."""

    queryset = ResearchField.objects.all()
    serializer_class = serializers.ResearchFieldSerializer
    write_serializer_class = write_serializers.ResearchFieldWriteSerializer
    filterset_class = filtersets.ResearchFieldFilterSet
    list_relations = relations.FIELD_DETAIL
    detail_relations = relations.FIELD_DETAIL
    jsonld_type = "DefinedTerm"


@_schema(
    "sources",
    "source",
    "jst-qst-koyasu-interview-2023",
    {},
    serializers.SourceSerializer,
    write_serializers.SourceWriteSerializer,
)
class SourceViewSet(DirectoryViewSet):
    """The documents records cite (reports, interviews, slide decks, web pages), each with
    the records citing it."""

    queryset = Source.objects.all()
    serializer_class = serializers.SourceSerializer
    write_serializer_class = write_serializers.SourceWriteSerializer
    filterset_class = filtersets.SourceFilterSet
    list_relations = relations.SOURCE_LIST
    detail_relations = relations.SOURCE_DETAIL
    jsonld_type = "CreativeWork"


@_schema(
    "instruments",
    "instrument",
    "diamond-b16",
    filtersets.InstrumentFilterSet.facets,
    serializers.InstrumentSerializer,
    None,
)
class InstrumentViewSet(DirectoryViewSet):
    """Beamlines and instruments at facilities (read only here: curated with their facility).

    An instrument is public while it and its facility are published (selectors.visible)."""

    http_method_names = ["get", "head", "options"]
    queryset = Instrument.objects.all()
    serializer_class = serializers.InstrumentSerializer
    filterset_class = filtersets.InstrumentFilterSet
    select_related = ("facility",)
    list_relations = relations.INSTRUMENT_DETAIL
    detail_relations = relations.INSTRUMENT_DETAIL
    jsonld_type = "Thing"


class SearchView(CacheHeadersMixin, APIView):
    """Search every kind of record at once; typed results, best first."""

    renderer_classes = [DirectoryJSONRenderer, CSVRenderer]
    pagination_class = DirectoryPagination
    ALLOWED = {"q", "kind", "limit", "offset", "lang", "format"}

    @extend_schema(
        summary="Search across facilities, programmes, calls, institutions, agreements, "
        "techniques, fields and sources",
        parameters=[
            schema.parameter(
                "q",
                OpenApiTypes.STR,
                "Text to find (normalised: spring8 finds SPring-8).",
                "spring8",
                required=True,
            ),
            schema.parameter(
                "kind",
                OpenApiTypes.STR,
                "Only these kinds (comma-separated): " + ", ".join(KIND_NAMES),
                "facility,programme",
            ),
            schema.LANG_PARAMETER,
            schema.parameter("limit", OpenApiTypes.INT, "Page size, 1 to 200.", 20),
            schema.parameter("offset", OpenApiTypes.INT, "Results to skip.", 0),
            schema.format_parameter(["json", "csv"]),
            *schema.PAGE_HEADERS,
        ],
        responses={
            (200, "application/json"): serializers.SearchResultSerializer(many=True),
            (200, "text/csv"): schema.CSV_SCHEMA,
            **schema.ERRORS,
        },
    )
    def get(self, request):
        errors = unknown_parameter_errors(request, self.ALLOWED)
        query = request.query_params.get("q", "").strip()
        if not query:
            errors["q"] = [_("q is required: the text to search for.")]
        else:
            try:
                search_terms(query)  # the lists' q limits: length and number of words
            except DjangoValidationError as error:
                errors["q"] = error.messages
        wanted = []
        try:
            wanted = parse_kinds(request.query_params.getlist("kind"))
        except DjangoValidationError as error:
            errors["kind"] = error.messages
        paginator = self.pagination_class()
        checks = {
            "lang": lambda: request_language(request),
            "limit": lambda: paginator.get_limit(request),
            "offset": lambda: paginator.get_offset(request),
        }
        values = {}
        for name, check in checks.items():
            try:
                values[name] = check()
            except ValidationError as error:
                errors.update(error.detail)
        if errors:
            raise ValidationError(errors)
        self.language, limit, offset = values["lang"], values["limit"], values["offset"]
        total, hits = search_everything(
            query,
            kinds=wanted or None,
            drafts=selectors.shows_drafts(request.user),
            limit=limit,
            offset=offset,
        )
        root = request.build_absolute_uri("/api/v1/")
        results = [
            {
                "kind": hit.kind,
                "slug": hit.slug,
                "name": hit.name,
                "name_ja": hit.name_ja,
                "display_name": serializers.localised(hit.name, hit.name_ja, self.language),
                "url": f"{root}{hit.resource}/{hit.slug}/",
                "score": hit.score,
            }
            for hit in hits
        ]
        paginator.count, paginator.limit, paginator.offset = total, limit, offset
        paginator.request = request
        return Response(
            OrderedDict(
                count=total,
                next=paginator.get_next_link(),
                previous=paginator.get_previous_link(),
                results=results,
            ),
            headers=paginator.page_headers(),
        )


class InstitutionMatchView(CacheHeadersMixin, APIView):
    """Which institution an affiliation string names (directory.matching), ROR's way."""

    renderer_classes = [DirectoryJSONRenderer]
    ALLOWED = {"affiliation", "lang", "format"}

    @extend_schema(
        summary="Match an affiliation string to institutions",
        description=(
            'Give the affiliation as an author wrote it ("Dept. of Physics, Tohoku Univ., '
            'Sendai 980-8577, Japan", "東北大学大学院理学研究科"); the answer lists the '
            "institutions it may name, best first, each with a score, how it matched and the "
            "part that matched, and marks `chosen` the one it is confident about (none when "
            "unsure). Departments, addresses and postcodes are left out; a country named "
            "counts as evidence. The shape of ROR's affiliation endpoint, with this "
            "directory's match types."
        ),
        parameters=[
            schema.parameter(
                "affiliation",
                OpenApiTypes.STR,
                f"The affiliation string, 1 to {MAX_AFFILIATION_LENGTH} characters.",
                "Dept. of Physics, Tohoku Univ., Sendai 980-8577, Japan",
                required=True,
            ),
            schema.LANG_PARAMETER,
            schema.format_parameter(["json"]),
        ],
        responses={
            (200, "application/json"): serializers.AffiliationMatchSerializer,
            **schema.ERRORS,
        },
    )
    def get(self, request):
        errors = unknown_parameter_errors(request, self.ALLOWED)
        affiliation = request.query_params.get("affiliation", "")
        if not affiliation.strip():
            errors["affiliation"] = [
                _(
                    "affiliation is required: the affiliation string to match, at most "
                    "%(most)s characters."
                )
                % {"most": MAX_AFFILIATION_LENGTH}
            ]
        else:
            try:
                affiliation = check_affiliation(affiliation)
            except DjangoValidationError as error:
                errors["affiliation"] = error.messages
        try:
            self.language = request_language(request)
        except ValidationError as error:
            errors.update(error.detail)
        if errors:
            raise ValidationError(errors)
        root = request.build_absolute_uri("/api/v1/")

        def brief(resource, slug, name, name_ja):
            return {
                "slug": slug,
                "name": name,
                "name_ja": name_ja,
                "display_name": serializers.localised(name, name_ja, self.language),
                "url": f"{root}{resource}/{slug}/",
            }

        items = []
        for candidate in match_affiliation(affiliation, request.user):
            row, facility = candidate.institution, candidate.facility
            items.append(
                {
                    "substring": candidate.substring,
                    "score": candidate.score,
                    "matching_type": candidate.matching_type,
                    "chosen": candidate.chosen,
                    "institution": brief("institutions", row.slug, row.name, row.name_ja),
                    "facility": facility
                    and {
                        **brief("facilities", facility.slug, facility.name, facility.name_ja),
                        "role": facility.role,
                    },
                }
            )
        return Response({"number_of_results": len(items), "items": items})


class ApiRootView(CacheHeadersMixin, APIView):
    """The resources of the directory API."""

    renderer_classes = [DirectoryJSONRenderer]

    @extend_schema(summary="The resources of this API", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        names = [
            "facilities",
            "programmes",
            "calls",
            "institutions",
            "agreements",
            "techniques",
            "fields",
            "sources",
            "instruments",
        ]
        resources = {name: reverse(f"{name}-list", request=request) for name in names}
        resources["search"] = reverse("search", request=request)
        resources["changes"] = reverse("changes", request=request)
        resources["schema"] = reverse("schema", request=request)
        resources["docs"] = reverse("swagger-ui", request=request)
        return Response(resources)


class ChangesView(CacheHeadersMixin, APIView):
    """What changed in the public directory, in order: sync incrementally with the cursor."""

    renderer_classes = [DirectoryJSONRenderer]
    ALLOWED = {"since", "limit", "kind", "format"}
    DEFAULT_LIMIT, MAX_LIMIT = 100, 500

    @extend_schema(
        summary="Records created, updated and deleted in the public directory since a moment "
        "or a cursor",
        description=(
            "The public's view of every change, oldest first. `created`: the record became "
            "public (new, published, or a call whose programme was published); `updated`: "
            "what the public sees of it changed; `deleted`: it left the public directory "
            "(deleted or unpublished). `data` holds the record's public fields after the "
            "change (as its detail shows them, relations as slugs): replaying the feed from "
            "the beginning rebuilds the directory. A record that was never public never "
            "appears."
        ),
        parameters=[
            schema.parameter(
                "since",
                OpenApiTypes.STR,
                "An ISO 8601 date or date-time, or the `cursor` of a previous answer; changes "
                "strictly after it are listed. Omit to start from the beginning.",
                "2026-01-01T00:00:00Z",
            ),
            schema.parameter(
                "limit", OpenApiTypes.INT, "Changes per answer, 1 to 500 (default 100).", 100
            ),
            schema.parameter(
                "kind",
                OpenApiTypes.STR,
                "Only the changes of these kinds (comma-separated or repeated): "
                + ", ".join(KIND_NAMES)
                + ". The cursor works with any choice of kinds: keep the same ones to follow "
                "the same changes.",
                "facility,call",
            ),
            schema.format_parameter(["json"]),
        ],
        responses={(200, "application/json"): serializers.ChangesPageSerializer, **schema.ERRORS},
    )
    def get(self, request):
        errors = unknown_parameter_errors(request, self.ALLOWED)
        since = request.query_params.get("since")
        position = changes.Position()
        if since:
            try:
                position = changes.Position.decode(since)
            except changes.BadCursor:
                errors["since"] = [
                    _(
                        "'%(value)s' is neither an ISO 8601 date or date-time nor a cursor "
                        "from this feed."
                    )
                    % {"value": since}
                ]
        raw_limit = request.query_params.get("limit", str(self.DEFAULT_LIMIT))
        try:
            limit = validators.parse_count(raw_limit, name="limit", maximum=self.MAX_LIMIT)
        except ValueError as error:
            errors["limit"] = [str(error)]
        wanted = []
        try:
            wanted = parse_kinds(request.query_params.getlist("kind"))
        except DjangoValidationError as error:
            errors["kind"] = error.messages
        if errors:
            raise ValidationError(errors)
        staff = selectors.shows_drafts(request.user)
        page = changes.changes_after(position, limit=limit, kinds=wanted or None)
        root = request.build_absolute_uri("/api/v1/")
        moment = serializers.serializers.DateTimeField()
        results = []
        for entry in page.entries:
            item = {
                "kind": entry.kind,
                "slug": entry.slug,
                "url": f"{root}{changes.RESOURCES[entry.kind]}/{entry.slug}/",
                "action": entry.action,
                "at": moment.to_representation(entry.at),
                "cursor": changes.Position(after=entry.id).encode(),
                "data": entry.data,
            }
            if staff:
                event = entry.event
                item["user"] = event.user.get_username() if event and event.user else None
                item["reason"] = event.reason if event else ""
            results.append(item)
        cursor = page.position.encode()
        query = urlencode(
            {"since": cursor, "limit": limit, **({"kind": ",".join(wanted)} if wanted else {})}
        )
        return Response(
            {
                "results": results,
                "cursor": cursor,
                "next": request.build_absolute_uri(f"/api/v1/changes/?{query}"),
                "has_more": page.has_more,
            }
        )
