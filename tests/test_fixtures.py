"""The curated seed data loads, validates, is sourced, and loads twice without duplicates."""

import pytest
from django.core.management import call_command

from directory.models import (
    AccessMode,
    Agreement,
    Call,
    Facility,
    FacilityRole,
    Institution,
    Instrument,
    Programme,
    ProgrammeRole,
    ResearchField,
    Technique,
)
from directory.search import normalise

pytestmark = pytest.mark.django_db

SOURCED_MODELS = [
    Technique,
    ResearchField,
    AccessMode,
    Institution,
    Facility,
    Instrument,
    Programme,
    Call,
    Agreement,
]
ALL_MODELS = [*SOURCED_MODELS, FacilityRole, ProgrammeRole]

REQUIRED_FACILITIES = [
    "nanoterasu",
    "spring-8",
    "sacla",
    "j-parc",
    "isis",
    "diamond-light-source",
    "ess",
    "max-iv",
    "esrf",
    "ill",
    "himac",
    "jt-60sa",
    "ribf",
    "iter",
]
REQUIRED_PROGRAMMES = [
    "jst-ukri-joint-research",
    "q-leap",
    "horizon-europe",
    "sicorp-japan-germany-optics-photonics",
    "crest-japan-france-quantum",
    "diamond-proposal-system",
    "innovate-uk-japan-collaboration",
    "qst-international-research-initiative",
    "moonshot",
    "arim",
]


def counts():
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def test_every_seed_record_passes_full_clean(seed_data):
    failures = []
    for model in ALL_MODELS:
        for record in model.objects.all():
            try:
                record.full_clean()
            except Exception as error:  # collect them all for one readable report
                failures.append(f"{model.__name__} {record}: {error}")
    assert failures == []


def test_every_seed_record_has_a_source(seed_data):
    unsourced = [
        f"{model.__name__} {slug}"
        for model in SOURCED_MODELS
        for slug, sources in model.objects.values_list("slug", "sources")
        if not sources
    ]
    assert unsourced == []


def test_required_records_are_present(seed_data):
    facilities = set(Facility.objects.values_list("slug", flat=True))
    programmes = set(Programme.objects.values_list("slug", flat=True))
    assert set(REQUIRED_FACILITIES) <= facilities
    assert set(REQUIRED_PROGRAMMES) <= programmes
    assert Institution.objects.count() >= 40
    assert Agreement.objects.filter(slug__contains="ess").exists()
    assert AccessMode.objects.count() == 4


def test_seed_is_bilingual(seed_data):
    for slug in REQUIRED_FACILITIES:
        facility = Facility.objects.get(slug=slug)
        assert facility.name_ja, f"{slug} has no Japanese name"
    with_japanese = Institution.objects.exclude(name_ja="").count()
    assert with_japanese >= Institution.objects.count() * 0.6


def test_records_flagged_for_review_say_why_and_are_not_verified(seed_data):
    for model in SOURCED_MODELS:
        flagged = model.objects.filter(needs_review=True)
        assert not flagged.filter(review_note="").exists(), model.__name__
        assert not flagged.filter(last_verified_on__isnull=False).exists(), model.__name__


def test_role_links_connect_operators_and_funders(seed_data):
    assert (
        FacilityRole.objects.filter(
            facility__slug="j-parc", institution__slug__in=["jaea", "kek"]
        ).count()
        == 2
    )
    assert FacilityRole.objects.filter(facility__slug="nanoterasu", role="operator").exists()
    assert ProgrammeRole.objects.filter(programme__slug="q-leap", role="funder").exists()


def test_seed_sources_cite_seed_documents_that_exist(seed_data, settings):
    seeds_dir = settings.BASE_DIR.parent / "shared" / "seeds"
    if not seeds_dir.is_dir():
        pytest.skip("shared/seeds is not next to the project")
    available = {path.name for path in seeds_dir.iterdir()}
    cited = {
        citation["document"].split("/")[-1].split(":")[0]
        for model in SOURCED_MODELS
        for sources in model.objects.values_list("sources", flat=True)
        for citation in sources
        if citation.get("document", "").startswith("seeds/")
    }
    assert cited, "no record cites a seed document"
    assert cited <= available


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("spring8", "spring-8"),
        ("SPring–8", "spring-8"),
        ("ｓｐｒｉｎｇ－８", "spring-8"),
        ("ナノテラス", "nanoterasu"),
        ("jparc", "j-parc"),
    ],
)
def test_seed_search_keys_find_the_famous_names(seed_data, query, slug):
    matches = Facility.objects.filter(search_key__contains=normalise(query))
    assert slug in set(matches.values_list("slug", flat=True))


def test_seeding_twice_creates_no_duplicates(seed_data):
    before = counts()
    facility = Facility.objects.get(slug="spring-8")
    call_command("seed_directory", verbosity=0)
    assert counts() == before
    assert Facility.objects.get(slug="spring-8").pk == facility.pk
