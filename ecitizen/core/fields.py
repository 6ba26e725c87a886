from typing import Any

from django.db import models

from ecitizen.core import crypto


class EncryptedTextField(models.TextField):
    """A text field stored encrypted (AES-256-GCM); the Python value is the plaintext.

    Encrypted values cannot be filtered on: keep a keyed hash beside them for lookups.
    """

    def __init__(self, *args: Any, context: str = "", **kwargs: Any) -> None:
        self.context = context
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["context"] = self.context
        return name, path, args, kwargs

    def encryption_context(self) -> str:
        return self.context or f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value, context=self.encryption_context())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(str(value), context=self.encryption_context())
