"""Create the directory's single change-marker row, so reads never have to."""

from django.db import migrations


def create_state_row(apps, schema_editor):
    DirectoryState = apps.get_model("directory", "DirectoryState")
    DirectoryState.objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_search_trigram_indexes")]

    operations = [migrations.RunPython(create_state_row, migrations.RunPython.noop)]
