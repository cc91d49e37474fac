"""Throttling of answers that never reach a view: response-cache hits.

A cached answer counts against the same anonymous quota, with the same classes and rates, as
one a view computes, so the cache cannot be used to go past the limit.
"""

from __future__ import annotations

import math

from django.http import JsonResponse
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.settings import api_settings


def throttle_wait(django_request) -> float | None:
    """Seconds the caller must wait if the API's default throttles refuse it now, else None.

    Records the request in each throttle's history when allowed, as a view would.
    """
    request = Request(django_request)
    waits = []
    for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait() or 0)
    return max(waits) if waits else None


def throttled_response(wait: float) -> JsonResponse:
    """The 429 a view would give: DRF's message and Retry-After in whole seconds."""
    response = JsonResponse({"detail": str(Throttled(wait).detail)}, status=429)
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response
