"""Search normalisation: the one place that decides when two spellings are the same.

Every record keeps a *search key* built by :func:`build_search_key` from its names,
Japanese names, acronyms and aliases. A query is folded by :func:`normalise` the same
way, so "spring8", "SPring–8" and "ＳＰｒｉｎｇ－８" all meet the key of "SPring-8".

The key stores each folded term between ``|`` separators (``|spring8|スプリングエイト|``):
a term equal to the query is an exact match (``|q|``), a term starting with it is a
prefix match (``|q``), anything else containing it is a substring match. Plain
``LIKE`` answers all three on SQLite and PostgreSQL alike.

A query is bounded before it reaches the database (:func:`search_terms`): at most
:data:`MAX_QUERY_LENGTH` characters and :data:`MAX_QUERY_TERMS` different words, so no
request can make the database evaluate more than a handful of ``LIKE`` patterns.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TERM_SEPARATOR = "|"

#: The longest query accepted, in characters (leading and trailing spaces aside).
MAX_QUERY_LENGTH = 200
#: The most different words a query may have (words that fold alike count once).
MAX_QUERY_TERMS = 8

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


def search_terms(query: str | None) -> list[str]:
    """The distinct folded words of ``query``, in order; the one check of a query's size.

    Each whitespace-separated word is folded by :func:`normalise`; words folding to nothing
    are dropped and words folding alike count once ("SPring-8 spring8" is one term).
    Raises ValidationError, naming the limit, for a query longer than MAX_QUERY_LENGTH
    characters or with more than MAX_QUERY_TERMS distinct words.
    """
    text = (query or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError(
            _("A search may be at most %(most)s characters long (this one has %(length)s)."),
            code="max_length",
            params={"most": MAX_QUERY_LENGTH, "length": len(text)},
        )
    terms = list(dict.fromkeys(word for word in map(normalise, text.split()) if word))
    if len(terms) > MAX_QUERY_TERMS:
        raise ValidationError(
            _("A search may have at most %(most)s different words (this one has %(count)s)."),
            code="max_terms",
            params={"most": MAX_QUERY_TERMS, "count": len(terms)},
        )
    return terms
