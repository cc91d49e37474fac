"""Search across every kind of record at once, ranked by the same rules as each list."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Value
from django.utils.translation import gettext as _

from directory.models import (
    Agreement,
    Call,
    Facility,
    Institution,
    Programme,
    ResearchField,
    Source,
    Technique,
)
from directory.selectors import SCORE_DECIMALS, has_places, public_condition, search_condition


@dataclass(frozen=True)
class SearchableKind:
    """A kind of record the cross-kind search covers, and its API resource."""

    name: str
    resource: str
    model: type
    #: Its scores are multiplied by this: a source (a document about records) ranks just below
    #: a record its name matches as well (ESRF before "ESRF official website").
    weight: float = 1.0


SEARCHABLE_KINDS = [
    SearchableKind("facility", "facilities", Facility),
    SearchableKind("programme", "programmes", Programme),
    SearchableKind("institution", "institutions", Institution),
    SearchableKind("call", "calls", Call),
    SearchableKind("agreement", "agreements", Agreement),
    SearchableKind("technique", "techniques", Technique),
    SearchableKind("field", "fields", ResearchField),
    SearchableKind("source", "sources", Source, weight=0.95),
]
#: The kinds' names, as the API's search results and changes feed name them.
KIND_NAMES = [kind.name for kind in SEARCHABLE_KINDS]


def parse_kinds(values: list[str]) -> list[str]:
    """The kinds a ``kind`` parameter names (repeated, comma-separated, or both), in the
    order given, each once; a ValidationError naming the unknown ones and the known."""
    wanted = list(
        dict.fromkeys(kind.strip() for value in values for kind in value.split(",") if kind.strip())
    )
    unknown = [kind for kind in wanted if kind not in KIND_NAMES]
    if unknown:
        raise ValidationError(
            _("Unknown kind(s): %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(KIND_NAMES)}
        )
    return wanted


@dataclass(frozen=True)
class Hit:
    kind: str
    resource: str
    slug: str
    name: str
    name_ja: str
    score: float


def search_everything(
    query: str,
    *,
    kinds: list[str] | None = None,
    drafts: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> tuple[int, list[Hit]]:
    """(total, hits) for ``query`` over the chosen kinds, best first, in two queries."""
    if search_condition(query) is None:
        return 0, []
    parts = []
    for position, kind in enumerate(SEARCHABLE_KINDS):
        if kinds and kind.name not in kinds:
            continue
        # The lists' own condition and score (selectors.search): one ranking everywhere.
        condition, score = search_condition(query, places=has_places(kind.model))
        if kind.weight != 1.0:
            score = score * Value(kind.weight)
        records = kind.model.objects.filter(condition)
        if not drafts:
            records = records.filter(public_condition(kind.model))
        parts.append(
            records.order_by()
            .annotate(kind_position=Value(position), search_score=score)
            .values_list("slug", "name", "name_ja", "kind_position", "search_score")
        )
    if not parts:
        return 0, []
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    total = union.count()
    if offset >= total:
        return total, []
    # Equal scores: by kind, in SEARCHABLE_KINDS' order (a facility before the website source
    # that shares its name), then by name.
    rows = union.order_by("-search_score", "kind_position", "name", "slug")[offset : offset + limit]
    hits = []
    for slug, name, name_ja, position, row_score in rows:
        kind = SEARCHABLE_KINDS[position]
        score = round(float(row_score), SCORE_DECIMALS)
        hits.append(Hit(kind.name, kind.resource, slug, name, name_ja or "", score))
    return total, hits
