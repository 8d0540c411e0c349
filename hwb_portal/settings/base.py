"""Settings shared by every mode; the one place that reads the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)

# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Local and test modes supply a development key; production requires DJANGO_SECRET_KEY.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "hwb_portal",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "formtools",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "schools",
    "accounts",
    "provisioning",
    "school_changes",
    "transfers",
    "service_desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hwb_portal.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # After the forced password change: then the second factor, before anything else.
    "accounts.middleware.SecondFactorRequiredMiddleware",
    # Axes must come last: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hwb_portal.urls"
WSGI_APPLICATION = "hwb_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hwb_portal.context_processors.portal",
                "accounts.context_processors.second_factor",
                "accounts.context_processors.reauth_window",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Connections are kept between requests (opening one was the first fixed cost of every page,
# bench/pages.py) and checked before reuse, so a restarted database costs no failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Only rate-limit counters live here; while Redis is down each process counts in its own
    # memory (hwb_portal/cache.py), so pages keep working and the limits still hold.
    CACHES = {
        "default": {
            "BACKEND": "hwb_portal.cache.RedisCacheWithFallback",
            "LOCATION": REDIS_URL,
            # A cache call never holds a page up: Redis answers in a millisecond or not at all.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: a Redis broker when REDIS_URL is set; otherwise tasks run eagerly in-process. ---
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task a lost worker had taken (acknowledged late) is delivered again after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("HWB_TASK_VISIBILITY_TIMEOUT", default=3600),
}
# The queue tasks are sent to (tests give each worker its own, so the tasks a worker sends,
# such as an email after a move, stay with it).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE = {
    # Daily, in the small hours: learners whose admission date has come move in; accounts whose
    # 12 months are up are deleted; raw UPNs past their retention are removed from runs.
    "learner-admissions-due": {
        "task": "provisioning.tasks.learner_admissions_settle",
        "schedule": crontab(hour=1, minute=15),
    },
    "non-mis-accounts-close-due": {
        "task": "accounts.tasks.non_mis_accounts_close_due",
        "schedule": crontab(hour=1, minute=45),
    },
    "accounts-deletion-due": {
        "task": "accounts.tasks.accounts_delete_due",
        "schedule": crontab(hour=2, minute=15),
    },
    "transfer-requests-remind": {
        "task": "transfers.tasks.transfer_requests_remind",
        "schedule": crontab(hour=7, minute=30),
    },
    "transfer-requests-expire": {
        "task": "transfers.tasks.transfer_requests_expire",
        "schedule": crontab(hour=7, minute=45),
    },
    "run-upns-expired": {
        "task": "provisioning.tasks.run_upns_remove_expired",
        "schedule": crontab(hour=3, minute=15),
    },
    # Proposed schools open and closing schools close on their dates.
    "schools-status-advance": {
        "task": "school_changes.tasks.schools_status_advance",
        "schedule": crontab(hour=0, minute=30),
    },
    # Then the staff of merging and closing schools move, on the notice's date.
    "staff-matches-move-due": {
        "task": "school_changes.tasks.staff_matches_move_due",
        "schedule": crontab(hour=0, minute=45),
    },
    # ITE students are reminded to download their work before their placement ends.
    "ite-placement-reminders": {
        "task": "provisioning.tasks.ite_placement_reminders_send",
        "schedule": crontab(hour=8, minute=0),
    },
    # Expired sessions and old sign-in records (lock-out failures, access logs) are removed.
    "signin-records-expired": {
        "task": "accounts.tasks.signin_records_remove_expired",
        "schedule": crontab(hour=3, minute=45),
    },
    # Runs whose task was lost (broker down at commit, worker killed) are handed over again.
    "runs-stalled-recover": {
        "task": "provisioning.tasks.runs_stalled_recover",
        "schedule": crontab(minute="*"),
    },
    # Emails whose delivery task was lost (broker down at commit, worker gone) are sent again.
    "emails-deliver-stragglers": {
        "task": "accounts.tasks.emails_deliver_stragglers",
        "schedule": crontab(minute="*/10"),
    },
}

# --- Sign-in and passwords ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameBackend",
]
# Argon2id at OWASP's recommendation (accounts/hashers.py). It replaces Django's Argon2 hasher
# (same algorithm name): hashes made with Django's parameters are still verified and are
# rehashed with ours at their holder's next good sign-in.
PASSWORD_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # Django's checks, with this project's (Welsh-translated) messages: accounts/validators.py.
    {"NAME": "accounts.validators.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "accounts.validators.CommonPasswordValidator"},
    {"NAME": "accounts.validators.NumericPasswordValidator"},
    {"NAME": "accounts.validators.MixedCharactersValidator"},
    {"NAME": "accounts.validators.GuessablePasswordValidator"},
]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign_in"

# Lock-out (django-axes, through accounts.signin.SignInLockoutHandler). A username is locked
# after AXES_FAILURE_LIMIT failures within the cool-off, whichever addresses they came from; a
# good sign-in clears only its own username's failures. Schools share one public address, so an
# address is refused only past a much higher ceiling (password spraying across many usernames).
AXES_HANDLER = "accounts.signin.SignInLockoutHandler"
AXES_FAILURE_LIMIT = env.int("HWB_SIGNIN_FAILURE_LIMIT", default=5)
HWB_SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("HWB_SIGNIN_ADDRESS_FAILURE_LIMIT", default=100)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("HWB_SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Axes warns that without "ip_address" one attacker could try many usernames: the handler's
# per-address ceiling is that limit, set far higher than a per-username one would be.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
# Tries refused during a lock are not counted: hammering cannot prolong a lock, and a pupil
# trying again while the school's address is paused does not lock their own username too.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
# Axes reads the address through the same function as the audit log (HWB_TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
# Failures are also kept past the cool-off, for the Hwb team (the daily clean-up removes them).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The Hwb team's admin pages for these records are ours: lifting a lock goes through a service.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# Sign-in records (axes' access and failure logs) are removed after this many days.
HWB_SIGNIN_RECORDS_DAYS = env.int("HWB_SIGNIN_RECORDS_DAYS", default=30)

# Reverse proxies in front of the portal that append to X-Forwarded-For (nginx in compose: 1).
# 0 trusts no header: the client is REMOTE_ADDR. With N, the client is the N-th address from
# the right of X-Forwarded-For. Lock-outs, the audit log and the API's rate limits all use it.
HWB_TRUSTED_PROXY_COUNT = env.int("HWB_TRUSTED_PROXY_COUNT", default=0)
# Wrong second-factor codes count as failed sign-ins too; a typed code is never logged.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Second factor (django-otp): TOTP apps and recovery codes, for the Hwb team, local-authority
# officers, headteachers and digital champions. Wrong codes wait 1, 2, 4, 8… seconds per device.
OTP_TOTP_ISSUER = "Hwb"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# The User management area asks for the password again; the proof lasts this long.
HWB_REAUTH_MINUTES = env.int("HWB_REAUTH_MINUTES", default=15)
# Each User management page warns this long before its window ends, with a way to stay.
HWB_REAUTH_WARNING_SECONDS = env.int("HWB_REAUTH_WARNING_SECONDS", default=120)

SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Messages (one-time passwords and tokens among them) stay on the server, never in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Domain ---------------------------------------------------------------------------------
HWB_EMAIL_DOMAIN = env("HWB_EMAIL_DOMAIN", default="hwbcymru.net")
# Key of the HMAC that stands in for a UPN: the portal stores no raw UPN.
HWB_UPN_HASH_KEY = env("HWB_UPN_HASH_KEY", default="")
HWB_DFES_LOOKUP_RATE = env("HWB_DFES_LOOKUP_RATE", default="60/min")
HWB_PAGE_SIZE = env.int("HWB_PAGE_SIZE", default=25)

# The demo data (seed_demo) has a published password: only the local settings allow it.
HWB_DEMO_DATA_ALLOWED = False

# --- Provisioning ---------------------------------------------------------------------------
# Snapshots bigger than this are refused with 413 (the largest secondary is under 2 MB).
HWB_SNAPSHOT_MAX_BYTES = env.int("HWB_SNAPSHOT_MAX_BYTES", default=25 * 1024 * 1024)
# A snapshot's extracted_at may be this far ahead of the portal's clock (clients' clocks drift);
# further ahead is refused (400), or it would make every later snapshot of the school stale.
HWB_SNAPSHOT_CLOCK_SKEW_MINUTES = env.int("HWB_SNAPSHOT_CLOCK_SKEW_MINUTES", default=5)
# A snapshot in which more than this share of a school's current learners (or staff) disappear
# without a leaving date, and at least HWB_HOLD_MIN_PEOPLE of them, is held for the Hwb team.
HWB_HOLD_DISAPPEAR_SHARE = env.float("HWB_HOLD_DISAPPEAR_SHARE", default=0.10)
HWB_HOLD_MIN_PEOPLE = env.int("HWB_HOLD_MIN_PEOPLE", default=5)
# A run queued, or running with no live worker, this long is handed to a worker again by the
# beat sweep (provisioning/recovery.py); well under the broker's visibility timeout.
HWB_RUN_STALLED_MINUTES = env.int("HWB_RUN_STALLED_MINUTES", default=5)
# A worker applies up to this many queued runs of different schools together, in one set-based
# pass (provisioning/services/batches.py); 1 applies each run by itself.
HWB_RUN_BATCH_RUNS = env.int("HWB_RUN_BATCH_RUNS", default=40)
# Raw UPNs in a run's result (usernames list, record errors) are removed after this many days.
HWB_RUN_UPN_RETENTION_DAYS = env.int("HWB_RUN_UPN_RETENTION_DAYS", default=30)
# The daily deletion of accounts whose 12 months are up works in batches of this size.
HWB_DELETION_BATCH_SIZE = env.int("HWB_DELETION_BATCH_SIZE", default=500)
# The portal's address, for links in emails (which are sent from workers, outside any request).
HWB_PORTAL_URL = env("HWB_PORTAL_URL", default="http://127.0.0.1:8000").rstrip("/")
# Where the Hwb team is told about held snapshots.
HWB_TEAM_EMAIL = env("HWB_TEAM_EMAIL", default="hwb-team@hwb.gov.wales")
# How people reach the Hwb service desk, in Welsh or English (the accessibility statement).
HWB_SERVICE_DESK_EMAIL = env("HWB_SERVICE_DESK_EMAIL", default=HWB_TEAM_EMAIL)
HWB_SERVICE_DESK_PHONE = env("HWB_SERVICE_DESK_PHONE", default="")

# --- Account Transfer -----------------------------------------------------------------------
HWB_TRANSFER_LINK_DAYS = env.int("HWB_TRANSFER_LINK_DAYS", default=30)  # decision links expire
HWB_TRANSFER_REMINDER_DAYS = env.int("HWB_TRANSFER_REMINDER_DAYS", default=7)
HWB_TRANSFER_EXPIRY_DAYS = env.int("HWB_TRANSFER_EXPIRY_DAYS", default=30)
# Previous usernames a member of staff may try in an hour (nobody can list usernames).
HWB_TRANSFER_LOOKUPS_PER_HOUR = env.int("HWB_TRANSFER_LOOKUPS_PER_HOUR", default=10)

# --- New schools, mergers and closures ------------------------------------------------------
# Local authorities give at least this many weeks' notice (half a term, as domain.md explains);
# a later notice is accepted but marked late.
HWB_NOTICE_MIN_WEEKS = env.int("HWB_NOTICE_MIN_WEEKS", default=6)
# The merger move job moves this many accounts per transaction.
HWB_MERGER_BATCH_SIZE = env.int("HWB_MERGER_BATCH_SIZE", default=50)
# Service-desk authorisation links expire after this many days (at most 14: a system check).
HWB_AUTHORISATION_LINK_DAYS = env.int("HWB_AUTHORISATION_LINK_DAYS", default=14)
# Largest authorisation document the service desk may attach.
HWB_AUTHORISATION_MAX_BYTES = env.int("HWB_AUTHORISATION_MAX_BYTES", default=5 * 1024 * 1024)
# ITE students are reminded this many days before their placement's end date.
HWB_ITE_REMINDER_DAYS = env.int("HWB_ITE_REMINDER_DAYS", default=14)
# Uploaded documents (service-desk authorisations): never served publicly, only to the Hwb team.
MEDIA_ROOT = env.path("HWB_MEDIA_ROOT", default=BASE_DIR / "var" / "media")

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default=f"filemail:///{BASE_DIR / 'var' / 'mail'}")
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Hwb <no-reply@hwb.gov.wales>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_RATES": {"dfes_lookup": HWB_DFES_LOOKUP_RATE},
    "NUM_PROXIES": HWB_TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hwb portal API",
    "DESCRIPTION": "The Provisioning Client API and the portal's small lookups.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Enums list their values; "* `held` - held" under each adds nothing.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    # The docs page's Swagger UI is served from our own static files (the CSP allows no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io; a token typed into the page is not kept in
    # the browser's storage.
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "validatorUrl": None,
        "persistAuthorization": False,
    },
}

# --- Language -------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("cy", _("Welsh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/London"
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Signed link tokens (emailed links) are written as [token]: "Bad Request: /path" logs them.
    "filters": {"redact_tokens": {"()": "hwb_portal.access_log.RedactTokensFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; our audit log already records them.
    "loggers": {"axes": {"level": "WARNING"}},
}
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "hwb_portal.views.csrf_failure"
