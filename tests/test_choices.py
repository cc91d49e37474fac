"""Every controlled vocabulary is bilingual."""

import pytest

from directory.choices import JAPANESE_LABELS, FacilityKind, choice_label


@pytest.mark.parametrize("choices", list(JAPANESE_LABELS), ids=lambda c: c.__name__)
def test_every_choice_has_a_japanese_label(choices):
    assert set(JAPANESE_LABELS[choices]) == set(choices.values)


def test_choice_label_in_both_languages():
    assert choice_label(FacilityKind, "synchrotron") == "Synchrotron light source"
    assert choice_label(FacilityKind, "synchrotron", "ja") == "放射光施設"
    assert choice_label(FacilityKind, "") == ""
