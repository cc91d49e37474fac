"""OpenAPI documentation helpers: response shapes of every format, and of every error."""

from __future__ import annotations

import copy

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import permissions, serializers

ERROR_SCHEMA = {
    "type": "object",
    "description": "Each bad parameter (or field) with the reasons it was refused.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"country": ["'XX' is not an ISO 3166-1 alpha-2 country code (e.g. JP, GB)."]},
}
DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
CSV_SCHEMA = {
    "type": "string",
    "description": "UTF-8 CSV with a byte-order mark; one row per record, related records "
    "flattened to their slugs joined by '; '. A text cell beginning with =, +, -, @, a tab "
    "or a carriage return is prefixed with ' (so a spreadsheet does not run it as a "
    "formula); numbers are written as they are.",
}
GEOMETRY_SCHEMA = {
    "type": "object",
    "nullable": True,
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 2,
            "description": "[longitude, latitude] (RFC 7946 order).",
        },
    },
}
FEATURE_SCHEMA = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "string"},
        "geometry": GEOMETRY_SCHEMA,
        "properties": {"type": "object", "additionalProperties": True},
    },
}
FEATURE_COLLECTION_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE_SCHEMA},
        "count": {"type": "integer"},
        "next": {"type": "string", "nullable": True},
        "previous": {"type": "string", "nullable": True},
        "cursor": {"type": "string"},
        "facets": {"type": "object", "additionalProperties": True},
    },
}
JSONLD_SCHEMA = {
    "type": "object",
    "required": ["@context", "@type"],
    "properties": {
        "@context": {"type": "string", "enum": ["https://schema.org"]},
        "@type": {"type": "string"},
        "@id": {"type": "string"},
    },
    "additionalProperties": True,
}

JSON = "application/json"
LIMIT_SCHEMA = {
    "type": "object",
    "description": "A request over one of the server's limits, naming it.",
    "properties": {"detail": {"type": "string"}, "limit": {"type": "integer"}},
    "required": ["detail", "limit"],
}
#: Errors are JSON whatever format was asked for: 406 for an Accept header the endpoint
#: cannot satisfy (naming what it offers), 414 for a URL over the app's limit.
ERRORS = {
    (400, JSON): ERROR_SCHEMA,
    (406, JSON): DETAIL_SCHEMA,
    (414, JSON): LIMIT_SCHEMA,
    (429, JSON): DETAIL_SCHEMA,
}
#: Headers of every page of a list (api.pagination), documented on its 200 answers.
PAGE_HEADERS = [
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        description="RFC 8288 links to the first, prev, next and last pages as they apply, "
        'e.g. `<https://…/api/v1/facilities/?limit=20&offset=20>; rel="next"` (a sync page: '
        "first and next).",
    ),
    OpenApiParameter(
        "X-Total-Count",
        OpenApiTypes.INT,
        location=OpenApiParameter.HEADER,
        response=[200],
        description="How many records match (every page but a sync page's; a whole export: "
        "how many it holds).",
    ),
]
ALL_PARAMETER = OpenApiParameter(
    "all",
    OpenApiTypes.BOOL,
    description="With format=csv or geojson: every matching record in one streamed answer "
    "instead of one page (at most 100,000: more is a 400 naming the cap; no limit or offset).",
    examples=[OpenApiExample(name="example", value=True)],
)


@extend_schema_serializer(many=False)
class WholeBody(serializers.Serializer):
    """A list answer's body in a format of its own (CSV, GeoJSON), documented as it is.

    drf-spectacular wraps a list view's 200 bodies in the JSON page (an array, with count and
    next); ``many=False`` tells it this body is already whole.
    """

    def __init__(self, name: str, schema: dict):
        super().__init__()
        self.component_name = name
        self.body_schema = schema


class WholeBodyExtension(OpenApiSerializerExtension):
    """Documents a :class:`WholeBody` as its schema (a named component)."""

    target_class = WholeBody

    def get_name(self, auto_schema, direction):
        return self.target.component_name

    def map_serializer(self, auto_schema, direction):
        # A copy: drf-spectacular's post-processing rewrites component schemas in place
        # (enums become references), and the module's schemas serve other operations too.
        return copy.deepcopy(self.target.body_schema)


def list_responses(serializer_class, *, geojson: bool = False) -> dict:
    """200 in each format of a list endpoint, and its errors."""
    responses = {
        (200, JSON): serializer_class,
        (200, "text/csv"): WholeBody("CSVTable", CSV_SCHEMA),
        **ERRORS,
    }
    if geojson:
        responses[(200, "application/geo+json")] = WholeBody(
            "FeatureCollection", FEATURE_COLLECTION_SCHEMA
        )
    return responses


def detail_responses(serializer_class, *, geojson: bool = False) -> dict:
    """200 in each format of a detail endpoint, and its errors."""
    responses = {
        (200, JSON): serializer_class,
        (200, "text/csv"): CSV_SCHEMA,
        (200, "application/ld+json"): JSONLD_SCHEMA,
        **ERRORS,
        (404, JSON): DETAIL_SCHEMA,
    }
    if geojson:
        responses[(200, "application/geo+json")] = FEATURE_SCHEMA
    return responses


class DirectoryAutoSchema(AutoSchema):
    """Says that reads are public, next to the schemes that writes need (not where every
    request must be signed in: the token endpoints)."""

    def get_auth(self):
        auth = super().get_auth()
        signed_in_only = any(
            isinstance(permission, permissions.IsAuthenticated)
            for permission in self.view.get_permissions()
        )
        if self.method in ("GET", "HEAD") and auth and {} not in auth and not signed_in_only:
            auth.append({})
        return auth


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The API's token authentication (api.authentication, django-rest-knox's): the header
    DRF's tokens used, under the name they had in this schema."""

    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


def parameter(name: str, type_, description: str, example, **kwargs) -> OpenApiParameter:
    """A documented parameter with an example (query by default)."""
    return OpenApiParameter(
        name,
        type_,
        description=description,
        examples=[OpenApiExample(name="example", value=example)],
        **kwargs,
    )


def fields_parameter(serializer_class) -> OpenApiParameter:
    names = list(serializer_class().fields)
    return OpenApiParameter(
        "fields",
        {"type": "array", "items": {"type": "string", "enum": names}},
        description="Return only these fields (comma-separated); works in every format.",
        style="form",
        explode=False,
        examples=[OpenApiExample(name="example", value=["slug", "name"])],
    )


SCORE_SCHEMA = {
    "type": "number",
    "format": "double",
    "minimum": 0,
    "description": "In list answers with q= only: how well the record matches the query "
    "(README, 'Search ranking': exact name 1.0 > prefix 0.8 > in a name 0.6 > in the place "
    "0.4 > similar spelling 0.2-0.4, +0.01 per name holding the whole query). Absent "
    "without q.",
}


def document_search_scores(result, generator, request, public):
    """The records of list answers carry ``score`` when q= is given (views.with_scores):
    an optional property of every record component a paginated list holds."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if not name.startswith("Paginated"):
            continue
        items = component.get("properties", {}).get("results", {}).get("items", {})
        record = schemas.get(items.get("$ref", "").rsplit("/", 1)[-1])
        if record is not None and "properties" in record:
            record["properties"].setdefault("score", dict(SCORE_SCHEMA))
    return result


def strip_required_from_records(result, generator, request, public):
    """Any record field may be left out with ?fields=, so none is required in the schema."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.startswith("Paginated"):
            component.pop("required", None)
    return result


def examples_are_not_values(result, generator, request, public):
    """An optional query parameter's example goes into its description ("Example: `JP`."),
    not into ``example``/``examples``: Swagger UI's "Try it out" fills every example in as a
    value (swagger-ui issues 5776 and 8276; no option turns that off), so Execute with the
    fields untouched would send every filter at once and match nothing. Required and path
    parameters keep their examples (the request needs a value)."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query" or parameter.get("required"):
                    continue
                example = _take_example(parameter)
                if example is None:
                    continue
                if isinstance(example, list):
                    example = ",".join(map(str, example))
                description = parameter.get("description", "").rstrip()
                parameter["description"] = f"{description} Example: `{example}`.".strip()
    return result


def _take_example(parameter: dict):
    """Removes every example value Swagger UI would pre-fill from ``parameter``; the first."""
    found = []
    if "examples" in parameter:
        found += [example.get("value") for example in parameter.pop("examples").values()]
    if "example" in parameter:
        found.append(parameter.pop("example"))
    for schema in (parameter.get("schema", {}), parameter.get("schema", {}).get("items", {})):
        if "example" in schema:
            found.append(schema.pop("example"))
    return next((value for value in found if value not in (None, "")), None)


LANG_PARAMETER = parameter(
    "lang",
    OpenApiTypes.STR,
    "Language of the display fields (display_name, display_city, *_label): en or ja, falling "
    "back to English where no Japanese exists. Default: from Accept-Language, else English.",
    "ja",
    enum=["en", "ja"],
)


def facets_parameter(names) -> OpenApiParameter:
    names = list(names)
    return OpenApiParameter(
        "facets",
        {"type": "array", "items": {"type": "string", "enum": names}},
        description="Add counts per value for the current filters (one extra query per "
        f"facet). Available: {', '.join(names) or 'none'}.",
        style="form",
        explode=False,
        examples=[OpenApiExample(name="example", value=names[:2])],
    )


def format_parameter(formats: list[str]) -> OpenApiParameter:
    return parameter(
        "format",
        OpenApiTypes.STR,
        "Response format: json (default), csv (UTF-8 with BOM), geojson (RFC 7946, where "
        "offered), jsonld (schema.org, detail endpoints).",
        "csv",
        enum=formats,
    )


def slug_parameter(singular: str, example: str) -> OpenApiParameter:
    return parameter(
        "slug",
        OpenApiTypes.STR,
        f"The {singular}'s slug.",
        example,
        location=OpenApiParameter.PATH,
    )


IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description="The record's ETag from your last GET (428 without it, 412 when it is stale).",
    examples=[OpenApiExample(name="example", value='"62a1b2c3d4e5f-0123456789abcdef"')],
)
WRITE_ERRORS = {
    (400, JSON): ERROR_SCHEMA,
    (413, JSON): LIMIT_SCHEMA,
    (401, JSON): DETAIL_SCHEMA,
    (403, JSON): DETAIL_SCHEMA,
    (429, JSON): DETAIL_SCHEMA,
}


def write_operations(
    singular: str, example: str, serializer, write_serializer, formats: list[str]
) -> dict:
    """Documentation of create, update, partial update and delete of one kind of record."""
    slug = slug_parameter(singular, example)
    answer_format = format_parameter(formats)
    changed = {
        (200, JSON): serializer,
        **WRITE_ERRORS,
        (404, JSON): DETAIL_SCHEMA,
        (412, JSON): DETAIL_SCHEMA,
        (428, JSON): DETAIL_SCHEMA,
    }
    return {
        "create": extend_schema(
            summary=f"Create a {singular}",
            request=write_serializer,
            parameters=[answer_format],
            responses={(201, JSON): serializer, **WRITE_ERRORS},
        ),
        "update": extend_schema(
            summary=f"Replace a {singular}",
            request=write_serializer,
            parameters=[slug, IF_MATCH_PARAMETER, answer_format],
            responses=changed,
        ),
        "partial_update": extend_schema(
            summary=f"Change some fields of a {singular}",
            request=write_serializer,
            parameters=[slug, IF_MATCH_PARAMETER, answer_format],
            responses=changed,
        ),
        "destroy": extend_schema(
            summary=f"Delete a {singular}",
            parameters=[slug, IF_MATCH_PARAMETER, answer_format],
            responses={
                204: None,
                **WRITE_ERRORS,
                (404, JSON): DETAIL_SCHEMA,
                (412, JSON): DETAIL_SCHEMA,
                (428, JSON): DETAIL_SCHEMA,
            },
        ),
    }
