"""The publishing rule: only users with the model's publish permission (editors) change
whether a record is public. The write services ask here, for every path (admin forms,
actions, reverts, imports, the API); the admin asks too, to show the field read-only."""

from __future__ import annotations


def may_publish(user, model) -> bool:
    """Whether ``user`` may publish or unpublish records of ``model``."""
    opts = model._meta
    return bool(user) and user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")
