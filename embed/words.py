"""The widgets' wording, one table for the iframe widgets and the script widget.

English here (the message ids), Japanese in embed/locale/ja/LC_MESSAGES/django.po. The iframe
widgets render it through Django's translation machinery; the script widget
(embed/static/embed/widget.js) carries the same strings in its ``TEXT`` table, and
tests/test_widget_js.py checks that table against :data:`SCRIPT_WORDS` in both languages, so
the two widgets never word a thing differently. Placeholders are ``{name}`` (the script
replaces them the same way).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

PROVIDER_NAME = "Facility Directory"

WORDS = {
    "facilities": _("Research facilities"),
    "programmes": _("Funding programmes"),
    "calls": _("Calls for proposals"),
    "loading": _("Loading…"),
    "empty": _("No records match these filters."),
    "unreachable": _("The directory could not be reached."),
    "shown": _("{shown} of {total}"),
    "deadline": _("Deadline: {date}"),
    "opens": _("Opens: {date}"),
    "programme": _("Programme: {name}"),
    "credit": _("Data from {provider}"),
    "updated": _("updated {date}"),
    "new_tab": _("(opens in a new tab)"),
    "error_title": _("This widget cannot be shown"),
    "error_intro": _("Please correct these parameters of the widget address:"),
    "error_attributes": _("Please correct these attributes:"),
}

#: What the script widget says, by the key of its ``TEXT`` table (a subset of WORDS).
SCRIPT_WORDS = (
    "facilities",
    "programmes",
    "calls",
    "loading",
    "empty",
    "unreachable",
    "deadline",
    "opens",
    "programme",
    "credit",
    "updated",
    "new_tab",
    "error_title",
    "error_attributes",
)


def words(lang: str) -> dict[str, str]:
    """Every string of :data:`WORDS` in ``lang``."""
    with translation.override(lang):
        return {key: str(value) for key, value in WORDS.items()}


def script_words(lang: str) -> dict[str, str]:
    """What widget.js's ``TEXT[lang]`` must hold."""
    table = words(lang)
    return {key: table[key] for key in SCRIPT_WORDS}
