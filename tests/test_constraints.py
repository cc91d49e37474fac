"""Each model rule is held by the database (IntegrityError) and explained by full_clean()."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from directory import services
from directory.models import Facility, FacilityRole, Institution
from tests.factories import (
    AgreementFactory,
    CallFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    InstrumentFactory,
    ProgrammeFactory,
    ProgrammeRoleFactory,
    SourceFactory,
    cited_source,
    direct_writes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cited_source(db):
    """The source record the factories' citations name (built records are not saved)."""
    cited_source()


def assert_database_refuses(obj):
    """The database itself refuses the row, even written past the services' validation."""
    with pytest.raises(IntegrityError), transaction.atomic(), direct_writes():
        obj.save()


def assert_validation_says(obj, message):
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    assert message in str(excinfo.value.message_dict), excinfo.value.message_dict


FACILITY_RULES = [
    ({"latitude": 91, "longitude": 0}, "Latitude must be between -90 and 90"),
    ({"latitude": -90.5, "longitude": 0}, "Latitude must be between -90 and 90"),
    ({"latitude": 0, "longitude": 180.5}, "Longitude must be between -180 and 180"),
    ({"latitude": 38.0, "longitude": None}, "Give both latitude and longitude, or neither"),
    ({"energy_gev": Decimal("-1")}, "Beam energy cannot be negative"),
    ({"circumference_m": Decimal("-0.5")}, "Circumference cannot be negative"),
    ({"beamline_count": -3}, "The number of beamlines cannot be negative"),
    ({"first_operation_year": 1492}, "The year of first operation must be between 1900 and 2100"),
    ({"user_programme_year": 2500}, "The year the user programme opened must be between"),
    (
        {"construction_cost": Decimal("1000"), "construction_cost_currency": ""},
        "Construction cost needs a currency",
    ),
    (
        {"construction_cost": Decimal("-5"), "construction_cost_currency": "JPY"},
        "cannot be negative",
    ),
]


@pytest.mark.parametrize(("values", "message"), FACILITY_RULES)
def test_facility_rules(values, message):
    facility = FacilityFactory.build(**values)
    assert_validation_says(facility, message)
    assert_database_refuses(facility)


def test_valid_facility_figures_pass():
    facility = FacilityFactory.build(
        latitude=38.2543,
        longitude=140.8367,
        energy_gev=Decimal("3"),
        circumference_m=Decimal("349"),
        beamline_count=7,
        first_operation_year=2024,
        construction_cost=Decimal("38000000000"),
        construction_cost_currency="JPY",
    )
    facility.full_clean()
    with direct_writes():
        facility.save()


def test_slug_is_unique():
    FacilityFactory(slug="spring-8")
    duplicate = FacilityFactory.build(slug="spring-8")
    assert_validation_says(duplicate, "Facility with this Slug already exists")
    assert_database_refuses(duplicate)


def test_slug_format_is_validated():
    assert_validation_says(FacilityFactory.build(slug="SPring 8!"), "Enter a valid “slug”")


def test_unknown_country_is_refused():
    facility = FacilityFactory.build()
    facility.country_id = "XX"
    assert_validation_says(facility, "XX is not an ISO 3166-1 alpha-2 country code")
    with pytest.raises(IntegrityError), transaction.atomic(), direct_writes():
        facility.save()
        # SQLite checks foreign keys at commit; force the check inside the block.
        from django.db import connection

        connection.check_constraints()


def test_unknown_choice_is_explained():
    assert_validation_says(FacilityFactory.build(kind="spaceship"), "is not a valid choice")


def test_unknown_currency_is_explained():
    facility = FacilityFactory.build(
        construction_cost=Decimal("1"), construction_cost_currency="XYZ"
    )
    assert_validation_says(facility, "Value 'XYZ' is not a valid choice")


def test_facility_role_is_unique_per_role():
    role = FacilityRoleFactory()
    duplicate = FacilityRole(facility=role.facility, institution=role.institution, role=role.role)
    assert_validation_says(duplicate, "This institution already has this role at this facility")
    assert_database_refuses(duplicate)
    # The same institution may hold another role at the same facility.
    FacilityRoleFactory(facility=role.facility, institution=role.institution, role="funder")


def test_instrument_name_unique_per_facility():
    instrument = InstrumentFactory(name="B16")
    duplicate = InstrumentFactory.build(facility=instrument.facility, name="B16", slug="other-b16")
    assert_validation_says(duplicate, "This facility already has an instrument with this name")
    assert_database_refuses(duplicate)
    InstrumentFactory(name="B16")  # another facility's B16 is fine


PROGRAMME_RULES = [
    (
        {"starts_on": datetime.date(2021, 1, 1), "ends_on": datetime.date(2020, 12, 31)},
        "A programme cannot end before it starts",
    ),
    (
        {"total_budget": Decimal("95500000000"), "total_budget_currency": ""},
        "The total budget needs a currency",
    ),
    (
        {"max_funding_per_project": Decimal("54000000"), "max_funding_currency": ""},
        "The maximum funding per project needs a currency",
    ),
    ({"total_budget": Decimal("-1"), "total_budget_currency": "EUR"}, "cannot be negative"),
    ({"typical_duration_months": 0}, "A typical project lasts at least one month"),
]


@pytest.mark.parametrize(("values", "message"), PROGRAMME_RULES)
def test_programme_rules(values, message):
    programme = ProgrammeFactory.build(**values)
    assert_validation_says(programme, message)
    assert_database_refuses(programme)


def test_year_precise_programme_dates_cover_whole_years():
    programme = ProgrammeFactory(
        starts_on=datetime.date(2021, 6, 15),
        starts_on_precision="year",
        ends_on=datetime.date(2027, 3, 1),
        ends_on_precision="year",
    )
    programme.refresh_from_db()
    assert programme.starts_on == datetime.date(2021, 1, 1)
    assert programme.ends_on == datetime.date(2027, 12, 31)
    assert programme.is_active_on(datetime.date(2027, 12, 31))
    assert not programme.is_active_on(datetime.date(2028, 1, 1))


def test_programme_role_is_unique():
    role = ProgrammeRoleFactory()
    duplicate = type(role)(programme=role.programme, institution=role.institution, role=role.role)
    assert_validation_says(duplicate, "This institution already has this role in this programme")
    assert_database_refuses(duplicate)


def test_call_cannot_close_before_it_opens():
    call = CallFactory.build(
        programme=ProgrammeFactory(),
        opens_on=datetime.date(2026, 5, 1),
        closes_at=datetime.datetime(2026, 4, 1, 12, tzinfo=datetime.UTC),
    )
    assert_validation_says(call, "A call cannot close before it opens")
    assert_database_refuses(call)


def test_call_time_zone_is_validated():
    call = CallFactory.build(programme=ProgrammeFactory(), deadline_timezone="Mars/Olympus")
    assert_validation_says(call, "is not a time zone name")


def test_call_status_is_derived_from_dates():
    now = timezone.now()
    today = timezone.localdate(now)
    upcoming = CallFactory(opens_on=today + datetime.timedelta(days=5))
    open_call = CallFactory(opens_on=today - datetime.timedelta(days=5))
    closed = CallFactory(opens_on=None, closes_at=now - datetime.timedelta(hours=1))
    assert upcoming.status_at(now) == "upcoming"
    assert open_call.status_at(now) == "open"
    assert closed.status_at(now) == "closed"
    manager = type(open_call).objects
    assert list(manager.with_status("open", now)) == [open_call]
    assert list(manager.with_status("upcoming", now)) == [upcoming]
    assert list(manager.with_status("closed", now)) == [closed]


def test_call_deadline_shown_in_its_time_zone():
    call = CallFactory(
        closes_at=datetime.datetime(2030, 1, 31, 3, 0, tzinfo=datetime.UTC),
        opens_on=None,
        deadline_timezone="Asia/Tokyo",
    )
    assert call.closes_at_local.isoformat() == "2030-01-31T12:00:00+09:00"


AGREEMENT_RULES = [
    ({"renewed_on": datetime.date(2011, 1, 1)}, "cannot be renewed before it is first signed"),
    ({"expires_on": datetime.date(2000, 1, 1)}, "cannot expire before it is signed"),
    ({"renewal_period_years": 0}, "A renewal period is at least one year"),
]


@pytest.mark.parametrize(("values", "message"), AGREEMENT_RULES)
def test_agreement_rules(values, message):
    agreement = AgreementFactory.build(**values)
    assert_validation_says(agreement, message)
    assert_database_refuses(agreement)


def test_institution_cannot_be_its_own_parent():
    institution = InstitutionFactory()
    institution.parent = institution
    assert_validation_says(institution, "cannot be its own parent")
    assert_database_refuses(institution)


def test_an_institution_slug_cannot_be_an_api_route():
    """/api/v1/institutions/match/ is the affiliation matcher: an institution named "match"
    could never be reached at its own detail."""
    institution = InstitutionFactory.build(slug="match")
    assert_validation_says(institution, "is an address of the API")
    assert_database_refuses(institution)


def test_institution_parent_cycle_is_explained():
    ukri = InstitutionFactory(slug="ukri")
    stfc = InstitutionFactory(slug="stfc", parent=ukri)
    ukri.parent = stfc
    assert_validation_says(ukri, "would make a cycle")


class TestRorId:
    def test_valid_ids_and_urls_are_normalised(self):
        institution = InstitutionFactory.build(ror_id="https://ror.org/01DQ60K83")
        institution.full_clean()
        with direct_writes():
            institution.save()
        assert Institution.objects.get(pk=institution.pk).ror_id == "01dq60k83"
        assert institution.ror_url == "https://ror.org/01dq60k83"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("12345", "is not a ROR id"),
            ("0abcdefgh", "is not a ROR id"),
            ("01dq60k84", "checksum digits do not match"),
        ],
    )
    def test_invalid_ids_are_explained(self, value, message):
        assert_validation_says(InstitutionFactory.build(ror_id=value), message)

    def test_unique_when_present(self):
        InstitutionFactory(ror_id="01dq60k83")
        duplicate = InstitutionFactory.build(ror_id="01dq60k83")
        assert_validation_says(duplicate, "Institution with this ROR id already exists")
        assert_database_refuses(duplicate)

    def test_many_institutions_without_ror_id(self):
        InstitutionFactory(ror_id="")
        InstitutionFactory(ror_id=None)
        assert Institution.objects.filter(ror_id__isnull=True).count() == 2


class TestSourcesAndAliases:
    @pytest.mark.parametrize(
        ("sources", "message"),
        [
            ("a string", "Sources must be a list of citations"),
            ([{"locator": "p. 1"}], "Source 1 needs a source"),
            ([{"source": "test-source"}], "Source 1 needs a locator"),
            ([{"source": "test-source", "locator": 12}], "Source 1: locator must be text"),
            (
                [{"source": "test-source", "locator": "p. 1", "colour": "red"}],
                "unknown keys: colour",
            ),
            (
                [{"title": "R", "document": "seeds/001.txt:3"}],
                "unknown keys: document, title",
            ),
            ([{"source": "no-such-report", "locator": "p. 1"}], "cites no-such-report"),
        ],
    )
    def test_bad_sources_are_explained(self, sources, message):
        assert_validation_says(FacilityFactory.build(sources=sources), message)

    def test_seed_style_citation_is_valid(self):
        SourceFactory(slug="takata-nanoterasu-coalition-essay")
        FacilityFactory.build(
            sources=[
                {
                    "source": "takata-nanoterasu-coalition-essay",
                    "locator": "line 63",
                    "passage": "官民地域パートナーシップ",
                }
            ]
        ).full_clean()

    @pytest.mark.parametrize("aliases", ["SPring8", [""], [1, 2]])
    def test_bad_aliases_are_explained(self, aliases):
        with pytest.raises(ValidationError) as excinfo:
            FacilityFactory.build(aliases=aliases).full_clean()
        assert "aliases" in excinfo.value.message_dict


def test_deleting_an_institution_with_roles_is_refused():
    role = FacilityRoleFactory()
    from django.db.models import ProtectedError

    with pytest.raises(services.RecordInUse, match="cannot be deleted while other records"):
        services.record_delete(record=role.institution)
    # The database holds the rule too, for a delete that skips the services.
    with pytest.raises(ProtectedError), direct_writes():
        role.institution.delete()
    assert Facility.objects.filter(pk=role.facility_id).exists()
