"""The API: versioned resources under /api/v1/, the OpenAPI schema and its documentation."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from api import calendar, docs, token_views, views
from config.errors import not_found

router = SimpleRouter()
router.register("facilities", views.FacilityViewSet, basename="facilities")
router.register("programmes", views.ProgrammeViewSet, basename="programmes")
router.register("calls", views.CallViewSet, basename="calls")
router.register("institutions", views.InstitutionViewSet, basename="institutions")
router.register("agreements", views.AgreementViewSet, basename="agreements")
router.register("techniques", views.TechniqueViewSet, basename="techniques")
router.register("fields", views.ResearchFieldViewSet, basename="fields")
router.register("sources", views.SourceViewSet, basename="sources")
router.register("instruments", views.InstrumentViewSet, basename="instruments")

v1 = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("changes/", views.ChangesView.as_view(), name="changes"),
    # Before the router: "match" is not an institution's slug.
    path("institutions/match/", views.InstitutionMatchView.as_view(), name="institutions-match"),
    path("calls.ics", calendar.CallCalendarView.as_view(), name="calls-ics"),
    # The signed-in user's own API tokens (others' are managed in the admin).
    path("auth/tokens/", token_views.TokenListView.as_view(), name="tokens"),
    re_path(
        r"^auth/tokens/(?P<token_key>[A-Za-z0-9_-]{1,25})/$",
        token_views.TokenDetailView.as_view(),
        name="token-detail",
    ),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.swagger_ui, name="swagger-ui"),
    path("redoc/", docs.redoc, name="redoc"),
    # Unknown API paths answer JSON even with DEBUG on.
    re_path(r"^.*$", not_found),
]
