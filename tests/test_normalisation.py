"""The search normalisation folds spelling variants to one key and keeps Japanese intact."""

import pytest

from directory.models import Facility
from directory.search import build_search_key, normalise
from tests.factories import FacilityFactory, direct_writes


@pytest.mark.parametrize(
    "variant",
    [
        "SPring-8",
        "spring8",
        "SPring–8",  # en dash, as seed 004 writes it
        "SPring—8",  # em dash
        "SPring‐8",  # Unicode hyphen
        "SPring−8",  # minus sign
        "ＳＰｒｉｎｇ－８",  # full-width letters and hyphen
        "ｓｐｒｉｎｇ－８",
        " SPring 8 ",
        "Spring8",
        "SPRING_8",
    ],
)
def test_spring8_variants_share_one_key(variant):
    assert normalise(variant) == "spring8"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("J-PARC", "jparc"),
        ("J–PARC", "jparc"),
        ("jparc", "jparc"),
        ("Q–LEAP", "qleap"),
        ("MAX IV", "maxiv"),
        ("Université Grenoble Alpes", "universitegrenoblealpes"),
        ("R&D", "rd"),
    ],
)
def test_latin_names_fold(text, expected):
    assert normalise(text) == expected


def test_japanese_is_left_intact():
    assert normalise("ナノテラス") == "ナノテラス"
    assert normalise("東北大学") == "東北大学"
    # Voicing marks change the word, so they are kept (ガ is not カ).
    assert normalise("ガ") == "ガ"
    # The prolonged sound mark is part of the word, not a dash.
    assert normalise("ビームライン") == "ビームライン"


def test_japanese_width_and_script_variants_fold():
    assert normalise("ﾅﾉﾃﾗｽ") == "ナノテラス"  # half-width katakana
    assert normalise("なのてらす") == "ナノテラス"  # hiragana
    assert normalise("スプリング・エイト") == "スプリングエイト"  # middle dot
    assert normalise("スプリング　エイト") == "スプリングエイト"  # ideographic space


def test_empty_values():
    assert normalise("") == ""
    assert normalise(None) == ""
    assert normalise("– — ・") == ""


def test_search_key_separates_deduplicated_terms():
    key = build_search_key(["SPring-8", "SPring–8", "Spring8", "スプリングエイト", "", None])
    assert key == "|spring8|スプリングエイト|"


def test_search_key_empty_without_terms():
    assert build_search_key(["", None, "–"]) == ""


@pytest.mark.django_db
class TestSearchKeyKeptCurrent:
    """Every write path rebuilds the key: save, update_fields, bulk_create, bulk_update, update.

    Writes happen only inside the write services (directory.writes); these tests write
    directly on purpose, to check the model and queryset guarantees the services rely on.
    """

    @pytest.fixture(autouse=True)
    def _direct(self):
        with direct_writes():
            yield

    def test_save_builds_key_from_all_terms(self):
        facility = FacilityFactory(
            name="SPring-8", name_ja="大型放射光施設", acronym="", aliases=["スプリングエイト"]
        )
        facility.refresh_from_db()
        assert facility.search_key == "|spring8|大型放射光施設|スプリングエイト|"

    def test_save_with_update_fields_includes_key(self):
        facility = FacilityFactory(name="Old Name")
        facility.name = "NanoTerasu"
        facility.save(update_fields=["name"])
        facility.refresh_from_db()
        assert "|nanoterasu|" in facility.search_key

    def test_katakana_alias_is_a_substring_of_the_key(self):
        FacilityFactory(name="NanoTerasu", aliases=["ナノテラス"])
        assert Facility.objects.filter(search_key__contains=normalise("ﾅﾉﾃﾗｽ")).count() == 1

    def test_bulk_create(self):
        Facility.objects.bulk_create(
            [
                FacilityFactory.build(name="ISIS Neutron and Muon Source", acronym="ISIS"),
                FacilityFactory.build(name="J-PARC"),
            ]
        )
        keys = set(Facility.objects.values_list("search_key", flat=True))
        assert keys == {"|isisneutronandmuonsource|isis|", "|jparc|"}

    def test_bulk_update(self):
        facility = FacilityFactory(name="Before")
        facility.name = "MAX IV"
        Facility.objects.bulk_update([facility], ["name"])
        assert Facility.objects.get(pk=facility.pk).search_key == "|maxiv|"

    def test_queryset_update(self):
        FacilityFactory(name="One", acronym="A")
        FacilityFactory(name="Two", acronym="B")
        Facility.objects.all().update(acronym="ESRF")
        assert sorted(Facility.objects.values_list("search_key", flat=True)) == [
            "|one|esrf|",
            "|two|esrf|",
        ]

    def test_update_of_other_fields_leaves_key(self):
        facility = FacilityFactory(name="Diamond Light Source")
        Facility.objects.filter(pk=facility.pk).update(city="Didcot")
        assert Facility.objects.get(pk=facility.pk).search_key == "|diamondlightsource|"
