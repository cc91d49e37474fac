"""In-process time of uncached answers: no server, no network, no response cache.

    DATABASE_URL=postgres://… .venv/bin/python bench/inprocess.py

Each endpoint is answered by ``django.test.Client`` with the response cache off, 200 times
after a warm-up: "warm" with the records' representations cached (api/representations.py),
"cold" with the cache emptied before each request (every representation rendered). Prints
the median and p90 milliseconds of each, wall time of the whole request cycle in this one
process (the CPU a worker spends on it, plus its SQL round trips).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["RESPONSE_CACHE_SECONDS"] = "0"
os.environ.setdefault("API_ANON_RATE", "1000000/second")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

ENDPOINTS = {
    "list": "/api/v1/facilities/",
    "filtered list": "/api/v1/facilities/?country=JP&kind=synchrotron",
    "q=": "/api/v1/facilities/?q=tsukuba%20light",
    "near=": "/api/v1/facilities/?near=38.26,140.87&radius_km=300&ordering=distance",
    "detail": "/api/v1/facilities/spring-8/",
}
ROUNDS = int(os.environ.get("ROUNDS", "200"))


def timed(client, url, *, cold: bool) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        if cold:
            cache.clear()
        start = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def main() -> None:
    client = Client()
    print("| endpoint | warm p50 ms | warm p90 ms | cold p50 ms | cold p90 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, url in ENDPOINTS.items():
        for _ in range(20):
            client.get(url, HTTP_HOST="localhost")
        warm = sorted(timed(client, url, cold=False))
        cold = sorted(timed(client, url, cold=True))
        p90 = int(ROUNDS * 0.9)
        print(
            f"| {name} (`{url}`) | {statistics.median(warm):.2f} | {warm[p90]:.2f} | "
            f"{statistics.median(cold):.2f} | {cold[p90]:.2f} |"
        )


if __name__ == "__main__":
    main()
