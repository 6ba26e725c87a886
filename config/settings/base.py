"""Settings shared by every environment. Environment-specific files override these."""

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me-0123456789abcdef")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ninja",
    "ecitizen.core",
    "ecitizen.accounts",
    "ecitizen.audit",
    "ecitizen.api",
    "ecitizen.catalogue",
    "ecitizen.applications",
    "ecitizen.payments",
    "ecitizen.backoffice",
    "ecitizen.budgeting",
    "ecitizen.notifications",
    "ecitizen.consultations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ecitizen.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ecitizen.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "ecitizen.accounts.middleware.EagerAuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ecitizen.core.middleware.UserLanguageMiddleware",
    "ecitizen.core.middleware.StaffSessionTimeoutMiddleware",
    "ecitizen.core.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ecitizen.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ecitizen" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ecitizen.core.context_processors.platform",
                "ecitizen.core.context_processors.csrf",
                "ecitizen.notifications.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite (WAL) is the embedded default; PostgreSQL via DATABASE_URL.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'ecitizen.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "ecitizen.core.sqlite"  # Django's, converting faster
    # Persistent too: the first query on a new SQLite connection parses the whole schema
    # (~2.6 ms, measured in docs/performance.md), which a connection per request pays every time.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # A statement run 5 times on a connection is prepared: PostgreSQL then parses and plans
    # it once per connection, not on every request (planning was most of the database's time
    # on the busiest pages: docs/performance.md). Needs server-side parameters. Behind a
    # pooler in transaction mode that cannot keep prepared statements, set
    # DATABASE_PREPARED_STATEMENTS=false.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks (django.tasks + django_tasks_db) ---------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Accounts, passwords, MFA ---------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "ecitizen.accounts.backends.ModelBackend",
    "ecitizen.accounts.backends.AuthenticationBackend",
]
# NIST SP 800-63B-4: length, blocklist, no composition rules, long passphrases allowed.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "ecitizen.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[eCitizen] "
ACCOUNT_ADAPTER = "ecitizen.accounts.adapter.AccountAdapter"
# Throttling by IP and by account ("key"), with a cool-off, never a permanent lock.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "eCitizen")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", False)

SESSION_ENGINE = "ecitizen.accounts.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
STAFF_IDLE_TIMEOUT_SECONDS = env_int("STAFF_IDLE_TIMEOUT_SECONDS", 30 * 60)

# --- Field encryption (national ID) ----------------------------------------
# ECITIZEN_FIELD_KEYS: "kid:base64key,kid2:base64key" — the first key encrypts, all decrypt.
ECITIZEN_FIELD_KEYS = env_str(
    "ECITIZEN_FIELD_KEYS", "dev1:ZWNpdGl6ZW4tZGV2LWtleS1ub3QtZm9yLXByb2QtMzI="
)
ECITIZEN_HASH_KEY = env_str("ECITIZEN_HASH_KEY", "development-lookup-hash-key-not-for-production")

# --- Issued permits ---------------------------------------------------------
# PERMIT_SIGNING_KEYS: "kid:base64url(32-byte Ed25519 seed),..." — the first key signs; all
# are published in the JWKS so permits signed with a retired key still verify.
PERMIT_SIGNING_KEYS = env_str(
    "PERMIT_SIGNING_KEYS", "dev-2026:ZGV2LXBlcm1pdC1zaWduaW5nLWtleS0zMmJ5dGVzISE="
)
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# --- Payments ----------------------------------------------------------------
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "sandbox")
PAYMENT_PROVIDERS = {"sandbox": "ecitizen.payments.sandbox.SandboxProvider"}
PAYMENTS_SANDBOX_WEBHOOK_SECRET = env_str(
    "PAYMENTS_SANDBOX_WEBHOOK_SECRET", "sandbox-webhook-secret-for-development-only"
)
PAYMENTS_SANDBOX_WEBHOOK_URL = env_str(
    "PAYMENTS_SANDBOX_WEBHOOK_URL", "http://127.0.0.1:8000/payments/webhooks/sandbox/"
)
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = 300

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "ecitizen" / "locale"]
LANGUAGE_COOKIE_NAME = "ecitizen_language"
LANGUAGE_COOKIE_SECURE = False
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_TZ = True

# --- Static and media files -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "assets"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Email --------------------------------------------------------------------
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 1025)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "eCitizen <no-reply@ecitizen.example>")

# --- Security headers ---------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline scripts or styles, nothing from other origins.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- API ------------------------------------------------------------------------
API_TOKEN_RATE_LIMIT = env_str("API_TOKEN_RATE_LIMIT", "600/m")
NINJA_PAGINATION_PER_PAGE = 50

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "ecitizen_cache",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

PLATFORM_NAME = env_str("PLATFORM_NAME", "eCitizen")

# Applications
# A draft application is kept this many days after the resident last saved it, and the
# resident is reminded by email this many days before it expires.
APPLICATION_DRAFT_TTL_DAYS = env_int("APPLICATION_DRAFT_TTL_DAYS", 30)
APPLICATION_DRAFT_REMINDER_DAYS = env_int("APPLICATION_DRAFT_REMINDER_DAYS", 7)
