"""Where the time of one request goes: CPU per request, queries, and a cProfile breakdown.

Runs in-process (Django's test client, no HTTP server, no load generator), so the figures do
not depend on what else the machine is doing as much as throughput does:

    .venv/bin/python bench/profile_request.py            # /bench/hello, /, /me/, /api/v1/me
    .venv/bin/python bench/profile_request.py --path /me/ --top 40

It builds its own throw-away SQLite database (benchmark settings, 2,000 residents) unless
DATABASE_URL points at one that ``bench/run.py --keep`` left behind.
"""

import argparse
import atexit
import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"

# (label, module path suffix, function name): cumulative time of these, per request.
BUCKETS = [
    ("template rendering", "django/template/base.py", "render"),
    ("ORM: compile SQL", "django/db/models/sql/compiler.py", "as_sql"),
    ("database: execute", "django/db/backends/utils.py", "_execute"),
    ("session load", "django/contrib/sessions/backends/db.py", "load"),
    ("auth: get user", "django/contrib/auth/__init__.py", "get_user"),
]


def bucket_seconds(stats: pstats.Stats, suffix: str, name: str) -> float:
    best = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in (
        stats.stats.items()  # type: ignore[attr-defined]
    ):
        if filename.endswith(suffix) and function == name:
            best = max(best, cumulative)  # the outermost frame (recursion counted once)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", action="append", help="default: the four bench endpoints")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=0, help="also print the top N functions")
    args = parser.parse_args()
    paths = args.path or ["/bench/hello", "/", "/me/", "/api/v1/me"]

    if "DATABASE_URL" not in os.environ:
        workdir = Path(tempfile.mkdtemp(prefix="ecitizen-profile-"))
        atexit.register(shutil.rmtree, workdir, ignore_errors=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'profile.sqlite3'}"
        for command in (["migrate", "-v", "0"], ["createcachetable"],
                        ["generate_population", "--citizens", "2000", "--seed", "1"]):  # fmt: skip
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=BASE_DIR, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ecitizen.accounts.models import User
    from ecitizen.accounts.population import EMAIL_DOMAIN

    user = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("pk").first()
    assert user is not None, "no generated residents in this database"
    token = ""
    try:
        from ecitizen.api.services import api_token_create

        token = api_token_create(actor=user, name="profile", scopes=["profile:read"])[1]
    except ImportError:
        pass

    for path in paths:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
        headers = {}
        if path.startswith("/api/"):
            if not token:
                print(f"{path}: skipped (no API tokens)")
                continue
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        elif path not in ("/", "/bench/hello"):
            client.force_login(user)
        response = client.get(path, **headers)
        if response.status_code != 200:
            print(f"{path}: answered {response.status_code}, skipped")
            continue
        with CaptureQueriesContext(connection) as capture:
            client.get(path, **headers)
        queries = list(capture.captured_queries)  # later requests reset the log
        for _ in range(20):
            client.get(path, **headers)
        started = time.process_time()
        for _ in range(args.requests):
            client.get(path, **headers)
        cpu_ms = (time.process_time() - started) / args.requests * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path, **headers)
        profiler.disable()
        stats = pstats.Stats(profiler)
        total = stats.total_tt  # type: ignore[attr-defined]
        print(f"\n{path}: {cpu_ms:.2f} ms CPU per request, {len(queries)} queries")
        for label, suffix, name in BUCKETS:
            share = bucket_seconds(stats, suffix, name) / total
            print(f"  {label:<22} {share:>5.0%} of the profiled time")
        for query in queries:
            print(f"    SQL {query['sql'][:110]}")
        if args.top:
            stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
