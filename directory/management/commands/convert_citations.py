"""Convert old-format citations to citations of source records: see
directory.services.citation_conversion."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from directory.services.citation_conversion import REASON, convert_citations


class Command(BaseCommand):
    help = (
        "Convert the citations of a database seeded before sources were records "
        '({"title", "document": "seeds/….txt:12-14", "passage"} or {"title", "url"}) into '
        'citations of source records ({"source", "locator", "passage"}), records and their '
        "successions, each record through the write service with one history entry "
        f"({REASON!r}). Dry run unless --apply; citations that cannot be mapped exactly are "
        "reported and left as they are. Run seed_directory first: it adds the source records."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply", action="store_true", help="Write the conversion (default: a dry run)."
        )

    def handle(self, *args, **options):
        apply = options["apply"]
        report = convert_citations(apply=apply)
        verbosity = options["verbosity"]
        if verbosity >= 2:
            for shown in report.converted:
                self.stdout.write(f"{'converted' if apply else 'would convert'} {shown}")
        for problem in report.problems:
            self.stdout.write(
                self.style.WARNING(f"left as they are, citations of {problem.record}: ")
                + problem.message
            )
        records = {problem.record for problem in report.problems}
        prefix = "" if apply else "Dry run, nothing written (--apply writes): "
        verb = "converted" if apply else "would be converted"
        self.stdout.write(
            f"{prefix}{report.records} record(s) {verb}: {report.citations} citation(s) of "
            f"records and {report.link_citations} of successions; {len(records)} record(s) "
            f"with citations that cannot be converted, left as they are "
            f"({len(report.problems)} problem(s) reported)."
        )
