from django.tasks import default_task_backend, task
from django.utils import timezone

from ecitizen.payments import sandbox
from ecitizen.payments.models import OutgoingWebhook


@task()
def deliver_sandbox_webhook(outgoing_id: int) -> bool:
    """Deliver one sandbox notification; on failure schedule a retry with backoff."""
    accepted = sandbox.deliver(outgoing_id)
    outgoing = OutgoingWebhook.objects.get(pk=outgoing_id)
    retry = not accepted and outgoing.attempts < sandbox.MAX_DELIVERY_ATTEMPTS
    if retry and default_task_backend.supports_defer:
        deliver_sandbox_webhook.using(run_after=outgoing.next_attempt_at).enqueue(outgoing_id)
    return accepted


def deliver_due_webhooks() -> int:
    """Sweep for notifications whose retry is due (for backends without deferred tasks, and
    after an outage). Returns how many were delivered."""
    due = OutgoingWebhook.objects.filter(
        delivered_at__isnull=True,
        attempts__lt=sandbox.MAX_DELIVERY_ATTEMPTS,
        next_attempt_at__lte=timezone.now(),
    ).values_list("pk", flat=True)
    return sum(sandbox.deliver(pk) for pk in list(due))
