"""Which related records each kind of record summarises, and how to reach them.

Used with :func:`directory.selectors.attach_briefs`: one query per page for all of them.
"""

from __future__ import annotations

from directory.models import (
    Agreement,
    Citation,
    Facility,
    FacilityRole,
    FacilitySuccession,
    InstitutionSuccession,
    Instrument,
    Programme,
    ProgrammeRole,
    ProgrammeSuccession,
)
from directory.selectors import Relation

#: What a citation shows of the source it names, besides its slug and titles (read with the
#: other summaries, in the same query: see api.serializers.CitationsField).
CITED_SOURCE_COLUMNS = (
    "publisher",
    "publisher_ja",
    "url",
    "published_on",
    "published_on_precision",
)


def cited_sources(column: str) -> Relation:
    """The sources a record cites (its column in directory.models.Citation: in its own
    citations and in its successions'), with what its citations show of them; only those the
    caller may see."""
    return Relation("sources", Citation, column, "source", "sources", extra=CITED_SOURCE_COLUMNS)


#: What a succession's brief shows besides the record: its type (as the role), then these.
SUCCESSION_EXTRA = ("date", "date_precision", "note", "note_ja", "sources")


def successions(through, kind: str) -> list[Relation]:
    """A record's successors and predecessors, both read from the one succession table:
    renaming a predecessor changes its successors' representations, and the other way."""
    return [
        Relation(
            "successors",
            through,
            "predecessor",
            "successor",
            kind,
            "type",
            extra=SUCCESSION_EXTRA,
            extra_on_link=True,
        ),
        Relation(
            "predecessors",
            through,
            "successor",
            "predecessor",
            kind,
            "type",
            extra=SUCCESSION_EXTRA,
            extra_on_link=True,
        ),
    ]


FACILITY_LIST = [
    cited_sources("facility"),
    Relation("institutions", FacilityRole, "facility", "institution", "institutions", role="role"),
    Relation("techniques", Facility.techniques.through, "facility", "technique", "techniques"),
    # An access mode has no endpoint: its brief links to the facilities open through it.
    Relation(
        "access_modes", Facility.access_modes.through, "facility", "accessmode", "access-modes"
    ),
    Relation("fields", Facility.fields.through, "facility", "researchfield", "fields"),
]
FACILITY_DETAIL = [
    *FACILITY_LIST,
    Relation("instruments", Instrument, "facility", "", "instruments"),
    Relation("programmes", Programme.facilities.through, "facility", "programme", "programmes"),
    Relation("agreements", Agreement.facilities.through, "facility", "agreement", "agreements"),
    *successions(FacilitySuccession, "facilities"),
]

PROGRAMME_LIST = [
    cited_sources("programme"),
    Relation(
        "institutions", ProgrammeRole, "programme", "institution", "institutions", role="role"
    ),
    Relation(
        "countries",
        Programme.countries.through,
        "programme",
        "country",
        "",
        target_key="code",
        publishable=False,
    ),
    Relation("fields", Programme.fields.through, "programme", "researchfield", "fields"),
    Relation("facilities", Programme.facilities.through, "programme", "facility", "facilities"),
]
PROGRAMME_DETAIL = [*PROGRAMME_LIST, *successions(ProgrammeSuccession, "programmes")]

INSTITUTION_LIST = [
    cited_sources("institution"),
    Relation("facilities", FacilityRole, "institution", "facility", "facilities", role="role"),
    Relation("programmes", ProgrammeRole, "institution", "programme", "programmes", role="role"),
]
INSTITUTION_DETAIL = [
    *INSTITUTION_LIST,
    Relation(
        "agreements", Agreement.institutions.through, "institution", "agreement", "agreements"
    ),
    *successions(InstitutionSuccession, "institutions"),
]

AGREEMENT_LIST = [
    cited_sources("agreement"),
    Relation(
        "institutions", Agreement.institutions.through, "agreement", "institution", "institutions"
    ),
    Relation("facilities", Agreement.facilities.through, "agreement", "facility", "facilities"),
]

TECHNIQUE_DETAIL = [
    cited_sources("technique"),
    Relation("facilities", Facility.techniques.through, "technique", "facility", "facilities"),
]
FIELD_DETAIL = [
    cited_sources("researchfield"),
    Relation("facilities", Facility.fields.through, "researchfield", "facility", "facilities"),
    Relation("programmes", Programme.fields.through, "researchfield", "programme", "programmes"),
]

#: The records citing a source, by kind (directory.models.Citation, kept by the services):
#: a source's detail lists them in brief, each with its url.
SOURCE_DETAIL = [
    Relation("facilities", Citation, "source", "facility", "facilities"),
    Relation("programmes", Citation, "source", "programme", "programmes"),
    Relation("calls", Citation, "source", "call", "calls"),
    Relation("institutions", Citation, "source", "institution", "institutions"),
    Relation("agreements", Citation, "source", "agreement", "agreements"),
    Relation("techniques", Citation, "source", "technique", "techniques"),
    Relation("fields", Citation, "source", "researchfield", "fields"),
    Relation("instruments", Citation, "source", "instrument", "instruments"),
    Relation("access_modes", Citation, "source", "accessmode", "access-modes"),
]
SOURCE_LIST: list = []

CALL_DETAIL = [cited_sources("call")]

#: An instrument shows its techniques (its facility is a foreign key, loaded with the page).
INSTRUMENT_DETAIL = [
    cited_sources("instrument"),
    Relation("techniques", Instrument.techniques.through, "instrument", "technique", "techniques"),
]
