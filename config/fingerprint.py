"""A fingerprint of the code that shapes answers, for the keys of everything cached from it.

Cached answers (config.response_cache) and cached record representations
(api/representations.py) live in a cache shared by every app server, and outlive the process
that wrote them: without the code in their keys, a deploy that changes a serializer, a
template, a label or a translation would go on serving what the previous release wrote —
a cached list until its answer expires, a representation until its record next changes. With
the fingerprint in their keys, a new release reads none of the old entries (they age out).

It covers every Python module, template, compiled message catalogue and static file of the
project's apps (api, config, directory, embed) — a cached widget names its script and style by
their hashed file names, which a new release's files replace — but not their migrations (a
model change is in its models module too): a change anywhere in them changes it, more often
than needed (a comment) but never less. Read once per process.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("api", "config", "directory", "embed")
SHAPING_SUFFIXES = (".py", ".html", ".txt", ".mo", ".js", ".css")
SKIPPED_DIRECTORIES = ("__pycache__", "migrations")


def shaping_files(root: Path = ROOT) -> list[Path]:
    """The files the fingerprint reads, in a stable order."""
    found = []
    for app in APPS:
        for directory, subdirectories, files in os.walk(root / app):
            subdirectories[:] = [name for name in subdirectories if name not in SKIPPED_DIRECTORIES]
            found.extend(Path(directory, name) for name in files if name.endswith(SHAPING_SUFFIXES))
    return sorted(found)


def code_fingerprint(root: Path = ROOT) -> str:
    """12 hex digits that change whenever a shaping file's name or content does."""
    digest = hashlib.sha256()
    for path in shaping_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


#: This process's fingerprint.
CODE_FINGERPRINT = code_fingerprint()
