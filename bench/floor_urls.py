"""The project's URLs plus ``bench/floor/``: the framework floor of the load benchmark.

The floor view runs through the same gunicorn workers and the same middleware as the API but
touches neither the database nor the cache: it answers a constant JSON body of exactly
``FLOOR_BYTES`` bytes (bench/soak.sh sets it to the size of the facility list it measures),
so the ratio of an endpoint's requests/s to the floor's is the share of the framework's best
that the endpoint reaches. ``bench/drf-floor/`` answers the same document through a bare
Django REST framework view with the project's API settings (authentication, throttling,
content negotiation, the JSON renderer): the share of the floor that any API answer can reach
before it reads a row. Only bench/floor_settings.py routes here.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler404, handler500
from config.urls import urlpatterns as project_urlpatterns


def floor_body(size: int) -> bytes:
    """A valid JSON document of exactly ``size`` bytes (at least 10)."""
    frame = b'{"pad":""}'
    if size < len(frame):
        raise ImproperlyConfigured(f"FLOOR_BYTES must be at least {len(frame)}, got {size}")
    return b'{"pad":"' + b"x" * (size - len(frame)) + b'"}'


# Built once per worker so the floor measures the framework, not building the body.
BODY = floor_body(int(os.environ.get("FLOOR_BYTES", "4096")))


def floor(request):
    """The constant body: no database, no cache, no serializer."""
    return HttpResponse(BODY, content_type="application/json")


class DRFFloor(APIView):
    """The same document through DRF's request cycle: no database, no serializer."""

    PAD = BODY[len(b'{"pad":"') : -len(b'"}')].decode()

    def get(self, request):
        return Response({"pad": self.PAD})


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/drf-floor/", DRFFloor.as_view(), name="bench-drf-floor"),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
