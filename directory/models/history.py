"""Names of the history models (django-simple-history)."""

from __future__ import annotations

#: Through models of role links, which also keep a history of their own (each link's rows):
#: the snapshot of an owner's links in the owner's history needs another name.
ROLE_LINK_THROUGH = {"FacilityRole": "Facility", "ProgrammeRole": "Programme"}


def history_model_name(name: str) -> str:
    """``HistoricalFacility`` for Facility; ``HistoricalFacility_institutions`` for the
    snapshot of a facility's role links (``HistoricalFacilityRole`` is the links' own)."""
    owner = ROLE_LINK_THROUGH.get(name)
    if owner is not None:
        return f"Historical{owner}_institutions"
    return f"Historical{name}"
