"""Checks the settings run on what the environment says, before anything is served.

Standard library and Django's exception only: config/settings.py imports this module while
the settings are still being read.

- :func:`secret_key_problem`: why a production ``SECRET_KEY`` is unsafe (too short, too few
  distinct characters, Django's own ``django-insecure-`` prefix, a known placeholder), or None.
- :func:`proxy_networks`: the ``TRUSTED_PROXIES`` networks, failing on a malformed entry.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured

#: What Django's own deploy check asks of a key (security.W009), enforced here at start-up.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
#: How to make a good key, named in every refusal.
KEYGEN_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'

#: Keys refused whatever their length: the placeholders of examples and tutorials, compared
#: case-insensitively with ``-``/``_``/spaces ignored, so "Change_Me" is "changeme".
PLACEHOLDER_KEYS = frozenset({"changeme", "secret", "secretkey", "insecure", "password"})
#: Placeholder words refused anywhere in a key (``.env.example``'s value starts with one):
#: compared the same way.
PLACEHOLDER_MARKERS = ("changeme", "replaceme", "yoursecretkey")
#: Prefixes of keys made for development: Django's startproject and this project's own
#: throwaway key (config/settings.py, DEBUG=true only).
INSECURE_PREFIXES = ("django-insecure-", "insecure-")


def _squashed(value: str) -> str:
    return "".join(ch for ch in value.lower() if ch not in "-_ .")


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` must not sign production sessions, or None when it may."""
    lowered = key.strip().lower()
    squashed = _squashed(key)
    for prefix in INSECURE_PREFIXES:
        if lowered.startswith(prefix):
            return f'it starts with "{prefix}", the mark of a development key'
    if squashed in PLACEHOLDER_KEYS:
        return f'"{key}" is a well-known placeholder'
    for marker in PLACEHOLDER_MARKERS:
        if marker in squashed:
            return f'it is a placeholder (it contains "{marker}"), such as .env.example\'s'
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it is {len(key)} characters long; at least {SECRET_KEY_MIN_LENGTH} are needed"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (
            f"it has {len(set(key))} distinct characters; "
            f"at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} are needed"
        )
    return None


def check_secret_key(key: str) -> None:
    """Refuse an unsafe production ``SECRET_KEY`` (see :func:`secret_key_problem`), saying why
    and how to make a good one."""
    problem = secret_key_problem(key)
    if problem is not None:
        raise ImproperlyConfigured(
            f"SECRET_KEY is unsafe for production: {problem}. It signs sessions, password "
            f"resets and CSRF tokens, so it must be long, random and secret: generate one with "
            f"{KEYGEN_COMMAND} and set it in the environment (or set DEBUG=true for local "
            "development, where a throwaway key is used)."
        )


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(name: str, entries: Iterable[str]) -> list[str]:
    """The networks of a comma-separated setting (CIDRs or single addresses), normalised.

    ``10.0.0.7`` is ``10.0.0.7/32``; host bits are dropped (``10.0.0.7/8`` is ``10.0.0.0/8``).
    A malformed entry stops the start with a message naming the setting and the entry.
    """
    networks = []
    for entry in entries:
        try:
            networks.append(str(ipaddress.ip_network(entry.strip(), strict=False)))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated IP networks in CIDR notation "
                f"(e.g. 172.31.250.0/24,10.0.0.5), got {entry.strip()!r}: {exc}"
            ) from exc
    return networks


@lru_cache(maxsize=8)
def proxy_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The network objects of ``TRUSTED_PROXIES`` (cached: the setting rarely changes)."""
    return tuple(
        ipaddress.ip_network(network) for network in parse_networks("TRUSTED_PROXIES", entries)
    )
