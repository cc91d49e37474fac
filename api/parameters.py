"""The one rule for query parameters an endpoint does not know: refuse them by name."""

from __future__ import annotations


def unknown_parameter_errors(request, allowed) -> dict[str, list[str]]:
    """A 400 body entry for every query parameter outside ``allowed`` (typos never pass)."""
    allowed = set(allowed)
    message = f"Unknown parameter. Allowed here: {', '.join(sorted(allowed))}."
    return {name: [message] for name in sorted(set(request.query_params) - allowed)}
