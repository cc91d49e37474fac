"""The curated seed data loads, validates, is sourced, and loads twice without duplicates."""

import re

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
    Source,
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
ALL_MODELS = [*SOURCED_MODELS, FacilityRole, ProgrammeRole, Source]

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


#: The seed documents (../shared/seeds/) and the source records that stand for them.
SEED_DOCUMENTS = {
    "harwell-uk-japan-web-article": "000_479be188746a4a15.txt",
    "takata-nanoterasu-coalition-essay": "001_0b0baf97f8f31bd4.txt",
    "mext-quantum-technology-diplomacy-2018": "002_a45a7a73fcd84577.txt",
    "jst-qst-koyasu-interview-2023": "003_294f004cc8471b51.txt",
    "crds-nanotech-materials-panoramic-view-2023": "004_972bf78de6d42bb8.txt",
}


def test_seed_citations_name_seeded_sources_and_lines_inside_them(seed_data, settings):
    """Every citation names a source record; the five seed documents are sources, each cited,
    and every line a citation of one gives is a line of that document."""
    slugs = set(Source.objects.values_list("slug", flat=True))
    assert set(SEED_DOCUMENTS) <= slugs
    cited = {}
    for model in SOURCED_MODELS:
        for slug, sources in model.objects.values_list("slug", "sources"):
            assert sources, f"{model.__name__} {slug} cites nothing"
            for citation in sources:
                assert citation["source"] in slugs, (slug, citation)
                assert citation["locator"].strip(), (slug, citation)
                cited.setdefault(citation["source"], []).append(citation["locator"])
    assert set(SEED_DOCUMENTS) <= set(cited)
    seeds_dir = settings.BASE_DIR.parent / "shared" / "seeds"
    if not seeds_dir.is_dir():
        pytest.skip("shared/seeds is not next to the project")
    for slug, name in SEED_DOCUMENTS.items():
        length = len((seeds_dir / name).read_text(encoding="utf-8").splitlines())
        for locator in cited[slug]:
            lines = [int(number) for number in re.findall(r"[0-9]+", locator)]
            assert locator.startswith(("line ", "lines ")) and lines, (slug, locator)
            assert all(1 <= line <= length for line in lines), (slug, locator, length)


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
