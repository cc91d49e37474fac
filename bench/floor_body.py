"""The constant body both floors answer (bench/floor_urls.py, bench/bare_floor.py)."""

from django.core.exceptions import ImproperlyConfigured


def floor_body(size: int) -> bytes:
    """A valid JSON document of exactly ``size`` bytes (at least 10)."""
    frame = b'{"pad":""}'
    if size < len(frame):
        raise ImproperlyConfigured(f"FLOOR_BYTES must be at least {len(frame)}, got {size}")
    return b'{"pad":"' + b"x" * (size - len(frame)) + b'"}'
