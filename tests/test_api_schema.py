"""The OpenAPI document is valid, and documents every parameter, response and enum."""

import pytest
from openapi_spec_validator import validate

from directory.choices import FacilityKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_every_resource_is_documented(schema):
    for resource in ["facilities", "programmes", "calls", "institutions", "agreements", "sources"]:
        assert f"/api/v1/{resource}/" in schema["paths"]
        assert f"/api/v1/{resource}/{{slug}}/" in schema["paths"]
    for resource in ["techniques", "fields", "search"]:
        assert f"/api/v1/{resource}/" in schema["paths"]


def prefilled_value(parameter: dict):
    """What Swagger UI's "Try it out" fills a parameter's field with (its examples, example,
    schema example or default, in its order), or None."""
    parameter_schema = parameter.get("schema", {})
    for value in (
        *(example.get("value") for example in parameter.get("examples", {}).values()),
        parameter.get("example"),
        parameter_schema.get("example"),
        parameter_schema.get("items", {}).get("example"),
        parameter_schema.get("default"),
        parameter.get("default"),
    ):
        if value is not None:
            return value
    return None


def test_every_parameter_has_a_description_and_an_example(schema):
    """Required and path parameters carry an example value; an optional query parameter
    names its example in its description only, so Swagger UI's "Try it out" leaves its field
    empty and Execute sends no filter the user did not type."""
    undocumented, prefilled = [], []
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            name = f"{method.upper()} {path} {parameter['name']}"
            optional_query = parameter["in"] == "query" and not parameter.get("required")
            if optional_query:
                has_example = "Example: `" in parameter.get("description", "")
                if prefilled_value(parameter) is not None:
                    prefilled.append(name)
            else:
                has_example = prefilled_value(parameter) is not None
            if not parameter.get("description") or not has_example:
                undocumented.append(name)
    assert undocumented == []
    assert prefilled == []


def test_swagger_execute_with_untouched_fields_sends_no_filter(schema, api, seed_data):
    """What Try it out would send for the facility list (only pre-filled values) is no
    parameter at all: the whole first page."""
    operation = schema["paths"]["/api/v1/facilities/"]["get"]
    sent = {p["name"]: prefilled_value(p) for p in operation["parameters"]}
    sent = {name: value for name, value in sent.items() if value is not None}
    assert sent == {}
    assert api.get("/api/v1/facilities/", sent).json()["count"] > 20


def test_page_headers_and_exports_are_documented(schema):
    operation = schema["paths"]["/api/v1/facilities/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert "all" in names
    headers = operation["responses"]["200"]["headers"]
    assert {"Link", "X-Total-Count"} <= set(headers)
    assert "406" in operation["responses"]


def test_sync_pages_are_documented(schema):
    """The sync parameters on every list, and the page's cursor (count not required)."""
    for resource in ["facilities", "programmes", "calls", "institutions", "agreements", "sources"]:
        operation = schema["paths"][f"/api/v1/{resource}/"]["get"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert {"sync", "cursor"} <= set(parameters), resource
        assert "order of their last change" in parameters["sync"]["description"]
    page = schema["components"]["schemas"]["PaginatedFacilityList"]
    assert page["required"] == ["results"]
    assert "cursor" in page["properties"]
    collection = schema["components"]["schemas"]["FeatureCollection"]
    assert "cursor" in collection["properties"]


def test_errors_are_documented(schema):
    for path, _method, operation in operations(schema):
        if not path.startswith("/api/v1/") or path == "/api/v1/":
            continue
        assert "400" in operation["responses"], path
        assert "429" in operation["responses"], path
        if "{slug}" in path:
            assert "404" in operation["responses"], path


def test_a_succession_documents_its_citations_as_a_records(schema):
    components = schema["components"]["schemas"]
    cited = components["SuccessionBrief"]["properties"]["sources"]
    assert cited["items"] == components["Facility"]["properties"]["sources"]["items"]
    assert cited["items"] == {"$ref": "#/components/schemas/Citation"}


def test_enums_are_listed(schema):
    facility_list = schema["paths"]["/api/v1/facilities/"]["get"]
    kind = next(p for p in facility_list["parameters"] if p["name"] == "kind")
    assert kind["schema"]["items"]["enum"] == list(FacilityKind.values)


def test_formats_are_documented(schema):
    detail = schema["paths"]["/api/v1/facilities/{slug}/"]["get"]["responses"]["200"]["content"]
    assert set(detail) == {
        "application/json",
        "text/csv",
        "application/ld+json",
        "application/geo+json",
    }


def test_list_bodies_in_their_own_formats_are_documented_whole(schema):
    content = schema["paths"]["/api/v1/facilities/"]["get"]["responses"]["200"]["content"]
    components = schema["components"]["schemas"]

    def resolved(media_type):
        reference = content[media_type]["schema"]["$ref"].rsplit("/", 1)[-1]
        return components[reference]

    assert resolved("text/csv")["type"] == "string"
    geojson = resolved("application/geo+json")
    assert set(geojson["properties"]) >= {"type", "features", "count"}
    assert geojson["properties"]["features"]["type"] == "array"
    assert "PaginatedFacilityList" in content["application/json"]["schema"]["$ref"]


def test_docs_pages_are_served_without_external_assets(api):
    for url in ["/api/docs/", "/api/redoc/"]:
        page = api.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_generating_the_schema_leaves_the_documented_bodies_as_they_are(schema):
    """drf-spectacular rewrites component schemas in place (enums become references): the
    shared body schemas must reach it as copies, or ReDoc meets dangling references."""
    from api.schema import FEATURE_COLLECTION_SCHEMA, FEATURE_SCHEMA

    assert FEATURE_COLLECTION_SCHEMA["properties"]["type"] == {
        "type": "string",
        "enum": ["FeatureCollection"],
    }
    assert FEATURE_SCHEMA["properties"]["type"]["enum"] == ["Feature"]
