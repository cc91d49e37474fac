"""HTTP caching headers shared by every API view: Last-Modified, Cache-Control, Vary.

The ETag and the 304 answers come from Django's ConditionalGetMiddleware (a hash of the
body, so an ETag is always exact); Last-Modified and max-age follow the rule every public
answer shares (directory.freshness.answer_freshness).
"""

from __future__ import annotations

import datetime

from django.utils.http import http_date

from directory import selectors
from directory.freshness import answer_freshness

VARY = "Accept, Accept-Language, Cookie, Authorization"


class CacheHeadersMixin:
    """Adds validators and caching policy to successful GET/HEAD answers of an API view."""

    #: the records the answer lists, when the view has no ``queryset`` to tell (None: a mix)
    answer_model = None

    def freshness(self) -> tuple[datetime.datetime, int]:
        """When this answer last changed and how long it stays true (see answer_freshness)."""
        queryset = getattr(self, "queryset", None)
        model = self.answer_model or getattr(queryset, "model", None)
        # DRF's request reads the state the response cache left on Django's (attribute
        # access falls through to it), so the marker is read once per request.
        return answer_freshness(self.request, model)

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
