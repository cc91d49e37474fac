"""Security glue: the admin's Content-Security-Policy, and the admin sign-in lockout.

CSP: :class:`CSPMiddleware` is django-csp's, plus the few inline attributes that third-party
admin templates carry, allowed on admin pages only and each by its exact hash.

Lockout (django-axes): the client address failed sign-ins are counted against, and the answer.

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies that each append the address they saw to
``X-Forwarded-For``, the client is the entry that many places from the right: entries further
left were written by the client itself and can be anything. With no trusted proxy the header
is ignored and the socket's ``REMOTE_ADDR`` is used.
"""

from __future__ import annotations

import ipaddress
import math

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse

#: What the admin's third-party templates need beyond the site-wide policy, and no more:
#: 'unsafe-hashes' lets exactly these attribute values run, never any other inline code.
ADMIN_CSP_UPDATE = {
    "script-src-attr": [
        "'unsafe-hashes'",
        # import-export's export page, its "Select all" box: onchange="onSelectToggleChange(event)"
        "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",
    ],
    "style-src-attr": [
        "'unsafe-hashes'",
        # simple-history's history page: style="border-top: 0"
        "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",
        # import-export's export page: style="padding: 0;" and style="font-weight: bold;"
        "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",
        "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",
    ],
}


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware; admin pages also get :data:`ADMIN_CSP_UPDATE`.

    A view that sets its own policy (django-csp's ``@csp``) keeps exactly that policy.
    """

    def get_policy_parts(self, request, response, report_only=False):
        """The policy of this response: the view's own parts, plus the admin's attributes."""
        parts = super().get_policy_parts(request, response, report_only)
        if parts.config is None and request.path.startswith(reverse("admin:index")):
            update = {key: list(values) for key, values in ADMIN_CSP_UPDATE.items()}
            for key, values in (parts.update or {}).items():
                update.setdefault(key, []).extend(values)
            parts.update = update
        return parts


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's IP address as the nearest trusted proxy (or the socket) reports it.

    A missing or short ``X-Forwarded-For`` behind proxies (a request that bypassed them)
    falls back to ``REMOTE_ADDR``, so a forged header can never choose the address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop]
        if len(hops) >= count:
            forwarded = _valid_ip(hops[-count])
            if forwarded is not None:
                return forwarded
    return _valid_ip(remote) or remote or None


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def lockout_response(request, original_response=None, credentials=None):
    """The admin-styled 429 page of a locked-out sign-in, with ``Retry-After``.

    Named by ``AXES_LOCKOUT_CALLABLE``; it says how long the lock lasts and how an
    administrator lifts it, instead of django-axes' one-line plain-text answer.
    """
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in locked",
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "cooloff": f"for {_duration(seconds)}" if seconds else "until an administrator lifts it",
        "retry_after": seconds,
    }
    response = render(
        request, "admin/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
