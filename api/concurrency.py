"""Optimistic concurrency for writes.

A record's ETag is ``"<version>-<body hash>"``: the version changes with every save of the
record, the hash with every representation (language, format, related names). A write must
send ``If-Match`` with an ETag the client read: 428 when it is missing, 412 when the record
has been saved since — so two curators never overwrite each other.
"""

from __future__ import annotations

import hashlib

from django.utils.cache import parse_etags
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

from directory.services import feed


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        "This write needs an If-Match header with the record's current ETag: GET the record, "
        "then send its ETag, so that a change made meanwhile by someone else is not overwritten."
    )
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _(
        "The record has changed since you read it (its ETag no longer matches). GET it again, "
        "reapply your change, and send the new ETag."
    )
    default_code = "precondition_failed"


def record_version(record) -> str:
    """Changes whenever the record is saved (its updated_at, in microseconds)."""
    return format(int(record.updated_at.timestamp() * 1_000_000), "x")


def record_etag(record, content: bytes) -> str:
    """The ETag of one representation of the record."""
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()[:16]
    return f'"{record_version(record)}-{digest}"'


def locked(record):
    """The record read again under a row lock held until the transaction ends.

    Call inside ``transaction.atomic()``: a concurrent writer waits here and then sees the
    version the first one left, so its If-Match check fails instead of overwriting. The
    writers' lock comes first, as in every write (directory.services.feed).
    """
    feed.take_writers_lock()
    return type(record)._base_manager.select_for_update().get(pk=record.pk)


def check_if_match(request, record) -> None:
    """428 without If-Match; 412 unless one of its ETags carries the record's current version."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = parse_etags(header)
    if "*" in tags:
        return
    current = record_version(record)
    if not any(tag.removeprefix("W/").strip('"').split("-", 1)[0] == current for tag in tags):
        raise PreconditionFailed()
