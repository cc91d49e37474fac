"""Token authentication of the API: django-rest-knox's, refusing malformed keys up front.

``Authorization: Token <key>``: the key's first characters find its token, and the SHA-512
digest of the whole key must match the stored one (knox). An unknown, revoked or expired key
(or a deactivated user's) is a 401 with a JSON body, and so is a key no token could have,
refused before knox sees it: knox would decode any bytes as UTF-8 (a 500 on others) and send
the rest to the database (where a NUL character fails).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

#: Every key this service issues or has issued: knox's (an optional "fd_" prefix and 64 hex
#: digits) and DRF's migrated ones (40 hex digits).
PLAUSIBLE_KEY = re.compile(rb"[A-Za-z0-9_-]{1,128}")
#: Lazy: AuthenticationFailed reads it in the language of the request refused.
REFUSED = _("Invalid, expired or revoked token.")


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's token authentication with one message for every key that is refused."""

    def authenticate_credentials(self, token: bytes):
        if not PLAUSIBLE_KEY.fullmatch(token):
            raise AuthenticationFailed(REFUSED)
        try:
            return super().authenticate_credentials(token)
        except AuthenticationFailed:
            # Unknown, revoked, expired (knox deletes it now), or its user deactivated.
            raise AuthenticationFailed(REFUSED) from None
