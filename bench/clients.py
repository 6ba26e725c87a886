"""Run by bench/run.py with the benchmark settings: picks ``N`` generated residents and gives
each an API token (``profile:read``) if the API tokens app is there. Prints JSON."""

import json
import sys

import django

django.setup()

from ecitizen.accounts.models import Profile  # noqa: E402
from ecitizen.accounts.population import EMAIL_DOMAIN  # noqa: E402


def main(count: int) -> None:
    profiles = list(
        Profile.objects.filter(user__email__endswith=f"@{EMAIL_DOMAIN}")
        .select_related("user")
        .order_by("?")[:count]
    )
    out: dict[str, object] = {
        "residents": [{"email": p.user.email, "name": p.legal_name} for p in profiles]
    }
    try:
        from ecitizen.api.services import api_token_create
    except ImportError as exc:
        out["api_skipped"] = f"API tokens not available ({exc})"
    else:
        out["tokens"] = [
            api_token_create(actor=p.user, name="bench", scopes=["profile:read"])[1]
            for p in profiles
        ]
    print(json.dumps(out))


if __name__ == "__main__":
    main(int(sys.argv[1]))
