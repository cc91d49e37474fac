"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.utils.log import log_response
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.errors import DATABASE_RETRY_AFTER_SECONDS


@never_cache
@require_GET
def healthz(request):
    """The process answers. Touches nothing else, so it stays cheap and always true."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Database and cache reachable: 200, else 503 with a JSON body naming what failed."""
    checks: dict[str, str] = {}
    problems: list[str] = []
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            checks[f"database:{alias}"] = "ok"
        except Exception as error:  # any failure means not ready; say which and why
            problems.append(f"database {alias} unreachable ({error.__class__.__name__}: {error})")
            checks[f"database:{alias}"] = f"unreachable: {error.__class__.__name__}"
    try:
        if hasattr(cache, "is_available"):
            # The resilient Redis backend hides outages from callers; ask it directly.
            cache.is_available()
            checks["cache"] = "ok"
        else:
            cache.set("readyz", "1", 5)
            ok = cache.get("readyz") == "1"
            checks["cache"] = "ok" if ok else "unreachable: value not stored"
    except Exception as error:
        problems.append(f"cache unreachable ({error.__class__.__name__}: {error})")
        checks["cache"] = f"unreachable: {error.__class__.__name__}"
    failed = sorted(name for name, state in checks.items() if state != "ok")
    status = 503 if failed else 200
    response = JsonResponse(
        {"status": "unavailable" if failed else "ready", "checks": checks, "failed": failed},
        status=status,
    )
    if failed:
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        # One line naming every failure; marked logged, so Django adds no bare second one.
        log_response(
            "not ready: %s",
            "; ".join(problems or failed),
            response=response,
            request=request,
            level="warning",
        )
    return response
