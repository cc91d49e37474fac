"""Load the ISO 3166-1 country list, so every country reference is checked by a foreign key."""

import json
from pathlib import Path

from django.db import migrations

COUNTRIES_FILE = Path(__file__).resolve().parent.parent / "data" / "countries.json"


def load_countries(apps, schema_editor):
    Country = apps.get_model("directory", "Country")
    rows = json.loads(COUNTRIES_FILE.read_text(encoding="utf-8"))
    existing = set(Country.objects.values_list("code", flat=True))
    Country.objects.bulk_create(
        [Country(**row) for row in rows if row["code"] not in existing], batch_size=500
    )


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(load_countries, migrations.RunPython.noop)]
