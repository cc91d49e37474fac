"""Representation versions: which records a write changes the public representation of.

A record's ``version`` keys its cached representations (api.representations). A write
changes the representation of

* the record written itself;
* the records on the other side of a link it adds, removes or re-roles (a technique lists
  the facilities offering it);
* when its summary changes (slug, names, publication), every record that shows it in brief:
  a technique's new name is in the representation of each of its 11,000 facilities.

The write services note these in the feed batch (``feed.Batch``); at the end of the
outermost batch :func:`apply` raises the versions with one ``UPDATE`` per kind of record and
per kind of link — never one statement per record — and names, by slug, the records of each
kind of answer whose versions it raised (their cached details go stale: directory.kinds), up
to ``kinds.NAMED_RECORDS_LIMIT`` per kind (one ``SELECT`` of their slugs before each
``UPDATE``); beyond it, the kind is named as None: all its details.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from dataclasses import dataclass

from django.db import models
from django.db.models import F

from directory import kinds
from directory.writes import service_write

#: The fields a brief summary of a record shows (api.serializers.brief_dict).
SUMMARY_FIELDS = ("slug", "name", "name_ja", "is_published")


@dataclass(frozen=True)
class Showing:
    """``owner`` records show, in brief, the records that ``through.<target>`` points at."""

    owner: type[models.Model]
    through: type[models.Model]
    owner_column: str
    target: str

    def owners_of(self, pks) -> models.QuerySet:
        linked = self.through._base_manager.filter(**{f"{self.target}__in": pks})
        return self.owner._base_manager.filter(pk__in=linked.values(self.owner_column))


@functools.cache
def showing() -> dict[type[models.Model], list[Showing]]:
    """For each model, who shows its records in brief: the API's related summaries
    (directory.relations) and the single links shown in brief (a call's programme, an
    institution's parent)."""
    from directory import relations
    from directory.models import Call, Institution, Instrument

    found: dict[type[models.Model], list[Showing]] = defaultdict(list)
    for kind in (
        relations.FACILITY_DETAIL,
        relations.PROGRAMME_DETAIL,
        relations.INSTITUTION_DETAIL,
        relations.AGREEMENT_LIST,
        relations.TECHNIQUE_DETAIL,
        relations.FIELD_DETAIL,
        relations.SOURCE_DETAIL,
        relations.CALL_DETAIL,
        relations.INSTRUMENT_DETAIL,
    ):
        for relation in kind:
            meta = relation.through._meta
            owner = meta.get_field(relation.owner)
            if relation.target:
                target_model, target = (
                    meta.get_field(relation.target).related_model,
                    relation.target,
                )
            else:
                target_model, target = relation.through, "pk"
            entry = Showing(owner.related_model, relation.through, owner.attname, target)
            if entry not in found[target_model]:
                found[target_model].append(entry)
    found[Call.programme.field.related_model].append(Showing(Call, Call, "pk", "programme"))
    found[Institution].append(Showing(Institution, Institution, "pk", "parent"))
    found[Instrument.facility.field.related_model].append(
        Showing(Instrument, Instrument, "pk", "facility")
    )
    return found


def has_version(model) -> bool:
    return any(field.name == "version" for field in model._meta.concrete_fields)


def summary_fields(model) -> tuple[str, ...]:
    """What records showing one of ``model``'s show of it: its brief summary, or more where
    the model says so (a source's publisher and URL appear in the citations citing it)."""
    return getattr(model, "SUMMARY_FIELDS", SUMMARY_FIELDS)


def summary_changed(before, after) -> bool:
    return any(
        getattr(before, name) != getattr(after, name) for name in summary_fields(type(after))
    )


@dataclass
class Raised:
    """What :func:`apply` raised: the models, and by kind of answer the slugs of the records
    (None: more than ``kinds.NAMED_RECORDS_LIMIT``, every record of the kind)."""

    models: set[type[models.Model]]
    slugs: dict[str, set[str] | None]
    #: the models of the records raised because a record they show in brief changed its
    #: summary (their lists' relation filters and facets read it: directory.kinds)
    showing: set[type[models.Model]] = dataclasses.field(default_factory=set)

    def note(self, model: type[models.Model], records: models.QuerySet) -> None:
        kind = kinds.MODEL_KINDS.get(model._meta.model_name)
        if kind is None:
            return  # no detail of its own (an access mode)
        named = self.slugs.setdefault(kind, set())
        if named is None:
            return
        room = kinds.NAMED_RECORDS_LIMIT - len(named)
        found = list(records.values_list("slug", flat=True)[: room + 1])
        if len(found) > room:
            self.slugs[kind] = None
        else:
            named.update(found)


def apply(
    changed: dict[type[models.Model], set], summarised: dict[type[models.Model], set]
) -> Raised:
    """Raise the versions of the ``changed`` records and of every record showing one of the
    ``summarised`` ones, with one UPDATE per model and per kind of link; returns the models
    it raised versions of (whose answers the write may have changed: directory.kinds) and the
    records, by slug."""
    with service_write():
        return _apply(changed, summarised)


def _apply(changed, summarised) -> Raised:
    raised = Raised(set(), {})
    for model, pks in summarised.items():
        for entry in showing().get(model, ()):
            if not has_version(entry.owner):
                continue
            owners = entry.owners_of(sorted(pks))
            raised.note(entry.owner, owners)
            if owners.update(version=F("version") + 1):
                raised.models.add(entry.owner)
                raised.showing.add(entry.owner)
    for model, pks in changed.items():
        if pks and has_version(model):
            records = model._base_manager.filter(pk__in=sorted(pks))
            raised.note(model, records)
            records.update(version=F("version") + 1)
            raised.models.add(model)
    return raised
