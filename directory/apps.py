from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    """The domain: facilities, programmes, calls, institutions and their links."""

    name = "directory"
    verbose_name = _("Facility directory")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from directory import roles, signals

        signals.connect()
        post_migrate.connect(roles.sync_after_migrate, sender=self, dispatch_uid="role-groups")
