"""Every committed write to a directory model bumps the directory state (see DirectoryState)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

DIRECTORY_APP = "directory"


def _is_directory_record(sender) -> bool:
    """A directory model other than the state itself. Not the historical models of the
    migrations (module ``__fake__``): the state row may not have its current columns yet while
    they run, and a data migration changing what answers show bumps the state itself."""
    from directory.models import DirectoryState

    return (
        sender._meta.app_label == DIRECTORY_APP
        and sender is not DirectoryState
        and sender.__module__ != "__fake__"
    )


def _mark_changed(sender, using=None, **kwargs) -> None:
    if _is_directory_record(sender):
        from directory.models import DirectoryState

        DirectoryState.bump(using=using)


def _prepare(sender, instance, raw=False, **kwargs) -> None:
    from django.utils import timezone

    from directory.models import NamedRecord
    from directory.writes import check_write

    if not isinstance(instance, NamedRecord):
        return
    if raw:  # loaddata: bypasses save(), so the guard of the one write path is asked here
        check_write(instance, "raw save (loaddata)")
    instance.prepare_for_save()
    if raw:
        # Raw saves (fixtures) skip auto_now/auto_now_add; keep given times, fill missing ones.
        now = timezone.now()
        instance.created_at = instance.created_at or now
        instance.updated_at = instance.updated_at or now


def connect() -> None:
    """Derive stored values before every save; mark the directory changed after each write."""
    pre_save.connect(_prepare, dispatch_uid="directory-prepare")
    post_save.connect(_mark_changed, dispatch_uid="directory-state-save")
    post_delete.connect(_mark_changed, dispatch_uid="directory-state-delete")
    m2m_changed.connect(_mark_changed, dispatch_uid="directory-state-m2m")
