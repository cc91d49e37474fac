"""Search normalisation: the one place that decides when two spellings are the same.

Every record keeps a *search key* built by :func:`build_search_key` from its names,
Japanese names, acronyms and aliases. A query is folded by :func:`normalise` the same
way, so "spring8", "SPring–8" and "ＳＰｒｉｎｇ－８" all meet the key of "SPring-8".

The key stores each folded term between ``|`` separators (``|spring8|スプリングエイト|``):
a term equal to the query is an exact match (``|q|``), a term starting with it is a
prefix match (``|q``), anything else containing it is a substring match. Plain
``LIKE`` answers all three on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

TERM_SEPARATOR = "|"

# Hiragana and katakana spell the same Japanese word; fold hiragana into katakana
# so that "すぷりんぐえいと" finds "スプリングエイト".
_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_OFFSET = 0x60

# Latin letters lose their accents ("Université" ~ "universite"); Japanese kana keep
# their voicing marks, which change the word (カ vs ガ).
_LATIN_LIMIT = 0x0250


def _is_dropped(char: str) -> bool:
    """Punctuation, separators and symbols carry no meaning in a name's key."""
    category = unicodedata.category(char)
    # The prolonged sound mark (ー) is a letter-like modifier in Japanese, not a dash.
    if char == "ー":
        return False
    return category[0] in {"P", "Z", "S", "C"}


def _strip_latin_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept: list[str] = []
    previous_base = ""
    for char in decomposed:
        if unicodedata.combining(char):
            if previous_base and ord(previous_base) < _LATIN_LIMIT:
                continue
        else:
            previous_base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _hiragana_to_katakana(text: str) -> str:
    return "".join(
        chr(ord(char) + _KATAKANA_OFFSET) if _HIRAGANA_START <= ord(char) <= _HIRAGANA_END else char
        for char in text
    )


def normalise(text: str | None) -> str:
    """Fold a name or a query to its comparable form.

    NFKC (full-width → ASCII, half-width kana → full-width), case-folded, Latin
    accents removed, hiragana folded to katakana, and every punctuation mark, dash
    variant, symbol and space removed. Japanese letters are otherwise left intact.
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _strip_latin_accents(folded)
    folded = _hiragana_to_katakana(folded)
    return "".join(char for char in folded if not _is_dropped(char))


def build_search_key(terms: Iterable[str | None]) -> str:
    """Build a record's search key from its terms (names, acronyms, aliases).

    Duplicate and empty terms are dropped; order is kept so the key is stable.
    """
    seen: dict[str, None] = {}
    for term in terms:
        key = normalise(term)
        if key:
            seen.setdefault(key, None)
    if not seen:
        return ""
    return TERM_SEPARATOR + TERM_SEPARATOR.join(seen) + TERM_SEPARATOR
