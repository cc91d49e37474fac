"""Controlled vocabularies of the directory, one class per choice set."""

import json
from pathlib import Path

from django.db import models

_DATA_DIR = Path(__file__).resolve().parent / "data"


class InstitutionKind(models.TextChoices):
    UNIVERSITY = "university", "University"
    NATIONAL_INSTITUTE = "national_institute", "National research institute"
    FUNDING_AGENCY = "funding_agency", "Funding agency"
    MINISTRY = "ministry", "Government ministry"
    COMPANY = "company", "Company"
    INTERNATIONAL_ORGANISATION = "international_organisation", "International organisation"
    REGIONAL_BODY = "regional_body", "Regional body or consortium"
    EMBASSY = "embassy", "Embassy or trade office"


class FacilityKind(models.TextChoices):
    SYNCHROTRON = "synchrotron", "Synchrotron light source"
    XFEL = "xfel", "X-ray free-electron laser"
    SPALLATION_NEUTRON = "spallation_neutron", "Spallation neutron source"
    RESEARCH_REACTOR = "research_reactor", "Research reactor"
    MUON = "muon", "Muon source"
    ACCELERATOR = "accelerator", "Particle or ion accelerator"
    HEAVY_ION_THERAPY = "heavy_ion_therapy", "Heavy-ion therapy accelerator"
    FUSION = "fusion", "Fusion device"
    HIGH_FIELD_MAGNET = "high_field_magnet", "High magnetic field facility"
    LASER = "laser", "High-power laser facility"
    NANOFABRICATION = "nanofabrication", "Nanofabrication and cleanroom facility"
    COMPUTING = "computing", "Supercomputer or computing centre"
    RESEARCH_CAMPUS = "research_campus", "Research campus or site"


class FacilityStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    UNDER_CONSTRUCTION = "under_construction", "Under construction"
    COMMISSIONING = "commissioning", "Commissioning"
    OPERATIONAL = "operational", "Operational"
    UPGRADING = "upgrading", "Upgrading"
    CLOSED = "closed", "Closed"


class FacilityRoleKind(models.TextChoices):
    OPERATOR = "operator", "Operator"
    OWNER = "owner", "Owner"
    CO_OPERATOR = "co_operator", "Co-operator"
    REGIONAL_PARTNER = "regional_partner", "Regional partner"
    FUNDER = "funder", "Funder"


class Probe(models.TextChoices):
    XRAY = "xray", "X-ray"
    NEUTRON = "neutron", "Neutron"
    MUON = "muon", "Muon"
    ION = "ion", "Ion"
    ELECTRON = "electron", "Electron"
    LASER = "laser", "Laser"
    PLASMA = "plasma", "Plasma"


class AccessModeKind(models.TextChoices):
    PEER_REVIEWED = "peer_reviewed", "Peer-reviewed proposal"
    PROPRIETARY = "proprietary", "Proprietary / paid access"
    COALITION = "coalition", "Coalition membership"
    COLLABORATIVE = "collaborative", "Collaborative research"


class InstrumentKind(models.TextChoices):
    BEAMLINE = "beamline", "Beamline"
    INSTRUMENT = "instrument", "Instrument"
    END_STATION = "end_station", "End station"


class ProgrammeKind(models.TextChoices):
    BILATERAL_CALL = "bilateral_call", "Bilateral joint call"
    MULTILATERAL_FRAMEWORK = "multilateral_framework", "Multilateral framework programme"
    NATIONAL_FLAGSHIP = "national_flagship", "National flagship programme"
    FACILITY_ACCESS = "facility_access", "Facility access / proposal system"
    INDUSTRY_GRANT = "industry_grant", "Industry collaboration grant"
    MOBILITY = "mobility", "Researcher mobility or fellowship"


class ProgrammeStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class ProgrammeRoleKind(models.TextChoices):
    FUNDER = "funder", "Funder"
    IMPLEMENTING_AGENCY = "implementing_agency", "Implementing agency"
    PARTNER = "partner", "Partner"


class CallFrequency(models.TextChoices):
    ANNUAL = "annual", "Annual"
    TWICE_A_YEAR = "twice_a_year", "Twice a year"
    ROLLING = "rolling", "Rolling"
    ONE_OFF = "one_off", "One-off"
    IRREGULAR = "irregular", "Irregular"


class DatePrecision(models.TextChoices):
    """How much of a stored date is known: a programme that "runs 2021–2027" is year-precise."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class CallStatus(models.TextChoices):
    """Derived from a call's dates at read time; never stored."""

    UPCOMING = "upcoming", "Upcoming"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class AgreementKind(models.TextChoices):
    MOU = "mou", "Memorandum of understanding"
    COOPERATION_ARRANGEMENT = "cooperation_arrangement", "Cooperation arrangement"
    FRAMEWORK_AGREEMENT = "framework_agreement", "Framework agreement"
    INTERGOVERNMENTAL = "intergovernmental", "Intergovernmental agreement"
    JOINT_STATEMENT = "joint_statement", "Joint statement"


def _load_currency_choices() -> list[tuple[str, str]]:
    rows = json.loads((_DATA_DIR / "currencies.json").read_text(encoding="utf-8"))
    return [(row["code"], f"{row['code']} — {row['name']}") for row in rows]


#: ISO 4217 currencies (active codes, from the ISO list shipped in directory/data).
CURRENCY_CHOICES = _load_currency_choices()
