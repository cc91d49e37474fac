"""Create the configured PostgreSQL database when it does not exist yet (`make migrate` runs it).

``DATABASE_URL=postgres://…/directory make run`` then works on a server that has never heard
of ``directory``, as ``make run`` does on SQLite (which creates its file itself). It never
drops or changes anything: when the database can be reached, or when it exists but cannot be
reached (a wrong password, no CONNECT right), it does nothing and the original error stands.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = (
        "Create the configured PostgreSQL database if it does not exist (CREATE DATABASE, "
        "through the server's 'postgres' maintenance database). Does nothing on SQLite, or "
        "when the database exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            return
        try:
            connection.ensure_connection()
        except OperationalError as unreachable:
            self._create_if_missing(connection, unreachable)
        finally:
            connection.close()

    def _create_if_missing(self, connection, unreachable: OperationalError) -> None:
        name = connection.settings_dict["NAME"]
        # Django's own way to reach the server without a database (NAME None: 'postgres').
        server = connection.__class__(
            {
                **connection.settings_dict,
                "NAME": None,
                "OPTIONS": dict(connection.settings_dict["OPTIONS"]),
            },
            alias=f"{connection.alias}-maintenance",
        )
        try:
            with server.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cursor.fetchone() is not None:
                    raise CommandError(
                        f"The database {name} exists but cannot be reached: {unreachable}"
                    )
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
        except OperationalError as error:
            raise CommandError(
                f"The database {name} cannot be reached ({unreachable}), nor the server's "
                f"'postgres' database to create it ({error}). Create it with "
                f"`createdb {name}` (as a user allowed to), then try again."
            ) from unreachable
        finally:
            server.close()
        self.stdout.write(f"Created the PostgreSQL database {name}.")
