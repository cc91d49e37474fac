"""Every committed write to a directory model bumps the directory state (see DirectoryState)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

DIRECTORY_APP = "directory"


def _is_directory_record(sender) -> bool:
    from directory.models import DirectoryState

    return sender._meta.app_label == DIRECTORY_APP and sender is not DirectoryState


def _mark_changed(sender, using=None, **kwargs) -> None:
    if _is_directory_record(sender):
        from directory.models import DirectoryState

        DirectoryState.bump(using=using)


def connect() -> None:
    """Connect the change marker to saves, deletes and many-to-many changes."""
    post_save.connect(_mark_changed, dispatch_uid="directory-state-save")
    post_delete.connect(_mark_changed, dispatch_uid="directory-state-delete")
    m2m_changed.connect(_mark_changed, dispatch_uid="directory-state-m2m")
