from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """The domain: facilities, programmes, calls, institutions and their links."""

    name = "directory"
    verbose_name = "Facility directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from directory import signals

        signals.connect()
