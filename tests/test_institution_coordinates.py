"""Institutions have coordinates where the sources or the fact sheet give their seat, so
their GeoJSON is not empty; coordinates are general knowledge, so they are flagged."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def seeded_institutions() -> list[dict]:
    data = json.loads((FIXTURES / "institutions.json").read_text(encoding="utf-8"))
    return [obj["fields"] for obj in data if obj["model"] == "directory.institution"]


def test_located_institutions_say_their_coordinates_are_general_knowledge():
    located = [fields for fields in seeded_institutions() if fields["latitude"] is not None]
    assert len(located) >= 50
    for fields in located:
        assert fields["needs_review"] is True, fields["slug"]
        assert fields["last_verified_on"] is None, fields["slug"]
        assert "Coordinates:" in fields["review_note"], fields["slug"]
        assert "general knowledge" in fields["review_note"], fields["slug"]


@pytest.mark.django_db
def test_institution_geojson_of_the_seeded_directory_has_features(seed_data, api):
    response = api.get("/api/v1/institutions/", {"format": "geojson", "limit": 200})
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"].startswith("application/geo+json")
    document = json.loads(response.content)
    assert document["type"] == "FeatureCollection"
    features = {feature["properties"]["slug"]: feature for feature in document["features"]}
    expected = {f["slug"] for f in seeded_institutions() if f["latitude"] is not None}
    assert set(features) == expected
    tohoku = features["tohoku-university"]
    longitude, latitude = tohoku["geometry"]["coordinates"]
    # Sendai: RFC 7946 puts the longitude first.
    assert 38 < latitude < 39 and 140 < longitude < 141
    assert tohoku["properties"]["needs_review"] is True


@pytest.mark.django_db
def test_a_located_institution_detail_is_one_feature(seed_data, api):
    response = api.get("/api/v1/institutions/imec/", {"format": "geojson"})
    assert response.status_code == HTTPStatus.OK, response.content
    feature = json.loads(response.content)
    assert feature["type"] == "Feature"
    assert feature["properties"]["city"] == "Leuven"
