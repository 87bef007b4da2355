"""Settings of the benchmarks: the project's own, plus the baseline view of ``bench/intake.py``.

Used only by the benchmark's server (``DJANGO_SETTINGS_MODULE=bench.bench_settings``); the
application never sees the baseline view.
"""

from pingan.settings import *  # noqa: F403 -- the project's settings, unchanged but for the URLs

ROOT_URLCONF = "bench.bench_urls"
