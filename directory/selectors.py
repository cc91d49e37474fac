"""Reads of the directory that own their joins: visibility, search, geography, facets, summaries.

The API and the embed widgets call these; none of them knows about HTTP.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connections, models, router
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import (
    ASin,
    Cast,
    Cos,
    Greatest,
    Least,
    Length,
    NullIf,
    Power,
    Radians,
    Replace,
    Sin,
    Sqrt,
)

from directory.search import (
    MIN_SIMILAR_LENGTH,
    SIMILARITY_THRESHOLD,
    TERM_SEPARATOR,
    normalise,
    search_terms,
)

EARTH_RADIUS_KM = 6371.0088

# The ranking of search results (README, "Search ranking"): how a query word can match a
# record's names, best first.
SCORE_EXACT = 1.0  # a name, Japanese name, acronym or alias is the word
SCORE_PREFIX = 0.8  # one starts with it (Latin script)
SCORE_WORD = 0.6  # one holds it
SCORE_PLACE = 0.4  # the record's place (city, site, country) holds it
SCORE_SIMILAR = 0.2  # a name is spelled like it: 0.2 + 0.2 x trigram similarity (< 0.4)
#: Added for each of the record's names holding the whole query, up to MAX_NAMES_COUNTED.
SCORE_PER_NAME = 0.01
MAX_NAMES_COUNTED = 5


def follows_the_clock(model) -> bool:
    """Whether answers listing ``model`` change with the clock, not only with writes.

    A call's status moves at its deadline and opening day; a programme shows its open calls.
    Such answers are fresh only until the next of those moments (api.caching).
    """
    from directory.models import Call, Programme

    return model in (Call, Programme)


#: The publication rule: a record is public when it is published and so are the records these
#: foreign keys of its model point at (a draft programme's calls are drafts with it, a draft
#: facility's instruments with it). Records without a publication state (countries) are all
#: public. Read as a query condition
#: (:func:`public_condition`), on a loaded record (:func:`is_public`) and in the briefs' SQL
#: (:meth:`Relation.select_sql`): one statement, three forms.
PUBLIC_THROUGH = {"call": ("programme",), "instrument": ("facility",)}


def public_condition(model) -> Q:
    """What anonymous users may see of ``model`` (:data:`PUBLIC_THROUGH`), as a condition."""
    if not publishable(model):
        return Q()
    condition = Q(is_published=True)
    for link in PUBLIC_THROUGH.get(model._meta.model_name, ()):
        condition &= Q(**{f"{link}__is_published": True})
    return condition


def is_public(record) -> bool:
    """Whether anonymous users may see ``record`` (:data:`PUBLIC_THROUGH`), loaded."""
    if not publishable(type(record)):
        return True
    links = PUBLIC_THROUGH.get(record._meta.model_name, ())
    return record.is_published and all(getattr(record, link).is_published for link in links)


@functools.cache
def publishable(model) -> bool:
    """Whether ``model``'s records have a publication state (countries have none)."""
    return any(field.name == "is_published" for field in model._meta.concrete_fields)


def visible(model, user) -> models.QuerySet:
    """The records of ``model`` that ``user`` may see: public ones (public_condition), and
    drafts too for signed-in staff. Every read — lists, details, filters through related
    records, facets, search, widgets, feeds and calendars — starts here."""
    return visible_to(model.objects.all(), user)


def visible_to(queryset: models.QuerySet, user) -> models.QuerySet:
    """``queryset`` narrowed to what ``user`` may see (see :func:`visible`)."""
    if shows_drafts(user):
        return queryset
    return queryset.filter(public_condition(queryset.model))


def visible_facilities(user) -> models.QuerySet:
    from directory.models import Facility

    return visible(Facility, user)


def visible_programmes(user) -> models.QuerySet:
    from directory.models import Programme

    return visible(Programme, user)


def visible_calls(user) -> models.QuerySet:
    """Calls ``user`` may see: for the public, published calls of published programmes."""
    from directory.models import Call

    return visible(Call, user)


def visible_instruments(user) -> models.QuerySet:
    """Instruments ``user`` may see: for the public, published ones of published facilities."""
    from directory.models import Instrument

    return visible(Instrument, user)


def visible_institutions(user) -> models.QuerySet:
    from directory.models import Institution

    return visible(Institution, user)


def visible_agreements(user) -> models.QuerySet:
    from directory.models import Agreement

    return visible(Agreement, user)


def visible_techniques(user) -> models.QuerySet:
    from directory.models import Technique

    return visible(Technique, user)


def visible_fields(user) -> models.QuerySet:
    from directory.models import ResearchField

    return visible(ResearchField, user)


def visible_sources(user) -> models.QuerySet:
    from directory.models import Source

    return visible(Source, user)


def shows_drafts(user) -> bool:
    """Whether ``user`` may see unpublished records."""
    return bool(user is not None and user.is_authenticated and user.is_staff)


def related_model(model, path: str):
    """The model at the end of a relation path (``programme__fields`` from Call: ResearchField)."""
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def through_visible(queryset: models.QuerySet, relation: str, targets: models.QuerySet):
    """``queryset``'s records linked through ``relation`` to any of ``targets``.

    A subquery keeps each record once however many targets it links to. ``targets`` come
    from :func:`visible`, so matching through a draft never reveals that the draft exists.
    """
    model = queryset.model
    linked = model._base_manager.filter(**{f"{relation}__in": targets}).values("pk")
    return queryset.filter(pk__in=linked)


# --- Search -----------------------------------------------------------------


class StrictWordSimilarity(models.Func):
    """pg_trgm's ``strict_word_similarity(query, key)`` (0–1); on SQLite the same measure,
    computed by directory.search.strict_word_similarity (registered by DirectoryConfig)."""

    function = "strict_word_similarity"
    output_field = FloatField()


class SimilarWords(models.Func):
    """Whether ``key`` holds a spelling of ``query`` (strict word similarity at least
    directory.search.SIMILARITY_THRESHOLD). On PostgreSQL the ``%>>`` operator, which the
    trigram GIN index of the key answers; on SQLite the function and the threshold."""

    output_field = models.BooleanField()

    def __init__(self, key, query):
        super().__init__(key, query)

    def as_sql(self, compiler, connection, **extra):
        key, query = self.source_expressions
        key_sql, key_params = compiler.compile(key)
        query_sql, query_params = compiler.compile(query)
        sql = f"(strict_word_similarity({query_sql}, {key_sql}) >= {SIMILARITY_THRESHOLD})"
        return sql, (*query_params, *key_params)

    def as_postgresql(self, compiler, connection, **extra):
        key, query = self.source_expressions
        key_sql, key_params = compiler.compile(key)
        query_sql, query_params = compiler.compile(query)
        # Also the threshold itself: the operator follows a setting a session may change.
        return (
            f"({key_sql} %%>> ({query_sql})::text AND "
            f"strict_word_similarity(({query_sql})::text, {key_sql}) >= {SIMILARITY_THRESHOLD})",
            (*key_params, *query_params, *query_params, *key_params),
        )


def _has_script_boundaries(word: str) -> bool:
    """Whether a word's start means something: Latin letters and digits have word starts,
    Japanese text, written without spaces, has none (放射光 is no more a prefix of
    放射光施設MAX-IV than it is a part of 大型放射光施設SPring-8)."""
    return all(ord(char) < 0x2E80 for char in word)


def _word_score(column: str, word: str, place_column: str | None = None):
    """How well ``word`` matches a record: SCORE_EXACT when a name (its search key) is the
    word, SCORE_PREFIX when one starts with it (Latin script), SCORE_WORD when one holds it,
    SCORE_PLACE when its place holds it, SCORE_SIMILAR plus up to as much again by
    similarity when a name is spelled like it; else 0."""
    key = F(column)
    separator = TERM_SEPARATOR
    whens = [
        When(**{f"{column}__contains": f"{separator}{word}{separator}"}, then=Value(SCORE_EXACT))
    ]
    if _has_script_boundaries(word):
        whens.append(
            When(**{f"{column}__contains": f"{separator}{word}"}, then=Value(SCORE_PREFIX))
        )
    whens.append(When(**{f"{column}__contains": word}, then=Value(SCORE_WORD)))
    if place_column:
        whens.append(When(**{f"{place_column}__contains": word}, then=Value(SCORE_PLACE)))
    if can_be_misspelt(word):
        similarity = StrictWordSimilarity(Value(word), key)
        whens.append(
            When(
                SimilarWords(key, Value(word)),
                then=Value(SCORE_SIMILAR) + Value(SCORE_SIMILAR) * similarity,
            )
        )
    return Case(*whens, default=Value(0.0), output_field=FloatField())


def _name_count(column: str, word: str):
    """How many of a record's names hold ``word`` (its occurrences in the search key)."""
    return (Length(F(column)) - Length(Replace(F(column), Value(word), Value("")))) / len(word)


def can_be_misspelt(word: str) -> bool:
    """Whether search looks for spellings of ``word`` (similarity), not only for the word: a
    word of at least MIN_SIMILAR_LENGTH characters. A shorter one has no trigram of its own,
    so no index could find its spellings: PostgreSQL would compute the similarity of every
    row (0.4 s at 20,000 facilities for "仙台", 0.04 s without)."""
    return len(word) >= MIN_SIMILAR_LENGTH


def _word_condition(column: str, word: str, place_column: str | None) -> Q:
    found = Q(**{f"{column}__contains": word})
    if can_be_misspelt(word):
        found |= Q(SimilarWords(F(column), Value(word)))
    if place_column:
        found |= Q(**{f"{place_column}__contains": word})
    return found


def has_places(model) -> bool:
    """Whether ``model``'s records are searched by their place too (a ``place_key``)."""
    return bool(getattr(model, "PLACE_TERM_FIELDS", ()))


def search_condition(
    query: str, prefix: str = "", *, places: bool = False
) -> tuple[Q, models.Expression] | None:
    """The filter and the score expression for a free-text query, or None if it folds to nothing.

    A record matches when its names (search key) hold the whole folded query or are spelled
    like it (trigram similarity: typos), or when every folded word of it is in its names, is
    spelled like one, or (``places``: the model has a ``place_key``) is in its place. The
    score ranks (README, "Search ranking"): the better of the whole query's match, plus
    SCORE_PER_NAME for each name holding it (at most MAX_NAMES_COUNTED), and the mean of its
    words' matches, each SCORE_EXACT > SCORE_PREFIX > SCORE_WORD > SCORE_PLACE >
    SCORE_SIMILAR(+similarity). The words are those of search_terms(), which refuses
    (ValidationError) a query too long or with too many words, so the SQL holds a bounded
    number of patterns: for n words (at most MAX_QUERY_TERMS), 4 + 4n LIKE patterns per
    statement, 4 + 6n with places (tests/test_search_limits.py).
    """
    terms = search_terms(query)
    key = normalise(query)
    if not key:
        return None
    column = f"{prefix}search_key"
    place_column = f"{prefix}place_key" if places else None
    whole = _word_condition(column, key, None)
    # A word found inside another adds nothing to "every word": the longer one implies it.
    words = [word for word in terms if not any(word != other and word in other for other in terms)]
    words = words or [key]
    counted = Least(_name_count(column, key), Value(MAX_NAMES_COUNTED))
    bonus = Value(SCORE_PER_NAME) * Cast(counted, FloatField())
    if words == [key]:
        # One word, the whole query: its match in the names or else its place (SCORE_PLACE
        # tops any similarity) is what the better of the whole query's score and the words'
        # mean would be, with half the patterns.
        condition = whole
        if place_column:
            condition |= Q(**{f"{place_column}__contains": key})
        return condition, _word_score(column, key, place_column) + bonus
    every_word = Q()
    for word in words:
        every_word &= _word_condition(column, word, place_column)
    condition = whole | every_word
    score = _word_score(column, key) + bonus
    word_scores = [_word_score(column, word, place_column) for word in words]
    mean = functools.reduce(lambda a, b: a + b, word_scores) / Value(float(len(words)))
    return condition, Greatest(score, mean, output_field=FloatField())


#: Decimals of a search score as answers show it (the same on SQLite and PostgreSQL).
SCORE_DECIMALS = 4


def search_score(record) -> float | None:
    """The score search() gave ``record`` (rounded to SCORE_DECIMALS), None if it was not
    found by a search."""
    score = getattr(record, "search_score", None)
    return None if score is None else round(float(score), SCORE_DECIMALS)


def search(queryset: models.QuerySet, query: str) -> models.QuerySet:
    """Records matching ``query``, annotated with ``search_score`` and ordered best first.

    Case, width (NFKC), dash variants and punctuation are ignored (see directory.search):
    "spring8", "SPring–8" and "ｓｐｒｉｎｇ－８" all find SPring-8; so do typos ("sprng8").
    """
    found = search_condition(query, places=has_places(queryset.model))
    if found is None:
        return queryset.none()
    condition, score = found
    return (
        queryset.filter(condition)
        .annotate(search_score=score)
        .order_by("-search_score", "name", "slug")
    )


# --- Geography --------------------------------------------------------------


def by_japanese_name(*, descending: bool = False) -> list:
    """The order of ``ordering=name_ja``: by Japanese name, records without one (an empty
    ``name_ja``) last in both directions, then by English name. NULLS LAST is emulated by
    Django where a database lacks it, so SQLite and PostgreSQL agree."""
    japanese = NullIf(F("name_ja"), Value(""))
    if descending:
        return [japanese.desc(nulls_last=True), F("name").desc()]
    return [japanese.asc(nulls_last=True), F("name").asc()]


#: The sync order of a list (``?sync=true``/``?cursor=``): oldest change first, the primary
#: key breaking ties, so (updated_at, pk) is unique and a position in it is stable.
SYNC_ORDER = ("updated_at", "pk")


def in_sync_order(queryset: models.QuerySet, after: tuple | None = None) -> models.QuerySet:
    """``queryset`` in :data:`SYNC_ORDER`, only the records strictly after the position
    ``after`` (an ``(updated_at, pk)`` pair; None: from the start). A record written since a
    client passed it moves to the end, so it is listed again. A keyset condition, answered
    from the ``updated_at`` index whatever the position."""
    if after is not None:
        moment, pk = after
        queryset = queryset.filter(Q(updated_at__gt=moment) | Q(updated_at=moment, pk__gt=pk))
    return queryset.order_by(*SYNC_ORDER)


def great_circle_km(lat: float, lon: float) -> models.Func:
    """Haversine distance in km from (lat, lon) to each row's coordinates, computed in SQL."""
    lat1, lon1 = math.radians(lat), math.radians(lon)
    dlat = Radians(F("latitude")) - Value(lat1)
    dlon = Radians(F("longitude")) - Value(lon1)
    half_chord = Power(Sin(dlat / 2), 2) + Value(math.cos(lat1)) * Cos(
        Radians(F("latitude"))
    ) * Power(Sin(dlon / 2), 2)
    return Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(half_chord))


def within_radius(
    queryset: models.QuerySet, lat: float, lon: float, radius_km: float
) -> models.QuerySet:
    """Rows within ``radius_km`` of (lat, lon) by great-circle distance, annotated ``distance_km``.

    A bounding box on the indexed coordinates narrows the rows before the exact distance.
    """
    lat_margin = math.degrees(radius_km / EARTH_RADIUS_KM)
    box = Q(latitude__gte=lat - lat_margin, latitude__lte=lat + lat_margin)
    cos_lat = math.cos(math.radians(lat))
    if abs(lat) + lat_margin < 89 and cos_lat > 0:
        lon_margin = min(180.0, lat_margin / cos_lat)
        west, east = lon - lon_margin, lon + lon_margin
        if west >= -180 and east <= 180:
            box &= Q(longitude__gte=west, longitude__lte=east)
        elif west < -180:
            box &= Q(longitude__gte=west + 360) | Q(longitude__lte=east)
        else:
            box &= Q(longitude__gte=west) | Q(longitude__lte=east - 360)
    return (
        queryset.filter(box)
        .annotate(distance_km=great_circle_km(lat, lon))
        .filter(distance_km__lte=radius_km)
    )


def in_bbox(
    queryset: models.QuerySet, min_lon: float, min_lat: float, max_lon: float, max_lat: float
) -> models.QuerySet:
    """Rows inside a box; a box with min_lon > max_lon crosses the antimeridian (RFC 7946 §5.2)."""
    latitude = Q(latitude__gte=min_lat, latitude__lte=max_lat)
    if min_lon <= max_lon:
        longitude = Q(longitude__gte=min_lon, longitude__lte=max_lon)
    else:
        longitude = Q(longitude__gte=min_lon) | Q(longitude__lte=max_lon)
    return queryset.filter(latitude & longitude)


# --- Facets -----------------------------------------------------------------


def facet_counts(
    queryset: models.QuerySet,
    path: str,
    relation: str | None = None,
    targets: models.QuerySet | None = None,
    condition: dict | None = None,
) -> list[tuple[object, int]]:
    """Counts of records per value of ``path`` (a field or a relation path), most frequent first.

    One query; a record linked to several values counts once under each. With ``relation``,
    only links to ``targets`` (the related records the caller may see) are counted, and of
    those only the links meeting ``condition`` (e.g. ``{"roles__role__in": [...]}``: in the
    same ``filter()``, so it holds for the very link counted).
    """
    if relation:
        queryset = queryset.filter(**{f"{relation}__in": targets}, **(condition or {}))
    rows = (
        queryset.order_by()
        .exclude(**{f"{path}__isnull": True})
        .values(path)
        .annotate(count=models.Count("pk", distinct=True))
        .order_by("-count", path)
    )
    return [(row[path], row["count"]) for row in rows]


# --- Brief summaries of related records --------------------------------------


class Brief(NamedTuple):
    """A related record in brief: enough to show and link it (with what its link says)."""

    kind: str
    slug: str
    name: str
    name_ja: str
    role: str = ""
    #: what a role link says of itself: its note and whether it needs review
    note: str = ""
    needs_review: bool = False
    #: the relation's ``extra`` columns as text, in order (a cited source's publisher and
    #: date; a succession's date and note)
    extra: tuple = ()


@dataclass(frozen=True)
class Relation:
    """How to reach one kind of related record from an owner through a link table.

    ``through`` is the link model, ``owner`` and ``target`` its foreign keys, ``kind`` the
    target's resource name ("" when it has none). ``role`` names a role column on the link,
    if any, and ``extra`` more columns to read (of the target, or of the link).
    With ``target=""`` the linked rows are the related records themselves (an instrument
    belongs to its facility through its own foreign key).
    """

    name: str
    through: type[models.Model]
    owner: str
    target: str
    kind: str
    role: str | None = None
    target_key: str = "slug"
    publishable: bool = True
    #: more columns to read, as text: of the target (a cited source's publisher and URL) or,
    #: with ``extra_on_link``, of the link (a succession's date and note); the other relations
    #: of the same query read NULL in their place
    extra: tuple[str, ...] = ()
    extra_on_link: bool = False

    def select_sql(
        self, quote, position: int, drafts: bool, placeholders: str, width: int = 0
    ) -> str:
        """This relation's part of the briefs query: (owner id, key, name, name_ja,
        position, role, note, needs_review, then ``width`` extra columns, NULL where it has
        fewer) of the links of the owners in ``placeholders``."""
        link_meta = self.through._meta
        owner_column = link_meta.get_field(self.owner).column
        link = quote(link_meta.db_table)
        if self.target:
            target_field = link_meta.get_field(self.target)
            target_meta = target_field.related_model._meta
            target = quote(target_meta.db_table)
            source = (
                f"{link} INNER JOIN {target} ON {link}.{quote(target_field.column)} = "
                f"{target}.{quote(target_meta.pk.column)}"
            )
        else:
            target_meta, target, source = link_meta, link, link
        role = f"{link}.{quote(link_meta.get_field(self.role).column)}" if self.role else "''"
        # Role links carry a note and a review flag; other links give constants so that the
        # UNION ALL's rows keep one shape (a succession's note is among its extra columns).
        flag, note = "FALSE", "''"
        if self.role and any(field.name == "needs_review" for field in link_meta.get_fields()):
            note = f"{link}.{quote(link_meta.get_field('note').column)}"
            flag = f"{link}.{quote(link_meta.get_field('needs_review').column)}"
        columns = ", ".join(
            f"{target}.{quote(target_meta.get_field(name).column)}"
            for name in (self.target_key, "name", "name_ja")
        )
        published = ""
        if self.publishable and not drafts:
            # public_condition, in SQL: published, and so is what PUBLIC_THROUGH names.
            published = f" AND {target}.{quote('is_published')}"
            for required in PUBLIC_THROUGH.get(target_meta.model_name, ()):
                field = target_meta.get_field(required)
                linked = field.related_model._meta
                # Quoted identifiers from the models' metadata, no value.
                subquery = f"SELECT {quote(linked.pk.column)} FROM {quote(linked.db_table)}"  # noqa: S608
                published += (
                    f" AND {target}.{quote(field.column)} IN "
                    f"({subquery} WHERE {quote('is_published')})"
                )
        # As text, and NULL as text where a relation has fewer: PostgreSQL matches a UNION's
        # column types branch by branch, and a bare NULL would make a date column text.
        extra_table, extra_meta = (link, link_meta) if self.extra_on_link else (target, target_meta)
        extra = "".join(
            f", CAST({extra_table}.{quote(extra_meta.get_field(name).column)} AS TEXT)"
            for name in self.extra
        ) + ", CAST(NULL AS TEXT)" * (width - len(self.extra))
        # Identifiers come from the models' metadata, quoted; the owner ids are parameters.
        owner = f"{link}.{quote(owner_column)}"
        select = (
            f"SELECT {owner}, {columns}, {position}, {role}, {note}, {flag}{extra} "  # noqa: S608
            f"FROM {source}"
        )
        return f"{select} WHERE {owner} IN ({placeholders}){published}"


@functools.lru_cache(maxsize=512)
def _briefs_sql(relations: tuple[Relation, ...], drafts: bool, alias: str, owners: int) -> str:
    """The one UNION ALL query reading ``relations`` for ``owners`` owners, built once per
    shape: composing it through the ORM on every page cost more than running it."""
    connection = connections[alias]
    placeholders = ", ".join(["%s"] * owners)
    width = max(len(relation.extra) for relation in relations)
    return " UNION ALL ".join(
        relation.select_sql(connection.ops.quote_name, position, drafts, placeholders, width)
        for position, relation in enumerate(relations)
    )


def attach_briefs(records, relations: list[Relation], *, drafts: bool = False) -> None:
    """Set ``record.briefs[relation.name]`` for every record, in ONE query for all relations.

    The link tables are read together (UNION ALL), so a page of 1 or 200 records and any
    number of relations cost the same single query. Unpublished targets are left out
    unless ``drafts`` is true. Each relation's briefs are sorted by role, then name.
    """
    records = list(records)
    for record in records:
        record.briefs = {relation.name: [] for relation in relations}
    if not records or not relations:
        return
    relations = tuple(relations)
    ids = [record.pk for record in records]
    alias = router.db_for_read(relations[0].through)
    sql = _briefs_sql(relations, drafts, alias, len(ids))
    found: dict[object, dict[str, list[Brief]]] = defaultdict(lambda: defaultdict(list))
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, ids * len(relations))
        for owner_id, key, name, name_ja, position, role, note, flag, *extra in cursor.fetchall():
            relation = relations[position]
            found[owner_id][relation.name].append(
                Brief(
                    relation.kind,
                    key,
                    name,
                    name_ja or "",
                    role or "",
                    note or "",
                    bool(flag),
                    tuple(extra[: len(relation.extra)]),
                )
            )
    for record in records:
        for name, briefs in found.get(record.pk, {}).items():
            record.briefs[name] = sorted(briefs, key=lambda b: (b.role, b.name.casefold()))
