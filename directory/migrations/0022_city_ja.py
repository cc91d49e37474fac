"""A Japanese city name on facilities and institutions (仙台市 beside Sendai), part of the
place key: `?q=仙台` finds the records in Sendai by their place.

The place keys are then rebuilt as every save derives them (directory.models.base
NamedRecord.place_terms over PLACE_TERM_FIELDS, which now hold city_ja): the keys are derived
columns, nothing a curator writes. The column is new and blank, so on a database migrated in
order no key changes; the rebuild keeps every stored key what a save would derive, whatever the
database held before (as 0020 does after a change of rule).
"""

import importlib

from django.db import migrations, models

#: The facilities' place fields of 0018's derive_keys, with the Japanese city after the
#: English one (institutions: 0021's rebuild, which adds their published parents' names).
PLACES = {"facility": ("city", "city_ja", "site", "country")}


def rebuild_place_keys(apps, schema_editor):
    from directory.search import build_search_key

    countries = {row.code: row for row in apps.get_model("directory", "Country").objects.all()}
    for name, fields in PLACES.items():
        model = apps.get_model("directory", name)
        changed = []
        for record in model.objects.all():
            places = []
            for field in fields:
                if field == "country":
                    country = countries.get(record.country_id)
                    places += [country.name, country.name_ja] if country else []
                else:
                    places.append(getattr(record, field))
            place_key = build_search_key(places)
            if place_key != record.place_key:
                record.place_key = place_key
                changed.append(record)
        model.objects.bulk_update(changed, ["place_key"], batch_size=500)
    parents = importlib.import_module("directory.migrations.0021_parent_names_in_place_keys")
    parents.rebuild_institution_place_keys(apps, schema_editor, city_fields=("city", "city_ja"))


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0021_parent_names_in_place_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="facility",
            name="city_ja",
            field=models.CharField(
                blank=True,
                help_text="The city's Japanese name, e.g. 仙台市; searched like the English one.",
                max_length=120,
                verbose_name="city (Japanese)",
            ),
        ),
        migrations.AddField(
            model_name="historicalfacility",
            name="city_ja",
            field=models.CharField(
                blank=True,
                help_text="The city's Japanese name, e.g. 仙台市; searched like the English one.",
                max_length=120,
                verbose_name="city (Japanese)",
            ),
        ),
        migrations.AddField(
            model_name="historicalinstitution",
            name="city_ja",
            field=models.CharField(
                blank=True,
                help_text="The city's Japanese name, e.g. 仙台市; searched like the English one.",
                max_length=120,
                verbose_name="city (Japanese)",
            ),
        ),
        migrations.AddField(
            model_name="institution",
            name="city_ja",
            field=models.CharField(
                blank=True,
                help_text="The city's Japanese name, e.g. 仙台市; searched like the English one.",
                max_length=120,
                verbose_name="city (Japanese)",
            ),
        ),
        migrations.RunPython(rebuild_place_keys, migrations.RunPython.noop),
    ]
