from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST layer: translates HTTP to the directory domain and back."""

    name = "api"
    verbose_name = "Public API"
