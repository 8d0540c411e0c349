"""WSGI entry point (gunicorn hwb_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwb_portal.settings.production")

application = get_wsgi_application()
