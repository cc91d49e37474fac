"""export_directory → empty database → import_directory gives the same records, history aside."""

from __future__ import annotations

import copy
import datetime
import io
import json
import sys
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from directory import choices, services
from directory.models import (
    AccessMode,
    Agreement,
    Call,
    ChangeEvent,
    Citation,
    Country,
    DirectoryState,
    Facility,
    FacilityRole,
    FacilitySuccession,
    FeedEntry,
    Institution,
    InstitutionSuccession,
    Instrument,
    Programme,
    ProgrammeRole,
    ProgrammeSuccession,
    ResearchField,
    RorProposal,
    Source,
    Technique,
)
from directory.portable import (
    PortableError,
    export_directory,
    import_directory,
    portable_models,
)
from directory.search import build_search_key
from tests.factories import (
    AccessModeFactory,
    AgreementFactory,
    CallFactory,
    FacilityFactory,
    FacilityRoleFactory,
    InstitutionFactory,
    InstrumentFactory,
    ProgrammeFactory,
    ProgrammeRoleFactory,
    ResearchFieldFactory,
    SourceFactory,
    TechniqueFactory,
    citation,
    country,
    direct_writes,
)

pytestmark = pytest.mark.django_db

#: Every model a document carries (the test states them; portable_models() must agree).
DIRECTORY_MODELS = [
    Source,
    Technique,
    ResearchField,
    AccessMode,
    Institution,
    Facility,
    FacilityRole,
    Instrument,
    Programme,
    ProgrammeRole,
    Call,
    Agreement,
]
NAMED_MODELS = [m for m in DIRECTORY_MODELS if m not in (FacilityRole, ProgrammeRole)]
#: Successions travel in the document too; their history is their predecessor's.
SUCCESSION_MODELS = [FacilitySuccession, ProgrammeSuccession, InstitutionSuccession]
OLD = datetime.datetime(2019, 4, 1, 8, 30, 15, 123456, tzinfo=datetime.UTC)
EDITED = datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.UTC)


# --- the directory under test -------------------------------------------------------------


def _backdate(obj, created=OLD, updated=EDITED):
    with direct_writes():  # timestamps no service writes: a record made and edited long ago
        type(obj)._base_manager.filter(pk=obj.pk).update(created_at=created, updated_at=updated)


@pytest.fixture
def directory(seed_data):
    """The curated seed plus records that use every field, link and role of every model."""
    build_rich_records()


@pytest.fixture
def rich(db):
    """The records that use every field, link and role, without the seed (faster)."""
    build_rich_records()


def build_rich_records() -> None:
    jp, gb, de = country("JP"), country("GB"), country("DE")
    xafs = TechniqueFactory(
        slug="zz-xafs",
        name="X-ray absorption fine structure",
        name_ja="X線吸収微細構造",
        acronym="XAFS",
        aliases=["XAS", "エックス線吸収"],
        probe=choices.Probe.XRAY,
    )
    sans = TechniqueFactory(slug="zz-sans", probe=choices.Probe.NEUTRON, is_published=False)
    quantum = ResearchFieldFactory(slug="zz-quantum", name="Quantum", name_ja="量子")
    energy = ResearchFieldFactory(slug="zz-energy", needs_review=True, review_note="確認")
    paid = AccessModeFactory(kind=choices.AccessModeKind.PROPRIETARY)
    proposal = AccessModeFactory(kind=choices.AccessModeKind.PEER_REVIEWED)

    # Children sort before their parents by slug: the import must put parents first.
    umbrella = InstitutionFactory(
        slug="zz-umbrella",
        name="Umbrella Research Council",
        name_ja="統括研究評議会",
        kind=choices.InstitutionKind.FUNDING_AGENCY,
        country=gb,
        ror_id="057zh3y96",
        latitude=51.57,
        longitude=-1.31,
    )
    branch = InstitutionFactory(
        slug="aa-branch", parent=umbrella, country=gb, city="Didcot", website="https://x.org"
    )
    lab = InstitutionFactory(slug="aa-lab", parent=branch, country=de, is_synthetic=True)

    ring = FacilityFactory(
        slug="zz-ring",
        name="Test Storage Ring",
        name_ja="試験蓄積リング",
        country=gb,
        city="Didcot",
        site="Harwell Campus",
        latitude=51.5747,
        longitude=-1.3108,
        energy_gev=Decimal("3.500"),
        circumference_m=Decimal("561.6"),
        beamline_count=33,
        first_operation_year=2007,
        user_programme_year=2007,
        construction_cost=Decimal("263000000.00"),
        construction_cost_currency="GBP",
        is_published=False,
        needs_review=True,
        review_note="Check the beamline count.",
        last_verified_on=datetime.date(2025, 3, 1),
        sources=[
            citation(),
            citation(
                SourceFactory(
                    slug="zz-report", name="資料", published_on=datetime.date(2022, 5, 1)
                ).slug,
                "line 63",
                passage="三・五ギガ電子ボルト",
            ),
        ],
        description="A ring.",
        description_ja="リング。",
    )
    ring.techniques.set([xafs, sans])
    ring.access_modes.set([paid, proposal])
    ring.fields.set([quantum, energy])
    FacilityRoleFactory(facility=ring, institution=branch, role="operator", note="runs it")
    FacilityRoleFactory(facility=ring, institution=umbrella, role="funder")
    FacilityRoleFactory(facility=ring, institution=umbrella, role="owner", note="所有")
    beamline = InstrumentFactory(
        facility=ring, slug="zz-b16", name="B16", kind=choices.InstrumentKind.BEAMLINE
    )
    beamline.techniques.set([xafs])
    synthetic = FacilityFactory(slug="zz-synthetic", country=jp, is_synthetic=True)

    programme = ProgrammeFactory(
        slug="zz-joint-call",
        name="Joint Call",
        name_ja="共同公募",
        starts_on=datetime.date(2021, 1, 1),
        starts_on_precision=choices.DatePrecision.YEAR,
        ends_on=datetime.date(2026, 6, 30),
        ends_on_precision=choices.DatePrecision.MONTH,
        total_budget=Decimal("1500000.00"),
        total_budget_currency="JPY",
        max_funding_per_project=Decimal("30000.50"),
        max_funding_currency="EUR",
        typical_duration_months=36,
        call_frequency=choices.CallFrequency.ANNUAL,
    )
    programme.countries.set([jp, gb, de])
    programme.fields.set([quantum])
    programme.facilities.set([ring, synthetic])
    ProgrammeRoleFactory(programme=programme, institution=umbrella, role="funder")
    ProgrammeRoleFactory(programme=programme, institution=branch, role="partner", note="UK")
    call = CallFactory(
        programme=programme,
        slug="zz-call-2026",
        opens_on=datetime.date(2026, 1, 5),
        closes_at=datetime.datetime(2026, 3, 31, 8, 0, 0, 250000, tzinfo=datetime.UTC),
        deadline_timezone="Asia/Tokyo",
        url="https://example.org/call",
    )
    agreement = AgreementFactory(
        slug="zz-agreement",
        kind=choices.AgreementKind.COOPERATION_ARRANGEMENT,
        signed_on=datetime.date(2012, 5, 1),
        renewed_on=datetime.date(2022, 5, 1),
        expires_on=datetime.date(2027, 4, 30),
        renewal_period_years=5,
    )
    agreement.institutions.set([umbrella, branch])
    agreement.facilities.set([ring, *Facility.objects.filter(slug="nanoterasu")])

    # Successions, each predecessor sorting before its successor (the import must write the
    # successor first: a succession is written with its predecessor).
    old_ring = FacilityFactory(
        slug="zz-old-ring",
        status=choices.FacilityStatus.CLOSED,
        first_operation_year=1980,
        closed_on=datetime.date(2006, 1, 1),
        closed_on_precision=choices.DatePrecision.YEAR,
    )
    services.record_update(
        record=old_ring,
        relations={
            "successors": [
                services.SuccessionLink(
                    ring,
                    "upgraded_into",
                    date=datetime.date(2007, 3, 1),
                    date_precision=choices.DatePrecision.MONTH,
                    note="Rebuilt",
                    note_ja="再建",
                    sources=[citation(locator="p. 3")],
                )
            ]
        },
    )
    old_call = ProgrammeFactory(slug="zz-a-old-joint-call")
    services.record_update(
        record=old_call,
        relations={"successors": [services.SuccessionLink(programme, "succeeded_by")]},
    )
    old_council = InstitutionFactory(slug="aa-old-council", country=gb)
    services.record_update(
        record=old_council,
        relations={"successors": [services.SuccessionLink(umbrella, "renamed_to", note="新")]},
    )

    for obj in (xafs, umbrella, branch, lab, ring, beamline, programme, call, agreement):
        _backdate(obj)


# --- helpers ------------------------------------------------------------------------------


def _key(obj):
    return tuple(obj.natural_key()) if hasattr(obj, "natural_key") else obj.pk


def snapshot() -> dict:
    """Every record of every directory model by natural key: all fields and links."""
    dump = {}
    for model in [*DIRECTORY_MODELS, *SUCCESSION_MODELS]:
        rows = {}
        for obj in model._base_manager.all():
            row = {}
            for f in model._meta.concrete_fields:
                # The representation version counts writes (a cache key), it is not data.
                if f.primary_key or f.name == "version":
                    continue
                value = getattr(obj, f.name)
                row[f.name] = _key(value) if f.is_relation and value is not None else value
            for f in model._meta.many_to_many:
                row[f.name] = sorted(_key(related) for related in getattr(obj, f.name).all())
            rows[_key(obj)] = row
        dump[model._meta.label] = rows
    return dump


def history_count() -> int:
    return sum(model.history.count() for model in DIRECTORY_MODELS)


def wipe_directory() -> None:
    """Delete every directory record and its history; the migration's countries stay.

    A fresh database, not a curator's deletions: written directly (no history, no feed).
    """
    with direct_writes():
        Institution._base_manager.update(parent=None)
        Citation.objects.all().delete()  # the index of who cites which source
        for model in reversed(portable_models()):
            model._base_manager.all().delete()
    for model in DIRECTORY_MODELS:
        model.history.all().delete()
    ChangeEvent.objects.all().delete()
    FeedEntry.objects.all().delete()
    assert all(
        not model._base_manager.exists() for model in [*DIRECTORY_MODELS, *SUCCESSION_MODELS]
    )
    assert history_count() == 0


def export_text() -> str:
    out = io.StringIO()
    export_directory(out)
    return out.getvalue()


def import_text(text: str, **kwargs) -> dict:
    return import_directory(io.StringIO(text), **kwargs)


def records(document: dict, label: str) -> list[dict]:
    return [obj for obj in document["objects"] if obj["model"] == label]


def totals(counts: dict) -> dict:
    return {a: sum(c[a] for c in counts.values()) for a in ("created", "updated", "unchanged")}


# --- the round trip -----------------------------------------------------------------------


def test_document_covers_every_directory_model_and_nothing_else():
    assert set(portable_models()) == set(DIRECTORY_MODELS) | set(SUCCESSION_MODELS)
    history_models = {m.history.model for m in DIRECTORY_MODELS}
    for model in apps.get_app_config("directory").get_models():
        if model in DIRECTORY_MODELS or model in SUCCESSION_MODELS or model._meta.auto_created:
            continue
        is_history = model in history_models or model.__name__.startswith("Historical")
        # ROR proposals are review work: what accepting one wrote is in the institutions.
        left_out = (Country, DirectoryState, ChangeEvent, FeedEntry, Citation, RorProposal)
        assert is_history or model in left_out, model


def test_export_empty_import_gives_identical_records(directory):
    before = snapshot()
    assert all(before.values())  # every model has records to lose
    assert len(before["directory.Facility"]) > 31 and len(before["directory.FacilityRole"]) > 36
    text = export_text()
    document = json.loads(text)

    assert document["format"] == "facility-directory"
    assert document["version"] == 1
    assert document["exported_at"].endswith("Z")
    labels = [m._meta.label_lower for m in portable_models()]
    assert document["counts"] == {"directory.country": 0} | {
        label: len(before[apps.get_model(label)._meta.label]) for label in labels
    }
    assert {obj["model"] for obj in document["objects"]} == set(labels)
    assert "ナノテラス" in text and "\\u30" not in text  # Japanese unescaped
    for obj in document["objects"]:
        assert "pk" not in obj and "id" not in obj["fields"]
        assert "search_key" not in obj["fields"]
    ring = records(document, "directory.facility")
    ring = next(obj["fields"] for obj in ring if obj["fields"]["slug"] == "zz-ring")
    assert ring["created_at"] == "2019-04-01T08:30:15.123456Z"
    assert ring["updated_at"] == "2024-02-29T23:59:59.999999Z"
    assert ring["is_published"] is False and ring["energy_gev"] == "3.500"
    assert ring["techniques"] == [["zz-sans"], ["zz-xafs"]]
    assert ring["country"] == "GB"
    role = records(document, "directory.facilityrole")[0]["fields"]
    assert isinstance(role["facility"], list) and isinstance(role["institution"], list)

    wipe_directory()
    assert Country.objects.filter(code__in=["JP", "GB", "DE"]).count() == 3
    counts = import_text(text)

    assert totals(counts) == {"created": len(document["objects"]), "updated": 0, "unchanged": 0}
    after = snapshot()
    assert after == before  # field by field, links and role links, timestamps included
    ring = Facility.objects.get(slug="zz-ring")
    assert (ring.created_at, ring.updated_at) == (OLD, EDITED)
    assert Institution.objects.get(slug="aa-lab").parent.parent.slug == "zz-umbrella"
    for model in NAMED_MODELS:
        for obj in model._base_manager.all():
            assert obj.search_key == build_search_key(obj.search_terms()), obj
    assert Facility.objects.filter(search_key__contains="試験蓄積リング").get() == ring


def test_export_is_deterministic(directory):
    first, second = json.loads(export_text()), json.loads(export_text())
    first.pop("exported_at")
    second.pop("exported_at")
    assert first == second
    slugs = [obj["fields"]["slug"] for obj in records(first, "directory.institution")]
    assert slugs == sorted(slugs)
    # jsonb (PostgreSQL) reorders object keys; sorted keys give the same text on any database.
    for obj in first["objects"]:
        for source in obj["fields"].get("sources", []):
            assert list(source) == sorted(source)


# --- idempotence and updates --------------------------------------------------------------


def test_importing_twice_leaves_counts_unchanged(directory, django_capture_on_commit_callbacks):
    text = export_text()
    wipe_directory()
    import_text(text)
    # The import marks the directory changed (DirectoryState), once committed: one bump is
    # pending for the transaction (the wipe already queued it; a transaction bumps once).
    assert bump_pending()
    carried = [*DIRECTORY_MODELS, *SUCCESSION_MODELS]
    rows = {model: model._base_manager.count() for model in carried}
    history = history_count()

    with django_capture_on_commit_callbacks() as bumps:
        counts = import_text(text)

    assert totals(counts) == {"created": 0, "updated": 0, "unchanged": sum(rows.values())}
    assert {model: model._base_manager.count() for model in carried} == rows
    assert history_count() == history  # nothing changed, nothing recorded
    assert bumps == []  # and cached API answers stay valid


def test_changed_records_are_updated_in_place(rich):
    document = json.loads(export_text())
    before = snapshot()
    ring_id = Facility.objects.get(slug="zz-ring").pk
    ring = next(
        o for o in records(document, "directory.facility") if o["fields"]["slug"] == "zz-ring"
    )
    ring["fields"]["name"] = "Renamed Ring"
    ring["fields"]["techniques"] = [["zz-xafs"]]
    ring["fields"]["updated_at"] = "2025-01-02T03:04:05.678901Z"
    role = records(document, "directory.programmerole")[-1]
    role["fields"]["note"] = "changed note"

    counts = import_text(json.dumps(document))

    assert totals(counts)["updated"] == 2
    assert counts["directory.facility"]["updated"] == 1
    assert counts["directory.programmerole"]["updated"] == 1
    ring = Facility.objects.get(slug="zz-ring")
    assert ring.pk == ring_id
    assert ring.name == "Renamed Ring"
    assert ring.search_key == build_search_key(ring.search_terms())
    assert build_search_key(["Renamed Ring"]).strip("|") in ring.search_key
    assert list(ring.techniques.values_list("slug", flat=True)) == ["zz-xafs"]
    assert ring.created_at == OLD
    assert ring.updated_at == datetime.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)
    latest = ring.history.first()
    assert latest.history_type == "~"
    assert [t.technique.slug for t in latest.techniques.all()] == ["zz-xafs"]
    after = snapshot()
    for label in before:  # nothing else moved
        if label not in ("directory.Facility", "directory.ProgrammeRole"):
            assert after[label] == before[label], label


def test_a_stale_search_key_is_repaired(rich):
    text = export_text()
    with direct_writes():  # a key gone stale (no service leaves one)
        Technique._base_manager.filter(slug="zz-xafs").update(search_key="stale")
    counts = import_text(text)
    assert totals(counts)["updated"] == 1
    xafs = Technique.objects.get(slug="zz-xafs")
    assert xafs.search_key == build_search_key(xafs.search_terms())


def test_search_key_in_a_document_is_ignored_and_recomputed(rich):
    document = json.loads(export_text())
    technique = records(document, "directory.technique")[0]["fields"]
    technique["search_key"] = "stale"
    technique["name"] = "Brand-new Name"
    import_text(json.dumps(document))
    obj = Technique.objects.get(slug=technique["slug"])
    assert obj.search_key == build_search_key(obj.search_terms())
    assert build_search_key(["Brand-new Name"]).strip("|") in obj.search_key


# --- all or nothing -----------------------------------------------------------------------


def _late(document, label):
    return records(document, label)[-1]


def _unknown_programme_country(document):
    obj = _late(document, "directory.programme")
    obj["fields"]["countries"].append("XX")
    return f'directory.programme "{obj["fields"]["slug"]}"', "'XX' is not a known country code"


def _unknown_facility_country(document):
    obj = _late(document, "directory.facility")
    obj["fields"]["country"] = "ZZ"
    return f'directory.facility "{obj["fields"]["slug"]}"', "'ZZ' is not a known country code"


def _invalid_slug(document):
    obj = _late(document, "directory.call")
    obj["fields"]["slug"] = "not a slug!"
    return 'directory.call "not a slug!"', "slug: Enter a valid “slug”"


def _duplicate_slug(document):
    first = copy.deepcopy(records(document, "directory.technique")[0])
    document["objects"].append(first)
    return f'directory.technique "{first["fields"]["slug"]}"', "repeats"


def _constraint_violation(document):
    obj = _late(document, "directory.agreement")
    obj["fields"]["signed_on"] = "2020-01-01"
    obj["fields"]["renewed_on"] = "2019-01-01"
    return (
        f'directory.agreement "{obj["fields"]["slug"]}"',
        "cannot be renewed before it is first signed",
    )


def _negative_energy(document):
    obj = _late(document, "directory.facility")
    obj["fields"]["energy_gev"] = "-1.000"
    return f'directory.facility "{obj["fields"]["slug"]}"', "Beam energy cannot be negative"


def _unknown_institution(document):
    obj = _late(document, "directory.programmerole")
    obj["fields"]["institution"] = ["no-such-institution"]
    return "directory.programmerole", 'there is no directory.institution "no-such-institution"'


def _bad_choice(document):
    obj = _late(document, "directory.agreement")
    obj["fields"]["kind"] = "treaty"
    return f'directory.agreement "{obj["fields"]["slug"]}"', "kind: Value 'treaty' is not a valid"


def _parent_cycle(document):
    first, second = records(document, "directory.institution")[-2:]
    first["fields"]["parent"] = [second["fields"]["slug"]]
    second["fields"]["parent"] = [first["fields"]["slug"]]
    return "directory.institution", "parents make a cycle"


def _unknown_field(document):
    obj = _late(document, "directory.agreement")
    obj["fields"]["colour"] = "blue"
    return f"directory.agreement (object {len(document['objects'])})", 'unknown field "colour"'


def _truncated(document):
    document["objects"].pop()
    return "The header counts", "truncated"


BAD_DOCUMENTS = [
    _unknown_programme_country,
    _unknown_facility_country,
    _invalid_slug,
    _duplicate_slug,
    _constraint_violation,
    _negative_energy,
    _unknown_institution,
    _bad_choice,
    _parent_cycle,
    _unknown_field,
    _truncated,
]


@pytest.mark.parametrize("spoil", BAD_DOCUMENTS, ids=lambda f: f.__name__.lstrip("_"))
def test_a_bad_record_writes_nothing_and_is_named(rich, spoil, django_capture_on_commit_callbacks):
    document = json.loads(export_text())
    # Early, valid changes the failed import must roll back: a new record and an update.
    document["objects"].insert(
        0,
        {
            "model": "directory.technique",
            "fields": {"slug": "zz-brand-new", "name": "Brand new", "probe": "xray"},
        },
    )
    document["counts"]["directory.technique"] += 1
    records(document, "directory.researchfield")[0]["fields"]["name"] = "Changed"
    record, problem = spoil(document)
    before, history = snapshot(), history_count()

    with django_capture_on_commit_callbacks() as bumps, pytest.raises(CommandError) as raised:
        _call_import_with(json.dumps(document, ensure_ascii=False))

    message = str(raised.value)
    assert message.startswith("Nothing was imported.")
    assert record in message and problem in message, message
    assert snapshot() == before
    assert history_count() == history
    assert not Technique.objects.filter(slug="zz-brand-new").exists()
    assert bumps == []  # no DirectoryState bump: caches stay valid


def bump_pending() -> bool:
    """Whether a DirectoryState bump waits for the current transaction to commit."""
    from django.db import connection

    from directory.models.state import _Bump

    return any(isinstance(entry[1], _Bump) for entry in connection.run_on_commit)


def _call_import_with(text: str, *args, **kwargs) -> str:
    """import_directory - through call_command, reading ``text`` on stdin; its stdout."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        call_command("import_directory", "-", *args, stdout=out, stderr=err, **kwargs)
    finally:
        sys.stdin = saved
    assert err.getvalue() == ""
    return out.getvalue()


def test_a_bad_record_in_an_empty_database_writes_nothing(rich):
    document = json.loads(export_text())
    record, _problem = _constraint_violation(document)
    wipe_directory()
    with pytest.raises(PortableError, match="cannot be renewed") as raised:
        import_text(json.dumps(document))
    assert record in str(raised.value)
    assert all(not model._base_manager.exists() for model in DIRECTORY_MODELS)
    assert history_count() == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "Not a directory export"),
        ('{"format": "facility-directory", "version": 9, "objects": []}', "version 9"),
        (
            '{"format": "facility-directory", "version": 1, "objects": '
            '[{"model": "directory.historicalfacility", "fields": {}}]}',
            "not a directory model",
        ),
        (
            '{"format": "facility-directory", "version": 1, "objects": '
            '[{"model": "directory.technique", "pk": 3, "fields": {"slug": "x"}}]}',
            "database ids are not portable",
        ),
    ],
)
def test_a_malformed_document_is_refused(text, problem):
    with pytest.raises(PortableError, match=problem):
        import_text(text)


# --- dry run ------------------------------------------------------------------------------


def test_dry_run_writes_nothing(directory, django_capture_on_commit_callbacks):
    text = export_text()
    wipe_directory()

    with django_capture_on_commit_callbacks() as bumps:
        out = _call_import_with(text, "--dry-run")

    assert "directory.facility zz-ring: would be created" in out
    assert "directory.facilityrole zz-ring / aa-branch / operator: would be created" in out
    total = len(json.loads(text)["objects"])
    assert f"Dry run, nothing written: {total} created, 0 updated, 0 unchanged." in out
    assert all(not model._base_manager.exists() for model in DIRECTORY_MODELS)
    assert history_count() == 0
    assert bumps == []


def test_dry_run_reports_only_what_would_change(rich):
    document = json.loads(export_text())
    records(document, "directory.call")[0]["fields"]["name"] = "Renamed call"
    before, history = snapshot(), history_count()

    out = _call_import_with(json.dumps(document), "--dry-run")

    slug = records(document, "directory.call")[0]["fields"]["slug"]
    assert out.count("would be") == 1
    assert f"directory.call {slug}: would be updated" in out
    assert snapshot() == before
    assert history_count() == history


def test_dry_run_of_a_bad_document_fails(rich):
    document = json.loads(export_text())
    _unknown_programme_country(document)
    with pytest.raises(CommandError, match="'XX' is not a known country code"):
        _call_import_with(json.dumps(document), "--dry-run")


# --- the commands -------------------------------------------------------------------------


def test_commands_through_call_command(directory, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_directory", stdout=out, stderr=err)
    assert err.getvalue() == ""
    document = json.loads(out.getvalue())
    total = len(document["objects"])

    path = tmp_path / "directory.json"
    out = io.StringIO()
    call_command("export_directory", "--output", str(path), stdout=out, stderr=err)
    assert f"Exported {total} records to {path}" in out.getvalue()
    from_file = json.loads(path.read_text(encoding="utf-8"))
    assert from_file["objects"] == document["objects"]
    assert not list(tmp_path.glob(".*partial"))

    wipe_directory()
    out = io.StringIO()
    call_command("import_directory", str(path), stdout=out, stderr=err)
    assert f"Imported: {total} created, 0 updated, 0 unchanged." in out.getvalue()
    assert "directory.facility: " in out.getvalue()
    assert err.getvalue() == ""

    out = _call_import_with(path.read_text(encoding="utf-8"))  # "-": stdin
    assert f"Imported: 0 created, 0 updated, {total} unchanged." in out

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_directory", str(tmp_path / "missing.json"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("import_directory", str(path), "--user", "nobody", stdout=io.StringIO())


# --- history ------------------------------------------------------------------------------


def test_import_records_one_history_row_per_record(directory, django_user_model):
    curator = django_user_model.objects.create_user("curator")
    text = export_text()
    wipe_directory()

    _call_import_with(text, "--user", "curator")

    for model in DIRECTORY_MODELS:
        for obj in model._base_manager.all():
            rows = list(obj.history.all())
            assert len(rows) == 1, obj
            assert rows[0].history_type == "+"
            assert rows[0].history_user == curator
            assert rows[0].history_change_reason == "import_directory stdin by curator"
    ring = Facility.objects.get(slug="zz-ring")
    row = ring.history.get()
    assert (row.created_at, row.updated_at) == (OLD, EDITED)
    assert row.search_key == ring.search_key
    assert sorted(t.technique.slug for t in row.techniques.all()) == ["zz-sans", "zz-xafs"]
    assert sorted(a.accessmode.slug for a in row.access_modes.all()) == sorted(
        ring.access_modes.values_list("slug", flat=True)
    )
    agreement = Agreement.objects.get(slug="zz-agreement").history.get()
    assert sorted(i.institution.slug for i in agreement.institutions.all()) == [
        "aa-branch",
        "zz-umbrella",
    ]
    programme = Programme.objects.get(slug="zz-joint-call").history.get()
    assert sorted(c.country_id for c in programme.countries.all()) == ["DE", "GB", "JP"]


# --- countries ----------------------------------------------------------------------------


def test_only_changed_countries_travel_and_come_back(directory):
    Country.objects.filter(code="JP").update(name_ja="日本国")
    Country.objects.create(code="XK", name="Kosovo", name_ja="コソボ")
    FacilityFactory(slug="zz-kosovo", country=Country.objects.get(code="XK"))
    before = snapshot()
    document = json.loads(export_text())
    assert records(document, "directory.country") == [
        {
            "model": "directory.country",
            "pk": "JP",
            "fields": {"name": "Japan", "name_ja": "日本国"},
        },
        {
            "model": "directory.country",
            "pk": "XK",
            "fields": {"name": "Kosovo", "name_ja": "コソボ"},
        },
    ]
    assert document["counts"]["directory.country"] == 2

    wipe_directory()
    Country.objects.filter(code="XK").delete()
    Country.objects.filter(code="JP").update(name_ja="日本")
    counts = import_text(json.dumps(document))

    assert counts["directory.country"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert Country.objects.get(code="JP").name_ja == "日本国"
    assert Facility.objects.get(slug="zz-kosovo").country_id == "XK"
    assert snapshot() == before


def test_a_document_nested_too_deep_is_refused_in_words(db):
    text = '{"format": "facility-directory", "version": 1, "objects": ' + "[" * 100_000
    text += "]" * 100_000 + "}"
    with pytest.raises(PortableError, match="nested too deep"):
        import_text(text)
