"""Load a document written by export_directory, in one transaction: see directory.portable."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from directory.portable import ACTIONS, CHANGE_REASON, PortableError, directory_import


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (e.g. a container without one)
        return "unknown"


class Command(BaseCommand):
    help = (
        "Load a document written by export_directory: every record is validated and the "
        "whole document is written in one transaction, or nothing is. Records are matched "
        "by slug: new ones are created, changed ones updated, the rest left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help='The document to load, or "-" for stdin.')
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate everything and report what would change; write nothing.",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="The user the history rows name as the author of the changes.",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help='The database to import into (default: "default").',
        )

    def handle(self, *args, **options):
        source = options["source"]
        dry_run = options["dry_run"]
        verbosity = options["verbosity"]
        user = self._user(options["user"])
        reason = f"{CHANGE_REASON} {Path(source).name if source != '-' else 'stdin'}"
        reason = f"{reason} by {options['user'] or _login()}"

        def report(action: str, label: str, key: tuple) -> None:
            if verbosity >= 2 or (dry_run and verbosity >= 1):
                verb = f"would be {action}" if dry_run else action
                self.stdout.write(f"{label} {' / '.join(map(str, key))}: {verb}")

        if source == "-":
            stream = getattr(sys.stdin, "buffer", sys.stdin)
        else:
            try:
                stream = open(source, "rb")  # noqa: SIM115 (closed below)
            except OSError as error:
                raise CommandError(f"Cannot read {source}: {error.strerror or error}") from None
        try:
            counts = directory_import(
                stream,
                dry_run=dry_run,
                user=user,
                change_reason=reason,
                using=options["database"],
                report=report,
            )
        except PortableError as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        finally:
            if source != "-":
                stream.close()

        totals = {action: sum(c[action] for c in counts.values()) for action in ACTIONS}
        if verbosity >= 1:
            for label, by_action in counts.items():
                if any(by_action.values()):
                    self.stdout.write(
                        f"{label}: "
                        + ", ".join(f"{count} {action}" for action, count in by_action.items())
                    )
        summary = ", ".join(f"{count} {action}" for action, count in totals.items())
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))

    def _user(self, username: str | None):
        if not username:
            return None
        User = get_user_model()
        try:
            return User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r} (see manage.py createsuperuser).") from None
