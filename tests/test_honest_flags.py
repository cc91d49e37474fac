"""Honest flags: every doubtful or general-knowledge fact sits on a record that says so.

The fact sheet's ⚠ list (section 6 of fixtures/factsheet.md) is read item by item with its seed
lines; fixtures/doubtful.md says, for each item, which records, role links and successions state
the fact (they must be flagged: ``needs_review``, a note, no ``last_verified_on``; a succession,
which has no flag of its own, through both its ends) and which cite one of its lines for another
fact. A record, role link or succession that cites a ⚠ line and is neither flagged nor explained
fails, so a new record, or a removed flag, cannot slip through. Fixture citations name a source
record and a locator (``{"source": …, "locator": "lines 4800–4801", "passage": …}``): the five
seed documents' source records are mapped back to their seed files by the table
convert_citations converts old citations with (``SEED_DOCUMENTS``). A role link that needs
review is shown flagged on both ends through the API of the seeded directory.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from directory import services
from directory.services.citation_conversion import SEED_DOCUMENTS
from tests import factories

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

#: A seed line in the fact sheet: ``004_972bf78de6d42bb8.txt:4916-4918``.
FACTSHEET_LOCATOR = re.compile(r"\b(\d{3})_[0-9a-f]+\.txt:(\d+)(?:-(\d+))?")
#: The seed document ("004") each seed source record is, by slug: convert_citations' table.
SEED_SOURCES = {slug: file.split("_", 1)[0] for file, slug in SEED_DOCUMENTS.items()}
#: The locator of a citation of a seed source: ``line 43``, ``lines 2155–2157``.
LINE_LOCATOR = re.compile(r"^lines? (\d+)(?:–(\d+))?$")
#: A seed line in a role link's note: ``(001:63, 001:71)``.
NOTE_LOCATOR = re.compile(r"\b(00\d):(\d+)(?:-(\d+))?")
#: A record, role link or succession key in fixtures/doubtful.md.
KEY = re.compile(
    r"\b((?:facility|programme)role:[\w-]+/[\w-]+/[\w-]+"
    r"|[a-z]+succession:[\w-]+/[\w-]+|[a-z]+:[\w-]+)"
)


def _spans(matches) -> list[tuple[str, int, int]]:
    return [(doc, int(first), int(last or first)) for doc, first, last in matches]


def _overlap(a, b) -> bool:
    return a[0] == b[0] and a[1] <= b[2] and b[1] <= a[2]


@dataclass
class Doubt:
    number: int
    title: str
    lines: list[tuple[str, int, int]]


@dataclass
class Entry:
    """A fixture record, role link or succession, with the seed lines it cites."""

    key: str
    fields: dict
    lines: list[tuple[str, int, int]] = field(default_factory=list)
    #: a succession's two ends (``facility:jt-60``, ``facility:jt-60sa``)
    ends: tuple[str, ...] = ()

    @property
    def is_link(self) -> bool:
        return self.key.startswith(("facilityrole:", "programmerole:"))

    def flag_problems(self, known: dict[str, Entry]) -> list[str]:
        """Why this entry is not honestly flagged (empty: it is). A succession has no flag of
        its own: it is flagged when both its ends are."""
        if self.ends:
            return [
                f"its end {end}: {p}" for end in self.ends for p in known[end].flag_problems(known)
            ]
        if self.is_link:
            if not self.fields.get("needs_review"):
                return ["needs_review is not set"]
            return [] if self.fields.get("note", "").strip() else ["its note is empty"]
        problems = []
        if not self.fields.get("needs_review"):
            problems.append("needs_review is not set")
        if not self.fields.get("review_note", "").strip():
            problems.append("review_note is empty")
        if self.fields.get("last_verified_on"):
            problems.append(f"it is marked verified on {self.fields['last_verified_on']}")
        return problems


def seed_lines(citations) -> list[tuple[str, int, int]]:
    """The seed lines that fixture citations cite: a citation of one of the seed documents'
    source records, by its locator; a locator that names no line fails."""
    found = []
    for citation in citations or []:
        document = SEED_SOURCES.get(citation["source"])
        if document is None:  # a website, cited as a whole
            continue
        lines = LINE_LOCATOR.match(citation["locator"])
        assert lines, f"{citation['source']}: locator {citation['locator']!r} names no line"
        found.append((document, int(lines[1]), int(lines[2] or lines[1])))
    return found


def doubts() -> list[Doubt]:
    text = (FIXTURES / "factsheet.md").read_text(encoding="utf-8")
    section = text.split("\n## 6. ", 1)[1].split("\n## 7. ", 1)[0]
    found: list[Doubt] = []
    for line in section.splitlines():
        heading = re.match(r"^(\d+)\. \*\*(.+?)\*\*", line)
        if heading:
            found.append(Doubt(int(heading[1]), heading[2], []))
        if found:  # an item's sub-bullets (item 41's typos) belong to it
            found[-1].lines += _spans(FACTSHEET_LOCATOR.findall(line))
    return found


def entries() -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for path in sorted(FIXTURES.glob("*.json")):
        for obj in json.loads(path.read_text(encoding="utf-8")):
            model, fields = obj["model"].split(".")[1], obj["fields"]
            if "slug" in fields:
                key = f"{model}:{fields['slug']}"
                found[key] = Entry(key, fields, seed_lines(fields.get("sources")))
            elif model.endswith("role"):
                owner = fields.get("facility", fields.get("programme"))[0]
                key = f"{model}:{owner}/{fields['institution'][0]}/{fields['role']}"
                found[key] = Entry(key, fields, _spans(NOTE_LOCATOR.findall(fields["note"])))
            elif model.endswith("succession"):
                kind = model.removesuffix("succession")
                ends = (f"{kind}:{fields['predecessor'][0]}", f"{kind}:{fields['successor'][0]}")
                key = f"{model}:{fields['predecessor'][0]}/{fields['successor'][0]}"
                found[key] = Entry(key, fields, seed_lines(fields.get("sources")), ends)
    return found


def decisions() -> dict[int, tuple[list[str], set[str]]]:
    """By ⚠ item: the keys flagged, and the keys explained as citing the line for another fact."""
    rows: dict[int, tuple[list[str], set[str]]] = {}
    for line in (FIXTURES / "doubtful.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].isdigit():
            continue
        number = int(cells[0])
        assert number not in rows, f"⚠ {number} has two rows in fixtures/doubtful.md"
        explained = set(KEY.findall(cells[2]))
        reason = re.sub(r"[^\w\s]", " ", KEY.sub("", cells[2])).split()
        assert not explained or len(reason) >= 3, (
            f"⚠ {number}: say why the records in the last column are not flagged"
        )
        rows[number] = ([] if cells[1] == "—" else KEY.findall(cells[1]), explained)
    return rows


def test_every_doubtful_item_has_a_row():
    items = {doubt.number for doubt in doubts()}
    assert len(items) == 43, "section 6 of the fact sheet should list 43 items"
    rows = set(decisions())
    assert items - rows == set(), "⚠ items with no row in fixtures/doubtful.md"
    assert rows - items == set(), "rows in fixtures/doubtful.md for no ⚠ item"


def test_the_fixtures_cite_the_seed_documents_by_their_source_records():
    """The lines are read back through convert_citations' table: each seed file the fact sheet
    names is in it, each of its sources is in sources.json, and the fixtures' citations of
    them are read as seed lines (records and successions alike), none as citing nothing."""
    factsheet = (FIXTURES / "factsheet.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b\d{3}_[0-9a-f]+\.txt\b", factsheet))
    assert named == set(SEED_DOCUMENTS)
    sources = json.loads((FIXTURES / "sources.json").read_text(encoding="utf-8"))
    assert set(SEED_SOURCES) <= {obj["fields"]["slug"] for obj in sources}
    known = entries()
    citing = [entry for entry in known.values() if entry.lines and not entry.is_link]
    assert {document for entry in citing for document, _, _ in entry.lines} == set(
        SEED_SOURCES.values()
    )
    assert any(entry.ends for entry in citing), "successions cite seed lines too"


def test_records_stating_a_doubtful_fact_are_flagged():
    known = entries()
    problems = []
    for number, (flagged, _explained) in sorted(decisions().items()):
        for key in flagged:
            if key not in known:
                problems.append(f"⚠ {number}: {key} is not in fixtures/")
                continue
            problems += [f"⚠ {number}: {key}: {p}" for p in known[key].flag_problems(known)]
    assert problems == []


def names_item(note: str, number: int) -> bool:
    """Whether a note names fact sheet ⚠ item ``number``: "§6 item 7", "§6 items 2, 7"."""
    return any(
        str(number) in re.findall(r"\d+", listed)
        for listed in re.findall(r"§6 items? (\d+(?:(?:, | and )\d+)*)", note)
    )


def test_flagged_records_name_the_doubtful_fact():
    """A curator reading a flagged record learns which doubt it carries: its review note (a
    role link's note; a succession's through its ends) names the ⚠ item it states."""
    known = entries()
    problems = []
    for number, (flagged, _explained) in sorted(decisions().items()):
        for key in flagged:
            entry = known[key]
            ends = [known[end] for end in entry.ends] or [entry]
            notes = [end.fields.get("review_note") or end.fields.get("note") or "" for end in ends]
            if not all(names_item(note, number) for note in notes):
                problems.append(f"⚠ {number}: {key}: its note does not name §6 item {number}")
    assert problems == []


def test_names_item_reads_the_forms_the_notes_use():
    assert names_item("is an OCR slip (factsheet §6 item 16); check", 16)
    assert names_item("(§6 items 2, 7)", 7) and names_item("§6 items 9 and 17", 17)
    assert not names_item("(§6 item 16)", 1) and not names_item("§6 item 22", 2)
    assert not names_item("item 16 of the list", 16)


def test_records_citing_a_doubtful_line_are_flagged_or_explained():
    known = entries()
    rows = decisions()
    problems = []
    for doubt in doubts():
        _flagged, explained = rows.get(doubt.number, ([], set()))
        for entry in known.values():
            if not any(_overlap(cited, line) for cited in entry.lines for line in doubt.lines):
                continue
            if entry.key in explained:
                continue
            # Not explained: it must be flagged (for this fact, or with it among others).
            problems += [
                f"⚠ {doubt.number} ({doubt.title}): {entry.key} cites its line and {p}"
                for p in entry.flag_problems(known)
            ]
    assert problems == []


def test_general_knowledge_is_never_marked_verified():
    known = entries()
    problems = []
    for entry in known.values():
        if entry.is_link or entry.ends:
            says = " ".join(entry.fields.get(name) or "" for name in ("note", "note_ja"))
        else:
            says = " ".join(
                entry.fields.get(name) or ""
                for name in ("review_note", "description", "description_ja")
            )
        if "general knowledge" in says.lower():
            problems += [f"{entry.key}: {p}" for p in entry.flag_problems(known)]
    assert problems == []


def flagged_links() -> list[Entry]:
    return [
        entry for entry in entries().values() if entry.is_link and entry.fields.get("needs_review")
    ]


def test_flagged_links_flag_both_ends_in_the_fixtures():
    known = entries()
    assert flagged_links(), "the seed data has role links that rest on general knowledge"
    problems = []
    for link in flagged_links():
        kind = link.key.split("role:")[0]
        owner, institution, _role = link.key.split(":", 1)[1].split("/")
        for end in (f"{kind}:{owner}", f"institution:{institution}"):
            problems += [f"{link.key}: {end}: {p}" for p in known[end].flag_problems(known)]
    assert problems == []


@pytest.mark.django_db
def test_flagged_links_are_shown_flagged_on_both_ends(seed_data, api):
    """Through HTTP on the seeded directory: the link says needs_review at the facility or
    programme and at the institution, and both records say needs_review."""
    resources = {
        "facility": ("facilities", "facilities"),
        "programme": ("programmes", "programmes"),
    }
    for link in flagged_links():
        kind = link.key.split("role:")[0]
        owner, institution, role = link.key.split(":", 1)[1].split("/")
        resource, on_institution = resources[kind]
        owner_answer = api.get(f"/api/v1/{resource}/{owner}/").json()
        institution_answer = api.get(f"/api/v1/institutions/{institution}/").json()
        at_owner = [
            shown
            for item in owner_answer["institutions"]
            for shown in item["roles"]
            if item["slug"] == institution and shown["role"] == role
        ]
        at_institution = [
            shown
            for item in institution_answer[on_institution]
            for shown in item["roles"]
            if item["slug"] == owner and shown["role"] == role
        ]
        assert len(at_owner) == len(at_institution) == 1, link.key
        for shown in (*at_owner, *at_institution):
            assert shown["needs_review"] is True, link.key
            assert shown["note"] == link.fields["note"], link.key
        assert owner_answer["needs_review"] is True, link.key
        assert institution_answer["needs_review"] is True, link.key
        assert owner_answer["last_verified_on"] is None, link.key
        assert institution_answer["last_verified_on"] is None, link.key


@pytest.mark.django_db
def test_an_unflagged_link_says_so(seed_data, api):
    answer = api.get("/api/v1/facilities/nanoterasu/").json()
    qst = next(item for item in answer["institutions"] if item["slug"] == "qst")
    (operator,) = qst["roles"]
    assert operator["needs_review"] is False
    assert "001:63" in operator["note"]


@pytest.mark.django_db
def test_a_flagged_link_needs_a_note():
    facility = factories.FacilityFactory()
    institution = factories.InstitutionFactory()
    with pytest.raises(ValidationError) as raised:
        services.record_update(
            record=facility,
            relations={"institutions": [services.RoleLink(institution, "operator", "", True)]},
            reason="flag without a note",
        )
    assert "institutions" in raised.value.message_dict
    services.record_update(
        record=facility,
        relations={
            "institutions": [
                services.RoleLink(institution, "operator", "operator (general knowledge)", True)
            ]
        },
        reason="flag with a note",
    )
    assert facility.roles.get().needs_review is True


@pytest.mark.django_db
def test_the_admin_shows_a_links_review_flag(admin_client):
    facility = factories.FacilityFactory()
    institution = factories.InstitutionFactory(name="Flagged Operator")
    services.record_update(
        record=facility,
        relations={
            "institutions": [
                services.RoleLink(institution, "operator", "operator (general knowledge)", True)
            ]
        },
        reason="flag a link",
    )
    response = admin_client.get(reverse("admin:directory_facility_change", args=[facility.pk]))
    assert response.status_code == 200
    checkbox = re.search(r'<input[^>]*name="roles-0-needs_review"[^>]*>', response.text)
    assert checkbox, "the operators inline has a needs-review checkbox"
    assert "checked" in checkbox.group(0)


def test_flagging_a_link_changes_the_other_end(reference_data, api):
    """The institution shows the link's flag, so flagging it raises the institution's version
    and its cached answer goes stale: it shows the flag at once (writes really commit here,
    as the cache is invalidated on commit)."""
    facility = factories.FacilityFactory()
    institution = factories.InstitutionFactory()
    link = services.RoleLink(institution, "operator", "operator (003:23)")
    services.record_update(record=facility, relations={"institutions": [link]}, reason="link")
    url = f"/api/v1/institutions/{institution.slug}/"
    assert api.get(url).json()["facilities"][0]["roles"][0]["needs_review"] is False
    institution.refresh_from_db()
    before = institution.version
    flagged = services.RoleLink(institution, "operator", "operator (general knowledge)", True)
    services.record_update(record=facility, relations={"institutions": [flagged]}, reason="flag")
    institution.refresh_from_db()
    assert institution.version > before
    shown = api.get(url).json()["facilities"][0]["roles"][0]
    assert shown["needs_review"] is True
    assert shown["note"] == "operator (general knowledge)"
