"""Which middleware stack a request gets: the lean path or the full one (issue 17).

An anonymous read of the public paths — GET, HEAD or OPTIONS under ``LEAN_PATH_PREFIXES``
(the API, the widgets, the feeds, oEmbed) with neither a session cookie nor an
``Authorization`` header — takes the **lean path**: it skips the middleware that serves only
signed-in or admin pages. Everything else (the admin, the landing page, a signed-in or
token-authenticated caller, any write) keeps the **full stack**.

:func:`takes_lean_path` is the one rule; :class:`RequestStackMiddleware`, right after the
request id, applies it once per request and records the answer on the request
(:data:`STACK_ATTRIBUTE`). Each middleware the lean path skips is listed in
``settings.MIDDLEWARE`` wrapped by :func:`full_stack_only` (this module's ``MessageMiddleware``,
``HistoryRequestMiddleware`` and ``AxesMiddleware``): on a lean request it hands the request
straight on, otherwise it is the library's own middleware, unchanged. So ``settings.MIDDLEWARE``
stays the one ordered list of the full stack (Django's admin checks and every tool read it), and
the lean stack is that list minus the wrapped entries — no second list to keep in the same
order.

What the lean path skips, and why an anonymous read loses nothing by it:

- messages: no anonymous read adds or shows one (templates read an empty list without it);
- history attribution: a read writes no history;
- django-axes: it only turns a locked-out admin sign-in into its page.

Sessions, authentication and CSRF stay on both stacks, because an anonymous read's answer
depends on them: without a session cookie, sessions and authentication read no session store
and only say "anonymous", but they are what gives an answer that asked who the caller is
(every API answer the response cache did not serve) its ``Vary: Cookie``; and the API's
documentation page hands out a CSRF token (its cookie, and ``Vary: Cookie``) for Swagger UI's
"try it out". Dropping them would drop those headers, or restate Django's rules for them;
measured, the three cost about 0.05 ms of such a request (README, "What each middleware
costs").

``LEAN_PATH=false`` sends every request through the full stack (tests/test_lean_path.py
compares both, header by header).
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from axes.middleware import AxesMiddleware as _AxesMiddleware
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware as _MessageMiddleware
from simple_history.middleware import HistoryRequestMiddleware as _HistoryRequestMiddleware

#: Set on every request by RequestStackMiddleware: "lean" or "full".
STACK_ATTRIBUTE = "request_stack"
LEAN, FULL = "lean", "full"
#: Methods that change nothing; the lean path takes no other.
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def is_anonymous(request) -> bool:
    """Whether the request names no caller: no ``Authorization`` header, no session cookie.

    The response cache (config.response_cache) serves and stores only such requests too.
    """
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def takes_lean_path(request) -> bool:
    """Whether ``request`` may skip the middleware that serves signed-in and admin pages."""
    return (
        settings.LEAN_PATH
        and request.method in READ_METHODS
        and request.path.startswith(tuple(settings.LEAN_PATH_PREFIXES))
        and is_anonymous(request)
    )


def took_lean_path(request) -> bool:
    """What RequestStackMiddleware decided for ``request`` (full when it has not run)."""
    return getattr(request, STACK_ATTRIBUTE, FULL) == LEAN


class RequestStackMiddleware:
    """Decides, once, which stack the request gets (:func:`takes_lean_path`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        setattr(request, STACK_ATTRIBUTE, LEAN if takes_lean_path(request) else FULL)
        return self.get_response(request)


class _SkippedOnLeanPath:
    """Mixed into a class-based middleware: a lean request goes straight to ``get_response``
    (which Django's middleware protocol keeps on the instance), any other through the
    middleware's own ``__call__``. A subclass of the library's class, so Django's admin
    checks (admin.E409 for messages) still find it in ``settings.MIDDLEWARE``."""

    def __call__(self, request):
        if took_lean_path(request):
            return self.get_response(request)
        return super().__call__(request)


def full_stack_only(middleware):
    """``middleware`` (a Django middleware: a class, or a function taking ``get_response``),
    run on full-stack requests only; a lean request goes straight to the next layer."""
    if isinstance(middleware, type):
        return type(
            middleware.__name__,
            (_SkippedOnLeanPath, middleware),
            {
                "__module__": __name__,
                "__doc__": f"{middleware.__module__}.{middleware.__name__}, full stack only.",
            },
        )

    def factory(get_response):
        full = middleware(get_response)
        if iscoroutinefunction(full):

            async def skipping(request):
                if took_lean_path(request):
                    return await get_response(request)
                return await full(request)

            return markcoroutinefunction(skipping)

        def skipping(request):
            if took_lean_path(request):
                return get_response(request)
            return full(request)

        return skipping

    factory.__name__ = factory.__qualname__ = middleware.__name__
    factory.sync_capable = factory.async_capable = True
    return factory


MessageMiddleware = full_stack_only(_MessageMiddleware)
HistoryRequestMiddleware = full_stack_only(_HistoryRequestMiddleware)
AxesMiddleware = full_stack_only(_AxesMiddleware)
