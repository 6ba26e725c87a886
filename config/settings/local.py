"""Development and `make demo`: SQLite, local SMTP sink, debug off by default."""

from .base import *

DEBUG = env_bool("DEBUG", True)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
