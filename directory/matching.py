"""Affiliation matching: which institution does a messy affiliation string name?

"Dept. of Physics, Tohoku Univ., Sendai 980-8577, Japan" → Tohoku University. The string is cut
into *segments* (commas, semicolons, brackets, 、) and each segment into *words* (spaces, ・);
every run of consecutive words of a segment is compared with the names, Japanese names,
aliases and acronyms of the institutions the caller may see, and of the facilities they
operate (selectors.visible: a draft never matches for the public). Words are folded as the
search key folds them (directory.search.normalise: case, full width, accents, punctuation),
after abbreviations are spelled out ("Univ." → university, "Natl." → national, "&" → and) and
linking words and legal forms ("of", "the", "Ltd", 国立大学法人 …) are left out. Japanese words
are compared by prefix too: 東北大学大学院理学研究科 is Tohoku University's graduate school.

How an institution was found (:class:`MatchType`) sets its score:

* ``exact`` (1.0), ``alias`` (0.95), ``acronym`` (0.9): a run of words is the name;
* ``fuzzy`` (0.9 × how alike): the same words in another order ("Tokyo University"), or words
  each at most a typo away ("Universty");
* ``parent`` (the name's score × 0.95, or × 0.9 when the rest of its segment is not plainly
  a unit): the string names a unit of the institution — a department, school, institute,
  centre — that the directory does not hold ("Graduate School of Science, Tohoku University");
* ``facility`` (0.85 for a facility's only operator, 0.7 for one of several, 0.6 for an
  owner, co-operator, host or funder): the string names a facility ("SPring-8, Sayo, Hyogo").

A run of words followed by "of"/"for" or holding another "University" is part of another name
("Tokyo University of Science", "Osaka City University"): no match. A country named in the
string is evidence: a candidate in it gains 0.05, one elsewhere loses a fifth of its score and
is never chosen. A city or prefecture named beside another institution is its address (× 0.5);
an institution named with one of its own parents puts the parent below it (× 0.9).

``chosen``: the best candidate when its score is at least :data:`CHOSEN_SCORE`, no country in
the string contradicts it and the next one is at least :data:`CHOSEN_MARGIN` behind.

Bounded work: the string is at most :data:`MAX_AFFILIATION_LENGTH` characters (the search
limit); the database sees at most :data:`MAX_PATTERNS` ``LIKE`` patterns on the search keys,
in two queries (institutions, and facilities' role links), each reading at most
:data:`MAX_ROWS` rows — whatever the string.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from directory import selectors
from directory.countries import countries_by_code
from directory.search import MAX_QUERY_LENGTH, TERM_SEPARATOR, normalise

#: The longest affiliation accepted, in characters: the search limit.
MAX_AFFILIATION_LENGTH = MAX_QUERY_LENGTH
#: At most this many LIKE patterns on the search keys, in each of the two queries.
MAX_PATTERNS = 24
#: At most this many records read by each of the two queries.
MAX_ROWS = 300
#: At most this many candidates answered, best first.
MAX_CANDIDATES = 10
#: The lowest score a candidate may be chosen with, and its least lead over the next one.
CHOSEN_SCORE = 0.85
CHOSEN_MARGIN = 0.1


class MatchType:
    EXACT = "exact"
    ALIAS = "alias"
    ACRONYM = "acronym"
    FUZZY = "fuzzy"
    PARENT = "parent"
    FACILITY = "facility"

    ALL = (EXACT, ALIAS, ACRONYM, FUZZY, PARENT, FACILITY)


BASE_SCORES = {MatchType.EXACT: 1.0, MatchType.ALIAS: 0.95, MatchType.ACRONYM: 0.9}
FUZZY_SCORE = 0.9
UNIT_FACTOR = 0.95  # a unit of the institution is named
UNCLEAR_FACTOR = 0.9  # something else shares the segment
COUNTRY_BONUS = 0.05
OTHER_COUNTRY_FACTOR = 0.8
PLACE_FACTOR = 0.5
ANCESTOR_FACTOR = 0.9
FACILITY_SCORES = {"only_operator": 0.85, "operator": 0.7, "other": 0.6}
#: Words of the same length or longer may differ by a typo in a fuzzy match.
FUZZY_WORD_LENGTH = 5
FUZZY_WORD_SIMILARITY = 0.85

# --- words ------------------------------------------------------------------------------------

SEGMENT_SEPARATORS = re.compile(r"[,;，；、。()（）\[\]【】「」『』{}<>/|\n\r\t]+")
WORD_SEPARATORS = re.compile(r"[\s・·･]+")

ABBREVIATIONS = {
    "univ": "university",
    "uni": "university",
    "inst": "institute",
    "natl": "national",
    "nat": "national",
    "lab": "laboratory",
    "labs": "laboratories",
    "dept": "department",
    "dep": "department",
    "sci": "science",
    "res": "research",
    "tech": "technology",
    "technol": "technology",
    "ctr": "center",
    "cntr": "center",
    "centre": "center",
    "organisation": "organization",
    "org": "organization",
    "assoc": "association",
    "intl": "international",
    "adv": "advanced",
    "grad": "graduate",
    "sch": "school",
    "fac": "faculty",
    "div": "division",
    "acad": "academy",
    "&": "and",
}
#: Linking words, left out when names are compared ("Univ. of Tokyo" ~ "Tokyo University").
STOPWORDS = frozenset(
    [
        "of",
        "the",
        "and",
        "for",
        "at",
        "in",
        "on",
        "de",
        "des",
        "du",
        "la",
        "le",
        "les",
        "der",
        "die",
        "das",
        "für",
        "fur",
        "und",
        "et",
        "a",
        "an",
    ]
)
#: Legal forms, left out on both sides ("Diamond Light Source Ltd" ~ "Diamond Light Source").
LEGAL_FORMS = frozenset(
    ["ltd", "limited", "inc", "incorporated", "gmbh", "plc", "llc", "co", "corp", "kk", "sa", "ag"]
)
JAPANESE_LEGAL_FORMS = (
    "大学共同利用機関法人",
    "国立研究開発法人",
    "国立大学法人",
    "独立行政法人",
    "公立大学法人",
    "公益財団法人",
    "一般財団法人",
    "公益社団法人",
    "一般社団法人",
    "学校法人",
    "株式会社",
    "有限会社",
)
#: A name followed by one of these is part of a longer name ("Tokyo University of Science").
LINKING_WORDS = frozenset(["of", "for", "at", "de", "du", "des", "der"])
#: Words naming an institution of its own: a run holding one more is another institution.
HEAD_WORDS = frozenset(
    ["university", "universities", "college", "universitat", "universite", "universidad"]
)
#: Words naming a unit of an institution (a department, school, institute, centre …).
UNIT_WORDS = frozenset(
    [
        "department",
        "faculty",
        "school",
        "graduate",
        "division",
        "section",
        "laboratory",
        "laboratories",
        "center",
        "institute",
        "program",
        "programme",
        "group",
        "unit",
        "hospital",
        "chair",
        "cluster",
        "office",
        "facility",
        "facilities",
        "beamline",
        "station",
        "division",
        "museum",
        "observatory",
        "clinic",
    ]
)
JAPANESE_UNIT_WORDS = (
    "大学院",
    "研究科",
    "学部",
    "学科",
    "専攻",
    "研究所",
    "研究センター",
    "センター",
    "研究室",
    "講座",
    "部門",
    "附属",
    "付属",
    "病院",
    "研究院",
    "学術院",
    "施設",
    "本部",
    "拠点",
)
JAPANESE_ADDRESS_MARKS = (
    "都",
    "道",
    "府",
    "県",
    "市",
    "区",
    "町",
    "村",
    "郡",
    "丁目",
    "番地",
    "〒",
)
#: Words too common to find a candidate by (a name made only of them is found whole).
GENERIC_WORDS = frozenset(
    [
        "university",
        "universities",
        "institute",
        "institution",
        "national",
        "research",
        "science",
        "sciences",
        "technology",
        "technologies",
        "laboratory",
        "laboratories",
        "center",
        "department",
        "school",
        "graduate",
        "faculty",
        "division",
        "section",
        "agency",
        "organization",
        "council",
        "ministry",
        "society",
        "foundation",
        "association",
        "office",
        "international",
        "advanced",
        "engineering",
        "physics",
        "chemistry",
        "applied",
        "material",
        "materials",
        "energy",
        "academy",
        "college",
        "group",
        "unit",
        "program",
        "programme",
        "facility",
        "facilities",
        "source",
        "light",
        "road",
        "avenue",
        "street",
        "box",
        "city",
        "prefecture",
        "campus",
        "studies",
        "development",
        "industrial",
        "medical",
        "federal",
        "state",
        "public",
        "general",
        "central",
        "new",
    ]
)
#: Place-like names: a city or prefecture named beside another institution is its address.
PLACE_ENDINGS = ("city", "prefecture", "county", "県", "市", "府", "都", "町", "村")
#: Other spellings of countries (the country table gives the English and Japanese names).
COUNTRY_VARIANTS = {
    "usa": "US",
    "us": "US",
    "unitedstatesofamerica": "US",
    "america": "US",
    "アメリカ": "US",
    "アメリカ合衆国": "US",
    "uk": "GB",
    "greatbritain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "イギリス": "GB",
    "prchina": "CN",
    "pr china": "CN",
    "peoplesrepublicchina": "CN",
    "中華人民共和国": "CN",
    "korea": "KR",
    "republickorea": "KR",
    "大韓民国": "KR",
    "deutschland": "DE",
    "schweiz": "CH",
    "suisse": "CH",
    "nippon": "JP",
}

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_RUN = re.compile(r"^[a-z0-9]+")
_POSTCODE = re.compile(r"^(〒?\d{3}-?\d{4}|[a-z]{1,2}-?\d{3,6}|\d+[a-z]?)$", re.IGNORECASE)


def _is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _strip_japanese_legal_forms(word: str) -> str:
    changed = True
    while changed:
        changed = False
        for form in JAPANESE_LEGAL_FORMS:
            if word.startswith(form):
                word, changed = word[len(form) :], True
    return word


@dataclass(frozen=True)
class Word:
    raw: str  # as written (NFKC), for the acronym check and the substring shown
    folded: str  # normalised, abbreviation spelled out; "" for a dropped word

    @property
    def compared(self) -> bool:
        return bool(self.folded) and self.folded not in STOPWORDS | LEGAL_FORMS


def _word(raw: str) -> Word:
    if _is_cjk(raw):
        return Word(raw, normalise(_strip_japanese_legal_forms(raw)))
    bare = normalise(raw)
    return Word(raw, ABBREVIATIONS.get(bare, ABBREVIATIONS.get(raw.strip(".").lower(), bare)))


def words_of(text: str) -> list[Word]:
    """The words of a segment, folded (empty ones dropped)."""
    text = text.replace("&", " & ")
    return [word for word in map(_word, WORD_SEPARATORS.split(text)) if word.folded]


def compared_words(words: list[Word]) -> list[str]:
    return [word.folded for word in words if word.compared]


def loose_key(words: list[Word]) -> str:
    """What two names must share to be the same name: their compared words, in order."""
    return "".join(compared_words(words))


def name_words(name: str) -> list[Word]:
    """A record's name cut into words as an affiliation is (segment separators included)."""
    return words_of(SEGMENT_SEPARATORS.sub(" ", unicodedata.normalize("NFKC", name)))


def segments_of(affiliation: str) -> list[list[Word]]:
    text = unicodedata.normalize("NFKC", affiliation)
    segments = (words_of(part) for part in SEGMENT_SEPARATORS.split(text))
    return [segment for segment in segments if segment]


# --- the request ------------------------------------------------------------------------------


def check_affiliation(affiliation: str | None) -> str:
    """The affiliation stripped; ValidationError naming the limit when it is too long."""
    text = (affiliation or "").strip()
    if len(text) > MAX_AFFILIATION_LENGTH:
        raise ValidationError(
            _("An affiliation may be at most %(most)s characters long (this one has %(length)s)."),
            code="max_length",
            params={"most": MAX_AFFILIATION_LENGTH, "length": len(text)},
        )
    return text


@dataclass
class InstitutionRow:
    id: int
    slug: str
    name: str
    name_ja: str
    country_id: str
    parent_id: int | None


@dataclass
class FacilityLink:
    slug: str
    name: str
    name_ja: str
    role: str


@dataclass
class Candidate:
    institution: InstitutionRow
    score: float
    matching_type: str
    substring: str
    facility: FacilityLink | None = None
    chosen: bool = False
    other_country: bool = False
    place: bool = False
    sources: set = field(default_factory=set)


@dataclass(frozen=True)
class Term:
    """One name of a record, ready to compare."""

    key: str  # loose key
    words: tuple[str, ...]
    type: str
    acronym: str = ""
    cjk: bool = False


def _terms(name, name_ja, acronym, aliases) -> tuple[Term, ...]:
    return _folded_terms(name, name_ja, acronym, tuple(aliases or ()))


@functools.lru_cache(maxsize=8192)
def _folded_terms(name, name_ja, acronym, aliases) -> tuple[Term, ...]:
    """A record's names, folded once per process (a pure function of the names)."""
    terms = []
    for text, kind in [
        (name, MatchType.EXACT),
        (name_ja, MatchType.EXACT),
        *((alias, MatchType.ALIAS) for alias in aliases),
        (acronym, MatchType.ACRONYM),
    ]:
        if not text:
            continue
        words = name_words(text)
        key = loose_key(words)
        if key:
            terms.append(
                Term(
                    key,
                    tuple(compared_words(words)),
                    kind,
                    acronym=text if kind == MatchType.ACRONYM else "",
                    cjk=_is_cjk(text),
                )
            )
    return tuple(terms)


# --- retrieval: bounded LIKE patterns on the search keys --------------------------------------


@functools.cache
def _country_keys() -> dict[str, str]:
    """Every spelling of a country, folded, with its code (once per process, as the country
    table itself: directory.countries)."""
    keys = {}
    for code, country in countries_by_code().items():
        for text in (country.name, country.name_ja):
            if text:
                keys[loose_key(name_words(text))] = code
    for text, code in COUNTRY_VARIANTS.items():
        keys[loose_key(name_words(text))] = code
    return keys


def retrieval_patterns(segments: list[list[Word]], countries: dict[str, str]) -> list[str]:
    """The LIKE patterns a candidate's search key must hold one of: each segment whole (as a
    term of the key), then each distinctive word, in order; at most MAX_PATTERNS."""
    patterns: dict[str, None] = {}
    for segment in segments:
        whole = normalise("".join(word.raw for word in segment))
        spelled = "".join(word.folded for word in segment)
        for key in (whole, spelled):
            if key:
                patterns.setdefault(f"{TERM_SEPARATOR}{key}{TERM_SEPARATOR}", None)
    for segment in segments:
        for word in segment:
            token = _distinctive(word, countries)
            if token:
                patterns.setdefault(token, None)
    return list(patterns)[:MAX_PATTERNS]


def _distinctive(word: Word, countries: dict[str, str]) -> str:
    folded = word.folded
    if not word.compared or folded in GENERIC_WORDS or folded in countries:
        return ""
    if _is_cjk(folded):
        if _is_cjk(folded[0]):
            return folded[:2]
        match = _LATIN_RUN.match(folded)
        return match.group(0) if match and len(match.group(0)) >= 3 else ""
    letters = sum(char.isalpha() for char in folded)
    if letters < 3 and not (len(word.raw) >= 2 and word.raw.isupper()):
        return ""
    if _POSTCODE.match(word.raw) and letters < 3:
        return ""
    return folded


def _key_condition(patterns: list[str], prefix: str = "") -> Q:
    condition = Q()
    for pattern in patterns:
        condition |= Q(**{f"{prefix}search_key__contains": pattern})
    return condition


def _load(patterns: list[str], user):
    """(institutions with their terms, facility links with the facility's terms): two queries."""
    from directory.models import Facility, FacilityRole, Institution

    if not patterns:
        return [], []
    institutions = selectors.visible(Institution, user)
    rows = (
        institutions.filter(_key_condition(patterns))
        .order_by("name", "pk")
        .values_list(
            "pk", "slug", "name", "name_ja", "acronym", "aliases", "country_id", "parent_id"
        )[:MAX_ROWS]
    )
    found = []
    for pk, slug, name, name_ja, acronym, aliases, country_id, parent_id in rows:
        row = InstitutionRow(pk, slug, name, name_ja or "", country_id, parent_id)
        found.append((row, _terms(name, name_ja, acronym, aliases)))
    facilities = selectors.visible(Facility, user).filter(_key_condition(patterns))
    links = (
        FacilityRole.objects.filter(facility__in=facilities, institution__in=institutions)
        .order_by("facility__name", "facility_id", "role", "institution_id")
        .values_list(
            "role",
            "facility_id",
            "facility__slug",
            "facility__name",
            "facility__name_ja",
            "facility__acronym",
            "facility__aliases",
            "institution_id",
            "institution__slug",
            "institution__name",
            "institution__name_ja",
            "institution__country_id",
            "institution__parent_id",
        )[:MAX_ROWS]
    )
    by_facility: dict[int, dict] = {}
    for (
        role,
        facility_id,
        f_slug,
        f_name,
        f_name_ja,
        f_acronym,
        f_aliases,
        i_id,
        i_slug,
        i_name,
        i_name_ja,
        i_country,
        i_parent,
    ) in links:
        entry = by_facility.setdefault(
            facility_id,
            {
                "facility": (f_slug, f_name, f_name_ja or ""),
                "terms": _terms(f_name, f_name_ja, f_acronym, f_aliases),
                "links": [],
            },
        )
        entry["links"].append(
            (role, InstitutionRow(i_id, i_slug, i_name, i_name_ja or "", i_country, i_parent))
        )
    return found, list(by_facility.values())


# --- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    segment: int
    start: int
    end: int
    key: str
    words: tuple[str, ...]
    raw: str


def _spans(segments: list[list[Word]]) -> list[Span]:
    spans = []
    for index, segment in enumerate(segments):
        for start in range(len(segment)):
            for end in range(start + 1, len(segment) + 1):
                part = segment[start:end]
                if not part[0].compared or not part[-1].compared:
                    continue
                key = loose_key(part)
                if key:
                    raw = " ".join(word.raw for word in part)
                    spans.append(Span(index, start, end, key, tuple(compared_words(part)), raw))
    return spans


def _fuzzy_similarity(span_words: tuple[str, ...], term_words: tuple[str, ...]) -> float:
    """How alike two names are word by word, in any order (0 when a word has no partner)."""
    if len(span_words) != len(term_words) or len(term_words) < 2:
        return 0.0
    if any(_is_cjk(word) for word in (*span_words, *term_words)):
        return 0.0
    left = list(term_words)
    total = 0.0
    for word in span_words:
        best, best_index = 0.0, -1
        for index, other in enumerate(left):
            if word == other:
                similarity = 1.0
            elif min(len(word), len(other)) >= FUZZY_WORD_LENGTH:
                similarity = SequenceMatcher(None, word, other).ratio()
                if similarity < FUZZY_WORD_SIMILARITY:
                    continue
            else:
                continue
            if similarity > best:
                best, best_index = similarity, index
        if best_index < 0:
            return 0.0
        total += best
        left.pop(best_index)
    return total / len(span_words)


def _acronym_written(raw: str, acronym: str) -> bool:
    """An acronym counts as written in capitals (or exactly as the record spells it)."""
    bare = re.sub(r"[^\w]", "", raw)
    return bare == re.sub(r"[^\w]", "", acronym) or sum(char.isupper() for char in bare) >= 2


_JAPANESE_HEAD = re.compile(r"大学(?!院)")


def _is_unit(word: str) -> bool:
    if _is_cjk(word):
        return any(unit in word for unit in JAPANESE_UNIT_WORDS)
    return word in UNIT_WORDS


def _is_head(word: str) -> bool:
    return word in HEAD_WORDS or bool(_is_cjk(word) and _JAPANESE_HEAD.search(word))


def _context(segments, span: Span, unit_segments: set[int]) -> float | None:
    """The factor the rest of the string puts on a name found at ``span``: 1 alone in its
    segment (an address or country aside), UNIT_FACTOR / UNCLEAR_FACTOR beside a unit, None
    when the span is part of another name."""
    segment = segments[span.segment]
    before, after = segment[: span.start], segment[span.end :]
    if (after and after[0].folded in LINKING_WORDS) or (
        before and before[-1].folded in LINKING_WORDS
    ):
        return None
    rest = [word for word in before + after if word.compared]
    if any(_is_head(word.folded) for word in rest):
        return None
    named_unit = any(index < span.segment for index in unit_segments)
    if not rest or all(_POSTCODE.match(word.raw) for word in rest):
        return UNIT_FACTOR if named_unit else 1.0
    if any(_is_unit(word.folded) for word in rest):
        return UNIT_FACTOR
    return UNCLEAR_FACTOR


def _cjk_prefix(word: Word, term: Term) -> float | None:
    """A Japanese word starting with a Japanese name: the rest is a unit (UNIT_FACTOR), an
    address or another name (None)."""
    if not (term.cjk and _is_cjk(word.folded)) or not word.folded.startswith(term.key):
        return None
    rest = word.folded[len(term.key) :]
    if not rest:
        return 1.0
    if _is_head(rest) or any(mark in rest for mark in JAPANESE_ADDRESS_MARKS):
        return None  # another institution (東大阪大学), or an address (宮城県仙台市…)
    return UNIT_FACTOR if _is_unit(rest) else None


def _unit_segments(segments, spans_matched: set[int]) -> set[int]:
    units = set()
    for index, segment in enumerate(segments):
        if index in spans_matched:
            continue
        if any(_is_unit(word.folded) for word in segment):
            units.add(index)
    return units


def _best_term_match(segments, spans, terms, unit_segments):
    """(score, type, substring) of the best way ``terms`` are found, or None."""
    best = None
    for span in spans:
        for term in terms:
            factor, base, kind = None, 0.0, term.type
            if span.key == term.key:
                if kind == MatchType.ACRONYM and not _acronym_written(span.raw, term.acronym):
                    continue
                base = BASE_SCORES[kind]
                factor = _context(segments, span, unit_segments)
            elif span.end - span.start == 1 and term.cjk:
                word = segments[span.segment][span.start]
                factor = _cjk_prefix(word, term)
                if factor is not None:
                    base = BASE_SCORES[kind]
                    if factor == 1.0:
                        factor = _context(segments, span, unit_segments)
            elif kind != MatchType.ACRONYM:
                similarity = _fuzzy_similarity(span.words, term.words)
                if similarity:
                    base, kind = FUZZY_SCORE * similarity, MatchType.FUZZY
                    factor = _context(segments, span, unit_segments)
            if factor is None or not base:
                continue
            score = base * factor
            if factor < 1.0 and kind != MatchType.FUZZY:
                kind = MatchType.PARENT
            if best is None or score > best[0]:
                best = (score, kind, span.raw)
    return best


def _is_place(row: InstitutionRow) -> bool:
    names = [normalise(row.name), normalise(row.name_ja)]
    return any(name and name.endswith(PLACE_ENDINGS) for name in names)


def match_affiliation(affiliation: str, user) -> list[Candidate]:
    """The institutions ``affiliation`` may name, best first, the confident one chosen.

    ``affiliation`` must have passed :func:`check_affiliation`. Two queries (one for the
    country table, once per process), whatever the string.
    """
    segments = segments_of(affiliation)
    countries = _country_keys()
    named_countries = {
        countries[loose_key(segment)] for segment in segments if loose_key(segment) in countries
    }
    if segments:
        last = segments[-1]
        for size in (1, 2, 3):
            if len(last) > size and loose_key(last[-size:]) in countries:
                named_countries.add(countries[loose_key(last[-size:])])
    institutions, facilities = _load(retrieval_patterns(segments, countries), user)
    spans = _spans(segments)
    # Segments naming an institution or a facility directly are not units of another.
    all_terms = {term.key for _row, terms in institutions for term in terms}
    all_terms |= {term.key for entry in facilities for term in entry["terms"]}
    matched_segments = {span.segment for span in spans if span.key in all_terms}
    unit_segments = _unit_segments(segments, matched_segments)

    candidates: dict[int, Candidate] = {}

    def offer(row, score, kind, substring, facility=None):
        current = candidates.get(row.id)
        if current is None or score > current.score:
            candidates[row.id] = Candidate(row, score, kind, substring, facility)

    for row, terms in institutions:
        found = _best_term_match(segments, spans, terms, unit_segments)
        if found:
            offer(row, *found)
    for entry in facilities:
        found = _best_term_match(segments, spans, entry["terms"], unit_segments)
        if not found:
            continue
        operators = [row for role, row in entry["links"] if role == "operator"]
        for role, row in entry["links"]:
            if role == "operator":
                weight = FACILITY_SCORES["only_operator" if len(operators) == 1 else "operator"]
            else:
                weight = FACILITY_SCORES["other"]
            slug, name, name_ja = entry["facility"]
            offer(
                row,
                weight * min(1.0, found[0]),
                MatchType.FACILITY,
                found[2],
                FacilityLink(slug, name, name_ja, role),
            )

    ranked = list(candidates.values())
    ids = set(candidates)
    for candidate in ranked:
        row = candidate.institution
        if named_countries:
            if row.country_id in named_countries:
                candidate.score += COUNTRY_BONUS
            else:
                candidate.score *= OTHER_COUNTRY_FACTOR
                candidate.other_country = True
        if len(ranked) > 1 and _is_place(row):
            candidate.score *= PLACE_FACTOR
            candidate.place = True
    parents = {candidate.institution.parent_id for candidate in ranked} & ids
    for candidate in ranked:
        if candidate.institution.id in parents:
            candidate.score *= ANCESTOR_FACTOR
        candidate.score = round(min(1.0, candidate.score), 3)
    ranked.sort(key=lambda candidate: (-candidate.score, candidate.institution.name))
    ranked = ranked[:MAX_CANDIDATES]
    if ranked:
        top = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        top.chosen = (
            top.score >= CHOSEN_SCORE
            and not top.other_country
            and top.score - runner_up >= CHOSEN_MARGIN - 1e-9
        )
    return ranked
