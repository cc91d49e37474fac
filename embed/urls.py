"""The embeddable widgets, their builder and the widget script (mounted at /embed/)."""

from django.urls import path, re_path

from embed import views

app_name = "embed"

urlpatterns = [
    path("", views.builder, name="builder"),
    path("widget.js", views.widget_js, name="widget-js"),
    path("builder.js", views.builder_js, name="builder-js"),
    re_path(r"^(?P<resource>facilities|programmes|calls)/$", views.widget, name="widget"),
]
