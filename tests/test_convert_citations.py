"""``manage.py convert_citations``: old-format citations of a database seeded before sources
were records become citations of source records, through the write service, and nothing else
changes.

An old database is simulated by writing the old format over current rows outside the services
(tests.factories.direct_writes): the validator refuses the old format, so no service can write
it any more, as none could write it into a database that predates the validator.
"""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command

from directory import services
from directory.models import (
    ChangeEvent,
    Citation,
    Facility,
    FacilitySuccession,
    InstitutionSuccession,
    ProgrammeSuccession,
    Source,
)
from directory.services.citation_conversion import REASON, SEED_DOCUMENTS, date_text
from directory.services.seeding import fixture_dir, history_models
from tests.factories import (
    FacilityFactory,
    ProgrammeFactory,
    SourceFactory,
    citation,
    direct_writes,
)

pytestmark = pytest.mark.django_db

KOYASU, CRDS = "jst-qst-koyasu-interview-2023", "crds-nanotech-materials-panoramic-view-2023"
KOYASU_FILE, CRDS_FILE = "003_294f004cc8471b51.txt", "004_972bf78de6d42bb8.txt"

#: The old format, as the seed files had it before sources were records.
OLD_INTERVIEW = {
    "title": "JST 国際頭脳循環 interview with QST President Shigeo Koyasu (seed 003)",
    "document": f"seeds/{KOYASU_FILE}:43",
    "passage": "仙台に3GeV高輝度次世代放射光施設となるNanoTerasu注4)を設置整備",
    "date": "2023-10-23",
}
OLD_REPORT = {
    "title": "JST-CRDS, 研究開発の俯瞰報告書 ナノテクノロジー・材料分野（2023年）(seed 004)",
    "document": f"seeds/{CRDS_FILE}:4800-4801",
    "passage": "ナノテクノロジー",
}
OLD_WEBSITE = {"title": "J-PARC official website", "url": "https://j-parc.jp/"}
#: Each of them as the seed files cite it now.
NEW_INTERVIEW = {"source": KOYASU, "locator": "line 43", "passage": OLD_INTERVIEW["passage"]}
NEW_REPORT = {"source": CRDS, "locator": "lines 4800–4801", "passage": "ナノテクノロジー"}
NEW_WEBSITE = {"source": "website-j-parc-jp", "locator": "website"}
#: Old citations nothing maps exactly.
UNKNOWN_FILE = {"title": "A sixth seed", "document": "seeds/009_0000000000000000.txt:3"}
UNKNOWN_SITE = {"title": "Somewhere", "url": "https://example.com/nowhere"}
WRONG_DATE = {**OLD_INTERVIEW, "date": "2022-01-01"}


def make_old(record, citations) -> None:
    """Write the old format over a record's citations, as a database of those days held it."""
    with direct_writes():
        type(record)._base_manager.filter(pk=record.pk).update(sources=citations)


def make_old_link(link_model, predecessor, successor, citations) -> None:
    with direct_writes():
        link_model._base_manager.filter(predecessor=predecessor, successor=successor).update(
            sources=citations
        )


def convert(*args) -> str:
    out = io.StringIO()
    call_command("convert_citations", *args, stdout=out)
    return out.getvalue()


def curated(record) -> dict:
    """What the conversion must leave as it is: every field but the citations and the
    derived ones."""
    fresh = type(record)._base_manager.get(pk=record.pk)
    return {
        field.attname: field.value_from_object(fresh)
        for field in type(record)._meta.concrete_fields
        if field.name not in ("sources", "updated_at", "version", "search_key")
    }


def sources_of(record):
    return type(record)._base_manager.get(pk=record.pk).sources


def link_of(link_model, predecessor, successor):
    return link_model._base_manager.get(predecessor=predecessor, successor=successor)


@pytest.fixture
def old_directory(db):
    """Records and a succession citing in the old format, some of it unmappable."""
    SourceFactory(slug=KOYASU, name="Koyasu interview", published_on=datetime.date(2023, 10, 23))
    SourceFactory(
        slug=CRDS,
        name="CRDS report",
        published_on=datetime.date(2023, 3, 1),
        published_on_precision="month",
    )
    SourceFactory(slug="website-j-parc-jp", name="J-PARC website", url="https://j-parc.jp/")
    records = {
        "ring": FacilityFactory(slug="ring", name="Ring", name_ja="リング"),
        "old-ring": FacilityFactory(slug="old-ring", name="Old Ring"),
        "new-ring": FacilityFactory(slug="new-ring", name="New Ring"),
        "odd-ring": FacilityFactory(slug="odd-ring", name="Odd Ring"),
        "dated-ring": FacilityFactory(slug="dated-ring", name="Dated Ring"),
        "plan": ProgrammeFactory(slug="plan", name="Plan"),
        "next-plan": ProgrammeFactory(slug="next-plan", name="Next Plan"),
    }
    services.record_update(
        record=records["old-ring"],
        relations={
            "successors": [
                services.SuccessionLink(
                    records["new-ring"], "upgraded_into", date="2001-01-01", note="Rebuilt"
                )
            ]
        },
    )
    services.record_update(
        record=records["plan"],
        relations={"successors": [services.SuccessionLink(records["next-plan"], "replaced_by")]},
    )
    make_old(records["ring"], [OLD_INTERVIEW, OLD_REPORT, OLD_WEBSITE, citation()])
    make_old_link(FacilitySuccession, records["old-ring"], records["new-ring"], [OLD_INTERVIEW])
    make_old(records["odd-ring"], [OLD_REPORT, UNKNOWN_FILE, UNKNOWN_SITE])
    make_old(records["dated-ring"], [WRONG_DATE])
    make_old(records["plan"], [OLD_REPORT])
    make_old_link(ProgrammeSuccession, records["plan"], records["next-plan"], [UNKNOWN_SITE])
    return records


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(old_directory):
    entries = ChangeEvent.objects.count()
    before = {slug: sources_of(record) for slug, record in old_directory.items()}
    out = convert()
    assert "Dry run, nothing written" in out
    assert "3 record(s) would be converted: 4 citation(s) of records and 1 of successions" in out
    assert {slug: sources_of(record) for slug, record in old_directory.items()} == before
    assert ChangeEvent.objects.count() == entries


def test_apply_converts_through_the_write_service_and_reports_what_it_cannot(old_directory):
    ring, old_ring = old_directory["ring"], old_directory["old-ring"]
    kept = {slug: curated(record) for slug, record in old_directory.items()}
    link_before = link_of(FacilitySuccession, old_ring, old_directory["new-ring"])

    out = convert("--apply")

    assert "3 record(s) converted: 4 citation(s) of records and 1 of successions" in out
    assert sources_of(ring) == [NEW_INTERVIEW, NEW_REPORT, NEW_WEBSITE, citation()]
    link = link_of(FacilitySuccession, old_ring, old_directory["new-ring"])
    assert link.sources == [NEW_INTERVIEW]
    assert sources_of(old_directory["plan"]) == [NEW_REPORT]
    # Nothing but the citations changed: every curated field, and the link's own values.
    assert {slug: curated(record) for slug, record in old_directory.items()} == kept
    assert (link.type, link.date, link.date_precision, link.note) == (
        link_before.type,
        link_before.date,
        link_before.date_precision,
        link_before.note,
    )
    # Each write is one history entry and one change event, with the conversion's reason.
    for record in (ring, old_ring, old_directory["plan"]):
        entry = record.history.latest()
        assert entry.history_change_reason == REASON and entry.history_user is None
        events = ChangeEvent.objects.filter(record_id=record.pk, reason=REASON)
        assert events.filter(model=record._meta.label_lower).count() == 1
    assert [row.sources for row in old_ring.history.latest().successors.all()] == [[NEW_INTERVIEW]]
    # The index says who cites the converted sources: the succession's on both ends.
    cited = Citation.objects.filter(source__slug=KOYASU).values_list("facility__slug", flat=True)
    assert set(cited) == {"ring", "old-ring", "new-ring"}

    # What cannot be mapped exactly is reported by record and left as it was, never dropped.
    assert sources_of(old_directory["odd-ring"]) == [OLD_REPORT, UNKNOWN_FILE, UNKNOWN_SITE]
    assert sources_of(old_directory["dated-ring"]) == [WRONG_DATE]
    link = link_of(ProgrammeSuccession, old_directory["plan"], old_directory["next-plan"])
    assert link.sources == [UNKNOWN_SITE]
    lines = out.splitlines()
    odd = [line for line in lines if "facility odd-ring" in line]
    assert len(odd) == 1 and "009_0000000000000000.txt" in odd[0] and "example.com" in odd[0]
    assert any("facility dated-ring" in line and "2022-01-01" in line for line in lines)
    assert any("programme plan" in line and "successors → next-plan" in line for line in lines)
    assert "3 record(s) with citations that cannot be converted" in out
    assert not old_directory["odd-ring"].history.filter(history_change_reason=REASON).exists()

    # Running it again changes nothing: only what it could not map is reported again.
    entries = ChangeEvent.objects.count()
    again = convert("--apply")
    assert "0 record(s) converted: 0 citation(s) of records and 0 of successions" in again
    assert ChangeEvent.objects.count() == entries


def test_a_write_that_would_change_more_than_the_citations_is_undone(old_directory):
    """A row of those days that the model's rules now store differently (a closing date not
    rounded to its precision) is not rewritten by a citation conversion."""
    closed = FacilityFactory(slug="closed-ring", status="closed", first_operation_year=1980)
    with direct_writes():
        Facility._base_manager.filter(pk=closed.pk).update(
            closed_on=datetime.date(2008, 5, 1), closed_on_precision="year"
        )
    make_old(closed, [OLD_INTERVIEW])
    out = convert("--apply")
    assert any(
        "facility closed-ring" in line and "more than its citations" in line
        for line in out.splitlines()
    )
    fresh = Facility.objects.get(pk=closed.pk)
    assert (fresh.closed_on, fresh.sources) == (datetime.date(2008, 5, 1), [OLD_INTERVIEW])
    assert not closed.history.filter(history_change_reason=REASON).exists()
    assert sources_of(old_directory["ring"])[0] == NEW_INTERVIEW  # the others still converted


def test_the_seed_documents_are_the_seeded_source_records():
    """The table of seed files names source records of fixtures/sources.json, one each, and
    files of the fact sheet's table of seed documents."""
    rows = json.loads((fixture_dir() / "sources.json").read_text(encoding="utf-8"))
    slugs = {row["fields"]["slug"] for row in rows if row["model"] == "directory.source"}
    assert set(SEED_DOCUMENTS.values()) <= slugs
    assert len(set(SEED_DOCUMENTS.values())) == len(SEED_DOCUMENTS) == 5
    factsheet = (fixture_dir() / "factsheet.md").read_text(encoding="utf-8")
    for name in SEED_DOCUMENTS:
        assert f"| `{name}` (" in factsheet, name


# --- the seed data ------------------------------------------------------------------------------

FILES = {slug: name for name, slug in SEED_DOCUMENTS.items()}


def as_old(item: dict, dates: dict, urls: dict) -> dict:
    """A citation of today's seed files in the format of those days."""
    if item["locator"] == "website":
        return {"title": "An official website", "url": urls[item["source"]]}
    lines = item["locator"].removeprefix("lines ").removeprefix("line ").replace("–", "-")
    old = {"title": "A seed", "document": f"seeds/{FILES[item['source']]}:{lines}"}
    if "passage" in item:
        old["passage"] = item["passage"]
    if dates.get(item["source"]):
        old["date"] = dates[item["source"]]
    return old


def test_the_seeded_directory_round_trips_through_the_old_format(seed_data):
    """Every seeded citation, records' and successions', written back in the old format,
    converts to exactly what the seed files say."""
    dates = {
        source.slug: date_text(source.published_on, source.published_on_precision)
        for source in Source.objects.all()
    }
    urls = dict(Source.objects.values_list("slug", "url"))
    seeded, records = {}, 0
    for model in history_models():
        if model is Source:
            continue  # a source cites none
        for record in model._base_manager.exclude(sources=[]):
            seeded[(model, record.pk)] = record.sources
            make_old(record, [as_old(item, dates, urls) for item in record.sources])
            records += 1
    links = {}
    for link_model in (FacilitySuccession, ProgrammeSuccession, InstitutionSuccession):
        for link in link_model._base_manager.all():
            links[(link_model, link.pk)] = link.sources
            make_old_link(
                link_model,
                link.predecessor,
                link.successor,
                [as_old(item, dates, urls) for item in link.sources],
            )
    assert records > 150 and len(links) >= 6
    assert Facility.objects.filter(sources__0__document__isnull=False).exists()

    out = convert("--apply")

    assert "0 record(s) with citations that cannot be converted" in out, out[-3000:]
    for (model, pk), value in seeded.items():
        assert model._base_manager.get(pk=pk).sources == value, (model, pk)
    for (link_model, pk), value in links.items():
        assert link_model._base_manager.get(pk=pk).sources == value
    assert f"{records} record(s) converted" in out  # every predecessor also cites
    again = convert("--apply")
    assert "0 record(s) converted" in again
