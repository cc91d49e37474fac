"""How the admin's history pages show entries: never a bare "None".

An empty value shows as "—", a role link as "Institution (role)", and an entry written by
the system itself (seeding, a command) as "system" — its reason says which.
"""

from __future__ import annotations

from django.db.models import ManyToManyField
from simple_history.template_utils import HistoricalRecordContextHelper

EMPTY = "—"


class DirectoryHistoryContext(HistoricalRecordContextHelper):
    """simple-history's context helper (its documented extension point), with our wording."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if isinstance(field, ManyToManyField) and not field.remote_field.through._meta.auto_created:
            # Role links: the institution with its role, not the institution alone.
            roles = dict(field.remote_field.through._meta.get_field("role").choices)
            shown = [
                f"{row['institution']} ({roles.get(row['role'], row['role'])})" for row in value
            ]
            return shown or EMPTY
        prepared = super().prepare_delta_change_value(change, value)
        if prepared is None or prepared == "" or prepared == []:
            return EMPTY
        return prepared
