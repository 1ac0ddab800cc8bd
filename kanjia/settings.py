"""Settings for the Kanjia dibao system: one file, driven by environment variables.

With no environment at all the app runs "embedded": SQLite under ./var and Celery
tasks executed in-process. Production sets KANJIA_ENV=production plus
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and CELERY_BROKER_URL.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

# Every file the app writes holds personal data: owner only (0600 files, 0700 folders; issue 16,
# docs/privacy.md). The umask covers what any library creates (SQLite and its journal, WeasyPrint,
# openpyxl temporary files); the folders made before this rule are tightened here at start.
os.umask(0o077)


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = private_dir(Path(os.environ.get("KANJIA_VAR_DIR", BASE_DIR / "var")))


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


PRODUCTION = os.environ.get("KANJIA_ENV", "development") == "production"


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("生产环境必须设置 SECRET_KEY 环境变量")
    # Development: a random key kept in var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Off by default even in development: the demo should behave like production
# (Chinese error pages, no stack traces). DEBUG=true is for developers only.
DEBUG = envbool("DEBUG", "false") and not PRODUCTION

if os.environ.get("ALLOWED_HOSTS"):
    ALLOWED_HOSTS = [h.strip() for h in os.environ["ALLOWED_HOSTS"].split(",") if h.strip()]
elif PRODUCTION:
    raise ImproperlyConfigured("生产环境必须设置 ALLOWED_HOSTS 环境变量")
else:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "kanjia.apps.KanjiaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "simple_history",
    "axes",
    "csp",
    "kanjia",
    "households",
    "review",
    "publicity",
    "archives",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kanjia.middleware.SessionLimitMiddleware",
    "kanjia.middleware.ScopeCacheMiddleware",
    "kanjia.middleware.InspectorReadOnlyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "kanjia.middleware.NoStoreMiddleware",
    # Last, so that it sees the outcome of the authentication backends.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kanjia.urls"
WSGI_APPLICATION = "kanjia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kanjia.context_processors.office",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'kanjia.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", "60"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # A database file created before the umask rule: owner only (SQLite gives its journal the same mode).
    _sqlite = Path(str(DATABASES["default"]["NAME"]))
    if _sqlite.is_file():
        _sqlite.chmod(0o600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The covering indexes (Index(include=…): member names, household villages) are for PostgreSQL at
# district scale; on SQLite the plain index without the extra column is what is meant, so its
# warning about them would only be noise on every command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Authentication -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out username+IP pairs before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "kanjia.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# django-axes: 5 failures lock the username+IP pair for 30 minutes (等保 2.0).
# A duplicate ID number held outside the user's villages is answered "registered in the town"
# at most this many times per user and hour (issue 16); then new numbers are not checked.
ID_CONFLICT_LIMIT_PER_HOUR = int(os.environ.get("ID_CONFLICT_LIMIT_PER_HOUR", "10"))
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kanjia.views.locked_out"
# Behind a reverse proxy set PROXY_COUNT so the real client address is used.
PROXY_COUNT = envint("PROXY_COUNT", "0")
AXES_CLIENT_IP_CALLABLE = "kanjia.net.client_ip"
AXES_VERBOSE = False

# Sessions: 30 minutes idle (refreshed on every request), 12 hours absolute.
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", str(30 * 60))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = envint("SESSION_ABSOLUTE_SECONDS", str(12 * 3600))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "kanjia.errors.csrf_failure"

# guardian: no anonymous user object; we never grant anything to anonymous.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- Security headers ----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
HTTPS = envbool("HTTPS", "true" if PRODUCTION else "false")
if HTTPS:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", str(365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if envint("PROXY_COUNT", "0"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A CSP without inline script or style: every script is a vendored static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Internationalisation ------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
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
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
# Files browsers ask for at the site root (/favicon.ico), served by WhiteNoise without a login.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
# Uploaded documents live outside any public URL and are served by a view that
# checks village scope (see archives). There is deliberately no MEDIA_URL route.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
if MEDIA_ROOT.is_dir():
    MEDIA_ROOT.chmod(0o700)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Files saved through the storage (uploads, exports, generated PDFs and workbooks) and its folders.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Fonts and stylesheets the PDF renderer may load: nothing else, ever.
PDF_FONT_DIR = BASE_DIR / "static" / "fonts"

# --- Celery --------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
# No broker: run tasks in-process so that the embedded app works alone.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "kanjia")
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# WeasyPrint and openpyxl are memory-hungry: recycle worker processes.
CELERY_WORKER_MAX_TASKS_PER_CHILD = envint("CELERY_MAX_TASKS_PER_CHILD", "50")
CELERY_RESULT_EXPIRES = 24 * 3600
# Periodic jobs (run `celery -A kanjia beat`); each task is idempotent.
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "archives.tasks.seal_audit", "schedule": 600.0},
    "audit-verify-nightly": {"task": "archives.tasks.verify_audit", "schedule": crontab(hour=2, minute=30)},
    "archives-locations-nightly": {"task": "archives.tasks.locations_sync", "schedule": crontab(hour=3, minute=0)},
    "relatives-rematch-nightly": {"task": "review.relatives_rematch_all", "schedule": crontab(hour=3, minute=30)},
    "review-dynamic-daily": {"task": "review.dynamic_daily", "schedule": crontab(hour=1, minute=30)},
    "households-payment-checks-nightly": {
        "task": "households.refresh_payment_checks",
        "schedule": crontab(hour=1, minute=0),
    },
    "review-monthly-report": {"task": "review.monthly_report", "schedule": crontab(day_of_month=1, hour=2, minute=0)},
}

# --- The office ------------------------------------------------------------------
# Shown on notices and in the page header; set per deployment.
OFFICE = {
    "town": os.environ.get("OFFICE_TOWN", "堪嘉镇"),
    "name": os.environ.get("OFFICE_NAME", "资阳市雁江区堪嘉镇人民政府民政办"),
    "phone": os.environ.get("OFFICE_PHONE", "028-26000000"),
    "address": os.environ.get("OFFICE_ADDRESS", "资阳市雁江区堪嘉镇人民政府便民服务中心"),
}
SYSTEM_NAME = "城乡低保精准兜底管理系统"  # signed in, after the account's town or district (letterhead_of)
SYSTEM_TITLE = f"堪嘉镇{SYSTEM_NAME}"

# --- Pipeline gates and office rules ---------------------------------------------
# Each later stage of the pipeline can hold a case (see review.cases.workflow guards).
# All are on in production; the test suite switches them per test module.
RELATIVES_DECLARATION_REQUIRED = envbool("RELATIVES_DECLARATION_REQUIRED", "true")  # 近亲属申报 before any case action
PUBLICITY_ENFORCE_ROUNDS = envbool("PUBLICITY_ENFORCE_ROUNDS", "true")  # 三榜公示 rounds gate the stages
ARCHIVES_APPROVAL_GATE = envbool("ARCHIVES_APPROVAL_GATE", "true")  # required documents before 区审批
# Days rounds 1 and 2 are posted when a campaign sets none; never below 7 (publicity.rounds.MIN_DAYS).
PUBLICITY_DAYS = envint("PUBLICITY_DAYS", "7")
# Base URL printed in archive-label QR codes (the intranet address of this system).
ARCHIVES_BASE_URL = os.environ.get("ARCHIVES_BASE_URL", "http://127.0.0.1:8000")
ARCHIVES_CODE_PREFIX = os.environ.get("ARCHIVES_CODE_PREFIX", "KJ")
# Audit: rows are sealed once older than this (late commits settle first); kept ≥ 180 days.
AUDIT_SEAL_SETTLE_SECONDS = envint("AUDIT_SEAL_SETTLE_SECONDS", "120")
# The HMAC key of the audit seals, kept outside the database (docs/audit.md): the value itself, or a file
# readable by the owner only. Development creates var/audit_seal_key; production must provide one.
AUDIT_SEAL_KEY = os.environ.get("AUDIT_SEAL_KEY", "")
AUDIT_SEAL_KEY_FILE = os.environ.get("AUDIT_SEAL_KEY_FILE") or str(VAR_DIR / "audit_seal_key")
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", "365")

# --- Logging: no personal data, no request bodies --------------------------------
# No query string in the app's own logs (a search may carry a number; issue 16, docs/privacy.md).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_query": {"()": "kanjia.logfilters.StripQueryStrings"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_query"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # runserver's request lines (`make run`) go through the same filter (django.request reaches root).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
