from typing import Any

from django.core.management.base import BaseCommand

from ecitizen.core import demo


class Command(BaseCommand):
    help = "Load demo data (idempotent: running it again keeps existing data)."

    def handle(self, *args: Any, **options: Any) -> None:
        demo.seed_reference_data()
        accounts = demo.seed_accounts()
        for hook in demo_hooks():
            hook()
        created = sum(1 for _, was_created in accounts if was_created)
        self.stdout.write(f"Demo data ready ({created} new accounts).")


def demo_hooks() -> list[Any]:
    """Other apps' demo seeders, run after the accounts exist (each must be idempotent)."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    hooks = []
    for config in apps.get_app_configs():
        if config.name.startswith("ecitizen.") and config.name != "ecitizen.core":
            try:
                hooks.append(import_string(f"{config.name}.demo.seed"))
            except ImportError:
                continue
    return hooks
