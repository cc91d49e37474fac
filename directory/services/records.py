"""Write services: every change to a directory record goes through one of these.

Each one validates (the model's ``full_clean()``: fields, constraints, ``clean()``, and the
relations), checks the publishing rule, saves the record with its relations in one
transaction, writes ONE history entry (user, reason, every relation it owns), records ONE
change event, updates the public feed and marks the directory changed (which invalidates
cached answers). The admin, the write API, the import resources, ``import_directory`` and
seeding all call them; :mod:`directory.writes` refuses any other save of a record.

Values are given as model field names (``country=<Country>`` or ``country_id="JP"``) and
relations by the model's many-to-many names: a list of records (``techniques=[…]``) or, for
role links, a list of :class:`RoleLink` (``institutions=[RoleLink(qst, "operator")]``), for
successions a list of :class:`SuccessionLink` (``successors=[SuccessionLink(jt60sa,
"succeeded_by")]``): each kind of link is described by its through model (``LINK_KEY``,
``LINK_DATA``, ``LINK_SHOWN``). ``user=None`` is the system itself (seeding,
commands): it may publish.
"""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import PROTECT, RESTRICT
from django.utils import timezone

from directory import publishing
from directory.choices import DatePrecision
from directory.i18n import english, verbose_name
from directory.models import ChangeEvent, NamedRecord, Source, Succession
from directory.models.base import unknown_cited_sources
from directory.services import citations, feed, history, versions
from directory.writes import service_write

R = TypeVar("R", bound=NamedRecord)
Action = ChangeEvent.Action

#: Fields a write never takes from its caller: derived on save, or set by the system.
DERIVED_FIELDS = frozenset({"id", "search_key", "place_key", "version", "created_at", "updated_at"})
TIMESTAMP_FIELDS = ("created_at", "updated_at")
#: The derived search keys (NamedRecord.refresh_search_key), rebuilt from names and places.
SEARCH_KEYS = ("search_key", "place_key")


@dataclass(frozen=True)
class RoleLink:
    """An institution's part in a facility or a programme (operator, funder, …)."""

    institution: Any
    role: str
    note: str = ""
    #: the link rests on an unchecked fact, which ``note`` names
    needs_review: bool = False

    @property
    def target(self):
        return self.institution

    def values(self) -> dict[str, Any]:
        """The link's own columns (besides its two ends), by field name."""
        return {"role": self.role, "note": self.note or "", "needs_review": bool(self.needs_review)}

    @classmethod
    def of(cls, target, values: Mapping[str, Any]) -> RoleLink:
        return cls(
            target,
            values["role"],
            values.get("note") or "",
            bool(values.get("needs_review", False)),
        )


@dataclass(frozen=True)
class SuccessionLink:
    """A record's successor (JT-60 → JT-60SA): how, when, and on what evidence.

    ``date`` may be given as ``YYYY-MM-DD`` text; the service checks and rounds it to its
    precision as the succession model does.
    """

    successor: Any
    type: str
    date: datetime.date | str | None = None
    date_precision: str = DatePrecision.YEAR
    note: str = ""
    note_ja: str = ""
    sources: list = dataclass_field(default_factory=list)

    @property
    def target(self):
        return self.successor

    def values(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "date": self.date,
            "date_precision": self.date_precision or DatePrecision.YEAR,
            "note": self.note or "",
            "note_ja": self.note_ja or "",
            "sources": list(self.sources or []),
        }

    @classmethod
    def of(cls, target, values: Mapping[str, Any]) -> SuccessionLink:
        return cls(target, **{name: values[name] for name in values if name != "successor"})


def link_class(through) -> type[RoleLink] | type[SuccessionLink]:
    """The value type of a relation's links (its through model)."""
    return SuccessionLink if issubclass(through, Succession) else RoleLink


def link_field_of(through) -> models.ManyToManyField:
    """The many-to-many relation that owns the links of ``through`` (a facility's
    ``institutions`` for FacilityRole, its ``successors`` for FacilitySuccession)."""
    from django.apps import apps

    for model in apps.get_app_config("directory").get_models():
        for candidate in model._meta.many_to_many:
            if candidate.model is model and candidate.remote_field.through is through:
                return candidate
    raise LookupError(f"no relation goes through {through.__name__}")


def _frozen_value(value):
    """A link value that sets can hold (a list of citations as its canonical JSON)."""
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


class RecordInUse(ValidationError):
    """The record cannot be deleted: other records depend on it (they must change first)."""


# --- helpers ------------------------------------------------------------------------------


def _label(record_or_model) -> str:
    return record_or_model._meta.label_lower


def _describe(record) -> str:
    # English whatever the request's language: it is stored in reasons, and the API says it.
    return f"{verbose_name(record)} {record.slug}"


def _assign(record, fields: Mapping[str, Any], *, keep_timestamps: bool = False) -> None:
    names = {f.name for f in record._meta.concrete_fields} | {
        f.attname for f in record._meta.concrete_fields
    }
    for name, value in fields.items():
        if name not in names:
            raise TypeError(f"{type(record).__name__} has no field {name!r}")
        if name in DERIVED_FIELDS and not (keep_timestamps and name in TIMESTAMP_FIELDS):
            continue
        setattr(record, name, value)


def _role_fields(model) -> dict[str, models.ManyToManyField]:
    return {
        f.name: f for f in model._meta.many_to_many if not f.remote_field.through._meta.auto_created
    }


def _clean_relations(model, relations: Mapping[str, Any] | None, record=None) -> dict[str, list]:
    """Check the relation values' shape and the rules of role links and successions; the
    relations as lists (``record``: the record they belong to, if it exists)."""
    if not relations:
        return {}
    m2m = {f.name: f for f in model._meta.many_to_many}
    roles = _role_fields(model)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, list] = {}
    for name, values in relations.items():
        if name not in m2m:
            raise TypeError(f"{model.__name__} has no many-to-many relation {name!r}")
        values = list(values or [])
        if name not in roles:
            target = m2m[name].related_model
            for value in values:
                if not isinstance(value, target) or value.pk is None:
                    raise TypeError(f"{name}: expected saved {target.__name__} records")
            cleaned[name] = list({value.pk: value for value in values}.values())
            continue
        through = m2m[name].remote_field.through
        if issubclass(through, Succession):
            links, problems = _clean_successions(m2m[name], values, record)
            cleaned[name] = links
            if problems:
                errors.setdefault(name, []).extend(problems)
            continue
        role_field = through._meta.get_field("role")
        allowed = {value for value, _label in role_field.choices}
        links, seen = [], set()
        for value in values:
            link = value if isinstance(value, RoleLink) else RoleLink(**value)
            if link.role not in allowed:
                errors.setdefault(name, []).append(
                    f"{link.role!r} is not a role here; one of: {', '.join(sorted(allowed))}."
                )
                continue
            if link.needs_review and not (link.note or "").strip():
                errors.setdefault(name, []).append(
                    f"{link.institution.slug} as {link.role}: a link that needs review "
                    "needs a note naming the fact."
                )
                continue
            key = (link.institution.pk, link.role)
            if key in seen:
                errors.setdefault(name, []).append(
                    f"{link.institution.slug} appears twice as {link.role}."
                )
                continue
            seen.add(key)
            links.append(link)
        cleaned[name] = links
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_successions(relation, values, record) -> tuple[list, list[str]]:
    """A record's successions checked as the succession model checks them (type, date,
    precision, notes, citations), plus: no successor twice, not itself, no cycle."""
    through = relation.remote_field.through
    target_model = relation.related_model
    owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
    links, problems, seen = [], [], set()
    for value in values:
        link = value if isinstance(value, SuccessionLink) else SuccessionLink(**value)
        successor = link.successor
        if not isinstance(successor, target_model) or successor.pk is None:
            raise TypeError(f"{relation.name}: expected saved {target_model.__name__} records")
        if successor.pk in seen:
            problems.append(f"{successor.slug} appears twice.")
            continue
        seen.add(successor.pk)
        if record is not None and record.pk == successor.pk:
            problems.append(f"{successor.slug}: a record cannot succeed itself.")
            continue
        row = through(**{target: successor, **link.values()})
        try:
            # The model's own field rules (choices, lengths, the citations' validator, the
            # date), and its rounding of the date to its precision.
            row.clean_fields(exclude=[owner, target])
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                problems.extend(f"{successor.slug}: {field_name}: {text}" for text in messages)
            continue
        # Its citations name source records, as the succession model's clean() requires.
        unknown = unknown_cited_sources(row.sources)
        if unknown:
            problems.extend(f"{successor.slug}: sources: {text}" for text in unknown)
            continue
        links.append(SuccessionLink.of(successor, {k: getattr(row, k) for k in through.LINK_DATA}))
    if record is not None and record.pk is not None:
        problems.extend(_succession_cycles(relation, record, links))
    return links, problems


def succession_problems(record, links, name: str = "successors") -> list[str]:
    """What the services would refuse in ``record``'s successions ``links`` (for forms that
    check rows before saving: the admin's inline)."""
    relation = type(record)._meta.get_field(name)
    return _clean_successions(relation, links, record)[1]


def slug_change_problems(record, slug: str) -> list[str]:
    """Why ``record`` cannot take ``slug`` as its slug (empty: it can; for forms that check it
    before saving: the admin's). A source that records cite keeps its slug: their citations
    name it by slug, and would name nothing once it changed (as a cited source cannot be
    deleted). Counted by the citation index, which every write keeps (services.citations)."""
    if not isinstance(record, Source) or record.pk is None:
        return []
    rows = type(record)._base_manager.filter(pk=record.pk)
    former = rows.values_list("slug", flat=True).first()
    if former in (None, slug):
        return []
    shown, count = citations.citing(record.pk)
    if not count:
        return []
    more = f" and {count - len(shown)} more" if count > len(shown) else ""
    return [
        f"The slug of a cited source cannot change: {count} record(s) cite it by its slug "
        f"“{former}” ({', '.join(shown)}{more}). To rename it, add a source with the new "
        "slug, make those records cite it, then delete this one."
    ]


def _succession_cycles(relation, record, links) -> list[str]:
    """The successors that already come before ``record`` (it would follow itself)."""
    through = relation.remote_field.through
    owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
    problems = []
    for link in links:
        frontier, seen = {link.successor.pk}, set()
        while frontier and record.pk not in frontier:
            seen |= frontier
            rows = through._base_manager.filter(**{f"{owner}_id__in": frontier}).exclude(
                **{f"{owner}_id": record.pk}
            )
            frontier = set(rows.values_list(f"{target}_id", flat=True)) - seen
        if record.pk in frontier:
            problems.append(
                f"{link.successor.slug} already comes before {record.slug}: "
                "this succession would make a cycle."
            )
    return problems


def _link_row(through, link) -> tuple:
    """A link as the tuple its row gives (target id, its key, then its data)."""
    values = link.values()
    return (
        link.target.pk,
        *(_frozen_value(values[name]) for name in (*through.LINK_KEY, *through.LINK_DATA)),
    )


def _current_relations(record, names) -> dict[str, set]:
    current = {}
    roles = _role_fields(type(record))
    for name in names:
        if name in roles:
            through = roles[name].remote_field.through
            owner = roles[name].m2m_field_name()
            target = roles[name].m2m_reverse_field_name()
            rows = through._base_manager.filter(**{owner: record.pk}).values_list(
                f"{target}_id", *through.LINK_KEY, *through.LINK_DATA
            )
            current[name] = {tuple(_frozen_value(value) for value in row) for row in rows}
        else:
            current[name] = set(getattr(record, name).values_list("pk", flat=True))
    return current


def _wanted_relations(record, relations) -> dict[str, set]:
    roles = _role_fields(type(record))
    return {
        name: (
            {_link_row(roles[name].remote_field.through, link) for link in values}
            if name in roles
            else {value.pk for value in values}
        )
        for name, values in relations.items()
    }


def _changed_fields(stored, candidate) -> list[str]:
    """Fields whose values differ; a stale stored search key counts (saving repairs it)."""
    return [
        f.name
        for f in type(stored)._meta.concrete_fields
        if f.name != "updated_at" and f.value_from_object(stored) != f.value_from_object(candidate)
    ]


def _differences(stored, candidate, relations) -> list[str]:
    """The fields and relations (given as cleaned lists) in which ``candidate`` differs."""
    candidate.prepare_for_save()
    changed = _changed_fields(stored, candidate)
    if relations:
        current = _current_relations(stored, relations)
        wanted = _wanted_relations(stored, relations)
        changed += [name for name in relations if current[name] != wanted[name]]
    return changed


def pending_changes(record, *, fields=None, relations=None) -> list[str]:
    """The names of the fields and relations that ``record_update`` with these would change."""
    candidate = copy.copy(record)
    _assign(candidate, fields or {})
    return _differences(record, candidate, _clean_relations(type(record), relations, record))


def _check_publication(user, model, was_published: bool, is_published: bool) -> None:
    if bool(was_published) == bool(is_published) or user is None:
        return
    if not publishing.may_publish(user, model):
        raise PermissionDenied(
            f"Publishing or unpublishing {verbose_name(model, plural=True)} needs the editor role."
        )


def _validated(record, relations) -> dict[str, list]:
    """The model's own rules on the record and the rules of its relations, every error at
    once; the relations as lists."""
    errors: dict[str, list] = {}
    cleaned: dict[str, list] = {}
    try:
        cleaned = _clean_relations(type(record), relations, record)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        record.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _timestamp_changes(stored, fields, keep_timestamps: bool) -> list[str]:
    if not keep_timestamps:
        return []
    return [
        name
        for name in TIMESTAMP_FIELDS
        if (fields or {}).get(name) is not None and fields[name] != getattr(stored, name)
    ]


def _sync_role_links(record, field, links, *, user, reason, date) -> None:
    """Make the record's role links (or successions) exactly ``links``; a role link keeps
    its own history too. The other end of a succession added, removed or changed cites its
    sources, or no longer does: its citation index follows (services.citations)."""
    through = field.remote_field.through
    owner, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    key_names, data_names = through.LINK_KEY, through.LINK_DATA
    existing = {
        (getattr(row, f"{target}_id"), *(getattr(row, name) for name in key_names)): row
        for row in through._base_manager.filter(**{owner: record.pk})
    }
    wanted = {
        (link.target.pk, *(link.values()[name] for name in key_names)): link for link in links
    }

    def annotate(row):
        row._history_user = history.author(user)
        row._change_reason = reason
        row._history_date = date
        return row

    moved = set()
    for key, row in existing.items():
        if key not in wanted:
            annotate(row).delete()
            moved.add(key[0])
    for key, link in wanted.items():
        values = link.values()
        if key in existing:
            row = existing[key]
            if any(getattr(row, name) != values[name] for name in data_names):
                for name in data_names:
                    setattr(row, name, values[name])
                annotate(row).save()
                moved.add(key[0])
        else:
            annotate(through(**{owner: record, target: link.target, **values})).save()
            moved.add(key[0])
    if issubclass(through, Succession):
        # The sources the other ends began or stopped citing list them differently now.
        feed.relinked(Source, citations.sync_records(field.related_model, moved))


def _save(record, relations, *, user, reason, date, force_insert=False) -> None:
    """Save the record and its relations, with no history row of simple-history's own.

    Validation ran first; a row the database still refuses (another writer took the slug
    in between) is a validation error, not a server error.
    """
    record.skip_history_when_saving = True
    try:
        with transaction.atomic():
            _write(
                record, relations, user=user, reason=reason, date=date, force_insert=force_insert
            )
    except IntegrityError as error:
        raise ValidationError(
            f"The database refused this write, probably because another one changed the "
            f"same records at the same moment; try again. ({error})"
        ) from None
    finally:
        del record.skip_history_when_saving


def _write(record, relations, *, user, reason, date, force_insert) -> None:
    record.save(force_insert=force_insert)
    roles = _role_fields(type(record))
    for name, values in relations.items():
        before = set() if force_insert else _links(record, name, roles)
        if name in roles:
            _sync_role_links(record, roles[name], values, user=user, reason=reason, date=date)
        else:
            getattr(record, name).set(values)
        after = _links(record, name, roles)
        # The records on the other side of a link that came, went or changed its role, note
        # or review flag show this one differently now (services.versions).
        target = type(record)._meta.get_field(name).related_model
        feed.relinked(target, {pk for pk, *_link in before ^ after})
    # The sources it began or stopped citing (its own, its successions') list it differently.
    feed.relinked(Source, citations.sync(record))


def _links(record, name, roles) -> set[tuple[object, object]]:
    """(target id, what the target shows of the link: a role, a succession's type and date…)
    of each link of ``record``'s relation ``name`` ("" for plain links)."""
    if name in roles:
        relation = roles[name]
        through = relation.remote_field.through
        rows = through._base_manager.filter(**{relation.m2m_field_name(): record.pk})
        shown = rows.values_list(f"{relation.m2m_reverse_field_name()}_id", *through.LINK_SHOWN)
        return {(row[0], tuple(_frozen_value(value) for value in row[1:])) for row in shown}
    return {(pk, "") for pk in getattr(record, name).values_list("pk", flat=True)}


def _keep_timestamps(record, fields) -> None:
    """Write the given created_at/updated_at as they are (imports restoring a document)."""
    given = {name: fields[name] for name in TIMESTAMP_FIELDS if fields.get(name) is not None}
    if given:
        type(record)._base_manager.filter(pk=record.pk).update(**given)
        for name, value in given.items():
            setattr(record, name, value)


def change_event(record, action, *, user, reason, date, entry=None, context=None) -> ChangeEvent:
    """The change event of one write of ``record`` (and of its history ``entry``)."""
    return ChangeEvent.objects.create(
        at=date,
        model=_label(record),
        record_id=record.pk,
        slug=record.slug,
        action=action,
        user=history.author(user),
        reason=reason,
        history_id=getattr(entry, "history_id", None),
        context=context or {},
    )


def _locked(record):
    return type(record)._base_manager.select_for_update().get(pk=record.pk)


# --- create and update --------------------------------------------------------------------


def record_create(
    *,
    model: type[R],
    fields: Mapping[str, Any],
    relations: Mapping[str, Any] | None = None,
    user=None,
    reason: str = "",
    keep_timestamps: bool = False,
    as_system: bool = False,
) -> R:
    """Create a record with its relations; publishing it needs the publish permission.

    ``as_system``: a command run by an operator (``import_directory --user``) writes in the
    user's name without the user's permissions being asked.
    """
    with transaction.atomic(), service_write(), feed.batch():
        date = timezone.now()
        record = model()
        _assign(record, fields, keep_timestamps=keep_timestamps)
        _check_publication(None if as_system else user, model, False, record.is_published)
        cleaned = _validated(record, relations)
        reason = reason or "Created"
        _save(record, cleaned, user=user, reason=reason, date=date, force_insert=True)
        if keep_timestamps:
            _keep_timestamps(record, fields)
        (entry,) = history.write([record], history.CREATED, user=user, reason=reason, date=date)
        event = change_event(
            record, Action.CREATED, user=user, reason=reason, date=date, entry=entry
        )
        feed.touch(model, record.pk, event, moved=True)
        feed.summarised(model, record.pk)
        return record


def record_update(
    *,
    record: R,
    fields: Mapping[str, Any] | None = None,
    relations: Mapping[str, Any] | None = None,
    user=None,
    reason: str = "",
    action: str | None = None,
    keep_timestamps: bool = False,
    as_system: bool = False,
) -> R:
    """Change a record's fields and/or relations (a relation given is replaced whole).

    Nothing changes, and nothing is recorded, when the values equal the stored ones.
    """
    updated, _changed = _update(
        record,
        fields,
        relations,
        user=user,
        reason=reason,
        action=action,
        keep_timestamps=keep_timestamps,
        as_system=as_system,
    )
    return updated


def _update(
    record, fields, relations, *, user, reason, action, keep_timestamps, as_system
) -> tuple[NamedRecord, bool]:
    """record_update, and whether it changed anything."""
    model = type(record)
    with transaction.atomic(), service_write(), feed.batch():
        date = timezone.now()
        stored = _locked(record)
        candidate = copy.copy(stored)
        _assign(candidate, fields or {}, keep_timestamps=keep_timestamps)
        _check_publication(
            None if as_system else user, model, stored.is_published, candidate.is_published
        )
        cleaned = _validated(candidate, relations)
        renamed = slug_change_problems(stored, candidate.slug)
        if renamed:
            raise ValidationError({"slug": renamed})
        changed = _differences(stored, candidate, cleaned)
        changed += _timestamp_changes(stored, fields, keep_timestamps)
        if not changed:
            return stored, False
        if action is None:
            action = Action.UPDATED
            if stored.is_published != candidate.is_published:
                action = Action.PUBLISHED if candidate.is_published else Action.UNPUBLISHED
        # The derived keys follow the fields they come from: named only when nothing else
        # changed (a stale key repaired).
        named = [name for name in changed if name not in SEARCH_KEYS] or changed
        reason = reason or f"Changed {', '.join(named)}"
        _save(candidate, cleaned, user=user, reason=reason, date=date)
        if keep_timestamps:
            _keep_timestamps(candidate, fields or {})
        (entry,) = history.write([candidate], history.UPDATED, user=user, reason=reason, date=date)
        event = change_event(candidate, action, user=user, reason=reason, date=date, entry=entry)
        moved = stored.slug != candidate.slug or stored.is_published != candidate.is_published
        feed.touch(
            model,
            candidate.pk,
            event,
            moved=moved,
            fields=changed,
            former_slug=stored.slug if stored.slug != candidate.slug else None,
        )
        if versions.summary_changed(stored, candidate):
            feed.summarised(model, candidate.pk)
        _note_moved_parent(stored, candidate)
        _rebuild_keys_reading(candidate, changed)
        return candidate, True


def record_publish(*, record: R, user=None, reason: str = "") -> R:
    """Make a record visible to the public (needs the publish permission)."""
    return record_update(
        record=record, fields={"is_published": True}, user=user, reason=reason or "Published"
    )


def record_unpublish(*, record: R, user=None, reason: str = "") -> R:
    """Take a record out of the public directory (needs the publish permission)."""
    return record_update(
        record=record, fields={"is_published": False}, user=user, reason=reason or "Unpublished"
    )


def _relink(owner, field_name: str, target, *, add: bool, user, reason, date) -> None:
    """Add or remove one plain link of another record, as a change of that record (called
    inside a deletion or a restore, so within their service write)."""
    owner.skip_history_when_saving = True
    try:
        manager = getattr(owner, field_name)
        (manager.add if add else manager.remove)(target)
        owner.save(update_fields=["updated_at"])
    finally:
        del owner.skip_history_when_saving
    (entry,) = history.write([owner], history.UPDATED, user=user, reason=reason, date=date)
    event = change_event(owner, Action.UPDATED, user=user, reason=reason, date=date, entry=entry)
    feed.touch(type(owner), owner.pk, event, fields=[field_name])


def _note_moved_parent(stored, candidate) -> None:
    """A record shown inside its parent (an instrument in its facility) that moves to another
    parent changes both parents' representations."""
    for entry in versions.showing().get(type(stored), ()):
        if entry.through is type(stored) and entry.owner_column != "pk":
            old, new = getattr(stored, entry.owner_column), getattr(candidate, entry.owner_column)
            if old != new:
                feed.relinked(entry.owner, {old, new} - {None})


def _rebuild_keys_reading(record, changed) -> None:
    """The records whose place keys hold ``record``'s names (NamedRecord.KEY_RELATIONS: an
    institution's children) get their keys rebuilt when its names or its publication changed.
    Derived columns only: no history entry, change event or version of theirs (what their
    representations show of it, in brief, follows through services.versions). Deleting it
    needs nothing: the relation protects it while a record points at it (RecordInUse)."""
    model = type(record)
    if not set(changed) & {*model.SEARCH_TERM_FIELDS, "is_published"}:
        return
    for relation in model._meta.related_objects:
        if relation.one_to_many and relation.field.name in getattr(
            relation.related_model, "KEY_RELATIONS", ()
        ):
            pointing = relation.related_model._base_manager.filter(
                **{relation.field.name: record.pk}
            )
            pointing.rebuild_search_keys()


# --- delete and restore ---------------------------------------------------------------------


def _blockers(record) -> list[str]:
    """What refers to the record and forbids its deletion (role links, child institutions)."""
    found = []
    for relation in record._meta.related_objects:
        if relation.on_delete not in (PROTECT, RESTRICT) or relation.many_to_many:
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: record.pk})
        for row in rows[:5]:
            found.append(english(row))  # a role link names its role: in English
    return found


def _cascading_records(model) -> list:
    """Relations whose records are deleted with this one (a facility's instruments, a
    programme's calls): each is deleted through the service, with its own history."""
    return [
        relation
        for relation in model._meta.related_objects
        if relation.one_to_many
        and issubclass(relation.related_model, NamedRecord)
        and relation.on_delete is models.CASCADE
    ]


def _linking_relations(model) -> list[models.ManyToManyField]:
    """Plain many-to-many relations of other records that point at this model."""
    return [
        relation.field
        for relation in model._meta.related_objects
        if relation.many_to_many
        and relation.field.remote_field.through._meta.auto_created
        and issubclass(relation.related_model, NamedRecord)
    ]


def _delete(record, *, user, reason: str) -> ChangeEvent:
    model = type(record)
    date = timezone.now()
    stored = _locked(record)
    blockers = _blockers(stored)
    if blockers:
        raise RecordInUse(
            f"{stored} cannot be deleted while other records refer to it: "
            f"{'; '.join(blockers)}. Change or delete those first."
        )
    links_before = history.snapshots([stored])[stored.pk]
    # The records showing it lose it: found now, while its links still exist.
    for entry in versions.showing().get(model, ()):
        feed.relinked(entry.owner, set(entry.owners_of([stored.pk]).values_list("pk", flat=True)))
    children = []
    for relation in _cascading_records(model):
        for child in relation.related_model._base_manager.filter(**{relation.field.name: stored}):
            child_reason = f"Deleted with {_describe(stored)}: {reason}"
            children.append(_delete(child, user=user, reason=child_reason).pk)
    linked = {}
    for link_field in _linking_relations(model):
        owners = list(link_field.model._base_manager.filter(**{link_field.name: stored.pk}))
        if not owners:
            continue
        linked[f"{_label(link_field.model)}.{link_field.name}"] = [owner.pk for owner in owners]
        for owner in owners:
            _relink(
                owner,
                link_field.name,
                stored,
                add=False,
                user=user,
                reason=f"Unlinked from deleted {_describe(stored)}",
                date=date,
            )
    for role_field in _role_fields(model).values():
        _sync_role_links(stored, role_field, [], user=user, reason=reason, date=date)
    feed.relinked(Source, citations.forget(stored))
    pk = stored.pk
    stored._history_user = history.author(user)
    stored._change_reason = reason
    stored._history_date = date
    stored.delete()
    stored.pk = pk
    # simple-history wrote the deletion entry once the links were gone: give it the links
    # the record had, so that restoring it brings them back.
    entry = history.latest(model, pk, history.DELETED)
    history.attach([entry], [links_before])
    event = change_event(
        stored,
        Action.DELETED,
        user=user,
        reason=reason,
        date=date,
        entry=entry,
        context={"links": linked, "deleted_with_it": children},
    )
    feed.touch(model, pk, event, moved=True, former_slug=getattr(stored, "slug", None))
    return event


def record_delete(*, record, user=None, reason: str = "") -> None:
    """Delete a record, with the records that belong to it (instruments, calls).

    Records linking to it lose the link, each with a history entry; the deletion entry
    keeps every relation the record had and the change event names the records that linked
    to it, so that ``record_restore`` brings all of it back. Refused with
    :class:`RecordInUse` while role links or child institutions refer to it.
    """
    with transaction.atomic(), service_write(), feed.batch():
        _delete(record, user=user, reason=reason or "Deleted")


def _deletion_event(model, pk) -> ChangeEvent | None:
    return (
        ChangeEvent.objects.filter(model=_label(model), record_id=pk, action=Action.DELETED)
        .order_by("-id")
        .first()
    )


def _legacy_role_links(model, pk, deleted_at) -> dict[str, list[RoleLink]]:
    """Role links of a record deleted before its history entries kept them: the links whose
    own history ends in a deletion at that moment."""
    found: dict[str, list[RoleLink]] = {}
    for name, field in _role_fields(model).items():
        through = field.remote_field.through
        if not hasattr(through._meta, "simple_history_manager_attribute"):
            continue  # successions: only their owner's entries keep them
        owner = field.m2m_field_name()
        historical = history.history_model(through)
        rows = historical._default_manager.filter(**{f"{owner}_id": pk}).order_by(
            "id", "-history_date", "-history_id"
        )
        last_of_each = {}
        for row in rows:
            last_of_each.setdefault(row.id, row)
        deleted_then = [
            row
            for row in last_of_each.values()
            if row.history_type == "-" and abs((row.history_date - deleted_at).total_seconds()) < 60
        ]
        existing = field.related_model._base_manager.in_bulk(
            {row.institution_id for row in deleted_then}
        )
        found[name] = [
            RoleLink(existing[row.institution_id], row.role, row.note, row.needs_review)
            for row in deleted_then
            if row.institution_id in existing
        ]
    return found


def _restore(model, pk, *, user, reason: str, fields=None):
    date = timezone.now()
    if model._base_manager.filter(pk=pk).exists():
        raise ValidationError("This record exists: there is nothing to restore.")
    deletion = history.latest(model, pk, history.DELETED)
    if deletion is None:
        raise ValidationError("No deletion of this record is recorded: it cannot be restored.")
    record = deletion.instance  # a new, unsaved instance with the deleted record's values
    _assign(record, fields or {})
    if user is not None and not publishing.may_publish(user, model):
        record.is_published = False  # restoring must not publish for someone who may not
    # The deletion entry keeps the links (since entries record relations); an older one was
    # written after they were removed: the version before it has them.
    source = deletion
    if not history.has_links(deletion) and deletion.prev_record is not None:
        source = deletion.prev_record
    recorded = history.recorded_relations(source)
    relations = recorded.relations
    if source is not deletion or not any(relations.get(n) for n in _role_fields(model)):
        for name, links in _legacy_role_links(model, pk, deletion.history_date).items():
            if links and not relations.get(name):
                relations[name] = links
    cleaned = _validated(record, relations)
    if recorded.missing:
        reason = f"{reason} (not restored, deleted since: {'; '.join(recorded.missing)})"
    _save(record, cleaned, user=user, reason=reason, date=date, force_insert=True)
    (entry,) = history.write([record], history.CREATED, user=user, reason=reason, date=date)
    event = change_event(record, Action.RESTORED, user=user, reason=reason, date=date, entry=entry)
    feed.touch(model, pk, event, moved=True)
    deleted = _deletion_event(model, pk)
    if deleted is not None:
        for label, owner_pks in (deleted.context.get("links") or {}).items():
            owner_label, field_name = label.rsplit(".", 1)
            owner_model = next(
                field.model
                for field in _linking_relations(model)
                if _label(field.model) == owner_label
            )
            for owner in owner_model._base_manager.filter(pk__in=owner_pks):
                _relink(
                    owner,
                    field_name,
                    record,
                    add=True,
                    user=user,
                    reason=f"Linked again to restored {_describe(record)}",
                    date=date,
                )
        for child_event in ChangeEvent.objects.filter(
            pk__in=deleted.context.get("deleted_with_it") or []
        ):
            child_model = _model_of(child_event.model)
            if not child_model._base_manager.filter(pk=child_event.record_id).exists():
                _restore(
                    child_model,
                    child_event.record_id,
                    user=user,
                    reason=f"Restored with {_describe(record)}",
                )
    return record


def _model_of(label: str):
    from django.apps import apps

    return apps.get_model(label)


def record_restore(*, model: type[R], record_id, user=None, reason: str = "", fields=None) -> R:
    """Bring a deleted record back as it was: its fields, the relations it had (those whose
    records still exist), the links other records had to it and the records deleted with it.

    It keeps its id and slug. For a user who may not publish it comes back as a draft.
    ``fields`` overrides values of the deleted version (a curator's corrections).
    """
    with transaction.atomic(), service_write(), feed.batch():
        return _restore(model, record_id, user=user, reason=reason or "Restored", fields=fields)


def record_revert(
    *,
    record: R,
    version,
    user=None,
    reason: str = "",
    fields: Mapping[str, Any] | None = None,
    relations: Mapping[str, Any] | None = None,
) -> R:
    """Bring a record back to an earlier version: its fields and its relations then.

    Publication is not reverted (publishing is its own action). Related records deleted
    since are left out and named in the entry's reason. ``fields``/``relations`` override
    the version's values (a curator's corrections in the revert form).
    """
    historical = type(version)
    values = {
        field.attname: getattr(version, field.attname)
        for field in historical.tracked_fields
        if field.name not in DERIVED_FIELDS and field.name not in ("is_published", "id")
    }
    values.update(fields or {})
    recorded = history.recorded_relations(version)
    if not ChangeEvent.objects.filter(
        model=_label(record), record_id=record.pk, history_id=version.history_id
    ).exists():
        # An entry from before entries recorded role links: it says nothing about them.
        for name in _role_fields(type(record)):
            recorded.relations.pop(name, None)
    wanted = {**recorded.relations, **(relations or {})}
    when = timezone.localtime(version.history_date).strftime("%Y-%m-%d %H:%M:%S %Z")
    reason = reason or f"Reverted to the version of {when}"
    if recorded.missing:
        reason = f"{reason} (not restored, deleted since: {'; '.join(recorded.missing)})"
    return record_update(
        record=record,
        fields=values,
        relations=wanted,
        user=user,
        reason=reason,
        action=Action.REVERTED,
    )


# --- many at once -------------------------------------------------------------------------


@dataclass
class Written:
    """What a bulk write did to one record."""

    record: NamedRecord
    action: str  # "created" | "updated" | "unchanged"


def record_save(
    *,
    model: type[R],
    lookup: Mapping[str, Any],
    fields: Mapping[str, Any],
    relations: Mapping[str, Any] | None = None,
    user=None,
    reason: str = "",
    keep_timestamps: bool = False,
    as_system: bool = False,
) -> Written:
    """Create the record found by ``lookup``, or update it (imports match rows by slug)."""
    existing = model._base_manager.filter(**lookup).first()
    if existing is None:
        record = record_create(
            model=model,
            fields=fields,
            relations=relations,
            user=user,
            reason=reason,
            keep_timestamps=keep_timestamps,
            as_system=as_system,
        )
        return Written(record, "created")
    record, changed = _update(
        existing,
        fields,
        relations,
        user=user,
        reason=reason,
        action=None,
        keep_timestamps=keep_timestamps,
        as_system=as_system,
    )
    return Written(record, "updated" if changed else "unchanged")
