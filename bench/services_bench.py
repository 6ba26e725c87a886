"""Digital services (issue 3): the service page, "My applications", an officer's queue and
submission throughput, with many residents and applications.

    .venv/bin/python bench/services_bench.py [--postgres] [--citizens N] [--applications M]

1. A throw-away database (SQLite WAL, or ``--postgres``: a PostgreSQL 15 cluster started for
   the run, loopback only, as in ``bench/run.py``), migrated; the demo areas, agencies and
   catalogue services (``ecitizen.catalogue.demo``); ``generate_population --citizens N``.
2. Applications, in two phases (10% then the rest) so the query count of each page can be
   shown at two data sizes: PostgreSQL ``COPY`` (SQLite ``executemany``) with the indexes and
   the open-case count triggers in place. Statuses are spread as a live system's would be
   (most issued or open, some drafts, rejections, withdrawals...), with submission dates and
   due dates around today, over the eight demo services. The residents the load generator
   signs in as ("heavy" residents) get many applications each. Bulk rows have no timeline
   events or audit entries (reads of the three pages do not need them). Then what the
   scheduled jobs of a live system would have done: the open-case counts are folded
   (``case_counts --compact``) and PostgreSQL is vacuumed and analysed (autovacuum).
3. Query counts, in-process with ``CaptureQueriesContext`` after each phase.
4. gunicorn (``config.settings.bench``), then ``bench/loadgen.py`` against: the bare view
   (baseline), ``/services/<slug>/``, ``/applications/`` (one signed-in heavy resident per
   client) and ``/staff/cases/?status=...&service=...&page=2`` (a case officer).
   Sessions are created directly (``Client.force_login`` on the shared database, then the
   session cookie is handed to the load generator) rather than through the login form: the
   officer has TOTP activated, as ``staff_required`` demands, and creating the session
   directly skips the interactive MFA step. What is measured is the page, not the login.
   ``--rounds N`` measures every endpoint N times, interleaved, and reports the median round.
5. Submission throughput: complete drafts (prepared, not timed) are submitted with
   ``application_submit`` from ``--submit-clients`` processes (forked, each with its own
   database connection, as gunicorn's sync workers are; ``--submit-mode thread`` uses threads
   of one process instead, which share one GIL), each draft with its own idempotency key;
   about 20% are submitted twice (a concurrent duplicate from another client, the same key),
   and a failed attempt (e.g. "database is locked" on SQLite) is retried with the same key.
   Afterwards the rows are counted: every draft submitted exactly once, one ``submitted``
   event each, none lost, none duplicated; and the audit chain is verified.

Figures are printed, never asserted. The load generator, the server and the database share
the machine's cores; compare ratios more than absolute numbers.
"""

import argparse
import contextlib
import datetime
import itertools
import multiprocessing
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import loadgen, run  # noqa: E402

TARGET_P95_MS = 100.0
TARGET_SUBMIT_RPS = 100.0
# (status, share): a live system's spread, roughly.
STATUS_SPREAD = [
    ("draft", 0.08),
    ("expired", 0.04),
    ("awaiting_payment", 0.03),
    ("submitted", 0.20),
    ("info_requested", 0.05),
    ("awaiting_second_approval", 0.02),
    ("approved", 0.04),
    ("issued", 0.40),
    ("rejected", 0.07),
    ("withdrawn", 0.05),
    ("revoked", 0.02),
]


def log(message: str) -> None:
    print(f"[services-bench] {message}", flush=True)


# --- data ---------------------------------------------------------------------------------


def seed_catalogue() -> None:
    from ecitizen.catalogue import demo as catalogue_demo
    from ecitizen.core import demo as core_demo

    core_demo.seed_reference_data()
    catalogue_demo.seed()


APPLICATION_COLUMNS = (
    "reference", "service_version_id", "service_id", "agency_id", "applicant_id",
    "consent_note", "status", "answers", "fee_amount", "currency", "idempotency_key",
    "decision_reason", "created_at", "updated_at", "submitted_at", "decided_at",
    "draft_expires_at", "due_date", "clock_paused_at",
)  # fmt: skip


def application_rows(
    count: int, *, heavy: list[int], per_heavy: int, start_serial: int, rng: random.Random
) -> Iterator[tuple[object, ...]]:
    """``count`` application rows (``per_heavy`` of them for each heavy resident) as tuples
    of ``APPLICATION_COLUMNS``: statuses spread as in ``STATUS_SPREAD``, submitted in the last
    90 days, due from 15 days ago to 25 days ahead, the clock paused while information is
    requested, the last change when submitted or decided. The database is read here, before
    the rows are produced (no query may run on the connection while it is in COPY)."""
    from django.utils import timezone

    from ecitizen.accounts.models import User
    from ecitizen.accounts.population import EMAIL_DOMAIN
    from ecitizen.catalogue.models import Service

    services = list(Service.objects.filter(published_version__isnull=False))
    resident_ids = list(
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").values_list("pk", flat=True)
    )
    statuses = [s for s, _ in STATUS_SPREAD]
    weights = [w for _, w in STATUS_SPREAD]
    now = timezone.now()
    today = timezone.localdate()
    applicants = [pk for pk in heavy for _ in range(per_heavy)]
    applicants += rng.choices(resident_ids, k=max(0, count - len(applicants)))
    week = datetime.timedelta(days=7)
    return (
        _application_row(i, applicant_id, services, statuses, weights, now, today, week, rng)
        for i, applicant_id in enumerate(applicants[:count], start_serial)
    )


def _application_row(
    serial: int,
    applicant_id: int,
    services: list[Any],
    statuses: list[str],
    weights: list[float],
    now: datetime.datetime,
    today: datetime.date,
    week: datetime.timedelta,
    rng: random.Random,
) -> tuple[object, ...]:
    service = rng.choice(services)
    status = rng.choices(statuses, weights)[0]
    submitted = status not in ("draft", "expired", "awaiting_payment")
    created = now - datetime.timedelta(minutes=rng.randint(0, 60 * 24 * 90))
    decided = created + week if status in ("approved", "issued", "rejected", "revoked") else None
    return (
        f"{service.code}-B{serial:09d}",
        service.published_version_id,
        service.pk,
        service.agency_id,
        applicant_id,
        "",
        status,
        '{"bench": true}',
        rng.choice([0, 2500, 6000, 15000]),
        "EUR",
        str(uuid.UUID(int=rng.getrandbits(128))) if submitted else "",
        "",
        created,
        min(decided or created, now),
        created if submitted else None,
        decided,
        now + datetime.timedelta(days=30) if status == "draft" else None,
        today + datetime.timedelta(days=rng.randint(-15, 25)) if submitted else None,
        created if status == "info_requested" else None,
    )


def bulk_applications(
    count: int, *, heavy: list[int], per_heavy: int, start_serial: int, rng: random.Random
) -> float:
    """Insert ``count`` applications (see ``application_rows``); returns the seconds it took.
    PostgreSQL: ``COPY`` in one stream; SQLite: ``executemany`` in batches. Indexes and the
    open-case count triggers are in place throughout, as in a live database."""
    from django.db import connection, transaction

    started = time.perf_counter()
    rows = application_rows(
        count, heavy=heavy, per_heavy=per_heavy, start_serial=start_serial, rng=rng
    )
    columns = ", ".join(APPLICATION_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY applications_application ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(APPLICATION_COLUMNS))
            sql = f"INSERT INTO applications_application ({columns}) VALUES ({marks})"  # noqa: S608
            while batch := list(itertools.islice(rows, 5000)):
                cursor.executemany(sql, batch)
    return time.perf_counter() - started


def settle(postgres: bool) -> float:
    """What a live system's scheduled jobs would have done by now: fold the open-case counts
    (``manage.py case_counts --compact``) and, on PostgreSQL, VACUUM ANALYZE (autovacuum)."""
    from django.db import connection

    from ecitizen.applications import case_counts

    started = time.perf_counter()
    case_counts.compact()
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def query_counts(paths: dict[str, tuple[str, object]]) -> dict[str, int]:
    """Each page once in-process (after one warm-up request), its query count."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for key, (path, user) in paths.items():
        client = Client(HTTP_HOST="127.0.0.1")
        if user is not None:
            client.force_login(user)
        client.get(path)  # warm caches (sessions, translations, the cache table)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        counts[key] = len(queries) if response.status_code == 200 else -response.status_code
    return counts


def session_cookie(user: object) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


OFFICER_EMAIL = "officer@bench.ecitizen.example"


def make_officer(agency: object) -> object:
    from allauth.mfa.totp.internal.auth import TOTP

    from ecitizen.accounts.models import StaffRole
    from ecitizen.accounts.services import ProfileData, staff_role_grant, user_create

    officer = user_create(
        actor=None,
        email=OFFICER_EMAIL,
        password=None,
        email_verified=True,
        profile=ProfileData(legal_name="Bench Officer"),
    )
    staff_role_grant(actor=None, user=officer, role=StaffRole.Role.CASE_OFFICER, agency=agency)
    TOTP.activate(officer, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return officer


# --- submissions --------------------------------------------------------------------------


def prepare_drafts(count: int, heavy: set[int], offset: int = 0) -> list[object]:
    from ecitizen.accounts.models import User
    from ecitizen.accounts.population import EMAIL_DOMAIN
    from ecitizen.applications.demo import _fill
    from ecitizen.applications.services import application_start
    from ecitizen.catalogue.models import Service

    service = Service.objects.get(slug="change-of-address")  # no fee: straight to SUBMITTED
    users = list(
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
        .exclude(pk__in=heavy)
        .select_related("profile")
        .order_by("-pk")[offset : offset + count]
    )
    drafts = []
    for user in users:
        application = application_start(actor=user, service=service)
        _fill(application, user, complete=True)
        drafts.append(application)
    return drafts


# Set before the submitting processes are forked: each submits the jobs of its index.
_SUBMIT_QUEUES: list[list[tuple[object, str]]] = []


def _submit_queue(index: int) -> tuple[Counter[str], Counter[int], list[str]]:
    """Submit one client's drafts in turn; a failed attempt is retried with the same key."""
    from django.db import close_old_connections, connection

    from ecitizen.applications.services import application_submit

    outcomes: Counter[str] = Counter()
    created_by_app: Counter[int] = Counter()
    errors: list[str] = []
    close_old_connections()
    try:
        for draft, key in _SUBMIT_QUEUES[index]:
            for attempt in range(10):
                try:
                    result = application_submit(
                        actor=draft.applicant,  # type: ignore[attr-defined]
                        application=draft,  # type: ignore[arg-type]
                        idempotency_key=key,
                    )
                except Exception as exc:  # retried with the same key
                    outcomes["retried after error"] += 1
                    if len(errors) < 5:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    time.sleep(0.01 * (attempt + 1))
                    continue
                outcomes["created" if result.created else "idempotent replay"] += 1
                if result.created:
                    created_by_app[draft.pk] += 1  # type: ignore[attr-defined]
                break
            else:
                outcomes["gave up"] += 1
    finally:
        connection.close()
    return outcomes, created_by_app, errors


def submit_all(
    drafts: list[object], clients: int, rng: random.Random, mode: str = "process"
) -> dict[str, object]:
    """Submit every draft once, and a fifth of them a second time at the same moment from
    another client with the same key. ``mode`` "process": each client is a process of its
    own (as gunicorn's workers are); "thread": threads of this process (they share one GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    keys = {d.pk: str(uuid.uuid4()) for d in drafts}  # type: ignore[attr-defined]
    jobs = [(d, False) for d in drafts]
    duplicates = rng.sample(drafts, k=len(drafts) // 5)
    jobs += [(d, True) for d in duplicates]
    rng.shuffle(jobs)
    _SUBMIT_QUEUES[:] = [
        [(draft, keys[draft.pk]) for draft, _ in jobs[i::clients]]  # type: ignore[attr-defined]
        for i in range(clients)
    ]
    connections.close_all()  # never share a connection with a forked child
    if mode == "process":
        pool = multiprocessing.get_context("fork").Pool(clients)
        started = time.perf_counter()
        results = pool.map(_submit_queue, range(clients), chunksize=1)
        seconds = time.perf_counter() - started
        pool.close()
        pool.join()
    else:
        with ThreadPoolExecutor(clients) as executor:
            started = time.perf_counter()
            results = list(executor.map(_submit_queue, range(clients)))
            seconds = time.perf_counter() - started
    outcomes: Counter[str] = Counter()
    created_by_app: Counter[int] = Counter()
    errors: list[str] = []
    for outcome, created, errs in results:
        outcomes.update(outcome)
        created_by_app.update(created)
        errors.extend(errs)
    return {
        "seconds": seconds,
        "jobs": len(jobs),
        "duplicates": len(duplicates),
        "outcomes": outcomes,
        "created_by_app": created_by_app,
        "errors": errors,
    }


def count_submissions(drafts: list[object]) -> dict[str, int]:
    from django.db.models import Count

    from ecitizen.applications.models import Application, ApplicationEvent

    ids = [d.pk for d in drafts]
    submitted = Application.objects.filter(pk__in=ids, status="submitted").count()
    events = Counter(
        dict(
            ApplicationEvent.objects.filter(application_id__in=ids, kind="submitted")
            .values_list("application_id")
            .annotate(n=Count("pk"))
            .values_list("application_id", "n")
        )
    )
    return {
        "drafts": len(ids),
        "submitted": submitted,
        "lost": len(ids) - submitted,
        "duplicated events": sum(n - 1 for n in events.values() if n > 1),
        "missing events": sum(1 for pk in ids if events.get(pk, 0) == 0),
        "with key": Application.objects.filter(pk__in=ids).exclude(idempotency_key="").count(),
    }


# --- in-process profile (--profile) --------------------------------------------------------


def profile_pages(pages: dict[str, tuple[str, object]], requests: int, top: int) -> None:
    """Each page in-process (Django's test client, one persistent connection, no HTTP server):
    CPU per request, Python function calls per request (a stable proxy for CPU on a busy
    machine), queries, and where the profiled time goes. Stable under outside load."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for key, (path, user) in pages.items():
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        for _ in range(20):  # warm-up: templates, translations, fragment caches
            response = client.get(path)
        if response.status_code != 200:
            log(f"{key}: GET {path} answered {response.status_code}; skipped")
            continue
        with CaptureQueriesContext(connection) as capture:
            client.get(path)
        queries = list(capture.captured_queries)  # later requests reset the log
        started = time.process_time()
        for _ in range(requests):
            client.get(path)
        cpu_ms = (time.process_time() - started) / requests * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        calls = stats.total_calls / requests  # type: ignore[attr-defined]
        print(
            f"\n{key} {path}: {cpu_ms:.2f} ms CPU per request, {calls:,.0f} function calls "
            f"per request, {len(queries)} queries, {len(response.content):,} bytes"
        )
        if top:
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=20_000)
    parser.add_argument("--applications", type=int, default=200_000)
    parser.add_argument("--heavy", type=int, default=200, help="applications per heavy resident")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--pg-port", type=int, default=54329)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=1, help="repeat, report the median")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=500_000)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--submit-clients", type=int, default=10)
    parser.add_argument(
        "--submit-mode",
        default="process",
        choices=["process", "thread", "both"],
        help="submitting clients are processes (as gunicorn workers), threads, or both in turn",
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="persistent database connections in the web workers (CONN_MAX_AGE)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data (see --reuse)")
    parser.add_argument(
        "--reuse",
        metavar="WORKDIR",
        help="measure again on the data a --keep run left in WORKDIR (its database, residents "
        "and applications; new migrations are applied), without generating it",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="only build the data and profile the pages in-process (no HTTP, no submissions)",
    )
    parser.add_argument("--profile-requests", type=int, default=200)
    parser.add_argument("--profile-top", type=int, default=0, help="print the top N functions")
    args = parser.parse_args()
    if args.duration > 120 or args.concurrency > 200 or args.submit_clients > 50:
        raise SystemExit("--duration <= 120, --concurrency <= 200, --submit-clients <= 50")
    rng = random.Random(args.seed)
    workdir = Path(args.reuse or tempfile.mkdtemp(prefix="ecitizen-services-bench-"))
    env = run.bench_environment(workdir, args.conn_max_age)
    started_all, load_before = time.monotonic(), os.getloadavg()[0]
    try:
        with contextlib.ExitStack() as stack:
            env["DATABASE_URL"], database_pid = run.open_database(
                stack, workdir, postgres=args.postgres, pg_port=args.pg_port
            )
            os.environ.update(env)
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connections

            from ecitizen.accounts.models import User
            from ecitizen.accounts.population import EMAIL_DOMAIN
            from ecitizen.applications.models import Application
            from ecitizen.catalogue.models import Service
            from ecitizen.core.models import Agency

            log(f"database: {env['DATABASE_URL']}")
            call_command("migrate", verbosity=0)
            call_command("createcachetable", verbosity=0)
            if not args.reuse:
                seed_catalogue()
                t0 = time.perf_counter()
                call_command("generate_population", citizens=args.citizens, seed=1, verbosity=0)
                population_s = time.perf_counter() - t0
                log(
                    f"generated {args.citizens:,} residents in {population_s:.1f} s "
                    f"({args.citizens / population_s:,.0f}/s)"
                )
            heavy = list(
                User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
                .order_by("pk")
                .values_list("pk", flat=True)[: args.concurrency]
            )
            agency = Agency.objects.get(code="planning")
            officer = User.objects.get(email=OFFICER_EMAIL) if args.reuse else make_officer(agency)
            service = Service.objects.filter(agency=agency).order_by("slug").first()
            # The officer's queue: one service, submitted cases, page 2.
            queue_path = (
                f"/staff/cases/?agency=planning&service={service.pk}&status=submitted&page=2"
            )
            service_path = "/services/change-of-address/"
            heavy_user = User.objects.get(pk=heavy[0])
            pages = {
                "service": (service_path, None),
                "mine": ("/applications/", heavy_user),
                "queue": (queue_path, officer),
            }

            if args.reuse:
                population_s = seconds1 = seconds2 = 0.0
                counts1 = counts2 = query_counts(pages)
                args.applications = Application.objects.count()
                args.citizens = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count()
                log(
                    f"reusing {workdir}: {args.citizens:,} residents, "
                    f"{args.applications:,} applications"
                )
            else:
                phase1 = args.applications // 10
                per_heavy1 = args.heavy // 2
                seconds1 = bulk_applications(
                    phase1, heavy=heavy, per_heavy=per_heavy1, start_serial=0, rng=rng
                )
                counts1 = query_counts(pages)
                seconds2 = bulk_applications(
                    args.applications - phase1,
                    heavy=heavy,
                    per_heavy=args.heavy - per_heavy1,
                    start_serial=phase1,
                    rng=rng,
                )
                counts2 = query_counts(pages)
                log(
                    f"generated {args.applications:,} applications in {seconds1 + seconds2:.1f} s"
                    f" ({args.applications / (seconds1 + seconds2):,.0f}/s); each of the "
                    f"{len(heavy)} heavy residents has {args.heavy}; "
                    f"{len(Service.objects.all())} services"
                )
            settle_s = settle(args.postgres)
            log(
                f"folded the open-case counts{' and ran VACUUM ANALYZE' if args.postgres else ''}"
                f" in {settle_s:.1f} s"
            )

            if args.profile:
                profile_pages(pages, args.profile_requests, args.profile_top)
                return

            cookies_mine = [{"Cookie": session_cookie(User.objects.get(pk=pk))} for pk in heavy]
            cookie_officer = [{"Cookie": session_cookie(officer)}]
            connections.close_all()

            targets = [
                loadgen.Target("bare Django view", "/bench/hello", expect_body=b"hello"),
                loadgen.Target("service page", service_path, expect_body=b"<html"),
                loadgen.Target(
                    "My applications", "/applications/", cookies_mine, expect_body=b"-B0"
                ),
                loadgen.Target(
                    "officer queue p2 (filtered)", queue_path, cookie_officer, expect_body=b"-B0"
                ),
            ]
            runs: dict[str, list[run.Row]] = {}
            skipped: list[run.Row] = []
            with run.gunicorn(env, args, workdir, database_pid) as server:
                for target in targets:
                    status, _, body = run.http_get(server.port, target.path, target.headers[0])
                    if status != 200 or target.expect_body not in body:
                        log(f"{target.name}: GET {target.path} answered {status}; skipped")
                        skipped.append(run.skipped_row(target.name, f"answered {status}"))
                    else:
                        runs[target.name] = []
                # Interleaved rounds, as bench/run.py: a burst of other load on the machine
                # lands on every endpoint; each round's ratio uses that round's bare view.
                for round_number in range(1, args.rounds + 1):
                    for target in targets:
                        if target.name not in runs:
                            continue
                        log(
                            f"round {round_number}/{args.rounds}: {target.name}: "
                            f"{args.concurrency} clients, {args.duration:g} s"
                        )
                        row = run.measure(server, target, args)
                        runs[target.name].append(row)
                        bare = runs[targets[0].name][-1].rps if targets[0].name in runs else 0
                        row.ratio = row.rps / (bare or row.rps or 1.0)
            rows = [run.median_row(rounds) for rounds in runs.values()] + skipped
            connections.close_all()

            modes = ["process", "thread"] if args.submit_mode == "both" else [args.submit_mode]
            submissions = []
            for offset, mode in enumerate(modes):
                log(f"preparing {args.submissions} complete drafts (not timed) ...")
                t0 = time.perf_counter()
                drafts = prepare_drafts(args.submissions, set(heavy), offset * args.submissions)
                log(f"prepared {len(drafts)} drafts in {time.perf_counter() - t0:.1f} s")
                connections.close_all()
                log(f"submitting from {args.submit_clients} {mode} clients ...")
                submit = submit_all(drafts, args.submit_clients, rng, mode)
                submissions.append((mode, submit, count_submissions(drafts)))
            from ecitizen.audit.services import audit_chain_verify

            chain = audit_chain_verify()

            # --- report -------------------------------------------------------------------
            run.print_table(rows)
            print("query count per page (in-process, CaptureQueriesContext):")
            n1 = args.applications // 10
            for key, label in [
                ("service", "service page"),
                ("mine", "My applications"),
                ("queue", "officer queue p2"),
            ]:
                if args.reuse:  # one size only: nothing to compare
                    print(f"  {label:<20} {counts2[key]:>3} queries at {args.applications:,}")
                    continue
                same = "constant" if counts1[key] == counts2[key] else "CHANGED"
                print(
                    f"  {label:<20} {counts1[key]:>3} queries at {n1:,.0f} applications, "
                    f"{counts2[key]:>3} at {args.applications:,} -> {same}"
                )
            print()
            for row in rows[1:]:
                if row.skipped:
                    continue
                verdict = "met" if row.p95 < TARGET_P95_MS else "MISSED"
                print(
                    f"target for {row.endpoint}: p95 < {TARGET_P95_MS:.0f} ms at "
                    f"{args.concurrency} clients -> {verdict} ({row.p95:.1f} ms, "
                    f"{row.ratio:.0%} of the bare view's throughput)"
                )
            for mode, submit, tally in submissions:
                rate = tally["submitted"] / submit["seconds"] if submit["seconds"] else 0.0
                print(
                    f"\nsubmissions ({args.submit_clients} {mode} clients): "
                    f"{tally['submitted']:,} of {tally['drafts']:,} drafts in "
                    f"{submit['seconds']:.1f} s = {rate:.0f}/s "
                    f"({submit['jobs']} attempts incl. {submit['duplicates']} concurrent "
                    f"duplicates; outcomes {dict(submit['outcomes'])}); ratio to the bare view "
                    f"{rate / rows[0].rps if rows and rows[0].rps else 0:.0%}"
                )
                created_twice = sum(1 for n in submit["created_by_app"].values() if n > 1)
                print(
                    f"  lost {tally['lost']}, duplicated (created twice) {created_twice}, "
                    f"duplicated submitted events {tally['duplicated events']}, missing events "
                    f"{tally['missing events']}, with idempotency key {tally['with key']}"
                )
                if submit["errors"]:
                    print(f"  errors retried, e.g. {submit['errors'][:3]}")
                verdict = (
                    "met"
                    if rate >= TARGET_SUBMIT_RPS
                    and tally["lost"] == 0
                    and created_twice == 0
                    and tally["duplicated events"] == 0
                    else "MISSED"
                )
                print(
                    f"target: >= {TARGET_SUBMIT_RPS:.0f} submissions/s, zero lost or duplicated "
                    f"-> {verdict}"
                )
            print(f"audit chain after the submissions: {'intact' if chain is None else chain}")
            print(
                f"\nmachine: {os.cpu_count()} CPUs, load average before/after "
                f"{load_before:.2f}/{os.getloadavg()[0]:.2f}; Python "
                f"{platform.python_version()}, Django {django.get_version()}; "
                f"{'PostgreSQL 15' if args.postgres else 'SQLite (WAL)'}; "
                f"{args.citizens:,} residents, {args.applications:,} applications; gunicorn "
                f"{args.workers} {args.worker_class} workers"
                f"{f', CONN_MAX_AGE {args.conn_max_age}' if args.conn_max_age is not None else ''}"
                f"; generation: residents {population_s:.0f} s, applications "
                f"{seconds1 + seconds2:.0f} s, settling {settle_s:.0f} s; total "
                f"{time.monotonic() - started_all:.0f} s"
            )
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if args.keep or args.reuse:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
