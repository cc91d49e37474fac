"""factory_boy factories for every directory model: valid, sourced, published by default.

Records are created through the write services (directory.services), the one write path,
so every factory-made record has its creation entry, change event and public feed entry
like a record a curator made.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from directory import choices, services
from directory.models import (
    AccessMode,
    Agreement,
    Call,
    Country,
    Facility,
    FacilityRole,
    Institution,
    Instrument,
    Programme,
    ProgrammeRole,
    ResearchField,
    Source,
    Technique,
)


def country(code: str) -> Country:
    """The ISO country row loaded by the migrations."""
    return Country.objects.get(code=code)


class ServiceFactory(factory.django.DjangoModelFactory):
    """Creates records with ``services.record_create`` instead of ``Model.objects.create``."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if cls._meta.django_get_or_create:
            keys = {name: kwargs[name] for name in cls._meta.django_get_or_create}
            existing = model_class._base_manager.filter(**keys).first()
            if existing is not None:
                return existing
        if any(
            isinstance(item, dict) and item.get("source") == TEST_SOURCE
            for item in kwargs.get("sources") or []
        ):
            cited_source()
        many = {field.name for field in model_class._meta.many_to_many}
        relations = {name: kwargs.pop(name) for name in list(kwargs) if name in many}
        return services.record_create(
            model=model_class, fields=kwargs, relations=relations, reason="Test factory"
        )


class RoleLinkFactory(factory.django.DjangoModelFactory):
    """Adds one role link to its owner through ``services.record_update``."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        owner_name = "facility" if "facility" in kwargs else "programme"
        owner = kwargs[owner_name]
        current = [
            services.RoleLink(link.institution, link.role, link.note)
            for link in model_class.objects.filter(**{owner_name: owner})
        ]
        link = services.RoleLink(kwargs["institution"], kwargs["role"], kwargs.get("note", ""))
        services.record_update(
            record=owner, relations={"institutions": [*current, link]}, reason="Test factory"
        )
        return model_class.objects.get(
            **{owner_name: owner}, institution=kwargs["institution"], role=kwargs["role"]
        )


TEST_SOURCE = "test-source"


def cited_source() -> Source:
    """The published source the factories' records cite (made once, through the services)."""
    existing = Source._base_manager.filter(slug=TEST_SOURCE).first()
    if existing is not None:
        return existing
    return services.record_create(
        model=Source,
        fields={
            "slug": TEST_SOURCE,
            "name": "Test source",
            "name_ja": "テスト出典",
            "publisher": "Test publisher",
            "url": "https://example.org/source",
            "is_published": True,
        },
        reason="Test factory",
    )


def citation(source: str = TEST_SOURCE, locator: str = "p. 1", **extra) -> dict:
    """One citation in the stored format (a factory that creates a record citing the test
    source makes that source first: ServiceFactory)."""
    return {"source": source, "locator": locator, **extra}


class NamedRecordFactory(ServiceFactory):
    class Meta:
        abstract = True

    name = factory.Sequence(lambda n: f"Record {n}")
    slug = factory.Sequence(lambda n: f"record-{n}")
    sources = factory.LazyFunction(lambda: [citation()])
    is_published = True


class TechniqueFactory(NamedRecordFactory):
    class Meta:
        model = Technique
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Technique {n}")
    slug = factory.Sequence(lambda n: f"technique-{n}")
    probe = choices.Probe.XRAY


class ResearchFieldFactory(NamedRecordFactory):
    class Meta:
        model = ResearchField
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Field {n}")
    slug = factory.Sequence(lambda n: f"field-{n}")


class AccessModeFactory(NamedRecordFactory):
    class Meta:
        model = AccessMode
        django_get_or_create = ("kind",)

    kind = choices.AccessModeKind.PEER_REVIEWED
    name = factory.LazyAttribute(lambda o: choices.AccessModeKind(o.kind).label)
    slug = factory.LazyAttribute(lambda o: o.kind.replace("_", "-"))


class InstitutionFactory(NamedRecordFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Institute {n}")
    slug = factory.Sequence(lambda n: f"institute-{n}")
    kind = choices.InstitutionKind.NATIONAL_INSTITUTE
    country = factory.LazyFunction(lambda: country("JP"))


class FacilityFactory(NamedRecordFactory):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"Light Source {n}")
    slug = factory.Sequence(lambda n: f"light-source-{n}")
    kind = choices.FacilityKind.SYNCHROTRON
    status = choices.FacilityStatus.OPERATIONAL
    country = factory.LazyFunction(lambda: country("JP"))
    energy_gev = Decimal("3.0")


class FacilityRoleFactory(RoleLinkFactory):
    class Meta:
        model = FacilityRole

    facility = factory.SubFactory(FacilityFactory)
    institution = factory.SubFactory(InstitutionFactory)
    role = choices.FacilityRoleKind.OPERATOR


class InstrumentFactory(NamedRecordFactory):
    class Meta:
        model = Instrument

    facility = factory.SubFactory(FacilityFactory)
    name = factory.Sequence(lambda n: f"BL{n:02d}")
    slug = factory.Sequence(lambda n: f"instrument-{n}")


class ProgrammeFactory(NamedRecordFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Joint Call Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    kind = choices.ProgrammeKind.BILATERAL_CALL
    status = choices.ProgrammeStatus.ACTIVE


class ProgrammeRoleFactory(RoleLinkFactory):
    class Meta:
        model = ProgrammeRole

    programme = factory.SubFactory(ProgrammeFactory)
    institution = factory.SubFactory(
        InstitutionFactory, kind=choices.InstitutionKind.FUNDING_AGENCY
    )
    role = choices.ProgrammeRoleKind.FUNDER


class CallFactory(NamedRecordFactory):
    class Meta:
        model = Call

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Call {n}")
    slug = factory.Sequence(lambda n: f"call-{n}")
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    deadline_timezone = "Asia/Tokyo"


class SourceFactory(NamedRecordFactory):
    class Meta:
        model = Source
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Report {n}")
    slug = factory.Sequence(lambda n: f"report-{n}")
    sources = factory.LazyFunction(list)
    publisher = "Test agency"
    language = "en"


class AgreementFactory(NamedRecordFactory):
    class Meta:
        model = Agreement

    name = factory.Sequence(lambda n: f"Cooperation Arrangement {n}")
    slug = factory.Sequence(lambda n: f"agreement-{n}")
    kind = choices.AgreementKind.MOU
    signed_on = datetime.date(2012, 5, 1)


def direct_writes():
    """Write directory rows outside the services, on purpose: test set-up of a state no service
    produces (an old timestamp, a stale search key, a row that breaks a database constraint).
    Everywhere else the guard of the one write path (directory.writes) refuses it."""
    from directory.writes import service_write

    return service_write()


def update(record, reason: str = "Test change", **fields):
    """Change a record's fields through the write service, as a curator would."""
    return services.record_update(record=record, fields=fields, reason=reason)


def delete(record, reason: str = "Test deletion"):
    """Delete a record through the write service."""
    services.record_delete(record=record, reason=reason)


def api_token(user, name: str = "Test client") -> str:
    """A new API token of ``user`` (as the API, the admin and ``issue_token`` issue them): its
    key, for ``Authorization: Token <key>``."""
    from api.tokens import issue

    return issue(user, name)[1]
