"""Writes during the soak (bench/soak.sh, SOAK_WRITES): what curators editing the directory do.

    python -m bench.writer RATE SECONDS [KINDS]

Changes the description of a random published record RATE times a second for SECONDS seconds,
through the write service (history, change event, feed, versions and the change marker, as an
edit in the admin or the write API), rotating through KINDS (comma-separated, default
facility,institution,programme,call). Prints one line: WRITES done=<n> late=<n> failed=<n>.
Uses the app's settings from the environment (DATABASE_URL, REDIS_URL), so its writes reach the
same database and the same shared cache as the server's.
"""

from __future__ import annotations

import os
import random
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from directory import services  # noqa: E402
from directory.models import (  # noqa: E402
    Agreement,
    Call,
    Facility,
    Institution,
    Programme,
    ResearchField,
    Technique,
)

MODELS = {
    "facility": Facility,
    "institution": Institution,
    "programme": Programme,
    "call": Call,
    "agreement": Agreement,
    "technique": Technique,
    "field": ResearchField,
}


def main(rate: float, seconds: float, kinds: list[str]) -> None:
    pks = {
        kind: list(
            MODELS[kind]._base_manager.filter(is_published=True).values_list("pk", flat=True)
        )
        for kind in kinds
    }
    done = late = failed = 0
    start = time.monotonic()
    while True:
        due = start + done / rate
        now = time.monotonic()
        if due - start >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        elif now - due > 1 / rate:
            late += 1
        kind = kinds[done % len(kinds)]
        model = MODELS[kind]
        try:
            record = model._base_manager.get(pk=random.choice(pks[kind]))  # noqa: S311 - not a secret
            services.record_update(
                record=record,
                fields={"description": f"Soak write {done} at {time.time():.3f}"},
                reason="Soak write",
            )
        except Exception as error:  # counted and reported, the soak goes on
            failed += 1
            print(f"write failed: {error.__class__.__name__}: {error}", file=sys.stderr)
        done += 1
    print(f"WRITES done={done} late={late} failed={failed}")


if __name__ == "__main__":
    default = "facility,institution,programme,call"
    main(
        float(sys.argv[1]),
        float(sys.argv[2]),
        (sys.argv[3] if len(sys.argv) > 3 else default).split(","),
    )
