"""The API's documentation pages, Swagger UI and ReDoc, under a strict Content-Security-Policy.

Both are drf-spectacular's pages with their assets from the sidecar package (served from this
site): neither makes a request to any other host. Each widens the site-wide policy
(config/settings.py) by exactly what it needs:

* Swagger UI: its page's ``<style>`` block and inline start-up script carry a per-request
  nonce (templates in api/templates/api/). Its online validator badge (an image from
  validator.swagger.io) is turned off in ``SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"]``.
* ReDoc: the same for its ``<style>`` block and start-up script, which hands the nonce to
  ReDoc for the ``<style>`` elements it writes itself (styled-components). The one style sheet
  its bundle writes while loading, before it can know the nonce (perfect-scrollbar's CSS for
  the side menu), is allowed by its hash, as is the empty ``<style>`` element it first inserts.
  Its search index runs in a Web Worker built from a ``blob:`` URL (``worker-src blob:``). The
  page does not load Google Fonts.

ReDoc's logo: the side menu's "API docs by Redocly" link shows an image from Redocly's CDN
(:data:`REDOC_LOGO`), hard-coded in ReDoc's bundle: no ReDoc option, drf-spectacular setting
or schema field (``x-logo`` is another, opt-in logo) turns it off. So the page loads the
sidecar's bundle with that one URL emptied (:class:`OfflineRedocFinder`, a static file like
any other): the image is not requested, ReDoc drops it as it does when the CDN is
unreachable, and the link's text stays.

The hashes belong to the pinned drf-spectacular-sidecar release; after upgrading it, the
browser tests (tests/test_security.py, tests/test_browser_pages.py) name any new hash Chromium
asks for, and :func:`offline_redoc_bundle` refuses a bundle that no longer holds exactly one
:data:`REDOC_LOGO`.

Neither page is ever cached by the response cache (no ``Cache-Control: public``): a cached
nonce would no longer match the header.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import drf_spectacular_sidecar
from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib.staticfiles.finders import BaseFinder
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

SWAGGER_CSP = {"script-src": [NONCE], "style-src": [NONCE]}
#: sha256 of perfect-scrollbar's CSS as ReDoc's bundle inserts it, and of an empty <style>.
REDOC_STYLE_HASHES = [
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
]
REDOC_CSP = {
    "script-src": [NONCE],
    "style-src": [NONCE, *REDOC_STYLE_HASHES],
    "worker-src": ["blob:"],
}

#: The image ReDoc's side menu loads from Redocly's CDN, whatever its options say.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
#: ReDoc's bundle as the sidecar ships it (a path of its static files).
SIDECAR_REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
#: The same bundle without :data:`REDOC_LOGO` (the static path the ReDoc page loads).
OFFLINE_REDOC_BUNDLE = "api/redoc/redoc.standalone.js"
_SOURCE_MAP_LINE = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


def offline_redoc_bundle(source: str) -> str:
    """ReDoc's bundle ``source`` with the logo's URL emptied and no source map reference.

    An empty ``src`` makes no request: the image fails at once and ReDoc removes it (its own
    ``onError``). The source map would no longer match, and ManifestStaticFilesStorage would
    look for it next to this file, so its reference goes too.
    """
    quoted = f'"{REDOC_LOGO}"'
    if source.count(quoted) != 1:
        raise ImproperlyConfigured(
            f"ReDoc's bundle ({SIDECAR_REDOC_BUNDLE}) holds {source.count(quoted)} copies of "
            f"{REDOC_LOGO}, not one: check what the upgraded drf-spectacular-sidecar loads "
            "from other hosts before changing api/docs.py."
        )
    return _SOURCE_MAP_LINE.sub("", source.replace(quoted, '""'))


class OfflineRedocFinder(BaseFinder):
    """A static files finder (``STATICFILES_FINDERS``) of one file: :data:`OFFLINE_REDOC_BUNDLE`.

    Built from the installed sidecar's bundle into a directory of the system's temporary
    directory named by the source's hash (written atomically, so concurrent processes agree),
    then served and collected like every static file: by WhiteNoise from the finders in
    development, and by ``collectstatic`` into the image (hashed name, compressed, cached for
    ever).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._storage: FileSystemStorage | None = None

    def storage(self) -> FileSystemStorage:
        """The storage holding the built bundle (built on first use)."""
        if self._storage is None:
            source_path = Path(drf_spectacular_sidecar.__file__).parent / "static"
            source = (source_path / SIDECAR_REDOC_BUNDLE).read_bytes()
            digest = hashlib.sha256(source).hexdigest()[:16]
            root = Path(tempfile.gettempdir()) / f"facility-directory-redoc-{digest}"
            target = root / OFFLINE_REDOC_BUNDLE
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                built = offline_redoc_bundle(source.decode("utf-8"))
                partial = target.with_name(f".{target.name}.{os.getpid()}")
                partial.write_text(built, encoding="utf-8")
                os.replace(partial, target)
            self._storage = FileSystemStorage(location=root)
        return self._storage

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False):
        if path != OFFLINE_REDOC_BUNDLE:
            return [] if find_all else None
        found = self.storage().path(path)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield OFFLINE_REDOC_BUNDLE, self.storage()


swagger_ui = csp_update(SWAGGER_CSP)(
    SpectacularSwaggerView.as_view(url_name="schema", template_name="api/swagger_ui.html")
)
redoc = csp_update(REDOC_CSP)(
    SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")
)
