"""Tests: the same settings as local, with fast hashing and mail captured in memory.

DATABASE_URL and REDIS_URL, when set (CI sets both), point the suite at PostgreSQL and Redis.
"""

from .base import env
from .local import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key-9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e"
HWB_UPN_HASH_KEY = "test-only-upn-hash-key-abcdefghijklmnopqrstuvwxyz"
# Argon2 is the real hasher (a test checks it); MD5 keeps thousands of test sign-ins fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests that need a worker start one on REDIS_URL themselves; the rest run tasks eagerly.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = env("REDIS_URL", default="memory://")
LANGUAGE_CODE = "en"
