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


def test_every_parameter_has_a_description_and_an_example(schema):
    undocumented = []
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            parameter_schema = parameter.get("schema", {})
            has_example = (
                "example" in parameter
                or "examples" in parameter
                or "example" in parameter_schema
                or "example" in parameter_schema.get("items", {})
            )
            if not parameter.get("description") or not has_example:
                undocumented.append(f"{method.upper()} {path} {parameter['name']}")
    assert undocumented == []


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
