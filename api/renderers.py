"""Output formats: JSON, CSV (Excel-friendly), GeoJSON (RFC 7946) and JSON-LD (schema.org)."""

from __future__ import annotations

import json
from decimal import Decimal

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils import encoders

from directory import csvsafe
from directory.identifiers import SCHEMES


class DirectoryJSONRenderer(JSONRenderer):
    """Plain JSON, UTF-8, Japanese kept as characters (not \\u escapes).

    Encoded by orjson: the same compact document as DRF's encoder, several times faster on
    a page of records. Types orjson does not know natively (decimals, lazy strings, dates)
    go through DRF's encoder; a pretty-printed answer (``Accept: application/json;
    indent=4``) or anything orjson refuses is left to DRF's own renderer.
    """

    ensure_ascii = False
    charset = "utf-8"
    _options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    _fallback = encoders.JSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is None:
            try:
                body = orjson.dumps(data, default=self._fallback, option=self._options)
            except orjson.JSONEncodeError:
                pass
            else:
                # As DRF does: U+2028 and U+2029 escaped, so the JSON is valid JavaScript too.
                if b"\xe2\x80" in body:
                    body = body.replace(b"\xe2\x80\xa8", b"\\u2028")
                    body = body.replace(b"\xe2\x80\xa9", b"\\u2029")
                return body
        return super().render(data, accepted_media_type, renderer_context)


class FormatRenderer(BaseRenderer):
    """A non-JSON format whose error answers (4xx) stay JSON: an error is read by a program,
    and a CSV or calendar of an error message helps nobody."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = "application/json; charset=utf-8"
            return json.dumps(data, ensure_ascii=False).encode("utf-8")
        return self.render_body(data, renderer_context, response)

    def render_body(self, data, renderer_context, response):
        raise NotImplementedError


def _json(document) -> bytes:
    """A document as UTF-8 JSON; decimals as numbers, as DRF's encoder writes them."""
    return json.dumps(document, ensure_ascii=False, cls=encoders.JSONEncoder).encode("utf-8")


def _results(data):
    """The records of a list response, or the one record of a detail response."""
    if isinstance(data, dict) and "results" in data and isinstance(data["results"], list):
        return data["results"]
    if isinstance(data, list):
        return data
    return [data]


def flatten(value) -> str:
    """One CSV cell: related records by slug (with role), lists joined by "; "."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        if "slug" in value:
            roles = ", ".join(item["role"] for item in value.get("roles") or ())
            return f"{value['slug']} ({roles})" if roles else value["slug"]
        if "code" in value:
            return value["code"]
        if "source" in value and isinstance(value["source"], dict):
            return citation_text(value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "; ".join(flatten(item) for item in value)
    return str(value)


def citation_text(citation: dict) -> str:
    """A citation in one line a reader can follow: title (publisher, date), locator <url>."""
    source = citation["source"]
    about = ", ".join(part for part in (source.get("publisher"), source.get("date")) if part)
    text = f"{source.get('title', '')} ({about})" if about else source.get("title", "")
    if citation.get("locator"):
        text = f"{text}, {citation['locator']}"
    return f"{text} <{source['url']}>" if source.get("url") else text


def cell(value):
    """One CSV cell: a number stays a number (so a negative longitude is not taken for a
    formula), anything else is flattened to text, which ``csvsafe`` then neutralises."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    return flatten(value)


class CSVRenderer(FormatRenderer):
    """Flat columns, UTF-8 with a byte-order mark so Excel shows Japanese correctly.

    Written by ``directory.csvsafe.write_rows``: a text cell beginning with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's CSV-injection
    rule); numbers (coordinates, counts, decimal amounts) are written as numbers, untouched
    (a decimal keeps its exact digits: 3.000).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render_body(self, data, renderer_context, response):
        rows = [row for row in _results(data) if isinstance(row, dict)]
        columns = _columns(rows)
        body = csvsafe.write_rows(
            [columns, *([cell(row.get(column)) for column in columns] for row in rows)]
        )
        if response is not None:
            view = renderer_context.get("view")
            name = getattr(view, "basename", None) or "results"
            response["Content-Disposition"] = f'inline; filename="{name}.csv"'
        return body.encode("utf-8")

    @staticmethod
    def stream(chunks, count: int, wanted: list[str] | None = None):
        """A whole export (``?all=true``) as CSV, chunk by chunk: the BOM and the header row
        (the columns of the first chunk's records: every record of a list has the same
        keys), then each chunk's rows as it is read."""
        columns = None
        for rows in chunks:
            if columns is None:
                columns = _columns(rows)
                yield csvsafe.write_rows([columns]).encode("utf-8")
            body = csvsafe.write_rows([cell(row.get(column)) for column in columns] for row in rows)
            yield body[len(csvsafe.BOM) :].encode("utf-8")
        if columns is None:
            yield csvsafe.BOM.encode("utf-8")


def _columns(rows) -> list[str]:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns


class GeoJSONRenderer(FormatRenderer):
    """An RFC 7946 FeatureCollection: Point geometry in [longitude, latitude] order.

    Pagination fields (count, next, previous, a sync page's cursor) travel as foreign members.
    """

    media_type = "application/geo+json"
    format = "geojson"
    charset = "utf-8"

    def render_body(self, data, renderer_context, response):
        is_list = isinstance(data, dict) and "results" in data
        view = renderer_context.get("view")
        wanted = getattr(view, "sparse_fields", None)
        features = [self.feature(row, wanted) for row in _results(data)]
        if not is_list:
            document = features[0]
        else:
            document = {"type": "FeatureCollection", "features": features}
            for member in ("count", "next", "previous", "cursor", "facets"):
                if member in data:
                    document[member] = data[member]
        return _json(document)

    @classmethod
    def stream(cls, chunks, count: int, wanted: list[str] | None = None):
        """A whole export (``?all=true``) as one FeatureCollection (with ``count``), written
        feature by feature as the chunks are read."""
        yield f'{{"type": "FeatureCollection", "count": {count}, "features": ['.encode()
        separator = ""
        for rows in chunks:
            if rows:
                features = ", ".join(
                    json.dumps(cls.feature(row, wanted), ensure_ascii=False) for row in rows
                )
                yield f"{separator}{features}".encode()
                separator = ", "
        yield b"]}"

    @staticmethod
    def feature(row: dict, wanted: list[str] | None = None) -> dict:
        """One record as a Feature; with sparse fields, properties hold only those asked for."""
        properties = {
            key: value
            for key, value in row.items()
            if key not in ("latitude", "longitude") and (not wanted or key in wanted)
        }
        latitude, longitude = row.get("latitude"), row.get("longitude")
        geometry = None
        if latitude is not None and longitude is not None:
            geometry = {"type": "Point", "coordinates": [longitude, latitude]}
        return {
            "type": "Feature",
            "id": row.get("slug"),
            "geometry": geometry,
            "properties": properties,
        }


class JSONLDRenderer(FormatRenderer):
    """A schema.org description of one record (detail endpoints)."""

    media_type = "application/ld+json"
    format = "jsonld"
    charset = "utf-8"

    def render_body(self, data, renderer_context, response):
        view = renderer_context.get("view")
        document = to_jsonld(data, getattr(view, "jsonld_type", "Thing"))
        return _json(document)


def _names(record: dict) -> list[dict] | None:
    names = [{"@value": record["name"], "@language": "en"}] if record.get("name") else []
    if record.get("name_ja"):
        names.append({"@value": record["name_ja"], "@language": "ja"})
    return names or None


def _descriptions(record: dict) -> list[dict]:
    texts = []
    if record.get("description"):
        texts.append({"@value": record["description"], "@language": "en"})
    if record.get("description_ja"):
        texts.append({"@value": record["description_ja"], "@language": "ja"})
    return texts


def _link(item: dict, schema_type: str) -> dict:
    return {"@type": schema_type, "@id": item.get("url"), "name": item.get("name")}


def identifier_urls(identifiers: dict) -> list[str]:
    """The resolvable URL of each identifier a record has (ROR is one already)."""
    urls = []
    for key, value in identifiers.items():
        scheme = SCHEMES.get(key)
        if value and scheme is not None:
            urls.append(value if value.startswith("https://") else scheme.url(value))
    return urls


def _creative_work(record: dict, date, public_url) -> dict:
    """What a document's schema.org CreativeWork says of it: publisher, date, address."""
    work = {}
    if record.get("publisher") or record.get("publisher_ja"):
        names = [{"@value": record["publisher"], "@language": "en"}] if record["publisher"] else []
        if record.get("publisher_ja"):
            names.append({"@value": record["publisher_ja"], "@language": "ja"})
        work["publisher"] = {"@type": "Organization", "name": names}
    if date:
        work["datePublished"] = date
    if public_url:
        work["url"] = public_url
    return work


def _citation(citation: dict) -> dict:
    """One citation as a schema.org CreativeWork: the source it names, identified by its
    record in this API (``@id``), with its public address (``url``) where it has one."""
    source = citation["source"]
    public_url = source["url"] if source.get("url") != source.get("api_url") else None
    work = {
        "@type": "CreativeWork",
        "@id": source.get("api_url"),
        "name": _names({"name": source.get("title"), "name_ja": source.get("title_ja")}),
    }
    work.update(_creative_work(source, source.get("date"), public_url))
    return work


def to_jsonld(record: dict, schema_type: str) -> dict:
    """Map a serialized record onto schema.org terms (names and descriptions in both languages)."""
    document = {
        "@context": "https://schema.org",
        "@type": schema_type,
        "@id": record.get("url"),
        "identifier": record.get("slug"),
        "name": _names(record),
    }
    if record.get("acronym"):
        document["alternateName"] = [record["acronym"], *record.get("aliases", [])]
    elif record.get("aliases"):
        document["alternateName"] = record["aliases"]
    if _descriptions(record):
        document["description"] = _descriptions(record)
    same_as = [record["website"]] if record.get("website") else []
    same_as += identifier_urls(record.get("identifiers") or {})
    if same_as:
        document["sameAs"] = same_as[0] if len(same_as) == 1 else same_as
    if record.get("kind_label"):
        document["additionalType"] = record["kind_label"]
    if record.get("updated_at"):
        document["dateModified"] = record["updated_at"]
    if record.get("latitude") is not None and record.get("longitude") is not None:
        document["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": record["latitude"],
            "longitude": record["longitude"],
        }
    if record.get("country"):
        address = {"@type": "PostalAddress", "addressCountry": record["country"]}
        if record.get("city"):
            address["addressLocality"] = _names(
                {"name": record["city"], "name_ja": record.get("city_ja")}
            )
        document["address"] = address
    if schema_type == "Place" and record.get("access_modes"):
        # Only what the record holds: a recorded way in. No access mode recorded says
        # nothing either way, so publicAccess is then left out (not false).
        document["publicAccess"] = True
    if schema_type == "Place" and record.get("institutions"):
        document["maintainer"] = [_link(item, "Organization") for item in record["institutions"]]
    if schema_type == "FundingScheme" and record.get("institutions"):
        document["funder"] = [
            _link(item, "Organization")
            for item in record["institutions"]
            if any(role["role"] == "funder" for role in item.get("roles") or ())
        ]
        document["areaServed"] = [
            {"@type": "Country", "identifier": c["code"], "name": c["name"]}
            for c in record.get("countries", [])
        ]
    if schema_type == "Event":
        document["startDate"] = record.get("opens_on")
        document["endDate"] = record.get("closes_at")
        if record.get("programme"):
            document["funding"] = _link(record["programme"], "FundingScheme")
        if record.get("call_url"):
            document["url"] = record["call_url"]
    if schema_type == "Organization":
        if record.get("parent"):
            document["parentOrganization"] = _link(record["parent"], "Organization")
        if record.get("ror_url") and record["ror_url"] not in same_as:
            document["sameAs"] = [*same_as, record["ror_url"]]
    if schema_type == "CreativeWork" and "source_url" in record:  # a source
        document.update(_creative_work(record, record.get("date"), record.get("source_url")))
        document["inLanguage"] = record.get("language") or None
        if record.get("display_author"):
            document["author"] = record["display_author"]
    elif schema_type == "CreativeWork":
        document["dateCreated"] = record.get("signed_on")
        document["about"] = [
            _link(item, "Organization") for item in record.get("institutions", [])
        ] + [_link(item, "Place") for item in record.get("facilities", [])]
    if record.get("sources"):
        # A source cited at several places (lines 15 and 17) is one work: cited once.
        cited = {}
        for citation in record["sources"]:
            cited.setdefault(citation["source"].get("api_url"), _citation(citation))
        document["citation"] = list(cited.values())
    # JSON-LD reads null as "absent"; leaving such keys out keeps the document clean.
    return {key: value for key, value in document.items() if value is not None}
