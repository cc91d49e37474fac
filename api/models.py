"""API tokens: django-rest-knox's hashed, expiring token, with a name.

Knox stores a token as the SHA-512 digest of its key (the primary key) and the key's first
15 characters (``token_key``, how a request's token is found before its digest is compared);
the key itself is never stored, and is shown once, when the token is issued (api.tokens).
Knox's own model has no name, so this project swaps in its own through knox's public
extension point (``KNOX_TOKEN_MODEL``, its ``AbstractAuthToken``): one table, one row per
token, the name beside the digest. It also gets a plain number for its primary key, where
knox uses the digest: the admin puts primary keys in URLs, in its change log and in the
list's checkboxes, and the digest is shown nowhere.
"""

from __future__ import annotations

from django.db import models
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

#: The permission to see, issue and revoke other users' tokens (the admin; nobody's role
#: grants it: superusers have it, and administrators give it to whom they choose).
MANAGE_OTHERS = "manage_others_tokens"


class ApiToken(AbstractAuthToken):
    """One API token of a user: what it is for (``name``), when it was issued and expires."""

    id = models.BigAutoField(primary_key=True)
    # Knox's field, not the primary key here (see the module docstring); still unique.
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(
        max_length=100,
        help_text="What this token is for: the script, service or device that uses it.",
    )

    class Meta:
        verbose_name = "API token"
        verbose_name_plural = "API tokens"
        ordering = ("-created",)
        permissions = [(MANAGE_OTHERS, "Can see, issue and revoke other users' API tokens")]

    def __str__(self) -> str:
        # Never the digest (knox's own __str__ shows it): this text reaches the admin's
        # messages, its change log and delete confirmations.
        return f"{self.name} ({self.token_key}…)"
