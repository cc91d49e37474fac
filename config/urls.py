"""Top-level URL configuration: the admin and the versioned API."""

from django.contrib import admin
from django.urls import include, path

from api.feeds import ChangesFeed
from config import health
from embed import views as embed_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("embed/", include("embed.urls")),
    path("oembed", embed_views.oembed, name="oembed"),
    path("feeds/changes.atom", ChangesFeed(), name="changes-feed"),
]

handler404 = "api.exceptions.not_found"
handler500 = "api.exceptions.server_error"
