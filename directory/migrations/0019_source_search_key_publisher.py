"""Sources are searched by their publisher too (Source.SEARCH_TERM_FIELDS), and by the
cross-kind search: their stored search keys gain the publisher, and on PostgreSQL their table
gets the trigram index the other searchable tables have (0003_search_trigram_indexes).

The key is derived data (rebuilt on every save), so rewriting it here changes no record.
"""

from django.db import migrations

from directory.search import build_search_key

TABLE = "directory_source"


def rebuild_source_keys(apps, schema_editor):
    Source = apps.get_model("directory", "Source")
    rows = Source.objects.using(schema_editor.connection.alias)
    changed = []
    for source in rows.only(
        "pk", "name", "name_ja", "acronym", "aliases", "publisher", "publisher_ja", "search_key"
    ).iterator():
        key = build_search_key(
            [
                source.name,
                source.name_ja,
                source.acronym,
                *(source.aliases or []),
                source.publisher,
                source.publisher_ja,
            ]
        )
        if key != source.search_key:
            source.search_key = key
            changed.append(source)
    rows.bulk_update(changed, ["search_key"], batch_size=500)


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TABLE}_search_trgm "
        f"ON {TABLE} USING gin (search_key gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TABLE}_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("directory", "0018_place_key")]

    operations = [
        # Keys without the publisher still find every source by its names: nothing to undo.
        migrations.RunPython(rebuild_source_keys, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
