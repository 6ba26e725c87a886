"""Settings for the test suite. DATABASE_URL selects SQLite (default) or PostgreSQL."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from secrets import token_hex

from .base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
# A test database file per process (real threads and a live server can share it; parallel
# runs never collide). Django deletes it when the run ends.
if "DATABASE_URL" not in os.environ:
    _db_file = Path(tempfile.gettempdir()) / f"ecitizen-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["NAME"] = str(_db_file)
    DATABASES["default"]["TEST"] = {"NAME": str(_db_file)}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# This process's own media folder: made only when a test saves a file (storage creates it), so
# a process that ends without clean-up (mypy's plugin, a killed worker) leaves nothing behind.
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"ecitizen-test-media-{os.getpid()}-{token_hex(4)}"
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
ALLOWED_HOSTS = ["*"]
# Look static files up on request instead of scanning every asset each time a test client
# builds its middleware (about half a second per test otherwise).
WHITENOISE_AUTOREFRESH = True
