"""Production: every secret from the environment, HTTPS only, strict cookies."""

from .base import *

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ECITIZEN_FIELD_KEYS = env_str("ECITIZEN_FIELD_KEYS")
ECITIZEN_HASH_KEY = env_str("ECITIZEN_HASH_KEY")
PERMIT_SIGNING_KEYS = env_str("PERMIT_SIGNING_KEYS")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind the load balancer the peer address is the balancer's: take the client's from the last
# X-Forwarded-For hop it adds, or every resident would share one rate limit (and one audit IP).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# __Host- cookies: Secure, Path=/, no Domain.
SESSION_COOKIE_NAME = "__Host-sessionid"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
# A new dict: never mutate the one shared with the base settings module.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
