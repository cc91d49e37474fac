"""Each kind of answer gets its own generation and change time (directory.kinds)."""

from django.db import migrations, models

#: directory.kinds.KINDS when this migration was written.
KINDS = (
    "facility",
    "programme",
    "call",
    "institution",
    "agreement",
    "technique",
    "field",
    "changes",
)


def mark_every_kind(apps, schema_editor):
    """Every kind starts where the whole directory is (an update: no signal, no bump)."""
    DirectoryState = apps.get_model("directory", "DirectoryState")
    rows = DirectoryState.objects.using(schema_editor.connection.alias)
    for state in rows.all():
        mark = {"generation": state.generation, "changed_at": state.changed_at.isoformat()}
        rows.filter(pk=state.pk).update(kinds=dict.fromkeys(KINDS, mark))


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0011_record_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="directorystate",
            name="kinds",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(mark_every_kind, migrations.RunPython.noop),
    ]
