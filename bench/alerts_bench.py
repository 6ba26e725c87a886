"""Emergency alert to a whole population: publish time, inbox visibility, email hand-off
throughput with 2 workers against raw SMTP loops, and the inbox page p95 for residents with
10,000 messages.

    .venv/bin/python bench/alerts_bench.py                      # 100,000 residents, SQLite
    scripts/with-postgres .venv/bin/python bench/alerts_bench.py --residents 1000000 \\
        --email-sample 100000                                   # PostgreSQL, the full million
    .venv/bin/python bench/alerts_bench.py --durable-postgres   # its own cluster, stock
                                                                # durability (fsync on)

``scripts/with-postgres`` runs PostgreSQL with fsync, synchronous_commit and
full_page_writes off (test-only); ``--durable-postgres`` starts a cluster of its own with
``bench/run.py``'s ``postgres_cluster()`` (the server's defaults). The settings in force are
printed. ``--async-sent-marks`` turns on ``NOTIFICATIONS_ASYNC_SENT_MARKS``.

What it does, on a throw-away database (SQLite file in a temp dir unless DATABASE_URL is set):

1. ``migrate``, then residents: ``generate_population`` (Faker names, districts, languages).
   On PostgreSQL, beyond ``--seed-residents`` (5,000) the rest are copied from those in SQL
   (``INSERT ... SELECT`` over ``generate_series``: user and profile rows, same districts,
   languages and password hash, fresh emails; about 50 times faster than generating them).
2. An emergency alert for every district is written by a publisher and approved by a second
   person through the real staff views (Django test client, full middleware). The approval
   request is the "publish" figure: fan-out happens afterwards, in tasks.
3. Inbox visibility: right after that request returns, a sample of residents read their
   inbox alerts (the same selector the inbox page uses).
4. Two ``manage.py db_worker`` processes write the messages (batched fan-out) and hand them
   to a local SMTP sink in its own process (``--sink fast``: a small pipelining SMTP server
   that counts messages and distinct Message-IDs in memory; ``--sink aiosmtpd``: aiosmtpd
   doing the same, about a millisecond of CPU per message). Throughput is counted at the sink
   from its first to its last message (or its ``--email-sample``-th), with the CPU each
   process used. Phone numbers are cleared first so the figure is about email.
5. Baselines to the same sink, two processes each, the same bytes (the platform's alert
   email with To and Message-ID filled in): a bare ``smtplib.sendmail`` loop, and a bare
   loop using the platform's wire technique (PIPELINING) without the database.
6. Inbox page with 10,000 messages: sequential requests by one resident in process (Django
   test client, no HTTP); then over HTTP against gunicorn with ``config.settings.bench``
   (started by ``bench/run.py``'s ``gunicorn()``), ``bench/loadgen.py``: one client, one
   resident, sequential requests (bare view, same layout without data, inbox, in interleaved
   rounds; p50/p95/p99 and ratios), then ``--inbox-clients`` (20) closed-loop clients, each a
   different resident with 10,000 messages, against the same three pages.

Figures are printed, never asserted.
"""

import argparse
import datetime
import multiprocessing
import os
import re
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu() -> float:
    """CPU seconds used by everything on the machine (all cores, not idle or iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered) + 0.5) - 1)]


# --- Local SMTP sinks, each in its own process ----------------------------------------------
#
# "fast": a small asyncio SMTP server written for this benchmark. It speaks what a client
# needs (EHLO with PIPELINING, MAIL, RCPT, DATA, RSET, NOOP, QUIT), answers pipelined
# commands in order, finds the end of each message with one search instead of reading it
# line by line, and counts messages, bytes and distinct Message-IDs in memory. It stands for
# a production MTA (Postfix accepts a message for a few tens of microseconds of CPU).
# "aiosmtpd": aiosmtpd with a handler that only counts (and offers PIPELINING through its
# EHLO hook); it needs about a millisecond of CPU per message, so on two shared cores it
# caps any client, the raw loops included, below 1,000 messages/s.


class SinkCounters:
    def __init__(self) -> None:
        import multiprocessing

        self.count = multiprocessing.Value("q", 0, lock=False)
        self.unique = multiprocessing.Value("q", 0, lock=False)
        self.bytes = multiprocessing.Value("q", 0, lock=False)
        self.ready = multiprocessing.Event()
        self.sample = multiprocessing.Queue()  # the first message received, for a check


def _message_id(content: bytes) -> bytes:
    head = content.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if line[:11].lower() == b"message-id:":
            return line[11:].strip()
    return b""


def _fast_sink(port: int, counters: SinkCounters) -> None:
    import asyncio

    seen: set[bytes] = set()
    state = {"sampled": False}

    def received(content: bytes) -> None:
        seen.add(_message_id(content))
        counters.count.value += 1
        counters.unique.value = len(seen)
        counters.bytes.value += len(content)
        if not state["sampled"]:
            state["sampled"] = True
            counters.sample.put(content.replace(b"\r\n..", b"\r\n."))

    class Session(asyncio.Protocol):
        def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
            self.transport = transport
            self.buffer = b""
            self.in_data = False
            self.searched = 0
            self.rcpts = 0
            transport.write(b"220 sink ESMTP\r\n")

        def data_received(self, data: bytes) -> None:
            buffer = self.buffer + data if self.buffer else data
            pos, out = 0, []
            while True:
                if self.in_data:
                    if buffer.startswith(b".\r\n", pos):
                        content, pos = b"", pos + 3
                    else:
                        end = buffer.find(b"\r\n.\r\n", max(pos, self.searched - 4))
                        if end < 0:
                            self.searched = len(buffer)
                            break
                        content, pos = buffer[pos : end + 2], end + 5
                    self.in_data, self.searched, self.rcpts = False, 0, 0
                    received(content)
                    out.append(b"250 2.0.0 OK\r\n")
                    continue
                eol = buffer.find(b"\r\n", pos)
                if eol < 0:
                    break
                verb, pos = buffer[pos : pos + 4].upper(), eol + 2
                if verb == b"EHLO":
                    out.append(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 0\r\n")
                elif verb == b"HELO" or verb == b"NOOP":
                    out.append(b"250 OK\r\n")
                elif verb == b"MAIL":
                    self.rcpts = 0
                    out.append(b"250 2.1.0 OK\r\n")
                elif verb == b"RCPT":
                    self.rcpts += 1
                    out.append(b"250 2.1.5 OK\r\n")
                elif verb == b"DATA":
                    if self.rcpts:
                        self.in_data, self.searched = True, eol + 2
                        out.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    else:
                        out.append(b"554 5.5.1 No valid recipients\r\n")
                elif verb == b"RSET":
                    self.rcpts = 0
                    out.append(b"250 OK\r\n")
                elif verb == b"QUIT":
                    out.append(b"221 Bye\r\n")
                    self.transport.write(b"".join(out))
                    self.transport.close()
                    return
                else:
                    out.append(b"502 5.5.2 Not implemented\r\n")
            # Keep what is not yet complete; the search position is relative to it.
            self.buffer = buffer[pos:]
            if self.in_data:
                self.searched = max(0, self.searched - pos)
            if out:
                self.transport.write(b"".join(out))

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(
            Session, "127.0.0.1", port, backlog=128
        )
        counters.ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _aiosmtpd_sink(port: int, counters: SinkCounters) -> None:
    import logging
    import time

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    seen: set[bytes] = set()
    state = {"sampled": False}

    class Handler:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]]

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            content = envelope.original_content or envelope.content
            seen.add(_message_id(content))
            counters.count.value += 1
            counters.unique.value = len(seen)
            counters.bytes.value += len(content)
            if not state["sampled"]:
                state["sampled"] = True
                counters.sample.put(content)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    counters.ready.set()
    while True:
        time.sleep(3600)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sink(kind: str, port: int) -> tuple[multiprocessing.Process, SinkCounters]:
    counters = SinkCounters()
    target = _fast_sink if kind == "fast" else _aiosmtpd_sink
    process = multiprocessing.Process(target=target, args=(port, counters), daemon=True)
    process.start()
    if not counters.ready.wait(20):
        raise SystemExit("the SMTP sink did not start")
    return process, counters


# --- Baselines: the same bytes sent without the platform --------------------------------------


def _personalise(template: bytes, to: str, number: int) -> bytes:
    return template.replace(b"<TO>", to.encode()).replace(
        b"<ID>", f"<raw-{os.getpid()}-{number}@ecitizen.example>".encode()
    )


def _raw_smtplib(port: int, count: int, template: bytes, results) -> None:  # type: ignore[no-untyped-def]
    """``smtplib.sendmail`` of prebuilt bytes (To and Message-ID filled in), one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(count):
            to = f"resident{i}@example.org"
            smtp.sendmail("no-reply@ecitizen.example", [to], _personalise(template, to, i))
    results.put(time.perf_counter() - started)


def _raw_pipelined(port: int, count: int, template: bytes, results) -> None:  # type: ignore[no-untyped-def]
    """The same bytes with the platform's wire technique (RFC 2920: each envelope written
    with the previous content, one round trip per message), and no database."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("pipelining")

        def envelope(i: int) -> bytes:
            to = f"resident{i}@example.org"
            return f"MAIL FROM:<no-reply@ecitizen.example>\r\nRCPT TO:<{to}>\r\nDATA\r\n".encode()

        smtp.send(envelope(0))
        for i in range(count):
            replies = [smtp.getreply() for _ in range(3)]
            assert replies[2][0] == 354, replies
            data = re.sub(rb"(?m)^\.", b"..", _personalise(template, f"resident{i}@example.org", i))
            smtp.send(data + b".\r\n" + (envelope(i + 1) if i + 1 < count else b""))
            code, _ = smtp.getreply()
            assert code == 250, code
    results.put(time.perf_counter() - started)


def raw_baseline(kind: str, port: int, per_process: int, template: bytes, processes: int) -> float:
    target = _raw_smtplib if kind == "smtplib" else _raw_pipelined
    results: multiprocessing.Queue = multiprocessing.Queue()
    senders = [
        multiprocessing.Process(target=target, args=(port, per_process, template, results))
        for _ in range(processes)
    ]
    started = time.perf_counter()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return processes * per_process / (time.perf_counter() - started)


# --- Residents --------------------------------------------------------------------------------


def copy_residents(total: int, batch: int = 100_000) -> int:
    """PostgreSQL only: bring the residents up to ``total`` by copying the generated ones in
    SQL (user and profile rows: district, language, password hash, names; fresh emails, no
    national ID). Returns how many were added."""
    from django.db import connection, transaction

    from ecitizen.accounts.models import Profile, User
    from ecitizen.accounts.population import EMAIL_DOMAIN

    existing = Profile.objects.count()
    if total <= existing:
        return 0
    q = connection.ops.quote_name
    user_cols = [f.column for f in User._meta.concrete_fields if f.column not in ("id", "email")]
    profile_cols = [
        f.column
        for f in Profile._meta.concrete_fields
        if f.column not in ("id", "user_id", "national_id", "national_id_hash")
    ]
    no_id = Profile._meta.get_field("national_id").get_db_prep_value("", connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_seed AS SELECT (row_number() OVER (ORDER BY u.id)) - 1 AS k,"
            " u.id AS user_id FROM accounts_user u JOIN accounts_profile p ON p.user_id = u.id"
            " WHERE u.email LIKE %s",
            [f"%@{EMAIL_DOMAIN}"],
        )
        cursor.execute("SELECT count(*) FROM bench_seed")
        seeds = cursor.fetchone()[0]
        added = 0
        while existing + added < total:
            size = min(batch, total - existing - added)
            with transaction.atomic():
                cursor.execute(
                    f"""
                    WITH new_users AS (
                        INSERT INTO accounts_user ({", ".join(map(q, user_cols))}, email)
                        SELECT {", ".join("u." + q(c) for c in user_cols)},
                               'bulk.' || g || '@{EMAIL_DOMAIN}'
                        FROM generate_series(%s, %s) AS g
                        JOIN bench_seed s ON s.k = g %% %s
                        JOIN accounts_user u ON u.id = s.user_id
                        RETURNING id, email
                    )
                    INSERT INTO accounts_profile
                        ({", ".join(map(q, profile_cols))}, user_id, national_id, national_id_hash)
                    SELECT {", ".join("p." + q(c) for c in profile_cols)}, n.id, %s, ''
                    FROM new_users n
                    JOIN bench_seed s
                      ON s.k = split_part(split_part(n.email, '@', 1), '.', 2)::bigint %% %s
                    JOIN accounts_profile p ON p.user_id = s.user_id
                    """,  # noqa: S608 (column names from the models, values as parameters)
                    [added, added + size - 1, seeds, no_id, seeds],
                )
            added += size
        cursor.execute("DROP TABLE bench_seed")
        cursor.execute("ANALYZE")
    return added


def inbox_messages_for(users: list, count: int) -> None:  # type: ignore[type-arg]
    from django.utils import timezone

    from ecitizen.notifications.models import Channel, Message

    now = timezone.now()
    for user in users:
        Message.objects.bulk_create(
            (
                Message(
                    recipient=user,
                    channel=Channel.INBOX,
                    topic="applications",
                    event="application.submitted",
                    subject=f"We have received your application BP-{i:06d}",
                    body="Hello,\n\nWe have received your application.",
                    status=Message.Status.DELIVERED,
                    delivered_at=now,
                    read_at=now if i % 3 else None,
                    created_at=now - datetime.timedelta(minutes=count - i),
                )
                for i in range(count)
            ),
            batch_size=5000,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seed-residents", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sink", choices=["fast", "aiosmtpd"], default="fast")
    parser.add_argument(
        "--email-sample", type=int, default=0, help="stop the hand-off after N emails (0: all)"
    )
    parser.add_argument("--inbox-messages", type=int, default=10_000)
    parser.add_argument("--inbox-requests", type=int, default=300)
    parser.add_argument("--inbox-clients", type=int, default=20, help="0: skip the HTTP run")
    parser.add_argument("--inbox-seconds", type=float, default=15)
    parser.add_argument(
        "--durable-postgres",
        action="store_true",
        help="start a PostgreSQL cluster of its own with the server's default durability"
        " (fsync, synchronous_commit, full_page_writes on; bench/run.py's postgres_cluster)",
    )
    parser.add_argument(
        "--async-sent-marks",
        action="store_true",
        help="NOTIFICATIONS_ASYNC_SENT_MARKS = True (PostgreSQL: 'sent' marks do not wait for"
        " the WAL flush; see docs/notifications.md)",
    )
    parser.add_argument(
        "--gunicorn-workers", type=int, default=2 * (os.cpu_count() or 1), help="as bench/run.py"
    )
    parser.add_argument(
        "--inbox-rounds", type=int, default=3, help="sequential HTTP: rounds of each page"
    )
    parser.add_argument("--skip-email", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ecitizen-alerts-bench-"))
    if not args.durable_postgres:
        run(args, tmp, None)
        return
    sys.path.insert(0, str(ROOT))
    from bench.run import postgres_cluster

    tmp.chmod(0o711)  # the postgres user reaches its data directory through it
    cluster_dir = tmp / "cluster"  # handed to the postgres user
    cluster_dir.mkdir()
    with postgres_cluster(cluster_dir, _free_port()) as (url, pid):
        os.environ["DATABASE_URL"] = url
        run(args, tmp, pid)


def database_settings() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        return f"{connection.vendor}"
    names = ["fsync", "synchronous_commit", "full_page_writes", "wal_writer_delay"]
    with connection.cursor() as cursor:
        values = []
        for name in names:
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    return f"PostgreSQL {version} ({', '.join(values)})"


def run(args: argparse.Namespace, tmp: Path, database_pid: int | None) -> None:
    smtp_port = _free_port()
    (tmp / "alerts_bench_settings.py").write_text(
        textwrap.dedent(
            f"""
            from config.settings.bench import *
            EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            EMAIL_HOST = "127.0.0.1"
            EMAIL_PORT = {smtp_port}
            EMAIL_USE_TLS = False
            TASKS = {{"default": {{"BACKEND": "django_tasks_db.DatabaseBackend"}}}}
            NOTIFICATIONS_RATE_LIMITS = {{}}
            NOTIFICATIONS_SMS_SINK_DIR = {str(tmp / "sms")!r}
            NOTIFICATIONS_APPROVAL_SEVERITIES = ["emergency"]
            PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
            NOTIFICATIONS_ASYNC_SENT_MARKS = {args.async_sent_marks}
            """
        )
    )
    env = os.environ.copy()
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    env["DJANGO_SETTINGS_MODULE"] = "alerts_bench_settings"
    env["PYTHONPATH"] = os.pathsep.join([str(tmp), str(ROOT), env.get("PYTHONPATH", "")])
    os.environ.update(env)
    sys.path[:0] = [str(tmp), str(ROOT)]

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    vendor = connection.vendor
    print(
        f"alerts bench: {args.residents:,} residents, {args.workers} workers, {vendor}, "
        f"sink {args.sink}; {os.cpu_count()} CPUs, load average {loadavg()}"
    )
    print(
        f"database: {database_settings()}; 'sent' marks committed "
        + ("asynchronously (PostgreSQL)" if args.async_sent_marks else "synchronously")
    )
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    generated_n = (
        args.residents if vendor != "postgresql" else min(args.residents, args.seed_residents)
    )
    started = time.perf_counter()
    call_command("generate_population", citizens=generated_n, seed=1, verbosity=0)
    generated = time.perf_counter() - started
    print(
        f"generate_population: {generated_n:,} in {generated:.1f} s "
        f"({generated_n / generated:,.0f} residents/s)"
    )
    if args.residents > generated_n:
        started = time.perf_counter()
        added = copy_residents(args.residents)
        copied = time.perf_counter() - started
        print(f"copied in SQL: {added:,} residents in {copied:.1f} s ({added / copied:,.0f}/s)")

    from allauth.mfa.totp.internal.auth import TOTP
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from ecitizen.accounts.models import Profile, StaffRole, User
    from ecitizen.accounts.services import ProfileData, staff_role_grant, user_create
    from ecitizen.notifications import delivery, selectors
    from ecitizen.notifications.models import Alert, Channel, Message

    Profile.objects.update(phone="")  # email only (see the docstring)
    staff = []
    for email, role in [
        ("publisher@bench.example", StaffRole.Role.ALERT_PUBLISHER),
        ("approver@bench.example", StaffRole.Role.ALERT_APPROVER),
    ]:
        user = user_create(
            actor=None,
            email=email,
            password="bench-only passphrase 123",  # noqa: S106 (throw-away database)
            email_verified=True,
            profile=ProfileData(legal_name=email),
        )
        staff_role_grant(actor=None, user=user, role=role)
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        client.get("/staff/alerts/")  # warm the session
        staff.append(client)
    publisher, approver = staff
    residents = Profile.objects.count()

    # --- publish -----------------------------------------------------------------------
    sink, counters = start_sink(args.sink, smtp_port)
    form = {
        "severity": "emergency",
        "all_areas": "on",
        "expires_at": (timezone.localtime() + datetime.timedelta(hours=6)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "title_en": "Flood emergency",
        "title_fr": "Urgence inondation",
        "title_es": "Emergencia por inundación",
        "body_en": "The river has burst its banks. Water is rising quickly.",
        "body_fr": "La rivière a débordé. L'eau monte vite.",
        "body_es": "El río se ha desbordado. El agua sube rápido.",
        "instructions_en": "Leave ground floors near the river now.",
    }
    t0 = time.perf_counter()
    response = publisher.post("/staff/alerts/new/", form)
    create_s = time.perf_counter() - t0
    assert response.status_code == 302, response.status_code
    alert = Alert.objects.get()
    sample = list(  # chosen before publishing, so the first read is timed alone
        User.objects.select_related("profile")
        .filter(profile__area__isnull=False)
        .order_by("?")[:100]
    )
    t0 = time.perf_counter()
    response = approver.post(f"/staff/alerts/{alert.pk}/decide/", {"decision": "approve"})
    publish_s = time.perf_counter() - t0
    published_at = time.perf_counter()
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PUBLISHED

    # --- inbox visibility ----------------------------------------------------------------
    visible, read_ms, first_visible_ms = 0, [], float("nan")
    for user in sample:
        t0 = time.perf_counter()
        alerts = selectors.inbox_alerts(user)
        read_ms.append((time.perf_counter() - t0) * 1000)
        visible += any(a.pk == alert.pk for a in alerts)
        if len(read_ms) == 1:
            first_visible_ms = (time.perf_counter() - published_at) * 1000
    rows_for_inbox = Message.objects.filter(alert=alert, channel=Channel.INBOX).count()
    in_area = Profile.objects.filter(area__isnull=False).count()

    # --- email hand-off with workers --------------------------------------------------------
    expected = residents  # every district: every resident (and the staff)
    target = min(args.email_sample or expected, expected)
    handoff = {}
    if not args.skip_email:
        handoff = run_handoff(args, env, alert, expected, target, counters, sink.pid)

    # --- baselines -------------------------------------------------------------------------
    template = delivery._alert_email_template(
        alert.pk, alert.identifier, "en", alert.topic, False, int(time.time() // 60)
    )
    assert template is not None
    template = template.replace(delivery._TO_SLOT.encode(), b"<TO>").replace(
        delivery._ID_SLOT.encode(), b"<ID>"
    )
    per_process = max(5_000, min(20_000, handoff.get("unique", 0) // 4))
    baselines = {}
    for kind in ("smtplib", "pipelined"):
        before = counters.unique.value
        c0 = process_cpu(sink.pid)
        rate = raw_baseline(kind, smtp_port, per_process, template, processes=args.workers)
        sent = counters.unique.value - before
        baselines[kind] = (rate, (process_cpu(sink.pid) - c0) / max(sent, 1) * 1e6, sent)

    # --- report hand-off ----------------------------------------------------------------------
    print()
    print(f"residents targeted (every district)  {expected:,} ({in_area:,} with a district)")
    print(f"alert written (staff form, pending)   {create_s * 1000:8.1f} ms")
    print(
        f"publish (approval request)            {publish_s * 1000:8.1f} ms"
        f"   target < 1000 ms: {'met' if publish_s < 1 else 'MISSED'}"
        f" ({publish_s:.3f} of the target)"
    )
    print(
        f"inbox shows it                        {first_visible_ms:8.1f} ms after the publish"
        f" request returned (first read); {visible}/{len(sample)} sampled residents see it;"
        f" read p95 {percentile(read_ms, 0.95):.1f} ms; inbox rows written for it:"
        f" {rows_for_inbox}"
    )
    if handoff:
        report_handoff(args, handoff, baselines, expected, target)
    else:
        for kind, (rate, sink_us, _sent) in baselines.items():
            print(f"raw {kind} loop, {args.workers} processes: {rate:,.0f} msg/s")
            print(f"  (sink {sink_us:.0f} us/msg)")

    # --- inbox p95 with 10,000 messages --------------------------------------------------------
    sink.terminate()
    heavy = list(
        User.objects.filter(email__endswith="residents.ecitizen.example")
        .select_related("profile")
        .order_by("id")[: max(1, args.inbox_clients)]
    )
    started = time.perf_counter()
    inbox_messages_for(heavy, args.inbox_messages)
    print(
        f"\ninbox: {len(heavy)} residents given {args.inbox_messages:,} messages each"
        f" in {time.perf_counter() - started:.1f} s"
    )
    connection.cursor().execute("ANALYZE") if vendor == "postgresql" else None
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(heavy[0])
    for _ in range(5):
        client.get("/inbox/")
        client.get("/bench/hello")
        client.get("/offline/")
    inbox_ms, hello_ms, layout_ms = [], [], []
    for _ in range(args.inbox_requests):
        t0 = time.perf_counter()
        client.get("/offline/")  # the same base layout, no data: what every page pays
        layout_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        response = client.get("/inbox/")
        inbox_ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
        t0 = time.perf_counter()
        client.get("/bench/hello")
        hello_ms.append((time.perf_counter() - t0) * 1000)
    older = client.get(f"/inbox/?page={max(1, min(400, args.inbox_messages // 25))}")
    assert older.status_code == 200 and b"BP-" in older.content
    print(
        f"inbox page, {args.inbox_messages:,} messages, one resident, {args.inbox_requests}"
        f" sequential requests (Django test client in this process, no HTTP), load"
        f" {loadavg()}:"
    )
    p95 = percentile(inbox_ms, 0.95)
    print(
        f"  inbox                      p50 {statistics.median(inbox_ms):6.1f} ms"
        f"  p95 {p95:6.1f} ms  target < 50 ms: {'met' if p95 < 50 else 'MISSED'}"
    )
    print(
        f"  bare view (baseline)       p50 {statistics.median(hello_ms):6.1f} ms"
        f"  p95 {percentile(hello_ms, 0.95):6.1f} ms  (inbox/bare p95 = "
        f"{p95 / percentile(hello_ms, 0.95):.1f}x)"
    )
    print(
        f"  same layout, no data       p50 {statistics.median(layout_ms):6.1f} ms"
        f"  p95 {percentile(layout_ms, 0.95):6.1f} ms  (inbox/layout p95 = "
        f"{p95 / percentile(layout_ms, 0.95):.1f}x)"
    )
    inbox_http(args, env, heavy, settings.SESSION_COOKIE_NAME, tmp, database_pid)

    if not args.keep:
        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")


def run_handoff(args, env, alert, expected, target, counters, sink_pid) -> dict:  # type: ignore[no-untyped-def]
    from ecitizen.notifications.models import Message

    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.05"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    load_before = loadavg()
    t_start = time.perf_counter()
    written_s = first_at = None
    cpu_first = {}
    try:
        while True:
            time.sleep(0.1)
            if first_at is None and counters.count.value > 0:
                first_at = time.perf_counter()
                cpu_first = {
                    "workers": sum(process_cpu(w.pid) for w in workers),
                    "sink": process_cpu(sink_pid),
                    "machine": machine_cpu(),
                    "unique": counters.unique.value,
                }
            if written_s is None and Message.objects.filter(alert=alert).count() >= expected:
                written_s = time.perf_counter() - t_start
            if counters.unique.value >= target:
                break
            if time.perf_counter() - t_start > 3 * 3600:
                print("  gave up after three hours")
                break
        done_at = time.perf_counter()
        cpu_last = {
            "workers": sum(process_cpu(w.pid) for w in workers),
            "sink": process_cpu(sink_pid),
            "machine": machine_cpu(),
            "unique": counters.unique.value,
        }
        load_after = loadavg()
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    if written_s is None and Message.objects.filter(alert=alert).count() >= expected:
        written_s = time.perf_counter() - t_start
    sample = counters.sample.get(timeout=5)
    return {
        "seconds": done_at - (first_at or t_start),
        "total": done_at - t_start,
        "written": written_s,
        "unique": counters.unique.value,
        "count": counters.count.value,
        "bytes": counters.bytes.value,
        "cpu_first": cpu_first,
        "cpu_last": cpu_last,
        "sent": Message.objects.filter(alert=alert, status=Message.Status.SENT).count(),
        "sample": sample,
        "load": (load_before, load_after),
    }


def report_handoff(args, h, baselines, expected, target) -> None:  # type: ignore[no-untyped-def]
    import email
    import email.policy

    counted = h["cpu_last"]["unique"] - h["cpu_first"]["unique"]
    rate = counted / h["seconds"]
    per = {
        k: (h["cpu_last"][k] - h["cpu_first"][k]) / max(counted, 1) * 1000
        for k in ("workers", "sink", "machine")
    }
    duplicates = h["count"] - h["unique"]
    print(
        f"all {expected:,} email messages written by the fan-out tasks: "
        + (f"{h['written']:.1f} s after the workers started" if h["written"] else "not yet")
    )
    scope = "all" if target >= expected else f"a sample of {target:,} of the {expected:,}"
    print(
        f"email hand-off, {args.workers} workers          {rate:8,.0f} msg/s"
        f"  target >= 1,000: {'met' if rate >= 1000 else 'MISSED'} ({rate / 1000:.2f}x);"
        f" {scope} emails: {h['unique']:,} distinct Message-IDs at the sink,"
        f" {duplicates:,} duplicates, {h['sent']:,} recorded sent; {counted:,} counted from the"
        f" sink's first message in {h['seconds']:.1f} s ({h['total']:.1f} s from worker start,"
        f" fan-out included); {h['bytes'] / max(h['count'], 1):,.0f} bytes per message"
    )
    print(
        f"  CPU per message: workers {per['workers']:.3f} ms, sink {per['sink']:.3f} ms, "
        f"everything else (PostgreSQL, fan-out queries, this script, other users) "
        f"{per['machine'] - per['workers'] - per['sink']:.3f} ms; machine total "
        f"{per['machine']:.3f} ms; load average {h['load'][0]} -> {h['load'][1]}"
    )
    for kind, (base, sink_us, sent) in baselines.items():
        label = "raw smtplib.sendmail loop" if kind == "smtplib" else "raw pipelined loop, no DB"
        print(
            f"{label}, {args.workers} processes  {base:8,.0f} msg/s  ({sent:,} messages, sink "
            f"{sink_us:.0f} us/msg; platform / baseline = {rate / base:.2f}x)"
        )
    message = email.message_from_bytes(h["sample"], policy=email.policy.default)
    parts = [p.get_content_type() for p in message.walk()]
    print(
        f"  a message as received: To {message['To']}, Message-ID {message['Message-ID']},"
        f" Content-Language {message['Content-Language']}, parts {parts}"
    )
    print(
        f"  1,000,000 emails at this rate: ~{1_000_000 / rate / 60:.1f} min"
        + ("" if target >= 1_000_000 else " (extrapolated)")
    )


def inbox_http(args, env, heavy, cookie_name, tmp, database_pid) -> None:  # type: ignore[no-untyped-def]
    """The inbox page over HTTP against gunicorn with ``config.settings.bench`` (started as
    bench/run.py starts it): first one resident's sequential requests (one client), then
    ``--inbox-clients`` closed-loop clients; each time beside the bare view and the same
    layout without data, measured the same way in the same run."""
    from django.test import Client

    from bench import loadgen
    from bench import run as bench_run

    headers = []
    for user in heavy:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)  # a database session, as the login form would write
        headers.append({"Cookie": f"{cookie_name}={client.cookies[cookie_name].value}"})
    server_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    options = argparse.Namespace(workers=args.gunicorn_workers, worker_class="sync", threads=1)
    pages = [
        ("bare view", "/bench/hello", b"hello"),
        ("same layout, no data", "/offline/", b""),
        ("inbox", "/inbox/", b"BP-"),
    ]

    def report(title: str, results: dict) -> None:  # type: ignore[type-arg]
        print(title)
        inbox = results["inbox"]
        for name, result in results.items():
            ratio = (
                ""
                if name == "inbox"
                else (
                    f"  inbox/this: p50 {inbox.percentile(50) / result.percentile(50):.1f}x,"
                    f" p95 {inbox.percentile(95) / result.percentile(95):.1f}x,"
                    f" p99 {inbox.percentile(99) / result.percentile(99):.1f}x"
                )
            )
            target = (
                f"  target p95 < 50 ms: {'met' if result.percentile(95) < 50 else 'MISSED'}"
                if name == "inbox"
                else ""
            )
            print(
                f"  {name:<22} {result.requests:6,} req {result.rps:6.0f} req/s"
                f"  p50 {result.percentile(50):6.1f}  p95 {result.percentile(95):6.1f}"
                f"  p99 {result.percentile(99):6.1f} ms  errors {result.errors}"
                f"{ratio}{target}"
            )

    with bench_run.gunicorn(server_env, options, tmp, database_pid) as server:
        for name, path, expect in pages:  # warm every worker
            loadgen.run(
                loadgen.Target(name, path, headers[:1], expect_body=expect),
                port=server.port, concurrency=args.gunicorn_workers, duration=1.0, warmup=1.0,
            )  # fmt: skip
        # One resident, one client, requests one after the other; the pages interleaved in
        # rounds so a burst of load from other users falls on all of them alike.
        sequential: dict[str, loadgen.Result] = {}
        load_before = loadavg()
        for _round in range(args.inbox_rounds):
            for name, path, expect in pages:
                target = loadgen.Target(name, path, headers[:1], expect_body=expect)
                result = loadgen.run(
                    target,
                    port=server.port,
                    concurrency=1,
                    duration=args.inbox_seconds / args.inbox_rounds,
                    warmup=0.5,
                )
                merged = sequential.setdefault(name, loadgen.Result(name=name))
                merged.requests += result.requests
                merged.errors += result.errors
                merged.seconds += result.seconds
                merged.latencies += result.latencies
        report(
            f"inbox page over HTTP, ONE resident with {args.inbox_messages:,} messages, one"
            f" client, sequential requests ({args.inbox_rounds} interleaved rounds,"
            f" {args.inbox_seconds:.0f} s per page in all), gunicorn config.settings.bench"
            f" ({args.gunicorn_workers} sync workers; they close the connection after each"
            f" response, so each request includes its TCP connect), load {load_before} ->"
            f" {loadavg()}:",
            sequential,
        )
        if not args.inbox_clients:
            return
        concurrent = {}
        load_before = loadavg()
        for name, path, expect in pages:
            target = loadgen.Target(name, path, headers, expect_body=expect)
            concurrent[name] = loadgen.run(
                target,
                port=server.port,
                concurrency=args.inbox_clients,
                duration=args.inbox_seconds,
                warmup=2.0,
            )
        report(
            f"inbox page over HTTP, {args.inbox_clients} CONCURRENT closed-loop clients (each a"
            f" different resident with {args.inbox_messages:,} messages), same server,"
            f" {args.inbox_seconds:.0f} s per page, load {load_before} -> {loadavg()}:",
            concurrent,
        )


if __name__ == "__main__":
    main()
