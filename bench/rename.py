"""How long renaming a widely shown record takes to commit: the write, its history, its
change event and feed entries, and the version bump of every record showing it.

    DATABASE_URL=postgres://… .venv/bin/python bench/rename.py

Picks the technique offered by the most facilities (load synthetic data first: bench/load.sh
or ``manage.py seed_synthetic``), renames it and back, three times, and prints the number of
facilities showing it, the wall time of each committed rename and its SQL statements.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from directory import services  # noqa: E402
from directory.models import Facility, Technique  # noqa: E402


def main() -> None:
    technique = Technique.objects.annotate(shown=Count("facilities")).order_by("-shown").first()
    original = technique.name
    shown = technique.shown
    times, statements = [], []
    for round_ in range(3):
        for name in (f"{original} (renamed {round_})", original):
            record = Technique.objects.get(pk=technique.pk)
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                services.record_update(record=record, fields={"name": name}, reason="bench")
                times.append(time.perf_counter() - start)
            statements.append(len(captured))
    versions = Facility.objects.filter(techniques=technique).values_list("version", flat=True)
    print(
        f"technique {technique.slug!r} shown by {shown} facilities "
        f"({Facility.objects.count()} in all); {len(times)} committed renames: "
        f"median {statistics.median(times):.3f} s, max {max(times):.3f} s; "
        f"{statistics.median(statements):.0f} SQL statements each; "
        f"the facilities' versions now {min(versions)}–{max(versions)}"
    )


if __name__ == "__main__":
    main()
