"""Move every DRF token (plain-text key) into a hashed API token with the same key.

Clients keep working with the key they have: the new row holds what knox compares, the
SHA-512 digest of that key (knox's own ``hash_token``) and its first characters
(``token_key``), computed here as knox computes them for a request. The token is named after
what it was, expires ``API_TOKEN_TTL_DAYS`` from now, and keeps its creation time. Then the
plain-text rows are deleted: no key is left readable in the database.

Irreversible in substance: a key cannot be recovered from its digest, so going back deletes
nothing and restores nothing (re-issue tokens after a downgrade).
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS

MIGRATED_NAME = "Migrated DRF token (replace it with a named one)"


def move_drf_tokens(apps, schema_editor):
    using = schema_editor.connection.alias
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("api", "ApiToken")
    expiry = timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    for legacy in Token.objects.using(using).order_by("created"):
        moved = ApiToken.objects.using(using).create(
            digest=hash_token(legacy.key),
            token_key=legacy.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=legacy.user_id,
            name=MIGRATED_NAME,
            expiry=expiry,
        )
        # auto_now_add stamped it now; keep when the key was really issued.
        ApiToken.objects.using(using).filter(pk=moved.pk).update(created=legacy.created)
    Token.objects.using(using).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_api_tokens"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(move_drf_tokens, migrations.RunPython.noop)]
