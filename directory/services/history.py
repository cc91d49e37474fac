"""History entries (django-simple-history rows): one per write, with the record's relations.

The write services save with ``skip_history_when_saving`` so that simple-history's own
signal handlers write nothing half-way (a row at ``save()`` with the old links, another per
many-to-many change), then write ONE entry here once the record and all its relations are
saved. An entry snapshots every relation the record owns: its plain many-to-many links, its
role links (a facility's operators, a programme's funders) and its successions. Rows are
written in bulk, so seeding or importing hundreds of records costs a few queries.

Only what the historical models publish is used: ``tracked_fields``, the many-to-many
fields they snapshot (``_history_m2m_fields``, simple-history's ``m2m_fields_model_field_name``
default) and the snapshot models behind them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models

from directory.i18n import english, verbose_name

#: {relation name: [the link rows' values, by attname]}
Snapshot = dict[str, list[dict]]

CREATED, UPDATED, DELETED = "+", "~", "-"


def author(user):
    """The user an entry (or change event) names: none for the system or an anonymous one."""
    return user if getattr(user, "is_authenticated", False) else None


def history_model(model: type[models.Model]) -> type[models.Model]:
    return getattr(model, model._meta.simple_history_manager_attribute).model


def tracked_relations(model: type[models.Model]) -> list[models.ManyToManyField]:
    """The many-to-many relations a record's history entries snapshot."""
    return list(getattr(history_model(model), "_history_m2m_fields", ()) or ())


def _link_columns(field: models.ManyToManyField) -> list[str]:
    through = field.remote_field.through
    return [f.attname for f in through._meta.concrete_fields]


def snapshots(records: Sequence[models.Model]) -> dict[object, Snapshot]:
    """The current links of each record, by record pk: one query per relation."""
    if not records:
        return {}
    model = type(records[0])
    result: dict[object, Snapshot] = {record.pk: {} for record in records}
    for field in tracked_relations(model):
        through = field.remote_field.through
        owner = field.m2m_field_name()
        columns = _link_columns(field)
        for record in records:
            result[record.pk][field.name] = []
        rows = through._base_manager.filter(**{f"{owner}__in": list(result)}).values(*columns)
        for row in rows.order_by("pk"):
            result[row[f"{owner}_id"]][field.name].append(row)
    return result


def write(
    records: Sequence[models.Model],
    history_type: str,
    *,
    user,
    reason: str,
    date: datetime.datetime,
    links: dict[object, Snapshot] | None = None,
) -> list[models.Model]:
    """One history entry per record (all of one model), with its links; the entries.

    ``links`` gives the snapshots to record (taken earlier, e.g. before a deletion);
    without it the links are read from the database now.
    """
    if not records:
        return []
    model = type(records[0])
    historical = history_model(model)
    user = author(user)
    rows = [
        historical(
            history_date=date,
            history_type=history_type,
            history_user=user,
            history_change_reason=reason,
            **{
                field.attname: getattr(record, field.attname) for field in historical.tracked_fields
            },
        )
        for record in records
    ]
    rows = historical._default_manager.bulk_create(rows)
    if links is None:
        links = snapshots(records)
    attach(rows, [links.get(record.pk, {}) for record in records])
    return rows


def attach(rows: Sequence[models.Model], taken: Sequence[Snapshot]) -> None:
    """Record the link snapshots ``taken`` (one per row) as the entries' relations."""
    if not rows:
        return
    historical = type(rows[0])
    for field in getattr(historical, "_history_m2m_fields", ()) or ():
        snapshot_model = getattr(historical, field.name).model
        snapshot_model._default_manager.bulk_create(
            [
                snapshot_model(history=row, **values)
                for row, snapshot in zip(rows, taken, strict=True)
                for values in snapshot.get(field.name, [])
            ]
        )


def latest(model: type[models.Model], pk, history_type: str | None = None):
    """The newest history entry of one record (of one type), or None."""
    entries = history_model(model)._default_manager.filter(**{model._meta.pk.attname: pk})
    if history_type:
        entries = entries.filter(history_type=history_type)
    return entries.order_by("-history_date", "-history_id").first()


@dataclass
class RecordedRelations:
    """The relations an entry recorded, as values a write service takes, and what is gone."""

    relations: dict[str, list]
    missing: list[str]


def recorded_relations(entry) -> RecordedRelations:
    """The relations snapshotted in a history entry, with the related records that still
    exist; the ones deleted since are named in ``missing``."""
    from directory.services.records import link_class

    model = entry.instance_type
    relations: dict[str, list] = {}
    missing: list[str] = []
    for field in getattr(type(entry), "_history_m2m_fields", ()) or ():
        rows = list(getattr(entry, field.name).all())
        target_field = field.m2m_reverse_field_name()
        target_model = field.related_model
        wanted = [getattr(row, f"{target_field}_id") for row in rows]
        existing = target_model._base_manager.in_bulk(wanted)
        label = english(model._meta.get_field(field.name).verbose_name)
        gone = sorted({str(pk) for pk in wanted if pk not in existing})
        if gone:
            missing.append(f"{label}: {verbose_name(target_model)} #{', #'.join(gone)}")
        if field.remote_field.through._meta.auto_created:
            relations[field.name] = [existing[pk] for pk in wanted if pk in existing]
        else:
            through = field.remote_field.through
            names = (*through.LINK_KEY, *through.LINK_DATA)
            relations[field.name] = [
                link_class(through).of(existing[pk], {name: getattr(row, name) for name in names})
                for row, pk in zip(rows, wanted, strict=True)
                if pk in existing
            ]
    return RecordedRelations(relations, missing)


def has_links(entry) -> bool:
    """Whether an entry recorded any link at all."""
    return any(
        getattr(entry, field.name).exists()
        for field in getattr(type(entry), "_history_m2m_fields", ()) or ()
    )
