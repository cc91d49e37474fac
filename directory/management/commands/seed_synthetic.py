"""Create realistic, deterministic synthetic records for scale tests and benchmarks.

Every record it makes has ``is_synthetic=True`` and a ``synthetic-`` slug; running it again
first removes the previous synthetic records, so it never duplicates and never touches
curated data. It writes through directory.services.synthetic, the one write path of
synthetic records (no history, change events or feed entries: see there).
"""

from __future__ import annotations

import datetime
import random
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from directory import choices, services
from directory.models import (
    AccessMode,
    Call,
    Facility,
    FacilityRole,
    Institution,
    Programme,
    ProgrammeRole,
    ResearchField,
    Source,
    Technique,
)
from directory.services.synthetic import synthetic_records

# Country, a few cities, and a latitude/longitude box that stays on land, roughly.
REGIONS = [
    (
        "JP",
        ["Sendai", "Tsukuba", "Osaka", "Kyoto", "Nagoya", "Sapporo"],
        (33.0, 43.0, 130.5, 141.5),
    ),
    ("GB", ["Didcot", "Oxford", "Cambridge", "Manchester", "Edinburgh"], (50.5, 57.5, -4.5, 0.5)),
    ("DE", ["Hamburg", "Berlin", "Munich", "Jülich", "Karlsruhe"], (47.5, 54.5, 6.5, 14.5)),
    ("FR", ["Grenoble", "Saclay", "Lyon", "Toulouse", "Strasbourg"], (43.5, 49.5, -1.0, 7.0)),
    (
        "US",
        ["Argonne", "Berkeley", "Brookhaven", "Oak Ridge", "Stanford"],
        (30.0, 47.0, -122.0, -75.0),
    ),
    ("SE", ["Lund", "Uppsala", "Stockholm", "Gothenburg"], (55.5, 60.5, 12.0, 18.5)),
    ("CH", ["Villigen", "Geneva", "Zurich", "Lausanne"], (46.0, 47.6, 6.2, 9.5)),
    ("CN", ["Shanghai", "Beijing", "Hefei", "Dongguan"], (22.0, 40.5, 113.0, 122.0)),
    ("KR", ["Pohang", "Daejeon", "Seoul"], (34.5, 38.0, 126.5, 129.5)),
    ("AU", ["Melbourne", "Sydney", "Canberra"], (-38.0, -33.0, 144.5, 151.5)),
]
ADJECTIVES = [
    "Advanced",
    "National",
    "Bright",
    "Coherent",
    "Compact",
    "Diffraction",
    "European",
    "High-Energy",
    "Intense",
    "Low-Emittance",
    "Next-Generation",
    "Pulsed",
    "Quantum",
    "Spallation",
    "Superconducting",
    "Ultrafast",
]
FACILITY_NOUNS = {
    choices.FacilityKind.SYNCHROTRON: "Light Source",
    choices.FacilityKind.XFEL: "Free-Electron Laser",
    choices.FacilityKind.SPALLATION_NEUTRON: "Neutron Source",
    choices.FacilityKind.RESEARCH_REACTOR: "Research Reactor",
    choices.FacilityKind.MUON: "Muon Facility",
    choices.FacilityKind.ACCELERATOR: "Accelerator Centre",
    choices.FacilityKind.FUSION: "Tokamak",
    choices.FacilityKind.LASER: "Laser Facility",
}
INSTITUTION_NOUNS = {
    choices.InstitutionKind.UNIVERSITY: "University",
    choices.InstitutionKind.NATIONAL_INSTITUTE: "Institute for Materials Research",
    choices.InstitutionKind.FUNDING_AGENCY: "Research Council",
    choices.InstitutionKind.COMPANY: "Instruments Ltd",
    choices.InstitutionKind.REGIONAL_BODY: "Science Consortium",
}
PROGRAMME_TOPICS = [
    "Quantum Materials",
    "Photon Science",
    "Neutron Scattering",
    "Battery Research",
    "Semiconductor Metrology",
    "Structural Biology",
    "Fusion Materials",
    "Catalysis",
]
#: The source every synthetic record cites: a draft source record of its own (made through the
#: write services), so synthetic citations have the shape of real ones and the public never
#: sees it.
SYNTHETIC_SOURCE_SLUG = "synthetic-scale-test-data"
SYNTHETIC_SOURCE = [
    {"source": SYNTHETIC_SOURCE_SLUG, "locator": "generated", "passage": "seed_synthetic"}
]
BATCH = 2000


class Command(BaseCommand):
    help = "Create deterministic synthetic facilities, institutions and programmes for scale tests."

    def add_arguments(self, parser):
        parser.add_argument("--facilities", type=int, default=1000)
        parser.add_argument("--institutions", type=int, default=1000)
        parser.add_argument("--programmes", type=int, default=100)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--unpublished",
            action="store_true",
            help="Create them as drafts (by default they are published, to be served).",
        )

    def handle(self, *args, **options):
        counts = {key: options[key] for key in ("facilities", "institutions", "programmes")}
        if any(value < 0 for value in counts.values()):
            raise CommandError("Counts cannot be negative.")
        if counts["facilities"] and not counts["institutions"]:
            raise CommandError("Facilities need institutions to operate them (--institutions).")
        rng = random.Random(options["seed"])  # noqa: S311 - reproducible test data, not secrets
        published = not options["unpublished"]
        started = time.perf_counter()
        services.record_save(
            model=Source,
            lookup={"slug": SYNTHETIC_SOURCE_SLUG},
            fields={
                "slug": SYNTHETIC_SOURCE_SLUG,
                "name": "Synthetic records for scale tests",
                "description": "Generated by manage.py seed_synthetic; never real data.",
                "reliability_note": "Not a document: the records citing it are invented.",
                "is_published": False,
                "is_synthetic": True,
            },
            reason="Created by seed_synthetic",
        )
        with synthetic_records():
            self._remove_previous()
            institutions = self._institutions(rng, counts["institutions"], published)
            facilities = self._facilities(rng, counts["facilities"], institutions, published)
            self._programmes(rng, counts["programmes"], institutions, facilities, published)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {counts['institutions']} institutions, {counts['facilities']} "
                f"facilities and {counts['programmes']} programmes (seed {options['seed']}) "
                f"in {time.perf_counter() - started:.1f}s."
            )
        )

    def _remove_previous(self) -> None:
        """Delete earlier synthetic rows in bulk (per-row deletes take minutes at 100k)."""
        programmes = Programme.objects.filter(is_synthetic=True).values("pk")
        facilities = Facility.objects.filter(is_synthetic=True).values("pk")
        institutions = Institution.objects.filter(is_synthetic=True).values("pk")
        doomed = [
            Call.objects.filter(programme__in=programmes),
            ProgrammeRole.objects.filter(programme__in=programmes),
            Programme.countries.through.objects.filter(programme__in=programmes),
            Programme.fields.through.objects.filter(programme__in=programmes),
            Programme.facilities.through.objects.filter(programme__in=programmes),
            Programme.facilities.through.objects.filter(facility__in=facilities),
            Programme.objects.filter(is_synthetic=True),
            FacilityRole.objects.filter(facility__in=facilities),
            FacilityRole.objects.filter(institution__in=institutions),
            Facility.techniques.through.objects.filter(facility__in=facilities),
            Facility.fields.through.objects.filter(facility__in=facilities),
            Facility.access_modes.through.objects.filter(facility__in=facilities),
            Facility.objects.filter(is_synthetic=True),
            ProgrammeRole.objects.filter(institution__in=institutions),
            Institution.objects.filter(is_synthetic=True),
        ]
        for queryset in doomed:
            queryset._raw_delete(queryset.db)

    def _common(self, published: bool) -> dict:
        return {"sources": SYNTHETIC_SOURCE, "is_published": published, "is_synthetic": True}

    def _point(self, rng: random.Random, box) -> tuple[float, float]:
        south, north, west, east = box
        return round(rng.uniform(south, north), 5), round(rng.uniform(west, east), 5)

    def _institutions(self, rng, count, published) -> list[int]:
        kinds = list(INSTITUTION_NOUNS)
        rows = []
        for number in range(count):
            country, cities, box = rng.choice(REGIONS)
            city = rng.choice(cities)
            kind = rng.choice(kinds)
            latitude, longitude = self._point(rng, box)
            rows.append(
                Institution(
                    slug=f"synthetic-institution-{number:06d}",
                    name=f"{city} {rng.choice(ADJECTIVES)} {INSTITUTION_NOUNS[kind]} {number}",
                    acronym=f"SI{number}",
                    kind=kind,
                    country_id=country,
                    city=city,
                    latitude=latitude,
                    longitude=longitude,
                    **self._common(published),
                )
            )
        Institution.objects.bulk_create(rows, batch_size=BATCH)
        return list(
            Institution.objects.filter(is_synthetic=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def _facilities(self, rng, count, institutions, published) -> list[int]:
        kinds = list(FACILITY_NOUNS)
        statuses = choices.FacilityStatus.values
        rows = []
        for number in range(count):
            country, cities, box = rng.choice(REGIONS)
            city = rng.choice(cities)
            kind = rng.choice(kinds)
            latitude, longitude = self._point(rng, box)
            has_energy = kind in (choices.FacilityKind.SYNCHROTRON, choices.FacilityKind.XFEL)
            rows.append(
                Facility(
                    slug=f"synthetic-facility-{number:06d}",
                    name=f"{city} {rng.choice(ADJECTIVES)} {FACILITY_NOUNS[kind]} {number}",
                    acronym=f"SF{number}",
                    kind=kind,
                    status=rng.choice(statuses),
                    country_id=country,
                    city=city,
                    latitude=latitude,
                    longitude=longitude,
                    energy_gev=Decimal(str(round(rng.uniform(0.5, 8.0), 1)))
                    if has_energy
                    else None,
                    beamline_count=rng.randint(1, 60),
                    first_operation_year=rng.randint(1960, 2030),
                    **self._common(published),
                )
            )
        Facility.objects.bulk_create(rows, batch_size=BATCH)
        facility_ids = list(
            Facility.objects.filter(is_synthetic=True).order_by("pk").values_list("pk", flat=True)
        )
        roles = [
            FacilityRole(
                facility_id=facility_id,
                institution_id=rng.choice(institutions),
                role=choices.FacilityRoleKind.OPERATOR,
            )
            for facility_id in facility_ids
        ]
        FacilityRole.objects.bulk_create(roles, batch_size=BATCH)
        self._link(
            Facility.techniques.through,
            "facility_id",
            "technique_id",
            facility_ids,
            list(Technique.objects.values_list("pk", flat=True)),
            rng,
        )
        self._link(
            Facility.fields.through,
            "facility_id",
            "researchfield_id",
            facility_ids,
            list(ResearchField.objects.values_list("pk", flat=True)),
            rng,
        )
        self._link(
            Facility.access_modes.through,
            "facility_id",
            "accessmode_id",
            facility_ids,
            list(AccessMode.objects.values_list("pk", flat=True)),
            rng,
        )
        return facility_ids

    def _link(self, through, owner, target, owner_ids, target_ids, rng, most=3) -> None:
        if not target_ids:
            return
        links = []
        for owner_id in owner_ids:
            for target_id in rng.sample(target_ids, min(len(target_ids), rng.randint(1, most))):
                links.append(through(**{owner: owner_id, target: target_id}))
        through.objects.bulk_create(links, batch_size=BATCH)

    def _programmes(self, rng, count, institutions, facilities, published) -> None:
        if not count:
            return
        kinds = choices.ProgrammeKind.values
        rows = []
        for number in range(count):
            start = rng.randint(2005, 2026)
            rows.append(
                Programme(
                    slug=f"synthetic-programme-{number:06d}",
                    name=f"{rng.choice(PROGRAMME_TOPICS)} Joint Programme {number}",
                    acronym=f"SP{number}",
                    kind=rng.choice(kinds),
                    status=choices.ProgrammeStatus.ACTIVE,
                    starts_on=datetime.date(start, 1, 1),
                    starts_on_precision=choices.DatePrecision.YEAR,
                    ends_on=datetime.date(start + rng.randint(1, 10), 12, 31),
                    ends_on_precision=choices.DatePrecision.YEAR,
                    max_funding_per_project=Decimal(rng.randint(10, 500) * 1_000_000),
                    max_funding_currency=rng.choice(["JPY", "GBP", "EUR", "USD"]),
                    **self._common(published),
                )
            )
        Programme.objects.bulk_create(rows, batch_size=BATCH)
        programme_ids = list(
            Programme.objects.filter(is_synthetic=True).order_by("pk").values_list("pk", flat=True)
        )
        if institutions:
            ProgrammeRole.objects.bulk_create(
                [
                    ProgrammeRole(
                        programme_id=programme_id,
                        institution_id=rng.choice(institutions),
                        role=choices.ProgrammeRoleKind.FUNDER,
                    )
                    for programme_id in programme_ids
                ],
                batch_size=BATCH,
            )
        countries = [
            Programme.countries.through(programme_id=programme_id, country_id=code)
            for programme_id in programme_ids
            for code in rng.sample([region[0] for region in REGIONS], 2)
        ]
        Programme.countries.through.objects.bulk_create(countries, batch_size=BATCH)
        if facilities:
            self._link(
                Programme.facilities.through,
                "programme_id",
                "facility_id",
                programme_ids,
                facilities,
                rng,
                most=2,
            )
        now = datetime.datetime.now(datetime.UTC)
        calls = [
            Call(
                slug=f"synthetic-call-{number:06d}",
                name=f"Call {number} of synthetic programme {programme_id}",
                programme_id=programme_id,
                opens_on=(now - datetime.timedelta(days=rng.randint(0, 60))).date(),
                closes_at=now + datetime.timedelta(days=rng.randint(-120, 240)),
                deadline_timezone="Asia/Tokyo",
                **self._common(published),
            )
            for number, programme_id in enumerate(programme_ids)
        ]
        for call in calls:
            if call.closes_at.date() < call.opens_on:
                call.opens_on = call.closes_at.date()
        Call.objects.bulk_create(calls, batch_size=BATCH)
