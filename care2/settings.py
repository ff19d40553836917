"""Settings for the Care2 community site, configured from environment variables.

With nothing set, the site runs as `make run` wants it: SQLite under ``var/``, Celery
tasks run eagerly, local-memory cache, e-mail printed to the console.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.csp import CSP
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-dev-only-key-change-me-in-production-9f3k2"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = os.environ.get("SITE_NAME", "Care2 News Network")
SITE_ID = 1
# Where the site answers, as a reader's browser reaches it: links in e-mails (which have no
# request to take the host from) are built on it, and `migrate` gives its host to the Sites
# framework. `make run` derives it from HOST and PORT; pages and feeds use the request.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Our apps come first so that their templates override allauth's.
    "care2",
    "care2.users",
    "credits",
    "stories",
    "comments",
    "petitions",
    "search",
    "api",
    "moderation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.facebook",
    "taggit",
]

MIDDLEWARE = [
    # First: every later consumer of the client's address reads the resolved one.
    "care2.middleware.TrustedProxyMiddleware",
    "care2.logs.RequestLogMiddleware",
    "care2.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "care2.users.middleware.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "care2.users.middleware.SuspensionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "care2.urls"
WSGI_APPLICATION = "care2.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "care2.context_processors.site",
                "care2.users.context_processors.member_rights",
                "care2.users.context_processors.inbox",
                "stories.context_processors.categories",
            ],
            "builtins": ["care2.templatetags.care2_tags", "django.templatetags.static"],
        },
    }
]

# --- Data stores -------------------------------------------------------------------
(BASE_DIR / "var" / "static").mkdir(parents=True, exist_ok=True)
SQLITE_PATH = os.environ.get("SQLITE_PATH") or str(BASE_DIR / "var" / "care2.sqlite3")
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` serves with several threads on one SQLite file. WAL: readers never wait
    # for the writer. A writer waits up to `timeout` seconds for another (the busy
    # timeout) instead of failing with "database is locked". IMMEDIATE: a transaction
    # takes the write lock when it begins; a deferred one that read first cannot wait
    # for it later (SQLite refuses the upgrade at once), and would fail after other work
    # of the request was already committed.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
# Read replicas (PostgreSQL streaming replicas, usually behind a pooler such as
# PgBouncer): comma-separated URLs, aliases replica1, replica2, … Reads go to a replica,
# writes and every query inside a transaction to the primary ("default"), and a client
# that just wrote (any POST) reads from the primary for DATABASE_PIN_SECONDS, longer than
# the replica lag, so a member sees their own comment at once (django-multidb-router's
# pinning cookie). Unset: one database, no router, as before.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])
REPLICA_DATABASES = []
for _number, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _alias = f"replica{_number}"
    DATABASES[_alias] = dj_database_url.parse(
        _url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True
    )
    DATABASES[_alias]["ATOMIC_REQUESTS"] = False
    # Under test, a replica is the primary's test database seen through a second
    # connection (what a streaming replica shows once it has caught up).
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    REPLICA_DATABASES.append(_alias)
# Every PostgreSQL database goes through care2.postgresql: Django's backend, with a
# health check that costs no round trip while the kept connection shows nothing from the
# server. A database host that drops packets must not hang a request (or /readyz) for
# minutes: give up connecting after a few seconds and answer the site's 503.
# The hottest statements, bound on the server (care2.rows), are prepared once a
# connection has run them this many times. Behind PgBouncer in transaction pooling mode,
# neither a server-side cursor (QuerySet.iterator()) nor a prepared statement outlives
# its transaction on the pooled server connection: both are off there.
_BEHIND_POOLER = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False)
for _config in DATABASES.values():
    if _config["ENGINE"] == "django.db.backends.postgresql":
        _config["ENGINE"] = "care2.postgresql"
        _options = _config.setdefault("OPTIONS", {})
        _options.setdefault("connect_timeout", 5)
        _options.setdefault("prepare_threshold", None if _BEHIND_POOLER else 2)
    if _BEHIND_POOLER:
        _config["DISABLE_SERVER_SIDE_CURSORS"] = True
MULTIDB_PINNING_SECONDS = env_int("DATABASE_PIN_SECONDS", 15)
MULTIDB_PINNING_COOKIE_HTTPONLY = True
if REPLICA_DATABASES:
    DATABASE_ROUTERS = ["care2.db_router.PinningReplicaRouter"]
    # Before anything reads the database (the session, the member): it pins the request
    # to the primary when the client carries the cookie or is writing (not GET/HEAD).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("care2.middleware.TrustedProxyMiddleware") + 1,
        "multidb.middleware.PinningRouterMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "care2.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "care2"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL) or "memory://"
# On Redis: kombu's transport with one publishing client per channel (care2.broker).
if CELERY_BROKER_URL.startswith("redis://"):
    CELERY_BROKER_TRANSPORT = "care2.broker:Transport"
CELERY_RESULT_BACKEND = None
# With no broker configured, tasks run in the process that enqueues them.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", not (REDIS_URL or os.environ.get("CELERY_BROKER_URL"))
)
CELERY_TASK_EAGER_PROPAGATES = True
# An eager task that fails after its change committed raises (tests) or is logged and left
# for the outbox sweep (`make run`: the member's saved comment is not answered 503).
OUTBOX_EAGER_RAISES = False
# An idempotent task's message waits up to this many seconds to be sent and marked with
# the others of its process, off the request (care2.outbox); 0 sends each one at once.
OUTBOX_SEND_WITHIN_SECONDS = 0.2
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker and beat keep the project's logging (one JSON line per record).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A message a worker took but never acknowledged (the worker was killed) goes back to the
# queue after this many seconds (Redis transport).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
    # The lock a worker holds while it puts such messages back expires after this many
    # seconds: a worker killed while holding it stops every other one restoring until then.
    "unacked_mutex_expire": env_int("CELERY_UNACKED_MUTEX_EXPIRE", 300),
    "socket_connect_timeout": 2,
}
# Enqueueing must not hang a request when the broker is down: the outbox keeps the work.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = "UTC"
# Every periodic task; `beat` runs exactly one copy of this schedule.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "care2.outbox_sweep_task", "schedule": 30},
    "comments-fanout-sweep": {
        "task": "comments.tasks.comment_fanout_sweep_task",
        "schedule": 5 * 60,
    },
    "stories-expire-newly-submitted": {
        "task": "stories.tasks.expire_newly_submitted_task",
        "schedule": 60 * 60,
    },
    "petitions-close-past-deadline": {
        "task": "petitions.tasks.close_past_deadline_task",
        "schedule": 5 * 60,
    },
    "petitions-delete-unconfirmed": {
        "task": "petitions.tasks.delete_unconfirmed_task",
        "schedule": 60 * 60,
    },
    "petitions-resend-confirmations": {
        "task": "petitions.tasks.confirmations_resend_task",
        "schedule": 60,
    },
    "petitions-erase-emails": {
        "task": "petitions.tasks.erase_emails_task",
        "schedule": 6 * 60 * 60,
    },
}
# One beat, however many are started: with Redis, celery-redbeat keeps the schedule in
# Redis and a beat sends tasks only while it holds the lock there; another beat waits,
# and takes over within CELERY_REDBEAT_LOCK_TIMEOUT seconds of the holder's death (the
# holder renews the lock every tick, at most CELERY_BEAT_MAX_LOOP_INTERVAL apart).
# Without Redis (`make run`, eager tasks) Celery's own file scheduler stays.
CELERY_BEAT_MAX_LOOP_INTERVAL = env_int("CELERY_BEAT_MAX_LOOP_INTERVAL", 5)
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = os.environ.get("CELERY_REDBEAT_REDIS_URL") or REDIS_URL
    CELERY_REDBEAT_KEY_PREFIX = f"{os.environ.get('CACHE_KEY_PREFIX', 'care2')}:redbeat"
    CELERY_REDBEAT_REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
    CELERY_REDBEAT_LOCK_TIMEOUT = env_int("CELERY_REDBEAT_LOCK_TIMEOUT", 30)
    if CELERY_REDBEAT_LOCK_TIMEOUT <= 2 * CELERY_BEAT_MAX_LOOP_INTERVAL:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "CELERY_REDBEAT_LOCK_TIMEOUT must exceed twice CELERY_BEAT_MAX_LOOP_INTERVAL: "
            "the beat holding the lock renews it once per loop."
        )
# Queues, so that each kind of work gets workers of its own: notification fan-out
# (inbox messages and their e-mail copies), one-off e-mails (account and signature
# confirmations), and the default queue for the rest (periodic jobs, image processing,
# the outbox sweep). A worker started without -Q consumes all three (one box); a bigger
# deployment starts workers per queue: `celery -A care2 worker -Q notifications`.
# COMMENTS_TASK_QUEUE is the former name of NOTIFICATIONS_TASK_QUEUE, still read.
CELERY_TASK_DEFAULT_QUEUE = "celery"
NOTIFICATIONS_TASK_QUEUE = (
    os.environ.get("NOTIFICATIONS_TASK_QUEUE")
    or os.environ.get("COMMENTS_TASK_QUEUE")
    or "notifications"
)
EMAIL_TASK_QUEUE = os.environ.get("EMAIL_TASK_QUEUE") or "email"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in dict.fromkeys(
        [CELERY_TASK_DEFAULT_QUEUE, NOTIFICATIONS_TASK_QUEUE, EMAIL_TASK_QUEUE]
    )
]
CELERY_TASK_ROUTES = {
    # Periodic, like the rest of the default queue's work (before the pattern below).
    "comments.tasks.comment_fanout_sweep_task": {"queue": CELERY_TASK_DEFAULT_QUEUE},
    "comments.tasks.*": {"queue": NOTIFICATIONS_TASK_QUEUE},
    "petitions.tasks.notify_update_task": {"queue": NOTIFICATIONS_TASK_QUEUE},
    "petitions.tasks.send_confirmation_task": {"queue": EMAIL_TASK_QUEUE},
    "petitions.tasks.send_confirmations_task": {"queue": EMAIL_TASK_QUEUE},
    "care2.users.tasks.*": {"queue": EMAIL_TASK_QUEUE},
}

# --- Users and accounts ------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, with the member of each request from the cache.
    "care2.users.backends.ModelBackend",
    "care2.users.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env_list(
    "DJANGO_PASSWORD_HASHERS",
    [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "stories:front"

ACCOUNT_ADAPTER = "care2.users.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "care2.users.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "care2.users.forms.SignupForm"
ACCOUNT_FORMS = {"signup": "care2.users.signup_forms.AccountSignupForm"}
ACCOUNT_LOGIN_BY_CODE_ENABLED = True  # the way in when wrong passwords paused sign-in
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme or "http"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
SOCIALACCOUNT_PROVIDERS = {
    "facebook": {
        "METHOD": "oauth2",
        "SCOPE": ["email", "public_profile"],
        "FIELDS": ["id", "email", "first_name", "last_name", "name"],
        "VERSION": "v23.0",
    }
}
if os.environ.get("FACEBOOK_APP_ID") and os.environ.get("FACEBOOK_APP_SECRET"):
    SOCIALACCOUNT_PROVIDERS["facebook"]["APPS"] = [
        {"client_id": os.environ["FACEBOOK_APP_ID"], "secret": os.environ["FACEBOOK_APP_SECRET"]}
    ]
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False

# --- E-mail (Django 6.1 mailers) ---------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Care2 News <news@care2.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["SMTP_HOST"],
                "port": env_int("SMTP_PORT", 587),
                "username": os.environ.get("SMTP_USER", ""),
                "password": os.environ.get("SMTP_PASSWORD", ""),
                "use_tls": env_bool("SMTP_USE_TLS", True),
            },
        }
    }
elif os.environ.get("EMAIL_FILE_PATH"):
    # Each e-mail written to a file in this directory (tests of real processes read them).
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": os.environ["EMAIL_FILE_PATH"]},
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# --- I18N, time --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

# --- Static and media --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Uploaded media served by Django itself (`make run`, tests); production serves it from
# the web server or object storage.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
# Media on S3-compatible storage (django-storages) when a bucket is configured, so that
# several web replicas share uploads; the local disk otherwise.
S3_BUCKET = os.environ.get("S3_BUCKET", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if not S3_BUCKET
    else {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "custom_domain": os.environ.get("S3_CUSTOM_DOMAIN") or None,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": False,
        },
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DJANGO_MANIFEST_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# --- Security ----------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    "form-action": [CSP.SELF, "https://www.facebook.com"],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# Sessions are read from the cache and written through to PostgreSQL (a session outlives
# a Redis restart): a member's page asks no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# Load balancers and container health checks poll over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
MULTIDB_PINNING_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Client address behind proxies ----------------------------------------------------
# How many proxies the site sits behind (the TLS-terminating load balancer: 1), and/or
# their networks (CIDRs). The client's address is then taken from X-Forwarded-For, as
# far as those hops reach (care2.middleware.TrustedProxyMiddleware); unset, the header is
# ignored and REMOTE_ADDR is the peer, which a client cannot spoof.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
TRUSTED_PROXY_NETWORKS = [
    str(ipaddress.ip_network(network, strict=False))  # a typo fails at start-up
    for network in env_list("TRUSTED_PROXY_NETWORKS", [])
]
# allauth reads REMOTE_ADDR, which the middleware has already resolved: counting the
# proxies again from the header would apply them twice (and allauth raises
# ImproperlyConfigured, a 500, on a header shorter than its count).
ALLAUTH_TRUSTED_PROXY_COUNT = 0

RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "care2.views.ratelimited"
# With Redis down, rate limits let requests through rather than refuse every member.
RATELIMIT_FAIL_OPEN = True

# --- Logging -----------------------------------------------------------------------
# One JSON line per request and per task in production; plain text with DEBUG.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "care2.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Our request lines replace Django's and runserver's.
        "django.server": {"level": "WARNING" if LOG_FORMAT == "json" else "INFO"},
        "care2.request": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
    },
}

# The product's rules below are data, not code: each is read where it applies.

# --- Caching of readers' pages and the open-data API --------------------------------
READER_PAGE_CACHE_SECONDS = env_int("READER_PAGE_CACHE_SECONDS", 60)
API_CACHE_SECONDS = env_int("API_CACHE_SECONDS", 60)
API_RATE = os.environ.get("API_RATE", "60/m")

# --- Stories ------------------------------------------------------------------------
STORY_PROMOTE_AT_VETS = env_int("STORY_PROMOTE_AT_VETS", 5)
STORY_NEWLY_SUBMITTED_DAYS = env_int("STORY_NEWLY_SUBMITTED_DAYS", 7)
STORY_HIDE_AT_REPORTS = env_int("STORY_HIDE_AT_REPORTS", 3)
STORY_DUPLICATE_URL_DAYS = env_int("STORY_DUPLICATE_URL_DAYS", 30)
STORIES_PER_PAGE = env_int("STORIES_PER_PAGE", 20)
TAGGIT_CASE_INSENSITIVE = True

# --- Comments (their notification queue is under Celery) -----------------------------
COMMENT_EDIT_MINUTES = env_int("COMMENT_EDIT_MINUTES", 30)
COMMENT_MAX_DEPTH = env_int("COMMENT_MAX_DEPTH", 8)
COMMENT_RATE = os.environ.get("COMMENT_RATE", "5/m")
# Members' reports that hide a comment until a moderator restores or removes it.
COMMENT_HIDE_AT_REPORTS = env_int("COMMENT_HIDE_AT_REPORTS", 3)

# --- Notifications (inbox messages and e-mail copies) --------------------------------
NOTIFY_BATCH_SIZE = env_int("NOTIFY_BATCH_SIZE", 500)
# E-mails handed to the mailer per round by care2.users.notifications (every
# notification and confirmation e-mail).
EMAIL_CHUNK_SIZE = 100

# --- Petitions (their periodic tasks are under Celery) -------------------------------
# Days after a petition closes before its signers' e-mail addresses are erased (the count,
# the country and the name as shown stay).
PETITION_ERASE_EMAILS_AFTER_DAYS = env_int("PETITION_ERASE_EMAILS_AFTER_DAYS", 180)
PETITION_CONFIRM_LINK_DAYS = env_int("PETITION_CONFIRM_LINK_DAYS", 7)
PETITION_DELETE_UNCONFIRMED_DAYS = env_int("PETITION_DELETE_UNCONFIRMED_DAYS", 30)
PETITION_WITHDRAW_LINK_DAYS = env_int("PETITION_WITHDRAW_LINK_DAYS", 365)
# Sign attempts per IP (django-ratelimit syntax); "" turns the limit off (the bench does).
PETITION_SIGN_RATE = os.environ.get("PETITION_SIGN_RATE", "5/m")
# Confirmed signatures are counted in this many counter rows per petition, so that
# concurrent signers rarely wait on the same row.
PETITION_COUNT_SHARDS = env_int("PETITION_COUNT_SHARDS", 16)
PETITION_DEFAULT_GOAL = env_int("PETITION_DEFAULT_GOAL", 1000)
PETITION_IMAGE_MAX_BYTES = env_int("PETITION_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
PETITION_IMAGE_MAX_PIXELS = env_int("PETITION_IMAGE_MAX_PIXELS", 40_000_000)
PETITIONS_PER_PAGE = env_int("PETITIONS_PER_PAGE", 20)

# --- Members ------------------------------------------------------------------------
NEW_MEMBER_HOURS = env_int("NEW_MEMBER_HOURS", 24)
NEW_MEMBER_MAX_STORIES = env_int("NEW_MEMBER_MAX_STORIES", 3)
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 5 * 1024 * 1024)
AVATAR_MAX_PIXELS = env_int("AVATAR_MAX_PIXELS", 16_000_000)  # shown at 256 px
