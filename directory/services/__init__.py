"""Every write to the directory: the one place that validates, saves, records and announces.

See :mod:`directory.services.records` for the record services, :mod:`.seeding` for the
seed data, :mod:`directory.portable` for whole-directory import, :mod:`.feed` for the public
changes feed they keep current and :mod:`.history` for the history entries they write.
"""

from directory.services.identifiers import (
    file_ror_proposals,
    ror_proposal_accept,
    ror_proposal_reject,
)
from directory.services.records import (
    RecordInUse,
    RoleLink,
    SuccessionLink,
    Written,
    link_class,
    pending_changes,
    record_create,
    record_delete,
    record_publish,
    record_restore,
    record_revert,
    record_save,
    record_unpublish,
    record_update,
    slug_change_problems,
    succession_problems,
)

__all__ = [
    "RecordInUse",
    "RoleLink",
    "SuccessionLink",
    "Written",
    "file_ror_proposals",
    "link_class",
    "pending_changes",
    "record_create",
    "record_delete",
    "record_publish",
    "record_restore",
    "record_revert",
    "record_save",
    "record_unpublish",
    "record_update",
    "ror_proposal_accept",
    "ror_proposal_reject",
    "slug_change_problems",
    "succession_problems",
]
