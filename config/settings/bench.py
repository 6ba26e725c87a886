"""Benchmarks only (``make bench``): production-like request handling on loopback HTTP.

DEBUG off, the production middleware stack, Argon2, database sessions and cache, WhiteNoise
serving assets from the finders (no manifest). Unlike production: plain HTTP on 127.0.0.1
(no SSL redirect, no ``Secure``/``__Host-`` cookies) and a urlconf that adds the bare
"hello" view used as the baseline. The database comes from DATABASE_URL (set by bench/run.py
to a throw-away SQLite file or PostgreSQL cluster).
"""

from .base import *

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")}}
# The load generator signs residents in from one IP; the login limits are per IP.
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login": "1000/m/ip"}
# The API's per-token counter still runs on every request (its cost is measured) but the
# limit is far above what the benchmark sends, so no request is refused with 429.
API_TOKEN_RATE_LIMIT = env_str("API_TOKEN_RATE_LIMIT", "10000000/m")
# Keys of its own (synthetic data only), so a benchmark database never shares the dev keys.
ECITIZEN_FIELD_KEYS = env_str(
    "ECITIZEN_FIELD_KEYS", "bench1:YmVuY2htYXJrLW9ubHktZmllbGQta2V5LTMyYnl0ZXM="
)
ECITIZEN_HASH_KEY = env_str("ECITIZEN_HASH_KEY", "benchmark-only-lookup-hash-key")
# `bench/run.py --conn-max-age N` compares other connection lifetimes (base.py keeps
# connections for 60 s on both databases; 0 is a new connection per request).
if env_str("BENCH_CONN_MAX_AGE", ""):
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("BENCH_CONN_MAX_AGE", 0)
