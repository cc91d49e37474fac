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

Models are named by ``_meta.model_name``, so this module imports no model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

RECORD_KINDS = ("facility", "programme", "call", "institution", "agreement", "technique", "field")
CHANGES = "changes"
KINDS = (*RECORD_KINDS, CHANGES)

#: The kind of each API resource's model.
MODEL_KINDS = {
    "facility": "facility",
    "programme": "programme",
    "call": "call",
    "institution": "institution",
    "agreement": "agreement",
    "technique": "technique",
    "researchfield": "field",
}

#: Answers that read fields or links of other records which their own records' versions do not
#: follow (versions follow only what a record shows of others: their summaries). Each entry:
#: (model written, the fields or relations that matter — None: any —, kind of answer changed).
ALSO_READ = (
    # A programme shows its open and upcoming calls (names, dates, status), and its
    # has_open_call and deadline_* filters read its calls.
    ("call", None, "programme"),
    # Calls filter and facet by their programme's countries and research fields …
    ("programme", ("countries", "fields"), "call"),
    # … which count only while the field is published, by slug.
    ("researchfield", ("slug", "is_published"), "call"),
    # Institutions filter by the kind of the facilities they are linked to (facility_kind).
    ("facility", ("kind",), "institution"),
    # Facilities filter and facet by the kind of their access modes (access_mode).
    ("accessmode", None, "facility"),
)

#: Models written through the services that no answer reads beyond what the entries above and
#: the versions of the records showing them cover: an instrument appears only in its
#: facility's detail, in brief; countries are reference data (a programme's countries changing
#: is a write of the programme).
COVERED = {"instrument", "country", *(name for name, _fields, _kind in ALSO_READ)}


def changed_kinds(
    written: Mapping[str, set[str] | None], raised: Iterable[str], feed_written: bool
) -> set[str]:
    """The kinds of answer a write changed.

    ``written``: the models whose records it wrote, each with the names of the fields and
    relations it changed (None: all of them, as for a creation or a deletion); ``raised``: the
    models whose records' versions it raised; ``feed_written``: whether it wrote feed entries.
    A model this module does not know changes every record kind, to be safe.
    """
    kinds = set()
    for name in {*written, *raised}:
        if name in MODEL_KINDS:
            kinds.add(MODEL_KINDS[name])
        elif name not in COVERED:
            kinds.update(RECORD_KINDS)
    for name, fields, kind in ALSO_READ:
        if name not in written:
            continue
        names = written[name]
        if fields is None or names is None or names & set(fields):
            kinds.add(kind)
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
