"""Identifier proposals: filing what ``import_ror`` found, and a curator's decision on each.

Filing writes proposals only, never an institution. Accepting one writes the institution
(and the institutions it becomes the parent of) through :func:`record_update`, so the
change has its history entry, its change event and its place in the public feed, with the
reason "Accepted ROR proposal <id> (<dump>)". Deciding needs the permission
``directory.decide_rorproposal`` (editors), as publishing needs the publish permission.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from directory import identifiers, ror
from directory.choices import ProposalStatus, RorMatch
from directory.models import Institution, RorProposal, Source
from directory.search import normalise
from directory.services import feed
from directory.services.records import record_create, record_update

DECIDE_PERMISSION = "directory.decide_rorproposal"
#: ROR's external id types and the institution's columns they fill.
EXTERNAL_IDS = {"wikidata": "wikidata_id", "isni": "isni", "fundref": "crossref_funder_id"}


def may_decide(user) -> bool:
    """Whether ``user`` may accept or reject proposals (None: the system itself)."""
    return user is None or user.has_perm(DECIDE_PERMISSION)


# --- what accepting would change -----------------------------------------------------------


@dataclass
class Plan:
    """What accepting a proposal writes: the institution's new values, the institutions that
    become its children, and what it leaves alone and why."""

    fields: dict = field(default_factory=dict)
    children: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refusal: str = ""

    @property
    def changes_anything(self) -> bool:
        return bool(self.fields or self.children)


def _record_of(proposal) -> ror.RorRecord:
    return ror.parse_record(proposal.record, 1)


def dump_source_slug(dump: str) -> str:
    """The slug of the source record standing for one ROR data dump."""
    return slugify(f"ror-{dump.removesuffix('.json')}")[:100]


def _citation(record: ror.RorRecord, dump: str) -> dict:
    """The source of what accepting writes: the ROR record, in the dump it came from."""
    return {"source": dump_source_slug(dump), "locator": record.url, "passage": record.display}


def _ensure_dump_source(dump: str, *, user, reason: str) -> None:
    """The dump as a source record (created, published, on first acceptance from it)."""
    slug = dump_source_slug(dump)
    if Source._base_manager.filter(slug=slug).exists():
        return
    date = ror.Dump(dump, []).date
    record_create(
        model=Source,
        fields={
            "slug": slug,
            "name": f"Research Organization Registry (ROR) data dump {dump}",
            "publisher": "Research Organization Registry (ROR)",
            "published_on": date,
            "language": "en",
            "reliability_note": (
                "Community-curated registry of research organisations; each match with a "
                "directory record was reviewed by a curator before it was accepted."
            ),
            "is_published": True,
        },
        user=user,
        reason=reason,
    )


def plan(proposal: RorProposal) -> Plan:
    """What accepting ``proposal`` would change now (the institution as it is stored)."""
    institution = Institution.objects.select_related("parent").get(pk=proposal.institution_id)
    record = _record_of(proposal)
    result = Plan()
    holder = Institution.objects.filter(ror_id=record.id).exclude(pk=institution.pk).first()
    if holder is not None:
        result.refusal = f"{holder.slug} already holds ROR id {record.id}."
        return result
    if institution.ror_id and institution.ror_id != record.id:
        result.refusal = f"{institution.slug} already has another ROR id ({institution.ror_id})."
        return result
    if not institution.ror_id:
        result.fields["ror_id"] = record.id
    for kind, column in EXTERNAL_IDS.items():
        _plan_identifier(result, institution, column, record.external_id(kind))
    _plan_labels(result, institution, record)
    _plan_family(result, institution, record)
    if result.fields or result.children:
        sources = list(institution.sources or [])
        if not any(source.get("locator") == record.url for source in sources):
            result.fields["sources"] = [*sources, _citation(record, proposal.dump)]
    return result


def _plan_identifier(result: Plan, institution, column: str, value: str | None) -> None:
    if not value:
        return
    scheme = next(s for s in identifiers.SCHEMES.values() if s.column == column)
    try:
        scheme.validate(value)
    except ValidationError:
        result.notes.append(f"{column}: ROR gives {value}, which is not valid; left out.")
        return
    value = scheme.normalise(value)
    current = getattr(institution, column)
    if current == value:
        return
    if current:
        result.notes.append(f"{column}: kept {current}; ROR gives {value}.")
        return
    holder = Institution.objects.filter(**{column: value}).exclude(pk=institution.pk).first()
    if holder is not None:
        result.notes.append(f"{column}: {value} belongs to {holder.slug}; left out.")
        return
    result.fields[column] = value


def _plan_labels(result: Plan, institution, record: ror.RorRecord) -> None:
    japanese = record.japanese_labels()
    if not institution.name_ja and japanese:
        result.fields["name_ja"] = japanese[0]
    if not institution.acronym and len(record.acronyms) == 1:
        result.fields["acronym"] = record.acronyms[0]
    known = {
        normalise(term)
        for term in [
            institution.name,
            result.fields.get("name_ja", institution.name_ja),
            result.fields.get("acronym", institution.acronym),
            *(institution.aliases or []),
        ]
        if term
    }
    added = []
    for value in [*(value for value, _lang in record.labels), *record.aliases]:
        key = normalise(value)
        if key and key not in known:
            known.add(key)
            added.append(value)
    if added:
        result.fields["aliases"] = [*(institution.aliases or []), *added]


def _ancestors(institution) -> set:
    seen, current = set(), institution
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        current = current.parent
    return seen


def _plan_family(result: Plan, institution, record: ror.RorRecord) -> None:
    """Parent and children, only between institutions that already hold the ROR ids."""
    parents = list(Institution.objects.filter(ror_id__in=record.related("parent")))
    if len(parents) == 1 and institution.parent_id is None:
        parent = parents[0]
        if institution.pk in _ancestors(parent):
            result.notes.append(f"parent: {parent.slug} would make a cycle; left out.")
        else:
            result.fields["parent"] = parent
    elif parents and institution.parent_id not in {p.pk for p in parents}:
        result.notes.append(
            "parent: kept "
            f"{institution.parent.slug if institution.parent else 'none'}; ROR gives "
            f"{', '.join(p.slug for p in parents)}."
        )
    ancestors = _ancestors(institution)
    for child in Institution.objects.filter(ror_id__in=record.related("child")).order_by("slug"):
        if child.parent_id is None and child.pk not in ancestors:
            result.children.append(child)
        elif child.parent_id != institution.pk:
            result.notes.append(f"child {child.slug}: keeps its parent.")


# --- filing --------------------------------------------------------------------------------


@dataclass
class Filed:
    """What one import did with its matches."""

    created: int = 0
    refreshed: int = 0
    decided: int = 0
    unchanged: int = 0
    ambiguous: int = 0


def file_ror_proposals(*, dump: ror.Dump) -> Filed:
    """File each match of the dump as a pending proposal (writes no institution).

    Idempotent: a pair (institution, ROR id) already proposed is refreshed while pending and
    left alone once decided, so a rejected match is never filed again. A record matching an
    institution that already holds its id is filed only when accepting would add something.
    """
    report = Filed()
    institutions = Institution.objects.select_related("country").order_by("slug")
    matches = ror.match_institutions(dump.records, institutions)
    with transaction.atomic():
        feed.take_writers_lock()  # before any row lock, as every writer (see there)
        existing = {
            (proposal.institution_id, proposal.ror_id): proposal
            for proposal in RorProposal.objects.select_for_update()
        }
        for match in matches:
            values = {
                "ror_name": match.record.display[:255],
                "record": match.record.raw,
                "match": match.kind,
                "matched_value": match.value[:255],
                "score": match.score,
                "ambiguous": match.ambiguous,
                "dump": dump.name[:255],
            }
            current = existing.get((match.institution.pk, match.record.id))
            if current is not None and current.status != ProposalStatus.PENDING:
                report.decided += 1
                continue
            if current is None:
                proposal = RorProposal(
                    institution=match.institution, ror_id=match.record.id, **values
                )
                if match.kind == RorMatch.ROR_ID and not plan(proposal).changes_anything:
                    continue  # the institution has all the record gives
                proposal.full_clean()
                proposal.save()
                report.created += 1
            elif any(getattr(current, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(current, name, value)
                current.full_clean()
                current.save()
                report.refreshed += 1
            else:
                report.unchanged += 1
            report.ambiguous += match.ambiguous
    return report


# --- deciding ------------------------------------------------------------------------------


def _check_decidable(proposal: RorProposal, user) -> None:
    if not may_decide(user):
        raise PermissionDenied("Accepting or rejecting ROR proposals needs the editor role.")
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError(f"This proposal was already {proposal.status}.")


def _decide(proposal, status, *, user, note, date) -> None:
    proposal.status = status
    proposal.decided_by = user
    proposal.decided_at = date
    proposal.decision_note = note
    proposal.full_clean()
    proposal.save()


def ror_proposal_accept(*, proposal: RorProposal, user=None, reason: str = "") -> Institution:
    """Accept a proposal: write its plan to the institution (and its new children), mark it
    accepted and the pending proposals it rules out (the institution's others, the same
    ROR record's for other institutions) rejected."""
    with transaction.atomic():
        feed.take_writers_lock()  # before any row lock, as every writer (see there)
        proposal = RorProposal.objects.select_for_update().get(pk=proposal.pk)
        _check_decidable(proposal, user)
        changes = plan(proposal)
        if changes.refusal:
            raise ValidationError(changes.refusal)
        reason = reason or f"Accepted ROR proposal {proposal.pk} ({proposal.dump})"
        institution = Institution.objects.get(pk=proposal.institution_id)
        if "sources" in changes.fields:
            _ensure_dump_source(proposal.dump, user=user, reason=reason)
        if changes.fields:
            institution = record_update(
                record=institution, fields=changes.fields, user=user, reason=reason
            )
        for child in changes.children:
            record_update(record=child, fields={"parent": institution}, user=user, reason=reason)
        date = timezone.now()
        _decide(
            proposal,
            ProposalStatus.ACCEPTED,
            user=user,
            note="; ".join(changes.notes),
            date=date,
        )
        ruled_out = RorProposal.objects.filter(status=ProposalStatus.PENDING).exclude(
            pk=proposal.pk
        )
        for other in ruled_out.filter(institution_id=proposal.institution_id):
            _decide(
                other,
                ProposalStatus.REJECTED,
                user=user,
                note=f"Proposal {proposal.pk} (ROR {proposal.ror_id}) was accepted instead.",
                date=date,
            )
        for other in ruled_out.filter(ror_id=proposal.ror_id):
            _decide(
                other,
                ProposalStatus.REJECTED,
                user=user,
                note=f"ROR {proposal.ror_id} was accepted for {institution.slug}.",
                date=date,
            )
        return institution


def ror_proposal_reject(*, proposal: RorProposal, user=None, reason: str = "") -> None:
    """Reject a proposal: nothing is written to the institution, and the import never files
    the same match again."""
    with transaction.atomic():
        feed.take_writers_lock()  # before any row lock, as every writer (see there)
        proposal = RorProposal.objects.select_for_update().get(pk=proposal.pk)
        _check_decidable(proposal, user)
        _decide(
            proposal,
            ProposalStatus.REJECTED,
            user=user,
            note=reason or "Rejected",
            date=timezone.now(),
        )
