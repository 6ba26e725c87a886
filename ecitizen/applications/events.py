from typing import Any

from ecitizen.applications.models import Application, ApplicationEvent


def record_event(
    application: Application,
    kind: str,
    *,
    actor: Any = None,
    message: str = "",
    internal: bool = False,
    on_behalf_of: Any = None,
    data: dict[str, Any] | None = None,
) -> ApplicationEvent:
    """Add a line to the application's timeline (call from inside a service's transaction).

    ``kind`` is a stable code (e.g. ``submitted``, ``info_requested``); ``internal`` events are
    for staff only and never shown to the resident.
    """
    return ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        on_behalf_of=on_behalf_of,
        message=message,
        internal=internal,
        data=data or {},
    )
