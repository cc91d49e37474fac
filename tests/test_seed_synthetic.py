"""seed_synthetic makes deterministic, marked, searchable records and never duplicates them."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from directory.models import Call, Facility, FacilityRole, Institution, Programme
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def seed(seed=3, **counts):
    options = {"facilities": 40, "institutions": 30, "programmes": 5, **counts}
    call_command("seed_synthetic", seed=seed, verbosity=0, **options)


def test_creates_the_requested_counts_marked_synthetic():
    seed()
    assert Facility.objects.filter(is_synthetic=True).count() == 40
    assert Institution.objects.filter(is_synthetic=True).count() == 30
    assert Programme.objects.filter(is_synthetic=True).count() == 5
    assert Call.objects.filter(is_synthetic=True).count() == 5
    assert FacilityRole.objects.filter(facility__is_synthetic=True).count() == 40
    assert not Facility.objects.filter(is_synthetic=True, search_key="").exists()


def test_same_seed_gives_same_records_and_rerun_does_not_duplicate():
    seed()
    first = list(Facility.objects.order_by("slug").values_list("slug", "name", "latitude"))
    seed()
    second = list(Facility.objects.order_by("slug").values_list("slug", "name", "latitude"))
    assert first == second
    seed(seed=4)
    third = list(Facility.objects.order_by("slug").values_list("slug", "name", "latitude"))
    assert third != first and len(third) == len(first)


def test_curated_records_are_left_alone():
    curated = FacilityFactory(slug="spring-8")
    seed()
    seed(facilities=0, institutions=0, programmes=0)
    assert list(Facility.objects.values_list("pk", flat=True)) == [curated.pk]


def test_synthetic_records_are_served_by_the_api(api):
    seed()
    assert api.get("/api/v1/facilities/").json()["count"] == 40
    found = api.get("/api/v1/facilities/?q=sf1&limit=50").json()
    # Acronyms SF1 and SF10-SF19; the exact match ranks first.
    assert found["count"] == 11
    assert found["results"][0]["acronym"] == "SF1"


def test_bad_counts_are_refused():
    with pytest.raises(CommandError):
        seed(facilities=-1)
    with pytest.raises(CommandError):
        seed(facilities=5, institutions=0)
