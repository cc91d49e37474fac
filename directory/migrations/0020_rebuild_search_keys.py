"""Rebuild every record's search and place keys after a change of the folding rule.

directory.search.normalise now reads a digit in katakana only after a kana word (スプリング8,
すぷりんぐ8), no longer after a hiragana particle following kanji (量子と2次元 stays 量子ト2次元),
so keys stored by the old rule would not meet queries folded by the new one. The keys are
derived columns (nothing a curator writes), rebuilt here as 0018 and 0019 derived them (a
source's key also holds its publisher: 0019, after 0018's run).
"""

import importlib

from django.db import migrations


def rebuild_keys(apps, schema_editor):
    importlib.import_module("directory.migrations.0018_place_key").derive_keys(apps, schema_editor)
    sources = importlib.import_module("directory.migrations.0019_source_search_key_publisher")
    sources.rebuild_source_keys(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("directory", "0019_source_search_key_publisher")]

    operations = [migrations.RunPython(rebuild_keys, migrations.RunPython.noop)]
