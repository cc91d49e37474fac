"""How the admin's history pages show entries: never a bare "None".

An empty value shows as "—", a role link as "Institution (role)", and an entry written by
the system itself (seeding, a command) as "system", saying which ("system (seed data)") from
its reason, which the page shows beside it.
"""

from __future__ import annotations

from django.db.models import ManyToManyField
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from directory.portable import CHANGE_REASON as IMPORT_REASON
from directory.services.seeding import BACKFILL_REASON

EMPTY = "—"

#: What wrote an entry that has no user, by the start of its reason (the write paths' own).
SYSTEM_WRITERS = (
    ("Seeded from ", _("system (seed data)")),
    (BACKFILL_REASON, _("system (history backfill)")),
    (IMPORT_REASON, _("system (import_directory)")),
)


def author(entry) -> str:
    """Who wrote a history entry: its user, or the system and which of its paths."""
    if entry.history_user_id is not None and entry.history_user is not None:
        return str(entry.history_user)
    reason = entry.history_change_reason or ""
    for start, label in SYSTEM_WRITERS:
        if reason.startswith(start):
            return str(label)
    return gettext("system")


class DirectoryHistoryContext(HistoricalRecordContextHelper):
    """simple-history's context helper (its documented extension point), with our wording."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if isinstance(field, ManyToManyField) and not field.remote_field.through._meta.auto_created:
            # Role links: the institution with its role, not the institution alone; a
            # succession: the successor with its type (and date).
            through = field.remote_field.through
            key = "role" if "role" in through.LINK_KEY else "type"
            labels = dict(through._meta.get_field(key).choices)
            target = field.m2m_reverse_field_name()
            shown = []
            for row in value:
                label = str(labels.get(row[key], row[key]))
                if row.get("date"):
                    label = f"{label}, {row['date']}"
                shown.append(f"{row[target]} ({label})")
            return shown or EMPTY
        prepared = super().prepare_delta_change_value(change, value)
        if prepared is None or prepared == "" or prepared == []:
            return EMPTY
        return prepared
