"""The write path of generated scale-test records (``manage.py seed_synthetic``).

Synthetic records (``is_synthetic=True``, ``synthetic-`` slugs) are benchmark data, never
curated: 100,000 of them are written in bulk in seconds, which the per-record services
(validation, a history entry, a change event and a feed entry each) would turn into an
hour. So they are the one documented exception to the rest of the write services: no
history, no change events, and no public feed entries (the feed's replay guarantee covers
curated records; directory.services.feed leaves synthetic ones out). They are still written
only here, inside :func:`synthetic_records`, and still mark the directory changed.
"""

from __future__ import annotations

import contextlib

from django.db import transaction

from directory.models import DirectoryState
from directory.writes import service_write


@contextlib.contextmanager
def synthetic_records():
    """One transaction in which seed_synthetic may bulk-write its synthetic records."""
    with transaction.atomic(), service_write():
        yield
        DirectoryState.bump()
