"""Database constraints whose violation messages land on the field they are about."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class FieldCheckConstraint(models.CheckConstraint):
    """A CheckConstraint about one field: ``full_clean()`` reports it under that field.

    The database holds the rule; the admin form and the API show the same message
    next to the field it concerns, instead of as a form-wide error.
    """

    def __init__(self, *args, field: str, **kwargs):
        self.field = field
        super().__init__(*args, **kwargs)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from None

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        return (
            isinstance(other, FieldCheckConstraint)
            and self.field == other.field
            and super().__eq__(other)
        )


YEAR_MIN, YEAR_MAX = 1900, 2100


# The helpers' ``label`` names the field at the start of the message, marked for translation
# (``_("The total budget")``); the message is lazy, read in the language of the refused write.


def non_negative(field: str, label) -> FieldCheckConstraint:
    """Figures such as energies, lengths, counts and amounts are never negative."""
    return FieldCheckConstraint(
        field=field,
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
        name=f"%(app_label)s_%(class)s_{field}_non_negative",
        violation_error_message=format_lazy(_("{label} cannot be negative."), label=label),
    )


def year_in_range(field: str, label) -> FieldCheckConstraint:
    """A year of a facility's history lies in a plausible range."""
    return FieldCheckConstraint(
        field=field,
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": YEAR_MIN, f"{field}__lte": YEAR_MAX}),
        name=f"%(app_label)s_%(class)s_{field}_range",
        violation_error_message=format_lazy(
            _("{label} must be between {minimum} and {maximum}."),
            label=label,
            minimum=YEAR_MIN,
            maximum=YEAR_MAX,
        ),
    )


def amount_needs_currency(amount: str, currency: str, label) -> FieldCheckConstraint:
    """An amount without its ISO 4217 currency means nothing; the database refuses it."""
    return FieldCheckConstraint(
        field=currency,
        condition=Q(**{f"{amount}__isnull": True}) | ~Q(**{currency: ""}),
        name=f"%(app_label)s_%(class)s_{amount}_has_currency",
        violation_error_message=format_lazy(
            _("{label} needs a currency (ISO 4217, e.g. JPY, GBP, EUR)."), label=label
        ),
    )
