"""OpenAPI documentation helpers: response shapes of every format, and of every error."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema

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
    "flattened to their slugs joined by '; '.",
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
#: Errors are JSON whatever format was asked for.
ERRORS = {(400, JSON): ERROR_SCHEMA, (429, JSON): DETAIL_SCHEMA}


def list_responses(serializer_class, *, geojson: bool = False) -> dict:
    """200 in each format of a list endpoint, and its errors."""
    responses = {
        (200, JSON): serializer_class,
        (200, "text/csv"): CSV_SCHEMA,
        **ERRORS,
    }
    if geojson:
        responses[(200, "application/geo+json")] = FEATURE_COLLECTION_SCHEMA
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
    """Leaves CSV, GeoJSON and JSON-LD bodies as documented, not wrapped in the JSON page."""

    RAW_MEDIA_TYPES = frozenset({"text/csv", "application/geo+json", "application/ld+json"})
    _raw_response = False

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        self._raw_response = bool(media_types) and set(media_types) <= self.RAW_MEDIA_TYPES
        try:
            return super()._get_response_for_code(serializer, status_code, media_types, direction)
        finally:
            self._raw_response = False

    def get_auth(self):
        auth = super().get_auth()
        # Reads are public: say so, next to the schemes that writes need.
        if self.method in ("GET", "HEAD") and auth and {} not in auth:
            auth.append({})
        return auth

    def _is_list_view(self, serializer=None) -> bool:
        if self._raw_response:
            return False
        return super()._is_list_view(serializer)


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


def strip_required_from_records(result, generator, request, public):
    """Any record field may be left out with ?fields=, so none is required in the schema."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.startswith("Paginated"):
            component.pop("required", None)
    return result


LANG_PARAMETER = parameter(
    "lang",
    OpenApiTypes.STR,
    "Language of the display fields (display_name, *_label): en or ja, falling back to "
    "English where no Japanese exists. Default: from Accept-Language, else English.",
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
