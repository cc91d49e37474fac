"""How long an answer about the directory stays true: its Last-Modified and its max-age.

One rule for every public answer (the API's views, api.caching; the embed widgets, embed.views):
the last write that changed answers of its kind (directory.kinds), or a call opening or closing
since, and at most API_CACHE_MAX_AGE, less when the answer follows the clock and a call's status
changes sooner.
"""

from __future__ import annotations

import datetime
import math

from django.conf import settings
from django.utils import timezone

from directory import selectors
from directory.kinds import kinds_of_model
from directory.models import Call, DirectoryState


def answer_freshness(request, model) -> tuple[datetime.datetime, int]:
    """When an answer listing ``model`` last changed, and for how many seconds it stays true.

    The last write that changed answers listing ``model`` (any write when ``model`` is None:
    a mix), or a call opening or closing since; and at most API_CACHE_MAX_AGE, less when the
    answer follows the clock (``selectors.follows_the_clock``) and a call's status changes
    sooner.
    """
    changed = DirectoryState.for_request(request).changed_at_of(kinds_of_model(model))
    max_age = settings.API_CACHE_MAX_AGE
    if selectors.follows_the_clock(model):
        now = timezone.now()
        last_change, next_change = Call.objects.status_changes(now)
        if last_change:
            changed = max(changed, last_change)
        if next_change:
            max_age = min(max_age, math.ceil((next_change - now).total_seconds()))
    return changed, max_age
