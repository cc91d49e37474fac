"""On PostgreSQL, trigram GIN indexes serve the substring search on every search key.

SQLite has no such index type and scans instead; the results are the same on both.
"""

from django.db import migrations

SEARCHABLE_TABLES = [
    "directory_facility",
    "directory_institution",
    "directory_programme",
    "directory_call",
    "directory_agreement",
    "directory_technique",
    "directory_researchfield",
    "directory_instrument",
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in SEARCHABLE_TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_trgm "
            f"ON {table} USING gin (search_key gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SEARCHABLE_TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_load_countries")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
