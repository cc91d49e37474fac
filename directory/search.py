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

import re
import struct
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


def _is_hiragana(char: str) -> bool:
    return _HIRAGANA_START <= ord(char) <= _HIRAGANA_END


def _hiragana_to_katakana(text: str) -> str:
    return "".join(
        chr(ord(char) + _KATAKANA_OFFSET) if _is_hiragana(char) else char for char in text
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
    folded = "".join(char for char in folded if not _is_dropped(char))
    # Digits are spelled before hiragana is folded, so only a katakana word's digits are read
    # (スプリング8), not a digit after a hiragana particle (と2次元 stays ト2次元).
    return _hiragana_to_katakana(spell_katakana_digits(folded))


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


# --- Spelled-out digits ---------------------------------------------------------------------

#: Digits read in katakana, as Japanese spells the numbers of Latin names ("SPring-8" is
#: スプリングエイト): after a katakana letter a digit is folded to its reading, so "スプリング8"
#: and "スプリングエイト" meet.
KATAKANA_DIGITS = {
    "0": "ゼロ",
    "1": "ワン",
    "2": "ツー",
    "3": "スリー",
    "4": "フォー",
    "5": "ファイブ",
    "6": "シックス",
    "7": "セブン",
    "8": "エイト",
    "9": "ナイン",
}
_KATAKANA_START, _KATAKANA_END = 0x30A1, 0x30FC


def _is_katakana(char: str) -> bool:
    return _KATAKANA_START <= ord(char) <= _KATAKANA_END


def spell_katakana_digits(text: str) -> str:
    """Digits written right after a kana word, spelled in katakana (スプリング8 and
    すぷりんぐ8 → スプリングエイト). A kana word is katakana, or hiragana that starts the
    text or follows katakana: a hiragana particle after kanji (量子と2次元) is no word of a
    Latin name, so its digit stays a digit."""
    out: list[str] = []
    in_kana_word = False  # the text so far ends in a kana word
    for char in text:
        if char in KATAKANA_DIGITS and in_kana_word:
            out.append(KATAKANA_DIGITS[char])
            continue
        if _is_katakana(char):
            in_kana_word = True
        elif _is_hiragana(char):
            in_kana_word = in_kana_word or not out
        else:
            in_kana_word = False
        out.append(char)
    return "".join(out)


# --- Trigram similarity -----------------------------------------------------------------------
#
# PostgreSQL's pg_trgm answers typo-tolerant search from the trigram index (``<<%``, the
# strict word similarity). The same measure is computed here for SQLite (registered as the
# SQL function ``strict_word_similarity``), a port of pg_trgm's calc_word_similarity, so both
# databases find and rank the same records.

#: The least strict word similarity (0–1) at which a record's name counts as a spelling of
#: the query: pg_trgm's default ``pg_trgm.strict_word_similarity_threshold``.
SIMILARITY_THRESHOLD = 0.5
#: The shortest folded word whose spellings are searched (selectors.can_be_misspelt): pg_trgm
#: finds a LIKE pattern or a similar word through the index only from a whole trigram.
MIN_SIMILAR_LENGTH = 3

_BOUND_LEFT, _BOUND_RIGHT = 1, 2
# pg_trgm's word characters: letters and digits (not "_").
_WORD = re.compile(r"[^\W_]+")


def _float4(value: float) -> float:
    """``value`` rounded as PostgreSQL's ``real`` holds it (pg_trgm computes in float4)."""
    return struct.unpack("f", struct.pack("f", value))[0]


def trigrams(text: str) -> tuple[list[str], list[int]]:
    """The trigrams of ``text`` in order, as pg_trgm forms them (each word of letters and
    digits padded with two spaces before, one after), and each one's word-bound flags."""
    found: list[str] = []
    bounds: list[int] = []
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams = [padded[i : i + 3] for i in range(len(padded) - 2)]
        flags = [0] * len(grams)
        flags[0] |= _BOUND_LEFT
        flags[-1] |= _BOUND_RIGHT
        found.extend(grams)
        bounds.extend(flags)
    return found, bounds


def _calc_similarity(count: int, ulen1: int, ulen2: int) -> float:
    return _float4(count / (ulen1 + ulen2 - count)) if ulen1 + ulen2 - count else 0.0


def strict_word_similarity(query: str | None, text: str | None) -> float:
    """pg_trgm's ``strict_word_similarity(query, text)``: the greatest trigram similarity
    (shared / all) between ``query`` and a run of whole words of ``text`` (the terms of a
    search key, between its separators)."""
    if not query or not text:
        return 0.0
    query_grams, _ = trigrams(query)
    text_grams, bounds = trigrams(text)
    if not query_grams or not text_grams:
        return 0.0
    wanted = set(query_grams)
    ids: dict[str, int] = {}
    indexes = [ids.setdefault(gram, len(ids)) for gram in text_grams]
    found = [False] * len(ids)
    for gram, index in ids.items():
        found[index] = gram in wanted
    ulen1 = len(wanted)
    lastpos = [-1] * len(ids)
    ulen2 = count = 0
    lower, best = 0, 0.0
    for i, index in enumerate(indexes):
        if lastpos[index] < 0:
            ulen2 += 1
            if found[index]:
                count += 1
        lastpos[index] = i
        if not bounds[i] & _BOUND_RIGHT:
            continue
        upper = i
        current = _calc_similarity(count, ulen1, ulen2)
        tmp_count, tmp_ulen2, prev_lower = count, ulen2, lower
        for tmp_lower in range(lower, upper + 1):
            if bounds[tmp_lower] & _BOUND_LEFT:
                candidate = _calc_similarity(tmp_count, ulen1, tmp_ulen2)
                if candidate > current:
                    current, ulen2, lower, count = candidate, tmp_ulen2, tmp_lower, tmp_count
            tmp_index = indexes[tmp_lower]
            if lastpos[tmp_index] == tmp_lower:
                tmp_ulen2 -= 1
                if found[tmp_index]:
                    tmp_count -= 1
        best = max(best, current)
        for tmp_lower in range(prev_lower, lower):
            tmp_index = indexes[tmp_lower]
            if lastpos[tmp_index] == tmp_lower:
                lastpos[tmp_index] = -1
    return best
