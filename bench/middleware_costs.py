"""What each middleware costs an anonymous request: in-process CPU, layer by layer.

    DATABASE_URL=… .venv/bin/python bench/middleware_costs.py   # the seeded directory

For a cached API answer (the facility list, answered from the response cache after one
warm-up) and a widget (``/embed/facilities/?country=JP``, cached likewise),
``django.test.Client`` sends the same request ROUNDS times through ``settings.MIDDLEWARE``
with a probe between every two middleware (and one before the view). Each probe adds up the
CPU time (``time.thread_time``) spent inside it; a middleware's own cost is its probe's total
minus the next probe's, divided by the requests — its work on the way in and on the way out,
measured within the same requests, so that load from other processes shifts every row alike
instead of swamping a difference between two runs (which is what removing each middleware in
turn and re-timing gave on this shared 2-core machine: ±0.2 ms of noise around costs of
0.01–0.1 ms). The probes' own cost (two clock reads each) is in the "probe" row.
Prints a Markdown table for the README. With ``DJANGO_SETTINGS_MODULE=bench.floor_settings``
(the soak's settings) it measures the project floor too (``/bench/floor/``: a constant body).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("API_ANON_RATE", "1000000/second")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

#: Measured when the settings route it (DJANGO_SETTINGS_MODULE=bench.floor_settings): the
#: project's stack around a constant body, no database, no cache (the soak's project floor).
FLOOR = ("project floor (`/bench/floor/`)", "/bench/floor/")
REQUESTS = {
    "cached API answer (`/api/v1/facilities/`)": "/api/v1/facilities/",
    "widget (`/embed/facilities/?country=JP`)": "/embed/facilities/?country=JP",
}
ROUNDS = int(os.environ.get("ROUNDS", "2000"))

#: CPU seconds spent inside each probe, by position (0: outside every middleware).
inside: dict[int, float] = {}


def _probe(position: int):
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.thread_time()
        response = self.get_response(request)
        inside[position] = inside.get(position, 0.0) + time.thread_time() - start
        return response

    return type(f"Probe{position}", (), {"__init__": __init__, "__call__": __call__})


def probed(stack: list[str]) -> list[str]:
    """The stack with a probe before each middleware and one before the view."""
    result = []
    for position, middleware in enumerate([*stack, None]):
        globals()[f"Probe{position}"] = _probe(position)
        result.append(f"{__name__}.Probe{position}")
        if middleware:
            result.append(middleware)
    return result


def costs(stack: list[str], url: str) -> tuple[list[float], float, float, int]:
    """Each middleware's CPU ms per request, the probes' own, the whole, and the status."""
    with override_settings(MIDDLEWARE=probed(stack)):
        client = Client()  # loads the middleware chain from the overridden settings
        status = client.get(url, HTTP_HOST="localhost").status_code
        for _ in range(50):
            client.get(url, HTTP_HOST="localhost")
        inside.clear()
        for _ in range(ROUNDS):
            client.get(url, HTTP_HOST="localhost")
    # A probe never reached (inside the response cache, on a hit) counts 0: those layers
    # did not run.
    per_request = {
        position: inside.get(position, 0.0) / ROUNDS * 1000 for position in range(len(stack) + 1)
    }
    layers = [per_request[i] - per_request[i + 1] for i in range(len(stack))]
    view = per_request[len(stack)]
    return layers, view, per_request[0], status


def main() -> None:
    stack = list(settings.MIDDLEWARE)
    requests = dict(REQUESTS)
    if settings.ROOT_URLCONF == "bench.floor_urls":
        requests = {FLOOR[0]: FLOOR[1], **requests}
    results = {name: costs(stack, url) for name, url in requests.items()}
    names = list(requests)
    print("| middleware | " + " | ".join(f"{name}: CPU ms" for name in names) + " |")
    print("|---|" + "---:|" * len(names))
    for index, middleware in enumerate(stack):
        cells = [f"{results[name][0][index]:.3f}" for name in names]
        print(f"| `{middleware}` | " + " | ".join(cells) + " |")
    print(
        "| the view (0: not reached on a cache hit) | "
        + " | ".join(f"{results[name][1]:.3f}" for name in names)
        + " |"
    )
    print(
        "| **whole request inside the handler** | "
        + " | ".join(f"**{results[name][2]:.3f}** ({results[name][3]})" for name in names)
        + " |"
    )
    print(
        f"\n`{ROUNDS} requests each; CPU (time.thread_time) in one process; each row includes "
        f"one probe (two clock reads); DATABASE "
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}`"
    )


if __name__ == "__main__":
    main()
