"""The filter savings of directory.filter_costs keep every filterset's behaviour."""

from __future__ import annotations

import copy

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.test import RequestFactory

from directory import filtersets
from directory.filter_costs import FormClassPerFilterSet, SharedConfiguration
from directory.models import Facility
from tests.factories import FacilityFactory, FacilityRoleFactory, InstitutionFactory
from tests.test_cache_invalidation import FILTERSETS


def test_every_filter_of_every_filterset_shares_its_configuration():
    """A filter class without the cheap copy would be deep-copied on every request again."""
    assert FILTERSETS
    for filterset in FILTERSETS:
        assert issubclass(filterset, FormClassPerFilterSet), filterset
        for name, filter_ in filterset.base_filters.items():
            assert isinstance(filter_, SharedConfiguration), (filterset.__name__, name)


def test_a_copy_is_its_own_filter_with_the_same_configuration():
    declared = filtersets.FacilityFilterSet.base_filters["q"]
    duplicate = copy.deepcopy(declared)
    assert duplicate is not declared
    assert duplicate.extra is declared.extra  # shared, never changed after declaration
    duplicate.model = Facility
    assert not hasattr(declared, "model") or declared.model is not None


@pytest.mark.django_db
def test_a_copied_method_filter_runs_against_its_own_filterset():
    """``q`` and ``updated_since`` are method filters: each request's copy must call its own
    filterset's method (a shallow copy alone would call the declared filter's, which has no
    filterset)."""
    FacilityFactory(slug="spring-8", name="SPring-8")
    FacilityFactory(slug="diamond", name="Diamond Light Source")
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    first = filtersets.FacilityFilterSet(
        QueryDict("q=spring"), queryset=Facility.objects.all(), request=request
    )
    second = filtersets.FacilityFilterSet(
        QueryDict("q=diamond"), queryset=Facility.objects.all(), request=request
    )
    assert first.filters["q"].parent is first and second.filters["q"].parent is second
    assert [record.slug for record in first.qs] == ["spring-8"]
    assert [record.slug for record in second.qs] == ["diamond"]


@pytest.mark.django_db
def test_a_relation_filter_reads_the_callers_own_visibility():
    """``operator`` matches through the institutions its filterset's caller may see: a draft
    operator matches for staff, never for the public — each copy has its own filterset."""
    facility = FacilityFactory(slug="hidden-op")
    draft = InstitutionFactory(slug="draft-operator", is_published=False)
    FacilityRoleFactory(facility=facility, institution=draft)
    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    staff = RequestFactory().get("/")
    staff.user = type("Staff", (), {"is_staff": True, "is_authenticated": True})()
    data = QueryDict("operator=draft-operator")
    public = filtersets.FacilityFilterSet(data, queryset=Facility.objects.all(), request=anonymous)
    curator = filtersets.FacilityFilterSet(data, queryset=Facility.objects.all(), request=staff)
    assert list(public.qs) == []
    assert [record.slug for record in curator.qs] == ["hidden-op"]


def test_the_form_class_is_built_once_per_filterset_class_and_forms_do_not_share_fields():
    first = filtersets.FacilityFilterSet(QueryDict("kind=synchrotron"))
    second = filtersets.FacilityFilterSet(QueryDict("kind=bogus"))
    assert type(first.form) is type(second.form)
    assert first.form.fields["kind"] is not second.form.fields["kind"]
    assert first.is_valid() and not second.is_valid()
    assert "kind" in second.errors and "kind" not in first.errors
    programmes = filtersets.ProgrammeFilterSet(QueryDict())
    assert type(programmes.form) is not type(first.form)
