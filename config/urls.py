"""Top-level URL configuration: the landing page, the probes, the admin, the API, the widgets
and the feeds.

The API's and the feeds' routes are included by name: config/ never imports api/ (the
layering contracts in pyproject.toml).
"""

from django.contrib import admin
from django.urls import include, path

from config import health, landing
from embed import views as embed_views

urlpatterns = [
    path("", landing.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("embed/", include("embed.urls")),
    path("oembed", embed_views.oembed, name="oembed"),
    path("feeds/", include("api.feed_urls")),
]

handler400 = "config.errors.bad_request"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
