"""Security glue: the admin's Content-Security-Policy, and the admin sign-in lockout.

CSP: :class:`CSPMiddleware` is django-csp's, plus the few inline attributes that third-party
admin templates carry, allowed on admin pages only and each by its exact hash.

Lockout (django-axes): the client address failed sign-ins are counted against, and the answer.

Client address (:func:`client_ip`, the one rule of the lockout and of the rate limit in
config/throttles.py): ``X-Forwarded-For`` counts only when the socket's peer (``REMOTE_ADDR``)
is in ``TRUSTED_PROXIES``. Each proxy appends the address it saw, so the header is read from
the right, past the entries that are trusted proxies themselves, to the first that is not: the
client. Entries further left were written by the client and can be anything. A peer outside
``TRUSTED_PROXIES`` is the client, whatever header it sends.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse

from config.settings_checks import proxy_networks

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
        # import-export's import preview: the diff of each changed cell, written by
        # diff-match-patch's diff_prettyHtml() with exactly two fixed attributes (no value of
        # the data ever lands in them): <ins style="background:#e6ffe6;"> and
        # <del style="background:#ffe6e6;"> (tests/test_browser_pages.py checks the set).
        "'sha256-AFyijjilwBx8kC+SMDLzasw2VV9MWz1VYVQ8xIgdMlA='",
        "'sha256-S0qL3AVCJ6EdYX2E0yOmH+5YvauOwNAxIl4pJ/0IUUg='",
    ],
}


def admin_prefix() -> str:
    """The admin's path prefix (``/admin/``), under the URL configuration and script prefix
    in force. Reversed once per pair: reversing it for every answer, twice, was a tenth of
    the CPU of a constant answer through the whole stack (issue 17)."""
    return _admin_prefix(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=32)
def _admin_prefix(urlconf: str, script_prefix: str) -> str:
    # reverse() reads the script prefix in force, which is part of the key.
    return reverse("admin:index", urlconf=urlconf)


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware; admin pages also get :data:`ADMIN_CSP_UPDATE`.

    A view that sets its own policy (django-csp's ``@csp``) keeps exactly that policy.
    """

    def get_policy_parts(self, request, response, report_only=False):
        """The policy of this response: the view's own parts, plus the admin's attributes.

        The report-only policy is left as django-csp makes it: the site sets none, so there
        is nothing to add the admin's attributes to.
        """
        parts = super().get_policy_parts(request, response, report_only)
        if report_only and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None):
            return parts
        if parts.config is None and request.path.startswith(admin_prefix()):
            update = {key: list(values) for key, values in ADMIN_CSP_UPDATE.items()}
            for key, values in (parts.update or {}).items():
                update.setdefault(key, []).extend(values)
            parts.update = update
        return parts


#: An address with a port, as some proxies write it: ``192.0.2.1:4711``, ``[2001:db8::1]:443``.
_WITH_PORT = re.compile(r"^\[(?P<v6>[^\]]+)\](?::\d+)?$|^(?P<v4>[\d.]+):\d+$")


def _valid_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``value`` names (an IPv4-mapped IPv6 address as IPv4), or None."""
    value = value.strip()
    with_port = _WITH_PORT.match(value)
    if with_port:
        value = with_port.group("v6") or with_port.group("v4")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(request) -> str | None:
    """The client's IP address: ``REMOTE_ADDR``, or what the trusted proxies say it is.

    From a peer outside ``TRUSTED_PROXIES`` (a client that reached the app directly) the
    ``X-Forwarded-For`` header is ignored. From a trusted proxy it is walked from the right:
    each entry a trusted proxy wrote is believed, and the first address that is not itself a
    trusted proxy is the client. An entry that is not an address stops the walk at the last
    trusted proxy, so a forged header can never choose the address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    client = _valid_ip(remote)
    if client is None:
        return remote or None
    entries = settings.TRUSTED_PROXIES
    if isinstance(entries, str):
        entries = [entry for entry in entries.split(",") if entry.strip()]
    networks = proxy_networks(tuple(entries))

    def trusted(address) -> bool:
        return any(address in network for network in networks)

    if trusted(client):
        hops = [
            hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()
        ]
        for hop in reversed(hops):
            address = _valid_ip(hop)
            if address is None:
                break  # not an address: nothing left of it is known, only the last proxy
            client = address
            if not trusted(address):
                break
    return str(client)


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
