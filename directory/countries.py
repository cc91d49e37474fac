"""The ISO country table, read once per process (it changes only with a migration)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def countries_by_code() -> dict:
    """Every Country row by its alpha-2 code."""
    from directory.models import Country

    return {country.code: country for country in Country.objects.all()}
