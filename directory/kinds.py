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
)
CHANGES = "changes"


def details(kind: str) -> str:
    """The kind of answer that stands for every detail of the records of ``kind`` at once."""
    return f"{kind}.details"


DETAIL_KINDS = tuple(details(kind) for kind in RECORD_KINDS)
KINDS = (*RECORD_KINDS, CHANGES, *DETAIL_KINDS)

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
)

#: Models written through the services that no answer reads beyond what the entries above and
#: the versions of the records showing them cover: an instrument appears only in its
#: facility's detail, in brief; countries are reference data (a programme's countries changing
#: is a write of the programme).
COVERED = {"instrument", "country", *(entry[0] for entry in ALSO_READ)}


def changed_kinds(
    written: Mapping[str, set[str] | None], raised: Iterable[str], feed_written: bool
) -> set[str]:
    """The kinds of answer a write changed, but for the details of the records it names.

    ``written``: the models whose records it wrote, each with the names of the fields and
    relations it changed (None: all of them, as for a creation or a deletion); ``raised``: the
    models whose records' versions it raised; ``feed_written``: whether it wrote feed entries.
    The details of the records whose versions it raised are the caller's to name
    (:func:`record_key`). A model this module does not know changes every kind, details
    included, to be safe.
    """
    kinds = set()
    for name in {*written, *raised}:
        if name in MODEL_KINDS:
            kinds.add(MODEL_KINDS[name])
        elif name not in COVERED:
            kinds.update(RECORD_KINDS)
            kinds.update(DETAIL_KINDS)
    for name, fields, kind, in_details in ALSO_READ:
        if name not in written:
            continue
        names = written[name]
        if fields is None or names is None or names & set(fields):
            kinds.add(kind)
            if in_details:
                kinds.add(details(kind))
    if feed_written:
        kinds.add(CHANGES)
    return kinds


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
