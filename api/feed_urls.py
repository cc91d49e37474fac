"""The Atom feed of new and updated records (mounted at /feeds/ by config/urls.py)."""

from django.urls import path

from api.feeds import ChangesFeed

urlpatterns = [
    path("changes.atom", ChangesFeed(), name="changes-feed"),
]
