"""Per-record representations, cached under the record's version (Russian-doll caching).

A page of a list answer is its records' representations side by side; each record's
representation (per shape — list or detail —, language, drafts or public view and API root)
is kept in the cache under a key holding the record's ``version``. The write services raise
that version whenever the representation can change: a write of the record, a link added or
removed on the other side, a new name of a record it shows in brief (directory.services.
versions). So a key never needs deleting: a changed record simply has a new key, and the
old entry ages out.

A page fetches its records' representations in one cache round trip and renders only the
missing ones, with DRF's own serializer, after loading their related summaries in one
query. What depends on the moment of the request rather than on the record (a call's
status, a programme's open calls, the distance to ``near``) is never cached: the serializer
declares those fields in its ``Volatile`` serializer, which is applied to every record of
every answer.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import caches

from config.fingerprint import CODE_FINGERPRINT
from directory import selectors

CACHE_ALIAS = "default"


#: Changes when the code that shapes representations changes (a deploy): entries written
#: by other code are never read (config.fingerprint).
FINGERPRINT = CODE_FINGERPRINT


def _root_digest(api_root: str) -> str:
    return hashlib.sha256(api_root.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def cache_key(record, context) -> str:
    """The key of ``record``'s representation in ``context``.

    ``updated_at`` is there besides the version so that a record restored from a backup (or
    re-created with the same id) never meets an entry of its former self.
    """
    return ":".join(
        (
            "rep",
            FINGERPRINT,
            record._meta.label_lower,
            str(record.pk),
            str(record.version),
            str(record.updated_at.timestamp()),
            "list" if context["listing"] else "detail",
            context["language"],
            "drafts" if context["drafts"] else "public",
            _root_digest(context["api_root"]),
        )
    )


def represent(serializer_class, records, context, relations) -> list[dict]:
    """The representations of ``records`` (a page, or one record) as ``serializer_class``
    gives them in ``context``, with only ``context["sparse_fields"]`` when given.

    ``relations`` are the related summaries the serializer reads (attached to the records
    that miss the cache, in one query).
    """
    records = list(records)
    cache = caches[CACHE_ALIAS]
    timeout = settings.REPRESENTATION_CACHE_SECONDS
    keys = [cache_key(record, context) for record in records]
    found = cache.get_many(keys) if timeout > 0 and keys else {}
    missing = [index for index, key in enumerate(keys) if key not in found]
    if missing:
        rows = [records[index] for index in missing]
        selectors.attach_briefs(rows, relations, drafts=context["drafts"])
        rendered = serializer_class(rows, many=True, context=context).data
        fresh = {keys[index]: dict(item) for index, item in zip(missing, rendered, strict=True)}
        if timeout > 0:
            cache.set_many(fresh, timeout)
        found.update(fresh)
    volatile_class = getattr(serializer_class, "Volatile", None)
    volatile = volatile_class(records, many=True, context=context).data if volatile_class else None
    wanted = context.get("sparse_fields")
    result = []
    for index, key in enumerate(keys):
        item = found[key]
        if volatile is not None:
            item = {**item, **volatile[index]}
        if wanted:
            item = {name: value for name, value in item.items() if name in wanted}
        result.append(item)
    return result
