"""Texts that must not follow the active language.

Verbose names and choice labels are marked for translation, so the admin shows them in the
curator's language (directory/locale). What the write services store (history reasons, change
events) and what the API answers must not depend on the language a request happened to
activate: those read the English source text through :func:`english`.
"""

from __future__ import annotations

from django.utils import translation


def english(text) -> str:
    """``str(text)`` with no translation active: a lazy verbose name or label as written in
    the source (English), a record's ``__str__`` with its labels in English."""
    with translation.override(None):
        return str(text)


def verbose_name(model_or_record, *, plural: bool = False) -> str:
    """A model's verbose name in English ("facility", "research fields")."""
    opts = model_or_record._meta
    return english(opts.verbose_name_plural if plural else opts.verbose_name)
