"""The kinds of public answer, and which committed writes change each.

One kind per API resource (its lists, details, formats, calendar and widget) plus ``changes``,
the public changes feed (the API's and the Atom one). Each kind has its own generation and
change time (DirectoryState): the response cache (config.response_cache) keeps an answer as
long as the generations of the kinds it depends on stay put, and an answer's Last-Modified is
its kinds' change time (directory.freshness). A committed write changes the answers of

* the kinds of the records it wrote (created, changed, deleted);
* the kinds of the records whose representation version it raised (services.versions: the
  other side of a link added or removed, every record showing one whose summary changed);
* the kinds that read more of other records than their versions follow (:data:`ALSO_READ`);
* ``changes`` when it wrote entries of the public feed.

An API list page shows its records (each as its version has it) plus what depends on which
records the list holds: their number, order and facets. So with a shared cache a public list
page depends on its records' own generations (:func:`record_key`, as their details do), on
``<kind>.details`` and on ``<kind>.membership`` (:func:`membership`): raised by the writes
that can change which records a list holds or how it orders and counts them — any write but
one that changes only fields no list reads (:data:`LIST_BLIND_FIELDS`). A description edit
then leaves every page without that record cached. A list that filters or orders by the
time of the last change (``updated_since``, ``ordering=updated_at``) reads every write: it
depends on its kind, as every other answer of the kind (widgets, calendars) does.

A record's detail answer shows only the record and, in brief, what its version follows
(services.versions), so it does not go stale with every write of its kind: a write names the
records whose versions it raised (by slug, the key of their detail URLs: :func:`record_key`)
and only their details change. ``<kind>.details`` (:func:`details`) stands for every detail of
a kind at once: raised when a write changes more of them than it is worth naming
(:data:`NAMED_RECORDS_LIMIT`), or changes what details read beyond their versions
(:data:`ALSO_READ`'s entries marked so), or when the kinds a write changes are not known.

Models are named by ``_meta.model_name``, so this module imports no model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

RECORD_KINDS = (
    "facility",
    "programme",
    "call",
    "institution",
    "agreement",
    "technique",
    "field",
    "source",
    "instrument",
)
CHANGES = "changes"


def details(kind: str) -> str:
    """The kind of answer that stands for every detail of the records of ``kind`` at once."""
    return f"{kind}.details"


def membership(kind: str) -> str:
    """The kind of answer that stands for which records the lists of ``kind`` hold, in
    which order and with which counts and facets (not how each record is shown)."""
    return f"{kind}.membership"


DETAIL_KINDS = tuple(details(kind) for kind in RECORD_KINDS)
MEMBERSHIP_KINDS = tuple(membership(kind) for kind in RECORD_KINDS)
KINDS = (*RECORD_KINDS, CHANGES, *DETAIL_KINDS, *MEMBERSHIP_KINDS)

#: Fields of a record that no list filters, facets, searches or orders on (a guard test reads
#: the filtersets): a write changing only these leaves every list's membership as it was.
#: ``updated_at`` changes with every write: the lists that read it (``updated_since``,
#: ``ordering=updated_at``) depend on their kind instead (:func:`list_dependencies`).
LIST_BLIND_FIELDS = frozenset(
    {
        "description",
        "description_ja",
        "website",
        "sources",
        "review_note",
        "last_verified_on",
        "needs_review",
        "updated_at",
        "version",
    }
)

#: A write raising the versions of more records of one kind than this makes stale every
#: detail of the kind (its ``details`` kind) instead of naming each record: a technique
#: renamed under 11,000 facilities would otherwise publish 11,000 keys after its commit.
NAMED_RECORDS_LIMIT = 500


def record_key(kind: str, slug: str) -> str:
    """What a write names a record by (the kind of answer of its detail, and its slug)."""
    return f"{kind}:{slug}"


#: The kind of each API resource's model.
MODEL_KINDS = {
    "facility": "facility",
    "programme": "programme",
    "call": "call",
    "institution": "institution",
    "agreement": "agreement",
    "technique": "technique",
    "researchfield": "field",
    "source": "source",
    "instrument": "instrument",
}

#: Answers that read fields or links of other records which their own records' versions do not
#: follow (versions follow only what a record shows of others: their summaries). Each entry:
#: (model written, the fields or relations that matter — None: any —, kind of answer changed,
#: whether its details read them too or only its lists' filters and facets).
ALSO_READ = (
    # A programme shows its open and upcoming calls (names, dates, status), and its
    # has_open_call and deadline_* filters read its calls.
    ("call", None, "programme", True),
    # Calls filter and facet by their programme's countries and research fields …
    ("programme", ("countries", "fields"), "call", False),
    # … which count only while the field is published, by slug.
    ("researchfield", ("slug", "is_published"), "call", False),
    # Institutions filter by the kind of the facilities they are linked to (facility_kind).
    ("facility", ("kind",), "institution", False),
    # Facilities filter and facet by the kind of their access modes (access_mode); their
    # details show the access modes in brief, which their versions follow.
    ("accessmode", None, "facility", False),
    # Instruments filter by their facility's beam energy (facility_energy_gev_*); their
    # facility's slug, names and publication are its summary, which their versions follow.
    ("facility", ("energy_gev",), "instrument", False),
)

#: Models written through the services that no answer reads beyond what the entries above and
#: the versions of the records showing them cover: countries are reference data (a
#: programme's countries changing is a write of the programme).
COVERED = {"country", *(entry[0] for entry in ALSO_READ)}


def changed_kinds(
    written: Mapping[str, set[str] | None],
    raised: Iterable[str],
    feed_written: bool,
    linked: Iterable[str] = (),
) -> set[str]:
    """The kinds of answer a write changed, but for the details of the records it names.

    ``written``: the models whose records it wrote, each with the names of the fields and
    relations it changed (None: all of them, as for a creation or a deletion); ``raised``: the
    models whose records' versions it raised; ``feed_written``: whether it wrote feed entries;
    ``linked``: the models whose records gained or lost links, or show in brief a record
    whose summary changed (their lists' relation filters and facets read those). The details
    of the records whose versions it raised are the caller's to name (:func:`record_key`).
    A model this module does not know changes every kind, details included, to be safe.
    """
    linked = set(linked)
    kinds = set()
    for name in {*written, *raised, *linked}:
        if name in MODEL_KINDS:
            kinds.add(MODEL_KINDS[name])
        elif name not in COVERED:
            kinds.update(KINDS)
            kinds.discard(CHANGES)
    for name, names in written.items():
        if names is not None and names <= LIST_BLIND_FIELDS:
            continue  # how its records are shown changed, not which records lists hold
        if name in MODEL_KINDS:
            kinds.add(membership(MODEL_KINDS[name]))
        else:
            # A record without lists of its own (an access mode): the lists of the records
            # showing it may filter through it.
            linked.update(raised)
    kinds.update(membership(MODEL_KINDS[name]) for name in linked if name in MODEL_KINDS)
    for name, fields, kind, in_details in ALSO_READ:
        if name not in written:
            continue
        names = written[name]
        if names is not None and names <= LIST_BLIND_FIELDS:
            continue  # what other kinds read of a record (filters, brief call dates) is not blind
        if fields is None or names is None or names & set(fields):
            kinds.update((kind, membership(kind)))
            if in_details:
                kinds.add(details(kind))
    if feed_written:
        kinds.add(CHANGES)
    return kinds


def list_dependencies(
    kind: str, slugs: Iterable[str], *, reads_every_write: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a public list page of ``kind`` showing the records ``slugs`` depends on, with a
    shared cache: (kinds of answer, record keys). See the module's docstring."""
    if reads_every_write:
        return (kind,), ()
    return (membership(kind), details(kind)), tuple(record_key(kind, slug) for slug in slugs)


def kinds_of_model(model) -> tuple[str, ...]:
    """The kinds an answer listing ``model``'s records depends on (None, or a model that is
    no kind of its own: all of them)."""
    if model is None:
        return KINDS
    name = model._meta.model_name
    if name in MODEL_KINDS:
        return (MODEL_KINDS[name],)
    if name == "feedentry":
        return (CHANGES,)
    return KINDS
