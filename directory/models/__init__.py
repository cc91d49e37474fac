"""The directory's data model, split by domain."""

from directory.models.agreements import Agreement
from directory.models.base import NamedRecord, ProvenanceFields
from directory.models.events import ChangeEvent, FeedEntry
from directory.models.facilities import Facility, FacilityRole, Instrument
from directory.models.institutions import Institution
from directory.models.lifecycle import (
    FacilitySuccession,
    InstitutionSuccession,
    ProgrammeSuccession,
    Succession,
)
from directory.models.programmes import Call, Programme, ProgrammeRole
from directory.models.proposals import RorProposal
from directory.models.sources import Citation, Source
from directory.models.state import DirectoryState
from directory.models.taxonomy import AccessMode, Country, ResearchField, Technique

__all__ = [
    "AccessMode",
    "Agreement",
    "Call",
    "ChangeEvent",
    "Citation",
    "Country",
    "DirectoryState",
    "Facility",
    "FacilityRole",
    "FacilitySuccession",
    "FeedEntry",
    "Institution",
    "InstitutionSuccession",
    "Instrument",
    "NamedRecord",
    "Programme",
    "ProgrammeRole",
    "ProgrammeSuccession",
    "ProvenanceFields",
    "ResearchField",
    "RorProposal",
    "Source",
    "Succession",
    "Technique",
]
