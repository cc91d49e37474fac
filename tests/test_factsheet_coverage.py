"""Every entry of the fact sheet is a seed record, or fixtures/README.md says why it is not.

The fact sheet (fixtures/factsheet.md, a verbatim copy of ../shared/factsheet.md) numbers its
entries F-, P- and I-; fixtures/README.md holds one coverage table per kind
("## Fact-sheet coverage: facilities" …) with a row per key: the records that hold the entry
(``facility:nanoterasu, institution:qst``), or ``—`` and the reason it is left out. These
tests fail, naming each key, on an entry with no row, a row naming a record that no seed file
holds, a ``—`` row without a reason, and a key listed twice. Each kind is checked on its own
(``-k facilities``, ``-k programmes``, ``-k institutions``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
FACT_SHEET = FIXTURES / "factsheet.md"
COVERAGE = FIXTURES / "README.md"
#: The shared original the copy must equal (absent on a clean clone: that check is skipped).
SHARED_FACT_SHEET = Path(settings.BASE_DIR).parent / "shared" / "factsheet.md"

#: Each kind: the fact sheet's key prefix and the heading of its coverage table.
KINDS = {"facilities": "F", "programmes": "P", "institutions": "I"}
NO_RECORD = "—"  # em dash
REASON_PREFIX = "Left out:"

# An entry is a heading "#### F-01 NanoTerasu" or a table row "| F-33 | Shanghai … |".
ENTRY_HEADING = re.compile(r"^####\s+(?P<key>[FPI]-\d+)\b")
ENTRY_ROW = re.compile(r"^\|\s*(?P<key>[FPI]-\d+)\s*\|")
TABLE_ROW = re.compile(r"^\|(?P<cells>.*)\|\s*$")
RECORD = re.compile(r"^(?P<kind>[a-z]+):(?P<slug>[a-z0-9][a-z0-9-]*)$")
#: A records column's kind -> the seed files' model name, where the two differ.
MODEL_OF_KIND = {"field": "researchfield"}


@dataclass(frozen=True)
class Row:
    line: int
    key: str
    records: tuple[str, ...]  # "facility:nanoterasu", …; empty for "—"
    note: str
    raw_records: str


@cache
def fact_sheet_keys() -> tuple[str, ...]:
    keys = []
    for line in FACT_SHEET.read_text(encoding="utf-8").splitlines():
        match = ENTRY_HEADING.match(line) or ENTRY_ROW.match(line)
        if match:
            keys.append(match.group("key"))
    return tuple(keys)


def keys_of(kind: str) -> list[str]:
    return [key for key in fact_sheet_keys() if key.startswith(f"{KINDS[kind]}-")]


def coverage_rows(kind: str) -> list[Row]:
    """The rows of the README's table for ``kind`` (fails when the table is missing)."""
    heading = f"## Fact-sheet coverage: {kind}"
    lines = COVERAGE.read_text(encoding="utf-8").splitlines()
    starts = [number for number, line in enumerate(lines) if line.strip() == heading]
    assert starts, f"fixtures/README.md has no table headed {heading!r}"
    assert len(starts) == 1, f"fixtures/README.md has {len(starts)} tables headed {heading!r}"
    rows = []
    for number in range(starts[0] + 1, len(lines)):
        line = lines[number]
        if line.startswith("#"):
            break  # the next section
        match = TABLE_ROW.match(line.strip())
        if not match:
            continue
        cells = [cell.strip() for cell in match.group("cells").split("|")]
        if cells[0] in {"key", ""} or set(cells[0]) <= {"-", ":"}:
            continue  # the header and its separator
        assert len(cells) == 3, (
            f"fixtures/README.md line {number + 1}: a row has three cells "
            f"(key | records | reason left out / note): {line!r}"
        )
        key, records, note = cells
        listed = () if records == NO_RECORD else tuple(r.strip() for r in records.split(","))
        rows.append(Row(number + 1, key, listed, note, records))
    return rows


@cache
def seed_records() -> frozenset[tuple[str, str]]:
    """(model name, slug) of every record in fixtures/*.json."""
    found = set()
    for path in sorted(FIXTURES.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            slug = entry.get("fields", {}).get("slug")
            if slug:
                found.add((entry["model"].split(".")[-1], slug))
    return frozenset(found)


@pytest.fixture(params=list(KINDS))
def kind(request):
    return request.param


def test_the_fact_sheet_has_entries_of_every_kind(kind):
    keys = keys_of(kind)
    assert keys, f"no {KINDS[kind]}- entry found in {FACT_SHEET}"
    assert len(keys) == len(set(keys)), "the fact sheet numbers an entry twice"


def test_every_fact_sheet_entry_has_a_row(kind):
    listed = {row.key for row in coverage_rows(kind)}
    missing = [key for key in keys_of(kind) if key not in listed]
    assert missing == [], f"fact-sheet entries with no row in the {kind} table: {missing}"


def test_every_row_is_a_fact_sheet_entry_of_its_kind(kind):
    known = set(keys_of(kind))
    strays = [f"line {row.line}: {row.key}" for row in coverage_rows(kind) if row.key not in known]
    assert strays == [], f"rows of the {kind} table that are no {KINDS[kind]}- entry: {strays}"


def test_no_entry_is_listed_twice(kind):
    counts = Counter(row.key for row in coverage_rows(kind))
    twice = sorted(key for key, count in counts.items() if count > 1)
    assert twice == [], f"entries listed more than once in the {kind} table: {twice}"


def test_every_named_record_is_in_the_seed_files(kind):
    problems = []
    for row in coverage_rows(kind):
        for record in row.records:
            match = RECORD.match(record)
            if not match:
                problems.append(f"{row.key}: {record!r} is not <kind>:<slug>")
                continue
            model = MODEL_OF_KIND.get(match.group("kind"), match.group("kind"))
            if (model, match.group("slug")) not in seed_records():
                problems.append(f"{row.key}: {record} is in no fixtures/*.json")
    assert problems == [], f"the {kind} table names records the seed files lack: {problems}"


def test_every_left_out_entry_says_why(kind):
    problems = []
    for row in coverage_rows(kind):
        if not row.raw_records:
            problems.append(f"{row.key}: no records and no {NO_RECORD}")
        elif not row.records and not (
            row.note.startswith(REASON_PREFIX) and len(row.note) > len(REASON_PREFIX) + 10
        ):
            problems.append(f"{row.key}: left out without a reason ({row.note!r})")
    assert problems == [], f"the {kind} table leaves entries out unexplained: {problems}"


def test_the_fact_sheet_copy_is_the_shared_fact_sheet():
    if not SHARED_FACT_SHEET.is_file():
        pytest.skip(f"{SHARED_FACT_SHEET} is not next to the project")
    assert FACT_SHEET.read_bytes() == SHARED_FACT_SHEET.read_bytes(), (
        "fixtures/factsheet.md differs from ../shared/factsheet.md: copy it again, verbatim"
    )
