"""Seeding: the curated records of ``fixtures/`` enter the directory once, and only once.

``directory_seed`` may run on every start (``make run``, the compose ``migrate`` step). It
adds each seed record the directory has never had — through :func:`record_create`, so with
a "created" history entry naming the seed file and the record's sources, a change event and
its public feed entry — and never touches a record that exists (a curator may have edited
it) or that the directory had once (a curator deleted it, or renamed its slug: its history
remembers the slug).

It also gives the directory what earlier versions of it lacked (idempotent, once):

- a creation entry in the history of every record that has none (records loaded by
  ``loaddata`` had no history): the record as seeded when the seed file still has it and the
  record was edited since, else the record as it is;
- a public feed that covers every public record (``created`` entries for those it lacks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from directory.i18n import verbose_name
from directory.models import ChangeEvent, Country, NamedRecord
from directory.services import citations, feed, history
from directory.services.records import change_event, link_class, link_field_of, record_create

#: The seed files, each after those its records refer to: the sources every record cites first.
SEED_FIXTURES = ("sources", "taxonomy", "institutions", "facilities", "programmes", "agreements")
BACKFILL_REASON = "Recorded when history began: the record predates its history"


def fixture_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures"


@dataclass
class SeedRecord:
    """One record of a seed file, with its relations by natural key."""

    model: type[NamedRecord]
    slug: str
    file: str
    fields: dict[str, Any]
    #: foreign keys: field name -> natural key (a slug, or a country code)
    foreign: dict[str, Any] = field(default_factory=dict)
    #: many-to-many: field name -> natural keys; role links and successions:
    #: name -> [(target slug, {the link's own values})]
    relations: dict[str, list] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        found = []
        for citation in self.fields.get("sources") or []:
            where = citation.get("source")
            if where and where not in found:
                found.append(where)
        return found

    @property
    def reason(self) -> str:
        text = f"Seeded from {self.file}"
        return f"{text}; sources: {', '.join(self.sources)}" if self.sources else text


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    remembered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    backfilled_history: int = 0
    backfilled_feed: int = 0
    backfilled_citations: int = 0


def _natural(value):
    """A natural key from a fixture: ``["slug"]`` or ``"JP"``."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def read_seed(names=SEED_FIXTURES) -> list[SeedRecord]:
    """The records of the seed files, in file order, role links grouped on their owners."""
    records: list[SeedRecord] = []
    by_key: dict[tuple[str, str], SeedRecord] = {}
    links: list[dict] = []
    for name in names:
        path = fixture_dir() / f"{name}.json"
        relative = f"fixtures/{path.name}"
        for obj in json.loads(path.read_text(encoding="utf-8")):
            model = apps.get_model(obj["model"])
            raw = dict(obj["fields"])
            if not issubclass(model, NamedRecord):
                links.append(obj)
                continue
            record = SeedRecord(model=model, slug=raw["slug"], file=relative, fields={})
            for key, value in raw.items():
                model_field = model._meta.get_field(key)
                if model_field.many_to_many:
                    record.relations[key] = [_natural(item) for item in value]
                elif model_field.is_relation:
                    record.foreign[key] = _natural(value) if value is not None else None
                else:
                    record.fields[key] = model_field.to_python(value)
            records.append(record)
            by_key[(model._meta.label_lower, record.slug)] = record
    for obj in links:
        model = apps.get_model(obj["model"])
        raw = obj["fields"]
        relation = link_field_of(model)
        owner_model = relation.model
        owner = by_key[(owner_model._meta.label_lower, _natural(raw[relation.m2m_field_name()]))]
        target = _natural(raw[relation.m2m_reverse_field_name()])
        values = {name: raw[name] for name in (*model.LINK_KEY, *model.LINK_DATA) if name in raw}
        owner.relations.setdefault(relation.name, []).append((target, values))
    return _successors_first(records)


def _successors_first(records: list[SeedRecord]) -> list[SeedRecord]:
    """The records in file order, except that a record's successors come before it: a
    succession is written with its predecessor, so its successor must exist by then."""
    by_key = {(record.model, record.slug): record for record in records}
    ordered: list[SeedRecord] = []
    placed: set[tuple] = set()

    def place(record: SeedRecord, path: tuple) -> None:
        key = (record.model, record.slug)
        if key in placed or key in path:
            return  # placed already; a cycle is refused by the write service
        for slug, _values in record.relations.get("successors", []):
            successor = by_key.get((record.model, slug))
            if successor is not None:
                place(successor, (*path, key))
        placed.add(key)
        ordered.append(record)

    for record in records:
        place(record, ())
    return ordered


def _had(record: SeedRecord) -> bool:
    """Whether the directory ever had a record with this slug (its history remembers it)."""
    return history.history_model(record.model)._default_manager.filter(slug=record.slug).exists()


def _resolve(record: SeedRecord, report: SeedReport) -> tuple[dict, dict] | None:
    """The record's values and relations as the services take them; None if it cannot be
    created (a record it belongs to is gone)."""
    values = {k: v for k, v in record.fields.items() if k not in ("created_at", "updated_at")}
    for name, key in record.foreign.items():
        model_field = record.model._meta.get_field(name)
        target = model_field.related_model
        if key is None:
            values[name] = None
            continue
        found = _lookup(target, [key]).get(key)
        if found is None:
            if not model_field.null:
                report.notes.append(
                    f"{verbose_name(record.model)} {record.slug} not seeded: its "
                    f"{name} {key} is not in the directory"
                )
                return None
            report.notes.append(f"{record.slug}: {name} {key} is not in the directory; left empty")
        values[name] = found
    relations: dict[str, list] = {}
    for name, keys in record.relations.items():
        model_field = record.model._meta.get_field(name)
        target = model_field.related_model
        through = model_field.remote_field.through
        if not through._meta.auto_created:
            found = _lookup(target, [slug for slug, _values in keys])
            relations[name] = [
                link_class(through).of(found[slug], values)
                for slug, values in keys
                if slug in found
            ]
            gone = sorted({slug for slug, _values in keys} - set(found))
        else:
            found = _lookup(target, keys)
            relations[name] = [found[key] for key in keys if key in found]
            gone = sorted(set(keys) - set(found))
        if gone:
            report.notes.append(f"{record.slug}: {name} {', '.join(gone)} not in the directory")
    return values, relations


def _lookup(model, keys) -> dict:
    if model is Country:
        return Country.objects.in_bulk(list(keys))
    return model._base_manager.in_bulk(list(keys), field_name="slug")


def directory_seed(*, names=SEED_FIXTURES, dry_run: bool = False) -> SeedReport:
    """Add the seed records the directory never had; touch nothing else (see the module)."""
    report = SeedReport()
    records = read_seed(names)
    with transaction.atomic():
        with feed.batch():
            _seed(records, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _seed(records: list[SeedRecord], report: SeedReport) -> None:
    report.backfilled_history = backfill_history(records)
    report.backfilled_feed = feed.reconcile()
    for record in records:
        shown = f"{record.model._meta.label_lower} {record.slug}"
        if record.model._base_manager.filter(slug=record.slug).exists():
            report.kept.append(shown)
            continue
        if _had(record):
            report.remembered.append(shown)
            continue
        resolved = _resolve(record, report)
        if resolved is None:
            continue
        values, relations = resolved
        record_create(model=record.model, fields=values, relations=relations, reason=record.reason)
        report.created.append(shown)
    # Records saved before the citation index existed: their citations, indexed.
    report.backfilled_citations = citations.rebuild(history_models())


# --- what earlier versions lacked -----------------------------------------------------------


def history_models() -> list[type[NamedRecord]]:
    return [
        model
        for model in apps.get_app_config("directory").get_models()
        if issubclass(model, NamedRecord)
        and hasattr(model._meta, "simple_history_manager_attribute")
    ]


def _as_snapshot(model, pk, relations: dict[str, list]) -> history.Snapshot:
    """Relations as the services take them, as the link rows of a history entry."""
    snapshot: history.Snapshot = {}
    for name, values in relations.items():
        model_field = model._meta.get_field(name)
        owner = f"{model_field.m2m_field_name()}_id"
        target = f"{model_field.m2m_reverse_field_name()}_id"
        snapshot[name] = [
            {"id": 0, owner: pk, target: value.pk}
            if isinstance(value, models.Model)
            else {"id": 0, owner: pk, target: value.target.pk, **value.values()}
            for value in values
        ]
    return snapshot


def backfill_history(seed: list[SeedRecord]) -> int:
    """A creation entry (and change event) for every curated record without one."""
    seeded = {(record.model, record.slug): record for record in seed}
    written = 0
    for model in history_models():
        historical = history.history_model(model)
        pk_name = model._meta.pk.attname
        created = historical._default_manager.filter(history_type=history.CREATED).values(pk_name)
        lacking = model._base_manager.filter(is_synthetic=False).exclude(pk__in=created)
        with_history = set(historical._default_manager.values_list(pk_name, flat=True).distinct())
        for record in lacking.iterator():
            entry_record, links, reason = record, None, BACKFILL_REASON
            seed_record = seeded.get((model, record.slug))
            if record.pk in with_history:
                # Edited before history was complete: its first entry is an edit. The seed
                # file still says what it was created as; without it, nothing can be said.
                if seed_record is None:
                    continue
                resolved = _resolve(seed_record, SeedReport())
                if resolved is None:
                    continue
                values, relations = resolved
                entry_record = model(pk=record.pk, **values)
                entry_record.refresh_search_key()
                entry_record.created_at = entry_record.updated_at = record.created_at
                links = {record.pk: _as_snapshot(model, record.pk, relations)}
                reason = f"{BACKFILL_REASON}; values from {seed_record.file}"
            (entry,) = history.write(
                [entry_record],
                history.CREATED,
                user=None,
                reason=reason,
                date=record.created_at or timezone.now(),
                links=links,
            )
            change_event(
                record,
                ChangeEvent.Action.CREATED,
                user=None,
                reason=reason,
                date=entry.history_date,
                entry=entry,
            )
            written += 1
    return written
