"""Celery application: Redis broker when REDIS_URL is set, eager tasks otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwb_portal.settings.local")

app = Celery("hwb_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
