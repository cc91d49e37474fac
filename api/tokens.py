"""Issuing and finding API tokens: the one place a key is made (the API, the admin, the command).

A key is returned once, by :func:`issue`, and never stored: the database holds its SHA-512
digest and its first characters (see api.models). Every token expires: after
``API_TOKEN_TTL_DAYS`` days, or sooner when asked.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import get_digest_token
from knox.settings import CONSTANTS, knox_settings

from api.models import MANAGE_OTHERS, ApiToken

NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
#: Live tokens one user may hold: one per script or device is plenty, and a runaway script
#: cannot fill the table.
MAX_LIVE_PER_USER = 50


class TooManyTokens(Exception):
    """The user holds MAX_LIVE_PER_USER live tokens already."""


def too_many_message(user) -> str:
    """Why ``user`` may not have another token (in the active language)."""
    return _(
        "%(user)s holds %(count)s tokens that have not expired, the most one user may hold: "
        "revoke those no longer used first."
    ) % {"user": user.get_username(), "count": MAX_LIVE_PER_USER}


def max_ttl() -> datetime.timedelta:
    """How long a token may live at most (``API_TOKEN_TTL_DAYS``)."""
    return knox_settings.TOKEN_TTL


def issue(
    user,
    name: str,
    *,
    expires_in: datetime.timedelta | None = None,
    not_after: datetime.datetime | None = None,
    token: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """A new token of ``user`` and its key, which the caller shows once and forgets.

    It expires after ``expires_in`` (at most, and by default, the configured TTL), and never
    after ``not_after`` (a token issued with a token expires with it at the latest).
    ``token``: an unsaved token to fill in and save (the admin's form), else a new one.
    """
    if live(ApiToken.objects.filter(user=user)).count() >= MAX_LIVE_PER_USER:
        raise TooManyTokens(too_many_message(user))
    ttl = max_ttl() if expires_in is None else min(expires_in, max_ttl())
    expiry = timezone.now() + ttl
    if not_after is not None:
        expiry = min(expiry, not_after)
    # As knox's own manager and admin do: the key is TOKEN_PREFIX and 64 random hex digits
    # (os.urandom); the row keeps its SHA-512 digest and its first characters only.
    digest, key = get_digest_token()
    token = token if token is not None else ApiToken()
    token.digest, token.token_key = digest, key[: CONSTANTS.TOKEN_KEY_LENGTH]
    token.user, token.name, token.expiry = user, name.strip(), expiry
    token.save(force_insert=True)
    return token, key


def live(queryset: QuerySet | None = None) -> QuerySet:
    """Tokens that have not expired (knox deletes an expired one when it is next presented)."""
    queryset = ApiToken.objects.all() if queryset is None else queryset
    return queryset.filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))


def manages_others(user) -> bool:
    """Whether ``user`` may see, issue and revoke other users' tokens."""
    return user.has_perm(f"{ApiToken._meta.app_label}.{MANAGE_OTHERS}")
