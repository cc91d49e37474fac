"""Settings for the load benchmark only (bench/soak.sh): the project's settings, unchanged,
plus the framework-floor URL of bench/floor_urls.py. Never used outside the benchmark."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
