"""The rules every query parameter meets: a name the endpoint knows, and no NUL character.

Unknown parameters are refused by each API view (it knows its own parameters). NUL characters
are refused before any view, for every path of the site (the API, the iCalendar feed, the
embed widgets and oEmbed, the admin): config.nul_characters does that for each request.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def unknown_parameter_errors(request, allowed) -> dict[str, list[str]]:
    """A 400 body entry for every query parameter outside ``allowed`` (typos never pass)."""
    allowed = set(allowed)
    message = _("Unknown parameter. Allowed here: %(names)s.") % {
        "names": ", ".join(sorted(allowed))
    }
    return {name: [message] for name in sorted(set(request.query_params) - allowed)}
