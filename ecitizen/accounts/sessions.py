"""Django's database sessions, read with their signed-in person in one hand-written statement.

Every signed-in request loads its session and its person; building those queries through the
ORM cost several times more than running them, and checking the data's signature about as
much again. Writing, expiry and clean-up are Django's own.
"""

import json
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.core.signals import setting_changed
from django.dispatch import receiver

from ecitizen.accounts.models import Session, User

# Session data whose signature this process has checked, with what it decoded to (as JSON,
# so each request gets its own copy). A changed or forged string is simply not found here.
_checked: dict[bytes | str, str] = {}


@receiver(setting_changed)
def _forget_checked(*, setting: str, **kwargs: object) -> None:
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "SESSION_SERIALIZER"):
        _checked.clear()


class SessionStore(db.SessionStore):
    """Sessions in ``accounts.Session``: the signed-in person's id is kept in a column, so
    reading a session also reads that person (``prefetched_user``), in one statement."""

    prefetched_user: User | None = None

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = super().create_model_instance(data)
        assert isinstance(session, Session)
        try:
            session.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            session.user_id = None
        return session

    def load(self) -> dict[str, Any]:
        from ecitizen.accounts.backends import session_with_user

        self.prefetched_user = None
        if not self.session_key:
            return {}
        found = session_with_user(self.session_key)
        if found is None:
            self._session_key = None
            return {}
        session_data, self.prefetched_user = found
        return self.decode(session_data)

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        known = _checked.get(session_data)
        if known is None:
            data = super().decode(session_data)
            if not data:  # a bad signature or an empty session: nothing worth keeping
                return data
            if len(_checked) > 10_000:
                _checked.clear()
            known = _checked[session_data] = json.dumps(data)
        decoded: dict[str, Any] = json.loads(known)
        return decoded
