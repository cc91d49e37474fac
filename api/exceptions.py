"""JSON error bodies for every API failure, including unknown URLs and server errors."""

from __future__ import annotations

from django.http import JsonResponse


def not_found(request, exception=None):
    """JSON 404 for unknown /api/ paths; the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"No such resource: {request.path}"}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    """JSON 500 for the API (no stack trace ever leaves the server)."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "The server failed to answer this request; it has been logged."},
            status=500,
        )
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
