"""HTTP caching headers shared by every API view: Last-Modified, Cache-Control, Vary.

The ETag and the 304 answers come from Django's ConditionalGetMiddleware (a hash of the
body, so an ETag is always exact); Last-Modified comes from the directory's change marker.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.http import http_date

from directory import selectors
from directory.models import Call, DirectoryState

VARY = "Accept, Accept-Language, Cookie, Authorization"


class CacheHeadersMixin:
    """Adds validators and caching policy to successful GET/HEAD answers of an API view."""

    #: whether the content depends on the clock (a call's status), not only on writes
    time_dependent = False

    def last_modified(self) -> datetime.datetime:
        """When the answer last changed: the last write, or a call opening or closing since."""
        changed = DirectoryState.current().changed_at
        if not self.time_dependent:
            return changed
        now = timezone.now()
        boundaries = Call.objects.aggregate(
            closed=Max("closes_at", filter=Q(closes_at__lte=now)),
            opened=Max("opens_on", filter=Q(opens_on__lte=timezone.localdate(now))),
        )
        if boundaries["closed"]:
            changed = max(changed, boundaries["closed"])
        if boundaries["opened"]:
            opened = datetime.datetime.combine(
                boundaries["opened"], datetime.time.min, tzinfo=datetime.UTC
            )
            changed = max(changed, min(opened, now))
        return changed

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response["Last-Modified"] = http_date(self.last_modified().timestamp())
            if selectors.shows_drafts(request.user):
                # Drafts must never sit in a shared cache.
                response["Cache-Control"] = "private, no-cache"
            else:
                response["Cache-Control"] = f"public, max-age={settings.API_CACHE_MAX_AGE}"
        language = getattr(self, "language", None)
        if language:
            response["Content-Language"] = language
        response.setdefault("Vary", VARY)
        return response
