from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    """The domain: facilities, programmes, calls, institutions and their links."""

    name = "directory"
    verbose_name = _("Facility directory")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from directory import roles, signals

        signals.connect()
        connection_created.connect(register_sqlite_functions, dispatch_uid="search-functions")
        post_migrate.connect(roles.sync_after_migrate, sender=self, dispatch_uid="role-groups")


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """SQLite gets pg_trgm's strict_word_similarity (directory.search), so search finds and
    ranks alike on both databases."""
    if connection.vendor != "sqlite":
        return
    from directory.search import strict_word_similarity

    connection.connection.create_function(
        "strict_word_similarity", 2, strict_word_similarity, deterministic=True
    )
