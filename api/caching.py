"""HTTP caching headers shared by every API view: Last-Modified, Cache-Control, Vary.

The ETag and the 304 answers come from Django's ConditionalGetMiddleware (a hash of the
body, so an ETag is always exact); Last-Modified comes from the directory's change marker.
"""

from __future__ import annotations

import datetime
import math

from django.conf import settings
from django.utils import timezone
from django.utils.http import http_date

from directory import selectors
from directory.models import Call, DirectoryState

VARY = "Accept, Accept-Language, Cookie, Authorization"


def answer_freshness(request, model) -> tuple[datetime.datetime, int]:
    """When an answer listing ``model`` last changed, and for how many seconds it stays true.

    The last write, or a call opening or closing since; and at most API_CACHE_MAX_AGE, less
    when the answer follows the clock (``selectors.follows_the_clock``) and a call's status
    changes sooner.
    """
    changed = DirectoryState.for_request(request).changed_at
    max_age = settings.API_CACHE_MAX_AGE
    if selectors.follows_the_clock(model):
        now = timezone.now()
        last_change, next_change = Call.objects.status_changes(now)
        if last_change:
            changed = max(changed, last_change)
        if next_change:
            max_age = min(max_age, math.ceil((next_change - now).total_seconds()))
    return changed, max_age


class CacheHeadersMixin:
    """Adds validators and caching policy to successful GET/HEAD answers of an API view."""

    #: the records the answer lists, when the view has no ``queryset`` to tell (None: a mix)
    answer_model = None

    def freshness(self) -> tuple[datetime.datetime, int]:
        """When this answer last changed and how long it stays true (see answer_freshness)."""
        queryset = getattr(self, "queryset", None)
        model = self.answer_model or getattr(queryset, "model", None)
        return answer_freshness(self.request._request, model)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            changed, max_age = self.freshness()
            response["Last-Modified"] = http_date(changed.timestamp())
            if selectors.shows_drafts(request.user):
                # Drafts must never sit in a shared cache.
                response["Cache-Control"] = "private, no-cache"
            else:
                response["Cache-Control"] = f"public, max-age={max_age}"
        language = getattr(self, "language", None)
        if language:
            response["Content-Language"] = language
        response.setdefault("Vary", VARY)
        return response
