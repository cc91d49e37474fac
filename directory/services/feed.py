"""The public feed: what anonymous users saw change, derived from the write services' events.

Synthetic scale-test records (directory.services.synthetic) never enter the feed.

Each write service touches the records it wrote (:func:`touch`); when the outermost service
call of a :func:`batch` ends, :func:`_flush` computes the public form of every touched record
— and of every record that shows it, when its slug or its visibility changed — and compares
it with the last feed entry of that record:

- not public before, public now: ``created``;
- public before and now, with other fields: ``updated`` (a new slug: ``deleted`` of the old
  slug, then ``created`` of the new one, since the public knows records by slug);
- public before, not now (deleted, unpublished, a call whose programme was unpublished):
  ``deleted``;
- never public: nothing, ever.

A record's public form (:func:`public_payloads`) is its own fields as its API detail shows
them and its relations as the slugs (codes for countries) of the related records that are
public, role links as ``{"slug", "role"}``: replaying the feed rebuilds exactly what the list
endpoints list and their details show. Visibility is :func:`selectors.public_condition`, the
same rule the API reads.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import OperationalError, connections, models, router
from django.db.models import Max
from django.utils import timezone

from directory import identifiers, kinds, selectors, write_clock
from directory.choices import drop_undated_precisions
from directory.cross_search import SEARCHABLE_KINDS
from directory.models import (
    Agreement,
    Call,
    ChangeEvent,
    DirectoryState,
    Facility,
    FeedEntry,
    Institution,
    Programme,
    ResearchField,
    Source,
    Technique,
)
from directory.models.state import kinds_reported
from directory.services import citations, versions

#: Records read per query when computing public forms (stays under SQLite's variable limit).
CHUNK = 500


@dataclass(frozen=True)
class Link:
    """A relation as the public form shows it.

    ``key`` is its name in the API, ``path`` the model's relation, ``target`` the column that
    identifies a related record (its slug, or a country's code). A ``role`` link lists
    ``{"slug", "role"}``; a ``single`` one (a foreign key) is one value or null; one with
    ``columns`` lists ``{"slug", <column>: value…}`` of those columns of the link (a
    succession's type, date, note and citations).
    """

    key: str
    path: str
    target: str = "slug"
    role: bool = False
    single: bool = False
    columns: tuple[str, ...] = ()


#: A record's successions as the feed shows them (its predecessors are in theirs).
SUCCESSORS = Link(
    "successors",
    "successors",
    columns=("type", "date", "date_precision", "note", "note_ja", "sources"),
)


@dataclass(frozen=True)
class Shape:
    """How one kind of record appears in the feed."""

    kind: str
    model: type[models.Model]
    links: tuple[Link, ...] = ()
    #: model field name -> its name in the API, where they differ
    renames: dict[str, str] = field(default_factory=dict)
    #: model fields its API detail does not show (besides HIDDEN_FIELDS)
    hidden: frozenset[str] = frozenset()


COUNTRY = Link("country", "country", target="code", single=True)
SHAPES = {
    shape.model: shape
    for shape in (
        Shape(
            "facility",
            Facility,
            (
                COUNTRY,
                Link("institutions", "institutions", role=True),
                Link("techniques", "techniques"),
                Link("access_modes", "access_modes"),
                Link("research_fields", "fields"),
                SUCCESSORS,
            ),
        ),
        Shape(
            "programme",
            Programme,
            (
                Link("institutions", "institutions", role=True),
                Link("countries", "countries", target="code"),
                Link("research_fields", "fields"),
                Link("facilities", "facilities"),
                SUCCESSORS,
            ),
        ),
        Shape(
            "institution",
            Institution,
            (COUNTRY, Link("parent", "parent", single=True), SUCCESSORS),
        ),
        Shape("call", Call, (Link("programme", "programme", single=True),), {"url": "call_url"}),
        Shape(
            "agreement",
            Agreement,
            (Link("institutions", "institutions"), Link("facilities", "facilities")),
        ),
        Shape("technique", Technique),
        Shape("field", ResearchField),
        # A source cites no sources and has no website of its own: its detail shows neither.
        Shape("source", Source, (), {"url": "source_url"}, frozenset({"website", "sources"})),
    )
}
assert {shape.kind for shape in SHAPES.values()} == {kind.name for kind in SEARCHABLE_KINDS}
KINDS = {shape.kind: shape for shape in SHAPES.values()}
#: Fields of a record the public form leaves out: the database id and derived or internal ones.
HIDDEN_FIELDS = {"id", "search_key", "place_key", "version", "is_synthetic"}


def _embedders() -> dict[type[models.Model], list[tuple[type[models.Model], str]]]:
    """For each model, the (kind of record, lookup) whose public form names its records."""
    found: dict[type[models.Model], list[tuple[type[models.Model], str]]] = defaultdict(list)
    for shape in SHAPES.values():
        for link in shape.links:
            target = shape.model._meta.get_field(link.path).related_model
            if selectors.publishable(target):
                found[target].append((shape.model, link.path))
        if citations.column_of(shape.model):
            # Its citations name sources by slug, public ones only (_public_citations).
            found[Source].append((shape.model, "citation_index__source"))
    return found


def _public_citations(records) -> None:
    """Leave out of each record's ``sources`` the citations of sources the public may not see
    (a draft source), as its detail does: one query for all of them."""
    kept = _without_draft_sources([record.sources for record in records])
    for record, shown in zip(records, kept, strict=True):
        record.sources = shown


def _without_draft_sources(lists: list) -> list:
    """Each list of citations (a record's, a succession's) without the citations of sources
    the public may not see: one query for all of them."""
    cited = set()
    for value in lists:
        cited |= citations.cited_slugs(value)
    if not cited:
        return lists
    public = set(
        Source._base_manager.filter(selectors.public_condition(Source), slug__in=cited).values_list(
            "slug", flat=True
        )
    )
    return [
        [
            citation
            for citation in value
            if not isinstance(citation, dict) or citation.get("source") in public
        ]
        if isinstance(value, list)
        else value
        for value in lists
    ]


# --- the public form of records ------------------------------------------------------------


def public_value(model_field: models.Field, value):
    """A stored value as the API's JSON shows it (DRF's representation of that field type)."""
    if value is None:
        return None
    if isinstance(model_field, models.DecimalField):
        # A JSON number, as the API shows decimals (api.serializers.NumberField).
        exponent = decimal.Decimal(1).scaleb(-model_field.decimal_places)
        return float(value.quantize(exponent))
    if isinstance(model_field, models.DateTimeField):
        text = timezone.localtime(value, datetime.UTC).isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    if isinstance(model_field, models.DateField):
        return value.isoformat()
    return value


def _own_fields(shape: Shape, record) -> dict:
    data = {"slug": record.slug, "name": record.name}  # the record's identity first, for readers
    # Identifiers appear as the API shows them: in one "identifiers" object.
    grouped = identifiers.columns_of(shape.model) - identifiers.SHOWN_APART
    for model_field in shape.model._meta.concrete_fields:
        if model_field.name in HIDDEN_FIELDS | shape.hidden or model_field.is_relation:
            continue
        if model_field.name in grouped:
            continue
        key = shape.renames.get(model_field.name, model_field.name)
        data[key] = public_value(model_field, getattr(record, model_field.attname))
    if identifiers.columns_of(shape.model):
        data["identifiers"] = record.identifiers
    return drop_undated_precisions(data)


def public_payloads(model: type[models.Model], pks: Iterable) -> dict[object, tuple[str, dict]]:
    """The public form of each of these records that the public may see: {pk: (slug, data)}.

    Records that are not public (drafts, deleted, calls of draft programmes) are absent.
    A constant number of queries per call: the records, then one per relation.
    """
    shape = SHAPES[model]
    records = list(
        model._base_manager.filter(
            selectors.public_condition(model), pk__in=list(pks), is_synthetic=False
        )
    )
    if not records:
        return {}
    _public_citations(records)
    result = {record.pk: (record.slug, _own_fields(shape, record)) for record in records}
    ids = list(result)
    for link in shape.links:
        relation = model._meta.get_field(link.path)
        target = relation.related_model
        public = {"is_published": True} if selectors.publishable(target) else {}
        if link.single:
            wanted = {record.pk: getattr(record, relation.attname) for record in records}
            keys = dict(
                target._base_manager.filter(
                    pk__in=set(wanted.values()) - {None}, **public
                ).values_list("pk", link.target)
            )
            for pk, target_pk in wanted.items():
                result[pk][1][link.key] = keys.get(target_pk)
            continue
        through = relation.remote_field.through
        owner, other = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        columns = [f"{owner}_id", f"{other}__{link.target}"] + (["role"] if link.role else [])
        columns += list(link.columns)
        rows = through._base_manager.filter(
            **{f"{owner}_id__in": ids},
            **{f"{other}__{key}": value for key, value in public.items()},
        ).values_list(*columns)
        values: dict[object, list] = defaultdict(list)
        for row in rows:
            if link.columns:
                item = {"slug": row[1]}
                for name, value in zip(link.columns, row[2:], strict=True):
                    item[name] = public_value(through._meta.get_field(name), value)
                values[row[0]].append(drop_undated_precisions(item))
            else:
                values[row[0]].append({"slug": row[1], "role": row[2]} if link.role else row[1])
        if "sources" in link.columns:  # a succession's citations: public sources only
            items = [item for found in values.values() for item in found]
            shown = _without_draft_sources([item["sources"] for item in items])
            for item, citations_shown in zip(items, shown, strict=True):
                item["sources"] = citations_shown
        for pk in ids:
            found = values.get(pk, [])
            if link.role:
                found.sort(key=lambda item: (item["role"], item["slug"]))
            elif link.columns:
                found.sort(key=lambda item: item["slug"])
            else:
                found.sort()
            result[pk][1][link.key] = found
    return result


# --- batches of writes --------------------------------------------------------------------


@dataclass
class Batch:
    """What the writes of one service call (or one import, one seeding) touched."""

    touched: dict[tuple[type[models.Model], object], ChangeEvent | None] = field(
        default_factory=dict
    )
    #: touched records whose slug or visibility changed: the records showing them change too
    moved: set[tuple[type[models.Model], object]] = field(default_factory=set)
    #: records whose representation changed besides the touched ones (the other side of a
    #: link added or removed), and records whose summary changed (see services.versions)
    relinked: dict[type[models.Model], set] = field(default_factory=lambda: defaultdict(set))
    summarised: dict[type[models.Model], set] = field(default_factory=lambda: defaultdict(set))
    #: for each model written, the fields and relations its touched records changed (None:
    #: all of them, or not known: a creation, a deletion)
    fields: dict[type[models.Model], set[str] | None] = field(default_factory=dict)
    #: slugs touched records no longer answer at (renamed or deleted): their details change
    former_slugs: dict[type[models.Model], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    #: feed entries written in the batch (by its flush, or by reconcile)
    entries: int = 0


_current: contextvars.ContextVar[Batch | None] = contextvars.ContextVar(
    "directory_feed_batch", default=None
)


#: The PostgreSQL advisory lock the writers of the directory take in turn (any number of our
#: own: "FDFE" in ASCII).
WRITERS_LOCK = 0x46444645
#: How long a write waits for its turn before giving up (a 503 asking to retry: the site's
#: handler of database errors); an import holds the turn for its whole length. Under
#: gunicorn's 30 s timeout, so the caller gets an answer, not a dropped connection.
WRITERS_WAIT_SECONDS = 20.0
WRITERS_POLL_SECONDS = 0.02


class WritersBusy(OperationalError):
    """Another write kept its turn longer than WRITERS_WAIT_SECONDS (answered 503 with
    Retry-After, like any moment the database cannot take the request: config.errors)."""

    public_detail = (
        "Another write to the directory (an import, say) has been in progress for more than "
        f"{WRITERS_WAIT_SECONDS:.0f} seconds; nothing was written. Please retry shortly."
    )


def take_writers_lock() -> datetime.datetime | None:
    """Make this transaction the only one writing the directory until it commits.

    A reader of the feed (``/api/v1/changes/``) moves past the entries it has read by their
    id; ids are drawn when an entry is inserted, but become visible when its transaction
    commits. Two concurrent writers could commit out of order — the one holding id 101 before
    the one holding id 100 — and a reader between the two commits would go past 100 for ever.
    Taken at the start of the outermost batch, before the transaction's first write (every
    write goes through a service, so through a batch), the lock makes the writers of the
    directory take turns and commit their entries in the order of their ids; it is released
    by the commit or the rollback. Writes are a curator's pace (a batch takes milliseconds;
    an import, one batch, holds it for its length: a write waiting longer than
    WRITERS_WAIT_SECONDS gives up with :class:`WritersBusy`). SQLite runs one write
    transaction at a time already. Outside a transaction (autocommit) there is nothing to
    hold it for.

    Code that locks rows before calling a service (the write API's If-Match check, a ROR
    proposal's decision) takes it first, so every writer takes its locks in the same order
    (this one, then rows) and two writers never wait for each other's. Taking it again in the
    same transaction costs one statement and changes nothing.

    Returns the database's clock read once the turn is held (the time the batch stamps on
    the records it writes: directory.write_clock), None where no turn is taken.
    """
    connection = connections[router.db_for_write(FeedEntry)]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return None
    deadline = time.monotonic() + WRITERS_WAIT_SECONDS
    with connection.cursor() as cursor:
        while True:
            # clock_timestamp() is evaluated after the lock function, in the same statement.
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s), clock_timestamp()", [WRITERS_LOCK]
            )
            held, moment = cursor.fetchone()
            if held:
                return moment
            if time.monotonic() >= deadline:
                raise WritersBusy(
                    f"another write has held the directory for more than "
                    f"{WRITERS_WAIT_SECONDS:.0f} s (an import?): try again shortly"
                )
            time.sleep(WRITERS_POLL_SECONDS)


@contextlib.contextmanager
def batch():
    """Collect the records written inside; the outermost batch updates the feed at its end.

    Used by every write service (so one service call is one batch), and around a whole
    import or seeding, so that the public forms are computed once, in bulk. Enter it
    inside the transaction of the writes: the feed is written in that same transaction, and
    the outermost batch first waits for the other writers' transactions
    (:func:`take_writers_lock`).
    """
    current = _current.get()
    if current is not None:
        yield current
        return
    moment = take_writers_lock()
    current = Batch()
    token = _current.set(current)
    try:
        # The flush names the kinds of answer the batch changed (DirectoryState.bump); the
        # records it saves are stamped with the database's clock (directory.write_clock).
        with kinds_reported(), write_clock.stamped(moment):
            yield current
            _flush(current)
    finally:
        _current.reset(token)


def touch(
    record_model,
    pk,
    event: ChangeEvent | None,
    *,
    moved: bool = False,
    fields: Iterable[str] | None = None,
    former_slug: str | None = None,
) -> None:
    """Note that a record was written (its public form may have changed); ``fields``: the
    names of the fields and relations it changed, None when not known (all of them);
    ``former_slug``: the slug its detail no longer answers at (deleted or renamed)."""
    current = _current.get()
    if current is None:
        raise RuntimeError("feed.touch() outside feed.batch(): call it from a write service")
    current.touched[(record_model, pk)] = event
    if moved:
        current.moved.add((record_model, pk))
    if former_slug:
        current.former_slugs[record_model].add(former_slug)
    known = current.fields.get(record_model, set())
    if fields is None or known is None:
        current.fields[record_model] = None
    else:
        current.fields[record_model] = known | set(fields)


def relinked(model, pks) -> None:
    """Note that links of these records changed (their representations change)."""
    current = _current.get()
    if current is None:
        raise RuntimeError("feed.relinked() outside feed.batch(): call it from a write service")
    current.relinked[model].update(pks)


def summarised(model, pk) -> None:
    """Note that the summary of a record changed (the records showing it change)."""
    current = _current.get()
    if current is None:
        raise RuntimeError("feed.summarised() outside feed.batch(): call it from a write service")
    current.summarised[model].add(pk)


def _flush(current: Batch) -> int:
    changed = defaultdict(set, {model: set(pks) for model, pks in current.relinked.items()})
    for model, pk in current.touched:
        changed[model].add(pk)
    raised = versions.apply(changed, current.summarised)
    written = _write_entries(current)
    changed_kinds = kinds.changed_kinds(
        {model._meta.model_name: names for model, names in current.fields.items()},
        {model._meta.model_name for model in raised.models},
        current.entries > 0,
        linked={model._meta.model_name for model in {*raised.showing, *current.relinked}},
    )
    records = _changed_details(raised, current.former_slugs)
    for kind, slugs in records.items():
        if slugs is None:
            changed_kinds.add(kinds.details(kind))
    named = {
        kinds.record_key(kind, slug)
        for kind, slugs in records.items()
        if slugs is not None and kinds.details(kind) not in changed_kinds
        for slug in slugs
    }
    if changed_kinds or named:
        DirectoryState.bump(
            using=router.db_for_write(DirectoryState), kinds=changed_kinds, records=named
        )
    return written


def _changed_details(raised: versions.Raised, former_slugs) -> dict[str, set[str] | None]:
    """By kind of answer, the slugs of the records whose details the batch changed (None:
    too many to name, every detail of the kind)."""
    records = dict(raised.slugs)
    for model, slugs in former_slugs.items():
        kind = kinds.MODEL_KINDS.get(model._meta.model_name)
        if kind is None or records.get(kind, set()) is None:
            continue
        records[kind] = records.get(kind, set()) | slugs
        if len(records[kind]) > kinds.NAMED_RECORDS_LIMIT:
            records[kind] = None
    return records


def _write_entries(current: Batch) -> int:
    """The feed entries of the touched records and of the records showing moved ones."""
    refresh = dict(current.touched)
    moved: dict[type[models.Model], list] = defaultdict(list)
    for model, pk in sorted(current.moved, key=lambda key: str(key[1])):
        moved[model].append(pk)
    embedders = _embedders()
    # The records showing the moved ones: one query per kind of link, however many moved.
    for model, pks in moved.items():
        for owner, lookup in embedders.get(model, ()):
            for start in range(0, len(pks), CHUNK):
                rows = owner._base_manager.filter(**{f"{lookup}__in": pks[start : start + CHUNK]})
                for owner_pk, target_pk in rows.values_list("pk", lookup):
                    refresh.setdefault((owner, owner_pk), current.touched[(model, target_pk)])
    by_model: dict[type[models.Model], dict[object, ChangeEvent | None]] = defaultdict(dict)
    for (model, pk), event in refresh.items():
        if model in SHAPES:
            by_model[model][pk] = event
    written = 0
    for model, events in by_model.items():
        written += _refresh(model, events)
    return written


def _last_entries(kind: str, pks: list) -> dict[object, FeedEntry]:
    newest = (
        FeedEntry.objects.filter(kind=kind, record_id__in=pks)
        .values("record_id")
        .annotate(newest=Max("id"))
        .values_list("newest", flat=True)
    )
    return {entry.record_id: entry for entry in FeedEntry.objects.filter(id__in=list(newest))}


def _refresh(model: type[models.Model], events: dict[object, ChangeEvent | None]) -> int:
    """Write the feed entries that bring these records' public state up to date."""
    shape = SHAPES[model]
    now = timezone.now()
    entries: list[FeedEntry] = []
    pks = sorted(events)
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        payloads = public_payloads(model, chunk)
        last = _last_entries(shape.kind, chunk)
        for pk in chunk:
            previous = last.get(pk)
            was_public = previous is not None and previous.action != FeedEntry.Action.DELETED
            event = events[pk]

            def entry(action, slug, data=None, pk=pk, event=event):
                # The time of the write that changed it (its history's date), not of this flush.
                return FeedEntry(
                    at=event.at if event is not None else now,
                    kind=shape.kind,
                    record_id=pk,
                    slug=slug,
                    action=action,
                    data=data,
                    event=event,
                )

            if pk not in payloads:
                if was_public:
                    entries.append(entry(FeedEntry.Action.DELETED, previous.slug))
                continue
            slug, data = payloads[pk]
            if not was_public:
                entries.append(entry(FeedEntry.Action.CREATED, slug, data))
            elif previous.slug != slug:
                entries.append(entry(FeedEntry.Action.DELETED, previous.slug))
                entries.append(entry(FeedEntry.Action.CREATED, slug, data))
            elif previous.data != data:
                entries.append(entry(FeedEntry.Action.UPDATED, slug, data))
    FeedEntry.objects.bulk_create(entries)
    if entries:
        current = _current.get()
        if current is not None:
            current.entries += len(entries)
        else:
            DirectoryState.bump(using=router.db_for_write(FeedEntry), kinds=[kinds.CHANGES])
    return len(entries)


def reconcile(models_: Iterable[type[models.Model]] | None = None) -> int:
    """Bring the feed up to date with every record (not only those a batch touched).

    Records written before the feed existed (or outside the services) get their entries:
    ``created`` for each public record the feed does not show yet. Returns the number of
    entries written; 0 means the feed already matched the directory.
    """
    written = 0
    for model in models_ or SHAPES:
        shape = SHAPES[model]
        pks = set(model._base_manager.filter(is_synthetic=False).values_list("pk", flat=True))
        shown = FeedEntry.objects.filter(kind=shape.kind).values_list("record_id", flat=True)
        pks |= set(shown.distinct())
        written += _refresh(model, dict.fromkeys(pks))
    return written
