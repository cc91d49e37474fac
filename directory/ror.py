"""Reading a ROR data dump (schema v2) and matching its records to the directory's institutions.

ROR publishes its whole registry on Zenodo (https://doi.org/10.5281/zenodo.6347574) as a
zip holding ``v<version>-<date>-ror-data.json`` and a CSV of the same records. Releases 1.45
to 1.74 held two JSON files: schema v1 without a suffix and schema v2 as
``…-ror-data_schema_v2.json``; later releases hold v2 only (https://ror.readme.io/docs/data-dump).

Each record (https://ror.readme.io/docs/ror-data-structure) has an ``id``
(``https://ror.org/0…``), ``names`` (``value``, ``types``: ror_display / label / alias /
acronym, ``lang``), ``relationships`` (parent / child / related / successor / predecessor,
each with an ``id`` and ``label``), ``locations`` (``geonames_details.country_code``),
``external_ids`` (wikidata / isni / fundref / grid, each ``all`` and ``preferred``) and a
``status`` (active / inactive / withdrawn).

Nothing here writes: :func:`match_institutions` only says which records look like which
institutions, and how strongly (directory.services.identifiers files them as proposals).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from directory.choices import RorMatch
from directory.search import normalise
from directory.validators import normalise_ror_id

#: How strong each kind of match is (a proposal's score).
SCORES = {
    RorMatch.ROR_ID: 100,
    RorMatch.NAME: 95,
    RorMatch.NAME_JA: 95,
    RorMatch.ALIAS: 80,
    RorMatch.ACRONYM: 60,
}
#: Abbreviations that names are written with or without ("Tohoku Univ." is Tohoku University).
_ABBREVIATIONS = {"univ": "university", "inst": "institute", "natl": "national"}
_WORD = re.compile(r"[^\W_]+\.?", re.UNICODE)


class RorDumpError(ValueError):
    """The file is not a ROR schema-v2 dump; the message says why."""


def match_key(text: str | None) -> str:
    """A name folded for matching: the search key's folding (case, accents, punctuation,
    dashes, full-width forms), with "Univ." read as "University", "&" as "and" and a
    leading "The" dropped."""
    if not text:
        return ""
    words = [word.rstrip(".") for word in _WORD.findall(text.replace("&", " and "))]
    words = [_ABBREVIATIONS.get(word.casefold(), word) for word in words]
    if len(words) > 1 and words[0].casefold() == "the":
        words = words[1:]
    return normalise(" ".join(words)) or normalise(text)


@dataclass(frozen=True)
class RorRecord:
    """What matching and accepting need of one record; ``raw`` is the record itself."""

    id: str  # the bare id, 0 and 8 characters
    display: str
    labels: tuple[tuple[str, str], ...]  # (value, lang)
    aliases: tuple[str, ...]
    acronyms: tuple[str, ...]
    country: str | None
    status: str
    raw: dict = field(compare=False, hash=False)

    @property
    def url(self) -> str:
        return f"https://ror.org/{self.id}"

    def japanese_labels(self) -> list[str]:
        return [value for value, lang in self.labels if lang in ("ja", "jpn")]

    def external_id(self, kind: str) -> str | None:
        """The preferred identifier of a kind (wikidata, isni, fundref), or the only one."""
        for entry in self.raw.get("external_ids") or []:
            if not isinstance(entry, dict) or entry.get("type") != kind:
                continue
            if entry.get("preferred"):
                return str(entry["preferred"])
            values = [str(value) for value in entry.get("all") or [] if value]
            return values[0] if len(values) == 1 else None
        return None

    def related(self, kind: str) -> list[str]:
        """The bare ROR ids of its relationships of one type (parent, child, …)."""
        found = []
        for relation in self.raw.get("relationships") or []:
            if isinstance(relation, dict) and str(relation.get("type", "")).lower() == kind:
                ror_id = normalise_ror_id(str(relation.get("id") or ""))
                if ror_id:
                    found.append(ror_id)
        return found


def parse_record(raw, position: int) -> RorRecord:
    if not isinstance(raw, dict) or "id" not in raw:
        raise RorDumpError(f"Record {position} is not a ROR record (no id).")
    if not isinstance(raw.get("names"), list):
        raise RorDumpError(
            f"Record {position} ({raw.get('id')}) has no names list: this is not ROR schema v2 "
            "(a v1 dump has name/aliases/labels instead); use the v2 file of the dump."
        )
    ror_id = normalise_ror_id(str(raw["id"]))
    display, labels, aliases, acronyms = "", [], [], []
    for name in raw["names"]:
        if not isinstance(name, dict) or not isinstance(name.get("value"), str):
            continue
        value, types, lang = name["value"].strip(), name.get("types") or [], name.get("lang")
        if "ror_display" in types:
            display = value
        if "label" in types or "ror_display" in types:
            labels.append((value, lang or ""))
        if "alias" in types:
            aliases.append(value)
        if "acronym" in types:
            acronyms.append(value)
    country = None
    for location in raw.get("locations") or []:
        details = location.get("geonames_details") if isinstance(location, dict) else None
        if isinstance(details, dict) and details.get("country_code"):
            country = str(details["country_code"]).upper()
            break
    return RorRecord(
        id=ror_id or "",
        display=display or (labels[0][0] if labels else ""),
        labels=tuple(labels),
        aliases=tuple(aliases),
        acronyms=tuple(acronyms),
        country=country,
        status=str(raw.get("status") or "active"),
        raw=raw,
    )


@dataclass
class Dump:
    """The records of one dump and the name it is known by (its JSON file's name)."""

    name: str
    records: list[RorRecord]

    @property
    def date(self) -> str | None:
        found = re.search(r"\d{4}-\d{2}-\d{2}", self.name)
        return found.group(0) if found else None


def _json_member(archive: zipfile.ZipFile) -> str:
    names = [name for name in archive.namelist() if name.lower().endswith(".json")]
    if not names:
        raise RorDumpError("The zip holds no .json file: is it a ROR data dump?")
    # Releases 1.45–1.74 hold a schema-v1 file beside the "_schema_v2" one; later ones v2 only.
    names.sort(key=lambda name: ("schema_v2" not in name, "ror-data" not in name, name))
    return names[0]


def read_dump(path: str | Path) -> Dump:
    """The records of a ROR dump: the zip as Zenodo gives it, or its JSON file."""
    path = Path(path)
    if not path.exists():
        raise RorDumpError(f"{path} does not exist.")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                name = _json_member(archive)
                with archive.open(name) as stream:
                    data = json.load(stream)
        else:
            name = path.name
            with path.open("rb") as stream:
                data = json.load(stream)
    except (ValueError, UnicodeDecodeError) as error:
        raise RorDumpError(f"{path.name} is not readable JSON: {error}") from None
    if not isinstance(data, list):
        raise RorDumpError(f"{name} is not a list of ROR records.")
    records = [parse_record(raw, position) for position, raw in enumerate(data, start=1)]
    return Dump(name=Path(name).name, records=records)


# --- matching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A ROR record that looks like an institution, and why."""

    institution: object
    record: RorRecord
    kind: str
    value: str
    ambiguous: bool = False

    @property
    def score(self) -> int:
        return SCORES[self.kind]


def _index(records: Iterable[RorRecord]):
    names, japanese, any_name, acronyms = (defaultdict(list) for _ in range(4))
    for record in records:
        for value, lang in record.labels:
            if lang in ("ja", "jpn"):
                japanese[normalise(value)].append(record)
            else:
                names[match_key(value)].append(record)
            any_name[match_key(value)].append(record)
        for alias in record.aliases:
            any_name[match_key(alias)].append(record)
        for acronym in record.acronyms:
            acronyms[(normalise(acronym), record.country)].append(record)
    return names, japanese, any_name, acronyms


def _candidates(institution, indexes) -> dict[str, Match]:
    """The records matching one institution: for each, its strongest kind of match."""
    names, japanese, any_name, acronyms = indexes
    country = institution.country_id
    found: dict[str, Match] = {}

    def offer(records, kind, value):
        for record in records:
            if record.country and country and record.country != country:
                continue  # the same name in another country is another body
            current = found.get(record.id)
            if current is None or SCORES[kind] > current.score:
                found[record.id] = Match(institution, record, kind, value)

    offer(names.get(match_key(institution.name), []), RorMatch.NAME, institution.name)
    if institution.name_ja:
        offer(
            japanese.get(normalise(institution.name_ja), []), RorMatch.NAME_JA, institution.name_ja
        )
    for term in [institution.name, *(institution.aliases or [])]:
        offer(any_name.get(match_key(term), []), RorMatch.ALIAS, term)
    if institution.acronym:
        offer(
            acronyms.get((normalise(institution.acronym), country), []),
            RorMatch.ACRONYM,
            institution.acronym,
        )
    return found


def match_institutions(records: list[RorRecord], institutions: Iterable) -> list[Match]:
    """Each institution's best-matching ROR records (withdrawn records never match).

    An institution that holds a ROR id matches only that record. Otherwise the records
    matching it at its strongest kind of match are kept; a record another institution holds
    is left out. Several records for one institution, or one record for several
    institutions, are marked ambiguous.
    """
    usable = [record for record in records if record.id and record.status != "withdrawn"]
    by_id = {record.id: record for record in usable}
    institutions = list(institutions)
    held = {institution.ror_id for institution in institutions if institution.ror_id}
    indexes = _index(record for record in usable if record.id not in held)
    matches: list[Match] = []
    for institution in institutions:
        if institution.ror_id:
            if institution.ror_id in by_id:
                matches.append(
                    Match(
                        institution, by_id[institution.ror_id], RorMatch.ROR_ID, institution.ror_id
                    )
                )
            continue
        found = _candidates(institution, indexes)
        if not found:
            continue
        best = max(match.score for match in found.values())
        kept = [match for match in found.values() if match.score == best]
        matches.extend(
            Match(m.institution, m.record, m.kind, m.value, ambiguous=len(kept) > 1) for m in kept
        )
    per_record: dict[str, int] = defaultdict(int)
    for match in matches:
        per_record[match.record.id] += 1
    return [
        Match(m.institution, m.record, m.kind, m.value, ambiguous=True)
        if per_record[m.record.id] > 1 and not m.ambiguous
        else m
        for m in matches
    ]
