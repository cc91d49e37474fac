"""An institution is searched by its published parent's names too (Institution.KEY_RELATIONS):
its place key gains the parent's name, Japanese name, acronym and aliases when the parent is
published (a draft parent's names would tell the public that the draft exists). The place
keys are derived columns, rebuilt here as every save derives them now; going back rebuilds
them as 0020 did, without the parents. The help text of the field says so (no SQL).
"""

import importlib

from django.db import migrations, models

from directory.search import build_search_key


def rebuild_institution_place_keys(apps, schema_editor, city_fields=("city",)):
    """The institutions' place keys with their published parents' names; ``city_fields``, the
    city's fields at the migration that calls it (0022 adds ``city_ja``)."""
    Institution = apps.get_model("directory", "Institution")
    Country = apps.get_model("directory", "Country")
    alias = schema_editor.connection.alias
    countries = {row.code: row for row in Country.objects.using(alias)}
    rows = Institution.objects.using(alias)
    # A published parent's names, by its id (institutions have no PUBLIC_THROUGH: published
    # is public).
    parents = {
        parent.pk: [parent.name, parent.name_ja, parent.acronym, *(parent.aliases or [])]
        for parent in rows.filter(is_published=True, children__isnull=False).distinct()
    }
    changed = []
    for record in rows.only(*city_fields, "pk", "country_id", "parent_id", "place_key").iterator():
        country = countries.get(record.country_id)
        terms = [getattr(record, field) for field in city_fields]
        terms += [country.name, country.name_ja] if country else []
        terms += parents.get(record.parent_id, [])
        key = build_search_key(terms)
        if key != record.place_key:
            record.place_key = key
            changed.append(record)
    rows.bulk_update(changed, ["place_key"], batch_size=500)


def rebuild_keys_without_parents(apps, schema_editor):
    importlib.import_module("directory.migrations.0020_rebuild_search_keys").rebuild_keys(
        apps, schema_editor
    )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0020_rebuild_search_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accessmode",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="agreement",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="call",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="facility",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalaccessmode",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalagreement",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcall",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalfacility",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinstitution",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinstrument",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalprogramme",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalresearchfield",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicalsource",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="historicaltechnique",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="institution",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="instrument",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="programme",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="researchfield",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="source",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.AlterField(
            model_name="technique",
            name="place_key",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Normalised city, site and country names (English and Japanese) and the names of a published parent institution; rebuilt on every save.",
                verbose_name="place key",
            ),
        ),
        migrations.RunPython(rebuild_institution_place_keys, rebuild_keys_without_parents),
    ]
