"""The benchmarks' portal: the production settings, plus a bare view to measure pages against.

Only bench/pages.py and bench/signin.py run the portal with these settings (as compose's
gunicorn command does with the production ones); the product's URLs know nothing of the bare view.
"""

from hwb_portal.settings.production import *  # noqa: F403
from hwb_portal.settings.production import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
