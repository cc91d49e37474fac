"""A new release never serves what the previous one cached (config.fingerprint)."""

from __future__ import annotations

import shutil

import pytest
from rest_framework.test import APIClient

from api import representations
from config import fingerprint, response_cache
from tests.factories import FacilityFactory

DETAIL = "/api/v1/facilities/spring-8/"


@pytest.fixture
def project_copy(tmp_path):
    """The project's apps, copied (the fingerprint of a release is that of its files)."""
    for app in fingerprint.APPS:
        shutil.copytree(fingerprint.ROOT / app, tmp_path / app)
    return tmp_path


@pytest.mark.parametrize(
    "changed",
    [
        "api/serializers.py",
        "embed/templates/embed/widget.html",
        "directory/locale/ja/LC_MESSAGES/django.mo",
        "directory/choices.py",
    ],
)
def test_a_change_to_what_shapes_answers_changes_the_fingerprint(project_copy, changed):
    before = fingerprint.code_fingerprint(project_copy)
    assert before == fingerprint.code_fingerprint()  # the project's own files
    with open(project_copy / changed, "ab") as handle:
        handle.write(b"\n")
    assert fingerprint.code_fingerprint(project_copy) != before


def test_a_static_file_of_a_widget_changes_it_and_a_migration_does_not(project_copy):
    before = fingerprint.code_fingerprint(project_copy)
    migration = next((project_copy / "directory" / "migrations").glob("0001_*.py"))
    migration.write_text(migration.read_text() + "\n")
    assert fingerprint.code_fingerprint(project_copy) == before
    script = next(path for path in (project_copy / "embed" / "static").rglob("*") if path.is_file())
    script.write_bytes(script.read_bytes() + b"\n")
    assert fingerprint.code_fingerprint(project_copy) != before


@pytest.mark.django_db
def test_a_new_release_reads_none_of_the_old_releases_cached_answers(redis_cache, monkeypatch):
    FacilityFactory(slug="spring-8", name="SPring-8")
    api = APIClient(HTTP_HOST="localhost")
    assert api.get(DETAIL)["X-Cache"] == "miss"
    assert api.get(DETAIL)["X-Cache"] == "hit"

    monkeypatch.setattr(response_cache, "CODE_FINGERPRINT", "another-release")
    monkeypatch.setattr(representations, "FINGERPRINT", "another-release")
    keys_before = set(redis_cache._cache.get_client().keys("*rep:another-release*"))
    assert keys_before == set()
    answer = api.get(DETAIL)
    assert answer["X-Cache"] == "miss"
    # its representation was rendered again, under the new release's key
    assert redis_cache._cache.get_client().keys("*rep:another-release*")
    assert api.get(DETAIL)["X-Cache"] == "hit"
