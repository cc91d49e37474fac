"""Write the whole directory (history aside) as one JSON document: see directory.portable."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from directory.portable import export_directory


class Command(BaseCommand):
    help = (
        "Write every directory record (history aside) as one JSON document keyed by slugs, "
        "to stdout or --output FILE; manage.py import_directory loads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the document to FILE (replaced only once complete) instead of stdout.",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help='The database to export from (default: "default").',
        )

    def handle(self, *args, **options):
        using = options["database"]
        output = options["output"]
        if not output or output == "-":
            export_directory(self.stdout, using=using)
            return
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"Cannot write {target}: no directory {target.parent}.")
        # Write beside the target, then rename: a failed export never leaves half a file.
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("w", encoding="utf-8") as stream:
                counts = export_directory(stream, using=using)
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        total = sum(counts.values())
        details = ", ".join(f"{label} {count}" for label, count in counts.items())
        self.stdout.write(f"Exported {total} records to {target} ({details}).")
