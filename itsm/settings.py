"""Settings for the ITSM portal, read from the environment (12-factor).

Infrastructure only: domain rules (workflows, SLA policies, the catalog) live in
code or in the database. `ITSM_PROFILE=production` switches on the hardened
profile that `manage.py check --deploy` accepts without warnings.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

PROFILE = env.str("ITSM_PROFILE", default="development")
if PROFILE not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"ITSM_PROFILE must be development, test or production, not {PROFILE!r}")
PRODUCTION = PROFILE == "production"

# Runtime state of the development bootstrap (embedded PostgreSQL, broker folders, uploads).
VAR_DIR = Path(env.str("ITSM_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-" + "x" * 32)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "django_celery_beat",
    "rules.apps.AutodiscoverRulesConfig",
    # Practices. servicedesk is the core; the others register with it.
    "servicedesk",
    "incidents",
    "requests_catalog",
    "sla",
    "knowledge",
    "cmdb",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"
ASGI_APPLICATION = "itsm.asgi.application"

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
                "servicedesk.context_processors.navigation",
            ],
        },
    },
]


def _database_url() -> str:
    """DATABASE_URL from the environment, else the one the development bootstrap wrote."""
    url = env.str("DATABASE_URL", default="")
    if url:
        return url
    written = VAR_DIR / "run" / "database_url"
    if written.exists():
        return written.read_text().strip()
    # libpq's own default (the local server's socket), so that commands needing no database still run
    # (makemigrations --check, check --deploy). `scripts/itsmctl.py db` starts the embedded server.
    return "postgres:///itsm"


DATABASES = {"default": env.db_url_config(_database_url())}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default="test_itsm")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never served directly: attachments go through a permission-checked view

# Attachments: a size limit and an allow-list of types (by extension, checked against the content).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env.list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    default=["txt", "log", "csv", "pdf", "png", "jpg", "jpeg", "gif", "webp", "docx", "xlsx", "pptx", "zip", "json"],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Email: EMAIL_URL such as smtp://user:pass@host:587/?tls=True, or consolemail:// in development.
vars().update(env.email_url("EMAIL_URL", default="consolemail://" if not PRODUCTION else "smtp://localhost:25"))
# Absolute links in emails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ITSM Portal <servicedesk@localhost>")

# Celery: Redis when REDIS_URL is set; otherwise the filesystem transport under var/ (one host only).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "celery"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    BROKER_FOLDER = _broker_dir
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# A fulfilled request the requester did not confirm closes itself after this many days.
CATALOG_CLOSE_FULFILLED_AFTER_DAYS = env.int("CATALOG_CLOSE_FULFILLED_AFTER_DAYS", default=5)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Infrastructure jobs; django-celery-beat copies them into its database schedule, editable in admin.
CELERY_BEAT_SCHEDULE = {
    "redeliver-pending-notifications": {
        "task": "servicedesk.tasks.redeliver_pending_notifications",
        "schedule": 60.0,
    },
    "close-expired-resolutions": {
        "task": "incidents.tasks.close_expired_resolutions",
        "schedule": 900.0,
    },
    "close-fulfilled-requests": {
        "task": "requests_catalog.tasks.close_fulfilled_requests",
        "schedule": 3600.0,
    },
    "sweep-sla-clocks": {
        "task": "sla.tasks.sweep_sla_clocks",
        "schedule": env.float("SLA_SWEEP_SECONDS", default=30.0),
    },
    "purge-stale-presence": {
        "task": "servicedesk.tasks.purge_stale_presence",
        "schedule": 3600.0,
    },
    "remind-article-reviews": {
        "task": "knowledge.tasks.remind_article_reviews",
        "schedule": 86400.0,
    },
}
CELERY_TIMEZONE = TIME_ZONE
# Knowledge: a published article is due for review this many months later (unless its author sets a date);
# readers' not-helpful verdicts on a version flag it for its owner from this many on (when they outnumber helpful).
KNOWLEDGE_REVIEW_MONTHS = env.int("KNOWLEDGE_REVIEW_MONTHS", default=12)
KNOWLEDGE_FLAG_UNHELPFUL = env.int("KNOWLEDGE_FLAG_UNHELPFUL", default=3)
# Clocks the SLA sweep locks and fires per transaction: smaller batches hold their locks for less time.
SLA_SWEEP_BATCH_SIZE = env.int("SLA_SWEEP_BATCH_SIZE", default=200)

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL and PRODUCTION
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
