"""Settings for the load benchmark only (bench/soak.sh): the project's settings, unchanged,
plus the framework-floor URLs of bench/floor_urls.py. Never used outside the benchmark.

The floors answer as an anonymous read of the API would: ``bench/floor/``, ``bench/drf-floor/``
and ``bench/sql-page/`` take the lean path (config/request_stacks.py) like ``/api/``;
``bench/full-floor/`` answers the same body through the full stack, as a signed-in caller's
or an admin page's request goes.
"""

from config.settings import *  # noqa: F403
from config.settings import LEAN_PATH_PREFIXES

ROOT_URLCONF = "bench.floor_urls"
LEAN_PATH_PREFIXES = (*LEAN_PATH_PREFIXES, "/bench/floor/", "/bench/drf-floor/", "/bench/sql-page/")
