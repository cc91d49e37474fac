"""The API's documentation pages, Swagger UI and ReDoc, under a strict Content-Security-Policy.

Both are drf-spectacular's pages with their assets from the sidecar package (served from this
site). Each widens the site-wide policy (config/settings.py) by exactly what it needs:

* Swagger UI: its page's ``<style>`` block and inline start-up script carry a per-request
  nonce (templates in api/templates/api/).
* ReDoc: the same for its ``<style>`` block and start-up script, which hands the nonce to
  ReDoc for the ``<style>`` elements it writes itself (styled-components). The one style sheet
  its bundle writes while loading, before it can know the nonce (perfect-scrollbar's CSS for
  the side menu), is allowed by its hash, as is the empty ``<style>`` element it first inserts.
  Its search index runs in a Web Worker built from a ``blob:`` URL (``worker-src blob:``). The
  side menu's "API docs by Redocly" link shows one image from Redocly's CDN: that one URL is
  allowed. The page no longer loads Google Fonts.

The hashes belong to the pinned drf-spectacular-sidecar release; after upgrading it, the
browser test (tests/test_security.py) names any new hash Chromium asks for.

Neither page is ever cached by the response cache (no ``Cache-Control: public``): a cached
nonce would no longer match the header.
"""

from csp.constants import NONCE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

SWAGGER_CSP = {"script-src": [NONCE], "style-src": [NONCE]}
#: sha256 of perfect-scrollbar's CSS as ReDoc's bundle inserts it, and of an empty <style>.
REDOC_STYLE_HASHES = [
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
]
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_CSP = {
    "script-src": [NONCE],
    "style-src": [NONCE, *REDOC_STYLE_HASHES],
    "img-src": [REDOC_LOGO],
    "worker-src": ["blob:"],
}

swagger_ui = csp_update(SWAGGER_CSP)(
    SpectacularSwaggerView.as_view(url_name="schema", template_name="api/swagger_ui.html")
)
redoc = csp_update(REDOC_CSP)(
    SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")
)
