"""The index of who cites which source (directory.models.Citation), kept by the write services.

A record's citations live in its ``sources`` JSON, and a succession's in its own ``sources``:
the index counts a succession's citations as cited by both its records, the predecessor and the
successor (both show the succession, so the one briefs query reads its sources with theirs, a
source's new title reaches both, and a source's detail lists both). Each write service that
saves or deletes a record calls :func:`sync` or :func:`forget` inside its transaction, and
:func:`sync_records` for the other ends of the successions it adds, removes or changes, so the
index always says what the records say. :func:`rebuild` fills it for records written before it
existed (the seeding's backfill). Synthetic scale-test records are not indexed (their one
synthetic source would otherwise list 100,000 records).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from directory.i18n import verbose_name
from directory.models import Citation, Source, Succession
from directory.models.sources import CITING_MODELS
from directory.services import feed
from directory.writes import service_write


def column_of(model) -> str | None:
    """The Citation column of records of ``model`` (None: it cannot cite)."""
    name = model._meta.model_name
    return name if name in CITING_MODELS else None


def cited_slugs(citations) -> set[str]:
    """The source slugs a ``sources`` value names (whatever else it holds)."""
    if not isinstance(citations, list):
        return set()
    return {
        citation["source"]
        for citation in citations
        if isinstance(citation, dict) and isinstance(citation.get("source"), str)
    }


def succession_models(model) -> list[type[Succession]]:
    """The succession tables linking records of ``model`` (none for most kinds)."""
    found = []
    for relation in model._meta.related_objects:
        through = relation.related_model
        if issubclass(through, Succession) and through not in found:
            found.append(through)
    return found


def record_cites(record) -> set[str]:
    """The slugs of the sources ``record`` cites: in its own citations, and in those of the
    successions it is either end of."""
    slugs = cited_slugs(record.sources)
    for through in succession_models(type(record)):
        links = through._base_manager.filter(Q(predecessor=record.pk) | Q(successor=record.pk))
        for citations in links.values_list("sources", flat=True):
            slugs |= cited_slugs(citations)
    return slugs


def sync(record) -> set:
    """Make the index say exactly which sources ``record`` cites (:func:`record_cites`);
    returns the ids of the sources it began or stopped citing (their details list it, or no
    longer do)."""
    column = column_of(type(record))
    if column is None:
        return set()
    rows = Citation.objects.filter(**{column: record.pk})
    wanted = set()
    if not getattr(record, "is_synthetic", False):
        wanted = set(
            Source._base_manager.filter(slug__in=record_cites(record)).values_list("pk", flat=True)
        )
    existing = set(rows.values_list("source_id", flat=True))
    if existing - wanted:
        rows.filter(source_id__in=existing - wanted).delete()
    Citation.objects.bulk_create(
        [Citation(source_id=pk, **{f"{column}_id": record.pk}) for pk in wanted - existing]
    )
    return existing ^ wanted


def sync_records(model, pks) -> set:
    """:func:`sync` each of these records (the other ends of successions a write added,
    removed or changed); returns the ids of the sources whose citing records changed."""
    changed = set()
    if pks and column_of(model) is not None:
        for record in model._base_manager.filter(pk__in=pks):
            changed |= sync(record)
    return changed


def citing(source_id, limit: int = 5) -> tuple[list[str], int]:
    """The records citing a source (their own citations or a succession's), as "facility
    ring", at most ``limit`` of them, and how many there are."""
    rows = Citation.objects.filter(source_id=source_id)
    shown = []
    for row in rows.select_related(*CITING_MODELS).order_by("pk")[:limit]:
        record = next(getattr(row, name) for name in CITING_MODELS if getattr(row, f"{name}_id"))
        shown.append(f"{verbose_name(record)} {record.slug}")
    return shown, rows.count()


def forget(record) -> set:
    """Remove ``record`` from the index (it is being deleted); returns the ids of the sources
    it cited."""
    column = column_of(type(record))
    if column is None:
        return set()
    rows = Citation.objects.filter(**{column: record.pk})
    cited = set(rows.values_list("source_id", flat=True))
    rows.delete()
    return cited


def rebuild(models_) -> int:
    """Bring the index in line with every curated record of ``models_``; returns the number of
    rows added or removed (0: it already matched). Called inside a write service's batch: the
    records and sources whose rows changed are noted there (their representations change)."""
    with service_write():
        return _rebuild(models_)


def _rebuild(models_) -> int:
    slugs = dict(Source._base_manager.values_list("slug", "pk"))
    changed = 0
    for model in models_:
        column = column_of(model)
        if column is None:
            continue
        wanted, curated = set(), set()
        records = model._base_manager.filter(is_synthetic=False).values_list("pk", "sources")
        for pk, citations in records.iterator():
            curated.add(pk)
            for slug in cited_slugs(citations):
                if slug in slugs:
                    wanted.add((slugs[slug], pk))
        # A succession's citations are cited by both of its ends.
        for through in succession_models(model):
            links = through._base_manager.values_list("predecessor", "successor", "sources")
            for predecessor, successor, citations in links.iterator():
                for slug in cited_slugs(citations):
                    if slug in slugs:
                        wanted.update(
                            (slugs[slug], pk) for pk in (predecessor, successor) if pk in curated
                        )
        rows = Citation.objects.exclude(**{f"{column}__isnull": True})
        existing = defaultdict(list)
        for row_id, source_id, record_id in rows.values_list("pk", "source_id", f"{column}_id"):
            existing[(source_id, record_id)].append(row_id)
        stale = [key for key in existing if key not in wanted]
        if stale:
            Citation.objects.filter(
                pk__in=[row_id for key in stale for row_id in existing[key]]
            ).delete()
        missing = wanted - set(existing)
        Citation.objects.bulk_create(
            [Citation(source_id=source, **{f"{column}_id": pk}) for source, pk in missing]
        )
        moved = [*stale, *missing]
        if moved:
            feed.relinked(Source, {source for source, _pk in moved})
            feed.relinked(model, {pk for _source, pk in moved})
        changed += len(moved)
    return changed
