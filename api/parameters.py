"""The rules every query parameter meets: a name the endpoint knows, and no NUL character.

Unknown parameters are refused by each API view (it knows its own parameters). NUL characters
are refused before any view, for every path of the site (the API, the iCalendar feed, the
embed widgets and oEmbed, the admin): config.nul_characters applies
:func:`nul_character_errors` to each request.
"""

from __future__ import annotations

NUL_CHARACTER_MESSAGE = "Contains a NUL character (%00), which no parameter accepts."


def unknown_parameter_errors(request, allowed) -> dict[str, list[str]]:
    """A 400 body entry for every query parameter outside ``allowed`` (typos never pass)."""
    allowed = set(allowed)
    message = f"Unknown parameter. Allowed here: {', '.join(sorted(allowed))}."
    return {name: [message] for name in sorted(set(request.query_params) - allowed)}


def nul_character_errors(query) -> dict[str, list[str]]:
    """A 400 body entry for every parameter of ``query`` (a QueryDict) with a NUL in it.

    In its name or in any of its values: PostgreSQL refuses NUL in text, so such a value
    would fail in the database (a 500) where it should match nothing, and no parameter of
    the site has a use for one.
    """
    return {
        name: [NUL_CHARACTER_MESSAGE]
        for name, values in sorted(query.lists())
        if "\x00" in name or any("\x00" in value for value in values)
    }
