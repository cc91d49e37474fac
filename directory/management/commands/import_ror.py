"""File ROR matches of the directory's institutions as proposals for curators to review."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from directory.ror import RorDumpError, read_dump
from directory.services.identifiers import file_ror_proposals


class Command(BaseCommand):
    help = (
        "Read a ROR data dump (schema v2; the zip from Zenodo or its JSON file), match its "
        "records to institutions by name, Japanese name, aliases and acronym with country, and "
        "file each match as a proposal to accept or reject in the admin (ROR proposals). "
        "Writes no institution; running it again files nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("dump", help="v…-ror-data.zip or its v…-ror-data.json")

    def handle(self, *args, **options):
        try:
            dump = read_dump(options["dump"])
        except RorDumpError as error:
            raise CommandError(str(error)) from None
        filed = file_ror_proposals(dump=dump)
        self.stdout.write(
            f"Read {len(dump.records)} ROR records from {dump.name}: "
            f"{filed.created} new proposals, {filed.refreshed} refreshed, "
            f"{filed.unchanged} unchanged, {filed.decided} already decided (not filed again); "
            f"{filed.ambiguous} ambiguous. Review them in the admin: Directory → ROR proposals."
        )
