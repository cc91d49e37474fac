"""The two curation roles, as permission groups.

- **curator**: views, adds and changes every directory record; cannot delete or publish.
- **editor**: everything a curator does, plus delete, publish/unpublish, accept or reject
  ROR proposals, and their own API tokens in the admin (issue, rename, revoke). Other
  users' tokens need
  ``api.manage_others_tokens``, which no role grants (superusers have it).

The groups are created by a data migration and re-synced after every migrate, so a model
added later gets its permissions in the groups too.
"""

from __future__ import annotations

CURATOR = "curator"
EDITOR = "editor"
ROLES = (CURATOR, EDITOR)

# Reference data, and the change stream the write services keep: both roles read, neither edits.
READ_ONLY_MODELS = {"country", "changeevent", "feedentry"}
HIDDEN_MODELS = {"directorystate", "citation"}  # the citation index is derived, never edited
# Proposals that import_ror files: both roles read them; editors accept or reject them
# ("decide"), as they publish. Nobody adds or edits one by hand.
DECIDED_MODELS = {"rorproposal"}


def _wanted_codenames(permissions, role: str) -> set[str]:
    wanted = set()
    for permission in permissions:
        model = permission.content_type.model
        action = permission.codename.split("_", 1)[0]
        if model in HIDDEN_MODELS or model.startswith("historical"):
            continue
        if model in READ_ONLY_MODELS:
            allowed = {"view"}
        elif model in DECIDED_MODELS:
            allowed = {"view", "decide"} if role == EDITOR else {"view"}
        elif role == CURATOR:
            allowed = {"view", "add", "change"}
        else:
            allowed = {"view", "add", "change", "delete", "publish"}
        if action in allowed:
            wanted.add(permission.pk)
    return wanted


def sync_role_groups(apps=None, using: str = "default") -> None:
    """Create or update the curator and editor groups with exactly their permissions."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    directory_permissions = list(
        Permission.objects.using(using)
        .filter(content_type__app_label="directory")
        .select_related("content_type")
    )
    # API tokens (api.ApiToken): the model's permissions, never the one over others' tokens.
    token_permissions = list(
        Permission.objects.using(using)
        .filter(content_type__app_label="api", content_type__model="apitoken")
        .exclude(codename="manage_others_tokens")
    )
    for role in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = _wanted_codenames(directory_permissions, role)
        if role == EDITOR:
            wanted |= {permission.pk for permission in token_permissions}
        group.permissions.set(wanted)


def sync_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: keep the groups in step with the models."""
    sync_role_groups(using=using)
