"""Add the curated seed records the directory has never had: see directory.services.seeding."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from directory.services.seeding import SEED_FIXTURES, directory_seed


class Command(BaseCommand):
    help = (
        "Add the seed records of fixtures/ that the directory has never had, each with a "
        "'created' history entry naming its seed file and sources. Records that exist, or "
        "that a curator deleted, are left alone: safe to run on every start."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "fixtures",
            nargs="*",
            default=list(SEED_FIXTURES),
            help=f"Seed files of fixtures/ to read (default: {' '.join(SEED_FIXTURES)}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be added; write nothing."
        )

    def handle(self, *args, **options):
        report = directory_seed(names=options["fixtures"], dry_run=options["dry_run"])
        verbosity = options["verbosity"]
        if verbosity >= 2:
            for shown in report.created:
                self.stdout.write(f"created {shown}")
            for shown in report.remembered:
                self.stdout.write(f"not seeded again (the directory had it) {shown}")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(note))
        prefix = "Dry run, nothing written: " if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}{len(report.created)} seed record(s) added, {len(report.kept)} already "
            f"in the directory (left as they are), {len(report.remembered)} deleted or "
            f"renamed by curators (not added again); history completed for "
            f"{report.backfilled_history} record(s), {report.backfilled_feed} feed entr(ies) "
            f"added, {report.backfilled_citations} citation index row(s) corrected."
        )
