"""Verbose names marked for translation (the admin in Japanese: directory/locale/ja).

The models and the relations that had no verbose name of their own get one, so that it can be
translated; nothing in the database changes (every operation is a no-op in SQL).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0012_directorystate_kinds"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="accessmode",
            options={
                "base_manager_name": "objects",
                "ordering": ["name"],
                "permissions": [
                    ("publish_accessmode", "Can publish or unpublish accessmode records")
                ],
                "verbose_name": "access mode",
                "verbose_name_plural": "access modes",
            },
        ),
        migrations.AlterModelOptions(
            name="agreement",
            options={
                "base_manager_name": "objects",
                "ordering": ["name"],
                "permissions": [
                    ("publish_agreement", "Can publish or unpublish agreement records")
                ],
                "verbose_name": "agreement",
                "verbose_name_plural": "agreements",
            },
        ),
        migrations.AlterModelOptions(
            name="call",
            options={
                "base_manager_name": "objects",
                "ordering": ["closes_at", "name"],
                "permissions": [("publish_call", "Can publish or unpublish call records")],
                "verbose_name": "call",
                "verbose_name_plural": "calls",
            },
        ),
        migrations.AlterModelOptions(
            name="changeevent",
            options={
                "ordering": ["-id"],
                "verbose_name": "change event",
                "verbose_name_plural": "change events",
            },
        ),
        migrations.AlterModelOptions(
            name="country",
            options={
                "ordering": ["name"],
                "verbose_name": "country",
                "verbose_name_plural": "countries",
            },
        ),
        migrations.AlterModelOptions(
            name="facility",
            options={
                "base_manager_name": "objects",
                "ordering": ["name"],
                "permissions": [("publish_facility", "Can publish or unpublish facility records")],
                "verbose_name": "facility",
                "verbose_name_plural": "facilities",
            },
        ),
        migrations.AlterModelOptions(
            name="facilityrole",
            options={
                "base_manager_name": "objects",
                "ordering": ["facility_id", "role", "institution_id"],
                "verbose_name": "facility role",
                "verbose_name_plural": "operators and partners",
            },
        ),
        migrations.AlterModelOptions(
            name="historicalfacilityrole",
            options={
                "get_latest_by": ("history_date", "history_id"),
                "ordering": ("-history_date", "-history_id"),
                "verbose_name": "historical facility role",
                "verbose_name_plural": "historical operators and partners",
            },
        ),
        migrations.AlterModelOptions(
            name="historicalprogrammerole",
            options={
                "get_latest_by": ("history_date", "history_id"),
                "ordering": ("-history_date", "-history_id"),
                "verbose_name": "historical programme role",
                "verbose_name_plural": "historical funders and implementing agencies",
            },
        ),
        migrations.AlterModelOptions(
            name="institution",
            options={
                "base_manager_name": "objects",
                "ordering": ["name"],
                "permissions": [
                    ("publish_institution", "Can publish or unpublish institution records")
                ],
                "verbose_name": "institution",
                "verbose_name_plural": "institutions",
            },
        ),
        migrations.AlterModelOptions(
            name="instrument",
            options={
                "base_manager_name": "objects",
                "ordering": ["name"],
                "permissions": [
                    ("publish_instrument", "Can publish or unpublish instrument records")
                ],
                "verbose_name": "instrument",
                "verbose_name_plural": "instruments",
            },
        ),
        migrations.AlterModelOptions(
            name="programme",
            options={
                "base_manager_name": "objects",
                "ordering": ["name"],
                "permissions": [
                    ("publish_programme", "Can publish or unpublish programme records")
                ],
                "verbose_name": "programme",
                "verbose_name_plural": "programmes",
            },
        ),
        migrations.AlterModelOptions(
            name="programmerole",
            options={
                "base_manager_name": "objects",
                "ordering": ["programme_id", "role", "institution_id"],
                "verbose_name": "programme role",
                "verbose_name_plural": "funders and implementing agencies",
            },
        ),
        migrations.AlterModelOptions(
            name="researchfield",
            options={
                "base_manager_name": "objects",
                "ordering": ["name"],
                "permissions": [
                    ("publish_researchfield", "Can publish or unpublish researchfield records")
                ],
                "verbose_name": "research field",
                "verbose_name_plural": "research fields",
            },
        ),
        migrations.AlterModelOptions(
            name="technique",
            options={
                "base_manager_name": "objects",
                "ordering": ["name"],
                "permissions": [
                    ("publish_technique", "Can publish or unpublish technique records")
                ],
                "verbose_name": "technique",
                "verbose_name_plural": "techniques",
            },
        ),
        migrations.AlterField(
            model_name="call",
            name="programme",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="calls",
                to="directory.programme",
                verbose_name="programme",
            ),
        ),
        migrations.AlterField(
            model_name="facility",
            name="access_modes",
            field=models.ManyToManyField(
                blank=True,
                related_name="facilities",
                to="directory.accessmode",
                verbose_name="access modes",
            ),
        ),
        migrations.AlterField(
            model_name="facility",
            name="techniques",
            field=models.ManyToManyField(
                blank=True,
                related_name="facilities",
                to="directory.technique",
                verbose_name="techniques",
            ),
        ),
        migrations.AlterField(
            model_name="facilityrole",
            name="facility",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="roles",
                to="directory.facility",
                verbose_name="facility",
            ),
        ),
        migrations.AlterField(
            model_name="facilityrole",
            name="institution",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="facility_roles",
                to="directory.institution",
                verbose_name="institution",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcall",
            name="programme",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.programme",
                verbose_name="programme",
            ),
        ),
        migrations.AlterField(
            model_name="historicalfacility_institutions",
            name="facility",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.facility",
                verbose_name="facility",
            ),
        ),
        migrations.AlterField(
            model_name="historicalfacility_institutions",
            name="institution",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.institution",
                verbose_name="institution",
            ),
        ),
        migrations.AlterField(
            model_name="historicalfacilityrole",
            name="facility",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.facility",
                verbose_name="facility",
            ),
        ),
        migrations.AlterField(
            model_name="historicalfacilityrole",
            name="institution",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.institution",
                verbose_name="institution",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinstrument",
            name="facility",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.facility",
                verbose_name="facility",
            ),
        ),
        migrations.AlterField(
            model_name="historicalprogramme_institutions",
            name="institution",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.institution",
                verbose_name="institution",
            ),
        ),
        migrations.AlterField(
            model_name="historicalprogramme_institutions",
            name="programme",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.programme",
                verbose_name="programme",
            ),
        ),
        migrations.AlterField(
            model_name="historicalprogrammerole",
            name="institution",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.institution",
                verbose_name="institution",
            ),
        ),
        migrations.AlterField(
            model_name="historicalprogrammerole",
            name="programme",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.programme",
                verbose_name="programme",
            ),
        ),
        migrations.AlterField(
            model_name="instrument",
            name="facility",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="instruments",
                to="directory.facility",
                verbose_name="facility",
            ),
        ),
        migrations.AlterField(
            model_name="instrument",
            name="techniques",
            field=models.ManyToManyField(
                blank=True,
                related_name="instruments",
                to="directory.technique",
                verbose_name="techniques",
            ),
        ),
        migrations.AlterField(
            model_name="programmerole",
            name="institution",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="programme_roles",
                to="directory.institution",
                verbose_name="institution",
            ),
        ),
        migrations.AlterField(
            model_name="programmerole",
            name="programme",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="roles",
                to="directory.programme",
                verbose_name="programme",
            ),
        ),
    ]
