"""Payment providers behind one interface. The platform ships a sandbox provider; a real
one (card acquirer, mobile-money aggregator) implements the same four methods."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from ecitizen.payments.models import Payment


class WebhookRejected(Exception):
    """The notification is not authentic (bad signature, stale timestamp, malformed)."""


@dataclass(frozen=True)
class ProviderEvent:
    event_id: str
    payment_reference: str
    outcome: str  # "succeeded" | "declined" | "abandoned"
    provider_reference: str
    method: str
    amount: int
    currency: str
    reason: str = ""


class PaymentProvider(Protocol):
    name: str

    def checkout_url(self, payment: Payment) -> str:
        """Where to send the payer to pay (the provider's hosted page)."""

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> ProviderEvent:
        """Verify a notification's signature and freshness and parse it, or raise
        WebhookRejected."""

    def fetch_outcome(self, payment: Payment) -> ProviderEvent | None:
        """Ask the provider for the payment's outcome (when the payer returns)."""

    def refund(self, payment: Payment, amount: int) -> str:
        """Refund ``amount`` minor units; returns the provider's refund reference."""


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or settings.PAYMENT_PROVIDER
    provider: PaymentProvider = import_string(settings.PAYMENT_PROVIDERS[name])()
    return provider
