"""Citations of the old format converted to citations of source records (``convert_citations``).

Before sources were records, a citation named its document itself: a seed file and its lines
(``{"title": …, "document": "seeds/004_972bf78de6d42bb8.txt:4800-4801", "passage": …,
"date"?: …}``) or a website (``{"title": …, "url": "https://…"}``). A database seeded then
still holds them, in its records' ``sources`` and in its successions'. Each becomes
``{"source": <slug>, "locator": "lines 4800–4801", "passage": …}`` as the seed files were
converted (the same sources, the same locator wording): a seed file names the source record
that :data:`SEED_DOCUMENTS` gives, a website the ``website-*`` source record with that URL
(``locator`` "website"). Nothing is guessed: a citation that cannot be mapped exactly (an
unknown file, no source record with that URL, a date that is not the source's, a key the new
format has no place for) is reported with its record and left as it is, and so are the
citations written with it: the record's own (a list is written whole, and the validator
refuses the old format: nothing of that record is written then), or all its successions'.

Each record is written through ``record_update`` (one history entry, one change event), its
successions with it when it is their predecessor; a write that would change anything besides
the citations is undone and reported. Running it again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from directory.models import Source, Succession
from directory.services.records import DERIVED_FIELDS, SuccessionLink, record_update

REASON = "Citations converted to source records"

#: The seed documents the old citations name by file (the table of fixtures/factsheet.md),
#: and the source record each is (fixtures/sources.json): the mapping the seed files'
#: own conversion used, every citation of each file to this one source (commit ce816be).
SEED_DOCUMENTS = {
    "000_479be188746a4a15.txt": "harwell-uk-japan-web-article",
    "001_0b0baf97f8f31bd4.txt": "takata-nanoterasu-coalition-essay",
    "002_a45a7a73fcd84577.txt": "mext-quantum-technology-diplomacy-2018",
    "003_294f004cc8471b51.txt": "jst-qst-koyasu-interview-2023",
    "004_972bf78de6d42bb8.txt": "crds-nanotech-materials-panoramic-view-2023",
}
#: "seeds/004_972bf78de6d42bb8.txt:4800-4801": the file, its first line and its last
DOCUMENT = re.compile(r"^(?:.*/)?(?P<file>[^/:]+):(?P<first>[0-9]+)(?:-(?P<last>[0-9]+))?$")
#: What an old citation may hold besides its document or URL (the title is the document's,
#: now the source record's; the date too, and it must be the source's)
DOCUMENT_KEYS = {"title", "document", "passage", "date"}
WEBSITE_KEYS = {"title", "url"}
#: The prefix of the source records that stand for a website cited as a whole
WEBSITE_PREFIX = "website-"


class Unmapped(Exception):
    """A citation that cannot be converted exactly (the message says why)."""


@dataclass
class Problem:
    record: str
    message: str


@dataclass
class Report:
    #: records written (converted citations of their own or of their successions)
    records: int = 0
    #: citations converted: of records, of successions
    citations: int = 0
    link_citations: int = 0
    #: records with old citations that could not all be converted: left as they are
    problems: list[Problem] = field(default_factory=list)
    #: "<kind> <slug>" of each record written
    converted: list[str] = field(default_factory=list)


def is_old(citation) -> bool:
    """A citation of the old format: it names no source record."""
    return not (isinstance(citation, dict) and "source" in citation)


def _needs_conversion(citations) -> bool:
    """Citations that are not all in the current format (or not a list of citations)."""
    return not isinstance(citations, list) or any(is_old(item) for item in citations)


class Sources:
    """The source records a conversion may name, read once."""

    def __init__(self):
        rows = Source._base_manager.values_list(
            "slug", "url", "published_on", "published_on_precision"
        )
        self.dates = {}
        self.websites: dict[str, list[str]] = {}
        for slug, url, published_on, precision in rows:
            self.dates[slug] = date_text(published_on, precision)
            if slug.startswith(WEBSITE_PREFIX) and url:
                self.websites.setdefault(url, []).append(slug)

    def convert(self, citation) -> dict:
        """The citation in the current format, or :class:`Unmapped`."""
        if not isinstance(citation, dict):
            raise Unmapped(f"{citation!r} is not a citation")
        if "document" in citation:
            return self._document(citation)
        if "url" in citation:
            return self._website(citation)
        raise Unmapped(f"{_shown(citation)} names neither a seed document nor a website")

    def _document(self, citation) -> dict:
        extra = set(citation) - DOCUMENT_KEYS
        if extra:
            raise Unmapped(f"{_shown(citation)} has {', '.join(sorted(extra))}: no place for it")
        found = DOCUMENT.match(str(citation["document"]))
        if found is None:
            raise Unmapped(f"{citation['document']!r} names no file and line")
        slug = SEED_DOCUMENTS.get(found["file"])
        if slug is None:
            raise Unmapped(f"{found['file']} is not a seed document with a source record")
        if slug not in self.dates:
            raise Unmapped(f"source record {slug} (for {found['file']}) does not exist")
        date = citation.get("date")
        if date not in (None, "") and date != self.dates[slug]:
            raise Unmapped(
                f"{citation['document']!r} is dated {date}, the source {slug} "
                f"{self.dates[slug] or 'is undated'}"
            )
        first, last = found["first"], found["last"]
        locator = f"line {first}" if last in (None, first) else f"lines {first}–{last}"
        return _citation(slug, locator, citation.get("passage"))

    def _website(self, citation) -> dict:
        extra = set(citation) - WEBSITE_KEYS
        if extra:
            raise Unmapped(f"{_shown(citation)} has {', '.join(sorted(extra))}: no place for it")
        slugs = self.websites.get(citation["url"], [])
        if len(slugs) != 1:
            found = "no" if not slugs else f"{len(slugs)}"
            raise Unmapped(f"{found} {WEBSITE_PREFIX}* source record(s) with URL {citation['url']}")
        return _citation(slugs[0], "website", None)

    def convert_list(self, citations) -> tuple[list, int]:
        """The list with its old citations converted and how many there were; Unmapped
        (naming every citation that cannot be) when one cannot."""
        if not isinstance(citations, list):
            raise Unmapped("the sources are not a list of citations")
        converted, count, problems = [], 0, []
        for citation in citations:
            if not is_old(citation):
                converted.append(citation)
                continue
            try:
                converted.append(self.convert(citation))
                count += 1
            except Unmapped as error:
                problems.append(str(error))
        if problems:
            raise Unmapped("; ".join(problems))
        return converted, count


def date_text(published_on, precision) -> str:
    """A source's date as an old citation gave it: ISO 8601 to its precision ("" undated)."""
    if published_on is None:
        return ""
    text = published_on.isoformat()
    return {"year": text[:4], "month": text[:7]}.get(precision, text)


def _citation(slug: str, locator: str, passage) -> dict:
    result = {"source": slug, "locator": locator}
    if passage:
        result["passage"] = passage
    return result


def _shown(citation) -> str:
    return str({key: citation[key] for key in sorted(citation) if key != "passage"})


def _models():
    from directory.services.seeding import history_models

    return [model for model in history_models() if _has_sources(model)]


def _has_sources(model) -> bool:
    return any(f.name == "sources" for f in model._meta.concrete_fields)


def _succession_fields(model) -> list:
    """The relations through which ``model``'s records write their successions."""
    return [
        relation
        for relation in model._meta.many_to_many
        if issubclass(relation.remote_field.through, Succession)
    ]


def _link_values(relation, record) -> list:
    through = relation.remote_field.through
    target = relation.m2m_reverse_field_name()
    rows = through._base_manager.filter(**{relation.m2m_field_name(): record.pk})
    columns = [f"{target}_id", *(name for name in through.LINK_DATA if name != "sources")]
    return sorted(rows.values_list(*columns))


class _Undone(Exception):
    """The write changed more than the citations: undone."""


def convert_citations(*, apply: bool = False) -> Report:
    """Convert every old citation that maps exactly; with ``apply`` false, only say what it
    would do (everything is rolled back)."""
    report = Report()
    with transaction.atomic():
        sources = Sources()
        for model in _models():
            _convert_model(model, sources, report)
        if not apply:
            transaction.set_rollback(True)
    return report


def _convert_model(model, sources: Sources, report: Report) -> None:
    relations = _succession_fields(model)
    wanted = set()
    for pk, citations in (
        model._base_manager.filter(is_synthetic=False).values_list("pk", "sources").iterator()
    ):
        if _needs_conversion(citations):
            wanted.add(pk)
    for relation in relations:
        through = relation.remote_field.through
        owner = f"{relation.m2m_field_name()}_id"
        for pk, citations in through._base_manager.values_list(owner, "sources").iterator():
            if _needs_conversion(citations):
                wanted.add(pk)
    records = model._base_manager.filter(pk__in=wanted, is_synthetic=False).order_by("pk")
    for record in records:
        _convert_record(record, relations, sources, report)


def _convert_record(record, relations, sources: Sources, report: Report) -> None:
    shown = f"{record._meta.model_name} {record.slug}"
    fields, links, problems = {}, {}, []
    own = in_links = 0
    own_unmapped = False
    try:
        converted, own = sources.convert_list(record.sources)
    except Unmapped as error:
        problems.append(f"sources: {error}")
        own_unmapped = True
    else:
        if own:
            fields["sources"] = converted
    for relation in relations:
        through = relation.remote_field.through
        target = relation.m2m_reverse_field_name()
        rows = through._base_manager.filter(**{relation.m2m_field_name(): record.pk})
        new_links, count, failed = [], 0, False
        for row in rows.select_related(target).order_by("pk"):
            successor = getattr(row, target)
            try:
                converted, converted_here = sources.convert_list(row.sources)
            except Unmapped as error:
                problems.append(f"{relation.name} → {successor.slug}: {error}")
                failed = True
                continue
            count += converted_here
            values = {name: getattr(row, name) for name in through.LINK_DATA}
            new_links.append(SuccessionLink.of(successor, {**values, "sources": converted}))
        if count and not failed:  # the relation is written whole, or not at all
            links[relation.name] = new_links
            in_links += count
    report.problems.extend(Problem(shown, message) for message in problems)
    if own_unmapped:
        return  # its own citations stay old, and the validator refuses any write of it then
    if not fields and not links:
        return
    before = _state(record, relations)
    try:
        with transaction.atomic():
            record_update(record=record, fields=fields, relations=links, reason=REASON)
            if _state(record, relations) != before:
                raise _Undone
    except _Undone:
        report.problems.append(
            Problem(shown, "the write would change more than its citations: not written")
        )
        return
    except ValidationError as error:
        report.problems.append(Problem(shown, f"not written: {'; '.join(error.messages)}"))
        return
    report.records += 1
    report.citations += own
    report.link_citations += in_links
    report.converted.append(shown)


def _state(record, relations) -> tuple:
    """What a conversion must leave as it is of ``record``, as stored: its fields but the
    citations and the derived ones (version, timestamps, search key), and its successions'
    values but their citations."""
    stored = type(record)._base_manager.get(pk=record.pk)
    fields = {
        f.attname: f.value_from_object(stored)
        for f in type(record)._meta.concrete_fields
        if f.name not in DERIVED_FIELDS and f.name != "sources"
    }
    return fields, [_link_values(relation, stored) for relation in relations]
