"""Top-level URL configuration: the admin and the versioned API."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]

handler404 = "api.exceptions.not_found"
handler500 = "api.exceptions.server_error"
