"""The publishing rule: only users with the model's publish permission (editors) change
whether a record is public. Admin forms, history reverts, imports and the API all ask here."""

from __future__ import annotations


def may_publish(user, model) -> bool:
    """Whether ``user`` may publish or unpublish records of ``model``."""
    opts = model._meta
    return bool(user) and user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")


def stored_publication(record) -> bool:
    """Whether the record is published in the database now (False for a new record)."""
    if record.pk is None:
        return False
    stored = (
        type(record)
        ._default_manager.filter(pk=record.pk)
        .values_list("is_published", flat=True)
        .first()
    )
    return bool(stored)


def changes_publication(record) -> bool:
    """Whether saving ``record`` would publish or unpublish it."""
    return bool(record.is_published) != stored_publication(record)
