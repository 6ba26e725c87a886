"""Django's database sessions, read with one hand-written statement.

Every signed-in request loads its session; building that query through the ORM cost several
times more than running it, and checking the data's signature about as much again. Writing,
expiry and clean-up are Django's own.
"""

import json
from typing import Any

from django.contrib.sessions.backends import db
from django.core.signals import setting_changed
from django.db import connections, router
from django.dispatch import receiver
from django.utils import timezone

# Session data whose signature this process has checked, with what it decoded to (as JSON,
# so each request gets its own copy). A changed or forged string is simply not found here.
_checked: dict[bytes | str, str] = {}


@receiver(setting_changed)
def _forget_checked(*, setting: str, **kwargs: object) -> None:
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "SESSION_SERIALIZER"):
        _checked.clear()


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        if not self.session_key:
            return {}
        connection = connections[router.db_for_read(self.model)]
        table = connection.ops.quote_name(self.model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])

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
