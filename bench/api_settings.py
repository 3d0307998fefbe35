"""Settings of bench/api.py's server: Kabinet's own, with bench/api_urls.py as the URLconf so
that the bare view exists only while the bench runs (never in the app)."""

from kabinet.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
