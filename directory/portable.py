"""The whole directory as one portable JSON document: export it, import it, round trip.

The document is Django's own serialization format (``manage.py dumpdata`` with natural keys)
inside a small header::

    {
      "format": "facility-directory",
      "version": 1,
      "exported_at": "2026-01-31T09:00:00.123456Z",
      "counts": {"directory.technique": 18, …},
      "objects": [{"model": "directory.technique", "fields": {"slug": "xafs", …}}, …]
    }

Records carry no database ids: each is identified by its natural key (its ``slug``; a role
link by owner slug, institution slug and role; a succession by predecessor and successor
slugs) and refers to others the same way, so a document loads into any database. What it
leaves out, and why:

* the history tables (``Historical*``) and the change stream (``ChangeEvent``,
  ``FeedEntry``): the import writes through the write services, which record their own;
* ``DirectoryState``: bookkeeping, bumped by every write (so by the import too);
* ``RorProposal``: review work, not directory data; what an accepted proposal wrote is in
  the institutions, and ``manage.py import_ror`` files the rest again from a dump;
* ``search_key``: derived from the names on every save, so always recomputed on import;
* ``Country`` rows, which migration 0002 loads from ``directory/data/countries.json``,
  except those a curator changed or added in the admin (normally none): only those are
  exported, so that a round trip keeps them. Records refer to countries by ISO code.

The import validates every record (field values, choices, references, constraints, model
``clean()``) and writes the whole document in one transaction, or nothing. A record that
already exists (same natural key) is updated in place when it differs and left alone when it
does not, so importing the same document twice changes nothing the second time.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.utils import timezone

from directory import jsonlimits

FORMAT = "facility-directory"
FORMAT_VERSION = 1
APP_LABEL = "directory"
COUNTRY_LABEL = "directory.country"

#: Stored values a save derives from the record's own fields; never exported, ignored on import.
DERIVED_FIELDS = frozenset({"search_key", "place_key", "version"})
#: The timestamps every record keeps through a round trip (raw saves do not touch them).
TIMESTAMP_FIELDS = ("created_at", "updated_at")
#: The default change reason of the history rows an import writes (the field holds 100).
CHANGE_REASON = "import_directory"

ACTIONS = ("created", "updated", "unchanged")


class PortableError(Exception):
    """A document that cannot be imported; the message names the record and the problem."""


# --- which models, in which order ---------------------------------------------------------


def portable_models() -> list[type[models.Model]]:
    """The directory models whose records a document carries, each after those it refers to.

    Every model of the ``directory`` app that has a natural key: the named records and the
    two role-link models. That rules out ``Country`` (keyed by its ISO code, handled apart),
    ``DirectoryState``, the history models and the automatic many-to-many tables.
    """
    app = apps.get_app_config(APP_LABEL)
    candidates = [
        model
        for model in app.get_models()
        if hasattr(model, "natural_key") and hasattr(model._default_manager, "get_by_natural_key")
    ]
    return serializers.sort_dependencies([(app, candidates)])


def _country_model() -> type[models.Model]:
    return apps.get_model(COUNTRY_LABEL)


def _document_models() -> dict[str, type[models.Model]]:
    """Model label (``directory.facility``) to model, in import order, countries first."""
    ordered = [_country_model(), *portable_models()]
    return {model._meta.label_lower: model for model in ordered}


def _m2m_fields(model) -> list[models.ManyToManyField]:
    """Many-to-many fields stored as plain links (role links are records of their own)."""
    return [f for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]


def _writable_field_names(model) -> set[str]:
    names = {f.name for f in model._meta.concrete_fields if not f.primary_key}
    return names | {f.name for f in _m2m_fields(model)}


# --- export -------------------------------------------------------------------------------


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, except that datetimes keep their microseconds.

    DjangoJSONEncoder cuts them to milliseconds, and a round trip must keep timestamps exact.
    """

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            value = o.isoformat()
            return value.removesuffix("+00:00") + "Z" if value.endswith("+00:00") else value
        return super().default(o)


def _reference_countries() -> dict[str, dict[str, str]]:
    """The ISO country list migration 0002 loads, by code."""
    path = Path(apps.get_app_config(APP_LABEL).path) / "data" / "countries.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {row["code"]: row for row in rows}


def _changed_countries(using: str) -> list:
    """Country rows that differ from (or are missing in) the list the migration loads."""
    reference = _reference_countries()
    Country = _country_model()
    return [
        country
        for country in Country.objects.using(using).order_by("code")
        if reference.get(country.code)
        != {"code": country.code, "name": country.name, "name_ja": country.name_ja}
    ]


def _canonical(value):
    """A JSON value with its objects' keys sorted.

    PostgreSQL's jsonb keeps keys in its own order (shortest first), SQLite keeps them as
    written: sorting makes the export of the same data the same text on either database.
    """
    if isinstance(value, dict):
        return {key: _canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _serialise_model(model, using: str) -> list[dict[str, Any]]:
    """Every record of ``model`` in natural-key order, as Django's python serializer gives it."""
    queryset = model._base_manager.using(using).all()
    natural_fks = [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and hasattr(f.related_model, "natural_key")
    ]
    m2m_names = [f.name for f in _m2m_fields(model)]
    json_names = [f.name for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
    queryset = queryset.select_related(*natural_fks).prefetch_related(*m2m_names)
    records = serializers.serialize(
        "python",
        sorted(queryset, key=lambda obj: obj.natural_key()),
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )
    for record in records:
        fields = record["fields"]
        for name in DERIVED_FIELDS:
            fields.pop(name, None)
        for name in m2m_names:
            fields[name] = sorted(fields[name])  # sets, not sequences: a stable order
        for name in json_names:
            fields[name] = _canonical(fields[name])
        if "slug" in fields:  # the record's identity first, for readers of the file
            record["fields"] = {"slug": fields.pop("slug"), **fields}
    return records


def export_directory(stream: IO[str], *, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Write every directory record to ``stream`` as one JSON document; return counts per model.

    The document holds every record of every model with a natural key (see
    ``portable_models``), plus any country row that differs from the migration's ISO list,
    in a fixed order: models parents first, records by natural key, links and the keys of
    JSON values sorted, so the same data gives the same text on SQLite and PostgreSQL. Records
    are keyed by natural key (slugs) and keep everything but the derived ``search_key``:
    publication and synthetic flags, timestamps (to the microsecond), sources, many-to-many
    links and role links. Japanese text is written as is (UTF-8, not ``\\u`` escapes).
    History, ``DirectoryState`` and database ids are not exported.
    """
    sections: list[tuple[str, list[dict[str, Any]]]] = [
        (COUNTRY_LABEL, serializers.serialize("python", _changed_countries(using)))
    ]
    for model in portable_models():
        sections.append((model._meta.label_lower, _serialise_model(model, using)))
    counts = {label: len(records) for label, records in sections}
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": timezone.now(),
        "counts": counts,
        "objects": [record for _label, records in sections for record in records],
    }
    stream.write(json.dumps(document, cls=_Encoder, ensure_ascii=False, indent=2) + "\n")
    return counts


# --- import: reading and checking the document --------------------------------------------


@dataclass
class _Record:
    """One object of the document, with where it stands and what it is."""

    index: int  # 1-based position in "objects"
    label: str
    model: type[models.Model]
    data: dict[str, Any]
    key: tuple = ()

    @property
    def fields(self) -> dict[str, Any]:
        return self.data["fields"]

    def __str__(self) -> str:
        shown = " / ".join(str(part) for part in self.key) if self.key else "?"
        return f'{self.label} "{shown}" (object {self.index})'


@dataclass
class _Context:
    """What an import has learnt so far: the records it has written and the keys it knows."""

    using: str
    known: dict[tuple[str, tuple], Any] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)


def _frozen(value):
    """A natural key from the document as a hashable tuple (lists nest in role-link keys)."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(part) for part in value)
    return value


def _read_document(stream: IO) -> dict[str, Any]:
    raw = stream.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise PortableError(f"The document is not UTF-8 text: {error}") from None
    try:
        document = jsonlimits.loads(raw)
    except ValueError as error:  # bad syntax, or nested deeper than any export
        raise PortableError(jsonlimits.describe(error, "The document")) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PortableError(
            f'Not a directory export: expected a JSON object with "format": "{FORMAT}" '
            "(as manage.py export_directory writes)."
        )
    version = document.get("version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise PortableError(
            f"Unsupported document version {version!r}; this code reads version "
            f"{FORMAT_VERSION} or earlier."
        )
    if not isinstance(document.get("objects"), list):
        raise PortableError('The document has no "objects" list.')
    return document


def _natural_key(record: _Record) -> tuple:
    """The record's identity as the document states it (before any database lookup)."""
    model, fields = record.model, record.fields
    if model is _country_model():
        code = record.data.get("pk")
        if not isinstance(code, str):
            raise PortableError(f'{record.label} (object {record.index}) needs a "pk": its code.')
        return (code,)
    if any(f.name == "slug" for f in model._meta.fields):
        slug = fields.get("slug")
        if not isinstance(slug, str) or not slug:
            raise PortableError(f'{record.label} (object {record.index}) has no "slug".')
        return (slug,)
    # Role links: identified by their one unique constraint (owner, institution, role).
    constraint = model._meta.total_unique_constraints[0]
    key: list = []
    for name in constraint.fields:
        value = fields.get(name)
        if value is None:
            raise PortableError(f'{record.label} (object {record.index}) has no "{name}".')
        if model._meta.get_field(name).is_relation:
            if not isinstance(value, list):
                raise PortableError(
                    f'{record.label} (object {record.index}): "{name}" must be a natural key '
                    f'such as ["a-slug"], not {value!r}.'
                )
            key.extend(value)
        else:
            key.append(value)
    return _frozen(key)


def _check_records(document: dict[str, Any]) -> list[_Record]:
    """Each object's model, field names and identity; no natural key twice; the counts."""
    allowed = _document_models()
    records: list[_Record] = []
    seen: dict[tuple[str, tuple], _Record] = {}
    for index, obj in enumerate(document["objects"], start=1):
        if not isinstance(obj, dict) or not isinstance(obj.get("fields"), dict):
            raise PortableError(f'Object {index} is not a record ({{"model": …, "fields": …}}).')
        label = str(obj.get("model", "")).lower()
        if label not in allowed:
            raise PortableError(
                f"Object {index}: {obj.get('model')!r} is not a directory model; a document "
                f"holds only {', '.join(allowed)}."
            )
        record = _Record(index=index, label=label, model=allowed[label], data=obj)
        if "pk" in obj and record.model is not _country_model():
            raise PortableError(
                f'{label} (object {index}) has a "pk": database ids are not portable; '
                "records are identified by their natural key (slug)."
            )
        writable = _writable_field_names(record.model)
        for name in record.fields:
            if name in writable or name in DERIVED_FIELDS:
                continue
            if name in {f.name for f in record.model._meta.get_fields()}:
                raise PortableError(
                    f'{label} (object {index}): "{name}" cannot be imported here (role links '
                    "are records of their own; ids and reverse relations are not portable)."
                )
            raise PortableError(f'{label} (object {index}) has an unknown field "{name}".')
        record.key = _natural_key(record)
        earlier = seen.get((label, record.key))
        if earlier is not None:
            raise PortableError(
                f"{record} repeats {earlier}: a natural key may appear only once per document."
            )
        seen[(label, record.key)] = record
        records.append(record)
    stated = document.get("counts")
    if isinstance(stated, dict):
        found = Counter(record.label for record in records)
        for label, count in stated.items():
            if found.get(str(label).lower(), 0) != count:
                raise PortableError(
                    f"The header counts {count} {label} records but the document holds "
                    f"{found.get(str(label).lower(), 0)}: is it truncated or edited?"
                )
    return records


def _institutions_parents_first(records: list[_Record]) -> list[_Record]:
    """Order institution records so that a parent in the document comes before its children."""
    by_key = {record.key: record for record in records}
    ordered: list[_Record] = []
    done: set[tuple] = set()
    for start in records:
        chain: list[_Record] = []
        record: _Record | None = start
        while record is not None and record.key not in done:
            if any(r.key == record.key for r in chain):
                cycle = " → ".join(f'"{r.key[0]}"' for r in [*chain, record])
                raise PortableError(f"{start}: its parents make a cycle ({cycle}).")
            chain.append(record)
            parent = record.fields.get("parent")
            record = by_key.get(_frozen(parent)) if isinstance(parent, list) else None
        for record in reversed(chain):
            done.add(record.key)
            ordered.append(record)
    return ordered


def _import_labels() -> list[str]:
    """Models in an order where each comes after every model its records refer to.

    A record is written with its relations (a facility with its role links), so it comes
    after the records of every relation, not only of its foreign keys.
    """
    models_ = _document_models()
    source_model = apps.get_model(APP_LABEL, "Source")
    needs: dict[str, set[str]] = {}
    for label, model in models_.items():
        targets = set()
        for f in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            if f.is_relation and f.related_model is not model:
                targets.add(f.related_model._meta.label_lower)
        if model is not source_model and any(f.name == "sources" for f in model._meta.fields):
            # Its citations name source records, which must exist when it is validated.
            targets.add(source_model._meta.label_lower)
        needs[label] = targets & set(models_) - {label}
    ordered: list[str] = []
    while len(ordered) < len(models_):
        ready = [
            label for label in models_ if label not in ordered and needs[label] <= set(ordered)
        ]
        if not ready:  # a cycle between models: keep the serializer's order for the rest
            ready = [label for label in models_ if label not in ordered]
        ordered.append(ready[0])
    return ordered


def _successors_first(group: list[_Record], successions: list[_Record]) -> list[_Record]:
    """Order records so that a record's successors in the document come before it: a
    succession is written with its predecessor, and its successor must exist by then."""
    after: dict[str, list[str]] = defaultdict(list)
    for link in successions:
        predecessor, successor = link.fields.get("predecessor"), link.fields.get("successor")
        if isinstance(predecessor, list) and isinstance(successor, list):
            after[str(predecessor[0])].append(str(successor[0]))
    by_slug = {record.key[0]: record for record in group}
    ordered: list[_Record] = []
    placed: set[str] = set()

    def place(record: _Record, path: tuple) -> None:
        slug = record.key[0]
        if slug in placed or slug in path:
            return  # placed already; a cycle is refused by the write service
        for successor in after.get(slug, []):
            if successor in by_slug:
                place(by_slug[successor], (*path, slug))
        placed.add(slug)
        ordered.append(record)

    for record in group:
        place(record, ())
    return ordered


def _import_order(records: list[_Record]) -> list[_Record]:
    from directory.services.records import link_field_of

    by_label: dict[str, list[_Record]] = defaultdict(list)
    for record in records:
        by_label[record.label].append(record)
    ordered: list[_Record] = []
    labels = _import_labels()
    for label in labels:
        group = by_label.get(label, [])
        if label == "directory.institution":
            group = _institutions_parents_first(group)
        model = _document_models()[label]
        successors = next((f for f in model._meta.many_to_many if f.name == "successors"), None)
        if successors is not None and link_field_of(successors.remote_field.through):
            through_label = successors.remote_field.through._meta.label_lower
            group = _successors_first(group, by_label.get(through_label, []))
        ordered.extend(group)
    return ordered


# --- import: loading one record -----------------------------------------------------------


def _check_reference(record: _Record, name: str, value, context: _Context) -> None:
    """A foreign key or link names a record that exists (in the database or the document)."""
    related = record.model._meta.get_field(name).related_model
    related_label = related._meta.label_lower
    if related is _country_model():
        if value not in context.countries:
            raise PortableError(
                f"{record}: {name}: {value!r} is not a known country code "
                "(ISO 3166-1 alpha-2, e.g. JP, GB)."
            )
        return
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        raise PortableError(
            f'{record}: {name}: expected a natural key such as ["a-slug"], not {value!r}.'
        )
    key = _frozen(value)
    if (related_label, key) in context.known:
        return
    manager = related._default_manager.db_manager(context.using)
    try:
        context.known[(related_label, key)] = manager.get_by_natural_key(*value).pk
    except related.DoesNotExist:
        shown = " / ".join(value)
        raise PortableError(f'{record}: {name}: there is no {related_label} "{shown}".') from None


def _check_references(record: _Record, context: _Context) -> None:
    for f in record.model._meta.concrete_fields:
        if f.is_relation and record.fields.get(f.name) is not None:
            _check_reference(record, f.name, record.fields[f.name], context)
    for f in _m2m_fields(record.model):
        values = record.fields.get(f.name)
        if values is None:
            continue
        if not isinstance(values, list):
            raise PortableError(f"{record}: {f.name}: expected a list, not {values!r}.")
        for value in values:
            _check_reference(record, f.name, value, context)


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def _deserialised(record: _Record, context: _Context):
    """The record's values (typed, references resolved) as Django's deserializer reads them."""
    payload = {
        "model": record.label,
        "fields": {k: v for k, v in record.fields.items() if k not in DERIVED_FIELDS},
    }
    if "pk" in record.data:
        payload["pk"] = record.data["pk"]
    try:
        (loaded,) = serializers.deserialize("python", [payload], using=context.using)
    except DeserializationError as error:
        raise PortableError(f"{record}: {error}") from None
    return loaded


def _load_country(record: _Record, context: _Context) -> str:
    """A country row (reference data, not a directory record): written as it comes."""
    _check_references(record, context)
    loaded = _deserialised(record, context)
    obj = loaded.object
    existing = record.model._base_manager.using(context.using).filter(pk=obj.pk).first()
    if existing is not None and all(
        f.value_from_object(existing) == f.value_from_object(obj)
        for f in record.model._meta.concrete_fields
    ):
        context.countries.add(obj.pk)
        return "unchanged"
    try:
        obj.full_clean(validate_unique=existing is None)
        loaded.save(using=context.using)
    except ValidationError as error:
        raise PortableError(f"{record}: {_validation_message(error)}") from None
    context.countries.add(obj.pk)
    return "created" if existing is None else "updated"


def _link_value(through, name: str, fields: dict):
    """One column of a link from the document, typed as its model field reads it."""
    model_field = through._meta.get_field(name)
    if name not in fields:
        return model_field.get_default()
    try:
        return model_field.to_python(fields[name])
    except ValidationError as error:
        message = " ".join(error.messages)
        raise PortableError(f"{through._meta.label_lower}: {name}: {message}") from None


def _link_status(link: _Record, key: tuple, data: tuple, stored: dict[tuple, tuple]) -> str:
    if key not in stored:
        return "created"
    return "unchanged" if stored[key] == data else "updated"


def _load_record(record: _Record, links: list[_Record], context: _Context, *, user, reason):
    """Write one record (with the role links and successions the document gives it) through
    the write services; the action for it and for each of its links."""
    from directory import services
    from directory.services.records import link_class

    _check_references(record, context)
    loaded = _deserialised(record, context)
    obj = loaded.object
    model = record.model
    fields = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in DERIVED_FIELDS or f.name not in record.fields:
            continue
        fields[f.attname] = getattr(obj, f.attname)
    relations = {
        name: list(
            model._meta.get_field(name)
            .related_model._base_manager.using(context.using)
            .filter(pk__in=pks)
        )
        for name, pks in (loaded.m2m_data or {}).items()
    }
    existing = model._base_manager.using(context.using).filter(slug=record.key[0]).first()
    role_fields = [
        f for f in model._meta.many_to_many if not f.remote_field.through._meta.auto_created
    ]
    link_actions = []
    for role_field in role_fields:
        through = role_field.remote_field.through
        mine = [link for link in links if link.model is through]
        if not mine:
            continue
        owner, target = role_field.m2m_field_name(), role_field.m2m_reverse_field_name()
        key_names, data_names = through.LINK_KEY, through.LINK_DATA
        targets = role_field.related_model._base_manager.using(context.using)
        stored: dict[tuple, tuple] = {}
        if existing is not None:
            for row in through._base_manager.using(context.using).filter(**{owner: existing.pk}):
                key = (getattr(row, f"{target}_id"), *(getattr(row, n) for n in key_names))
                stored[key] = tuple(getattr(row, name) for name in data_names)
        for link in mine:
            _check_reference(link, target, link.fields.get(target), context)
        found = targets.in_bulk([link.fields[target][0] for link in mine], field_name="slug")
        wanted = {}
        for link in mine:
            # The link's values as its model reads them (a date from its ISO text).
            values = {
                name: _link_value(through, name, link.fields) for name in (*key_names, *data_names)
            }
            related = found[link.fields[target][0]]
            key = (related.pk, *(values[name] for name in key_names))
            data = tuple(values[name] for name in data_names)
            link_actions.append((link, _link_status(link, key, data, stored)))
            wanted[key] = link_class(through).of(related, values)
        # Links the document does not mention are kept (records missing from it are kept).
        for key, data in stored.items():
            if key not in wanted:
                values = dict(zip((*key_names, *data_names), (*key[1:], *data), strict=True))
                wanted[key] = link_class(through).of(targets.get(pk=key[0]), values)
        relations[role_field.name] = list(wanted.values())
    try:
        written = services.record_save(
            model=model,
            lookup={"slug": record.key[0]},
            fields=fields,
            relations=relations,
            user=user,
            reason=reason,
            keep_timestamps=True,
            as_system=True,
        )
    except ValidationError as error:
        raise PortableError(f"{record}: {_validation_message(error)}") from None
    except DatabaseError as error:
        raise PortableError(f"{record}: the database refused it: {error}") from None
    action = written.action
    if action == "updated" and existing is not None:
        # The document counts role links as records of their own: a record whose links
        # alone changed is itself unchanged.
        plain = {k: v for k, v in relations.items() if k not in {f.name for f in role_fields}}
        if not _own_changes(existing, fields, plain):
            action = "unchanged"
    return action, link_actions


def _own_changes(existing, fields, plain_relations) -> list[str]:
    from directory import services

    changes = services.pending_changes(existing, fields=fields, relations=plain_relations)
    return changes + [
        name
        for name in TIMESTAMP_FIELDS
        if name in fields and fields[name] != getattr(existing, name)
    ]


# --- import -------------------------------------------------------------------------------


def directory_import(
    stream: IO,
    *,
    dry_run: bool = False,
    user=None,
    change_reason: str = CHANGE_REASON,
    using: str = DEFAULT_DB_ALIAS,
    report: Callable[[str, str, tuple], None] | None = None,
) -> dict[str, dict[str, int]]:
    """Load a document written by ``export_directory``; return counts per model and action.

    ``stream`` gives the JSON text (str or UTF-8 bytes). Every record is checked (field
    values, choices, references by natural key, country codes, model ``clean()`` and
    database constraints) and the whole document is written in one transaction, through the
    write services (so each record written gets its history entry, change event and feed
    entry): on any problem nothing is written and ``PortableError`` names the record and
    the problem.

    Records are matched by natural key: a new one is created, an existing one is updated in
    place if anything differs (its many-to-many links replaced by the document's, its role
    links added or changed as the document gives them), and left alone otherwise, so
    importing twice changes nothing the second time. Records missing from the document are
    kept. Timestamps are written as the document gives them; the search key is derived on
    save. Entries are by ``user``, with ``change_reason``. With ``dry_run`` everything is
    checked and written, then rolled back. ``report(action, model_label, natural_key)`` is
    called for each record created or updated.

    The result maps each model label to ``{"created": n, "updated": n, "unchanged": n}``.
    """
    from directory.services import feed
    from directory.services.records import link_field_of

    document = _read_document(stream)
    records = _import_order(_check_records(document))
    counts = {label: dict.fromkeys(ACTIONS, 0) for label in _document_models()}
    Country = _country_model()
    context = _Context(using=using)
    links_of: dict[tuple[str, str], list[_Record]] = defaultdict(list)
    for record in records:
        if record.model is not Country and "slug" not in record.fields:
            owner_model = link_field_of(record.model).model
            links_of[(owner_model._meta.label_lower, record.key[0])].append(record)
    changes: list[tuple[str, _Record]] = []
    with transaction.atomic(using=using):
        with feed.batch():
            context.countries = set(Country.objects.using(using).values_list("code", flat=True))
            for record in records:
                if record.model is Country:
                    action = _load_country(record, context)
                elif "slug" in record.fields:
                    owner_links = links_of.get((record.label, record.key[0]), [])
                    action, link_actions = _load_record(
                        record, owner_links, context, user=user, reason=change_reason
                    )
                    for link, link_action in link_actions:
                        counts[link.label][link_action] += 1
                        if link_action != "unchanged":
                            changes.append((link_action, link))
                else:
                    continue  # a role link: written with its owner
                counts[record.label][action] += 1
                if action != "unchanged":
                    changes.append((action, record))
            orphans = [
                link
                for key, links in links_of.items()
                for link in links
                if not any(r.label == key[0] and r.key[0] == key[1] for r in records)
            ]
            for link in orphans:
                _check_references(link, context)
                raise PortableError(
                    f"{link}: its {link.key[0]} is not in the document; role links and "
                    "successions travel with the record that owns them (a facility, a "
                    "programme, a predecessor)."
                )
        try:  # foreign keys are checked at commit; check them now, while the error is ours
            connections[using].check_constraints()
        except DatabaseError as error:
            raise PortableError(f"The document breaks a database constraint: {error}") from None
        if dry_run:
            transaction.set_rollback(True, using=using)
    if report is not None:  # only once everything passed: a failed import reports no changes
        for action, record in changes:
            report(action, record.label, record.key)
    return counts


#: The name the management command and older callers use.
import_directory = directory_import
