"""``make bench``: throughput and latency of eCitizen behind a production-style server.

1. A throw-away database in a temporary directory: SQLite (WAL) by default, or with
   ``--postgres`` a PostgreSQL cluster started for the run (``initdb`` + ``pg_ctl`` as the
   ``postgres`` user, loopback only, stopped at the end).
2. ``migrate`` and ``generate_population --citizens N`` (10,000 by default).
3. gunicorn serving ``config.wsgi`` with ``config.settings.bench`` (DEBUG off, the production
   middleware, ALLOWED_HOSTS 127.0.0.1) on a free loopback port.
4. Residents signed in through the real allauth login form (CSRF and all), one per client,
   and one API token each with the ``profile:read`` scope (if the API tokens app is there).
5. For each endpoint, ``bench/loadgen.py`` runs ``--concurrency`` closed-loop clients for
   ``--duration`` seconds after a warm-up, then the table: req/s, latency percentiles, the
   server's CPU time per request, and the ratio to the bare Django view measured in the same
   run (the baseline).

Figures are printed, never asserted: this is a benchmark, not a test. The load generator
shares the machine's cores with the server, so compare ratios more than absolute numbers.
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import loadgen  # noqa: E402

HOST = "127.0.0.1"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSWORD = "bench resident passphrase, synthetic data only"  # noqa: S105
LABELS = {
    "hello": "bare Django view",
    "home": "home page /",
    "me": "signed-in dashboard /me/",
    "api": "api /api/v1/me (token)",
}
TARGET_RATIO = 0.5  # signed-in pages >= 50% of the bare view's throughput
TARGET_P95_MS = 50.0


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- database ---------------------------------------------------------------------------


def bench_environment(workdir: Path, conn_max_age: int | None) -> dict[str, str]:
    """The environment of a benchmark's Django processes: the benchmark settings, files in
    ``workdir``, and persistent connections only if asked for (``DATABASE_URL`` is set by
    ``open_database``)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "PYTHONPATH": str(BASE_DIR),
        "BENCH_TMP": str(workdir),
        "MEDIA_ROOT": str(workdir / "media"),
    }
    env.pop("DATABASE_URL", None)
    env.pop("BENCH_CONN_MAX_AGE", None)
    if conn_max_age is not None:
        env["BENCH_CONN_MAX_AGE"] = str(conn_max_age)
    return env


def open_database(
    stack: contextlib.ExitStack, workdir: Path, *, postgres: bool, pg_port: int
) -> tuple[str, int | None]:
    """A throw-away database for the run: a PostgreSQL cluster (stopped when ``stack``
    closes) or a SQLite file in ``workdir``. Returns its URL and the server's pid, if any."""
    if postgres:
        return stack.enter_context(postgres_cluster(workdir, pg_port))
    return f"sqlite:///{workdir / 'bench.sqlite3'}", None


@contextlib.contextmanager
def postgres_cluster(workdir: Path, port: int) -> Iterator[tuple[str, int]]:
    """A PostgreSQL 15 cluster for this run only, owned by ``postgres``, loopback only."""
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"--postgres needs PostgreSQL binaries in {PG_BIN}")
    data = workdir / "pg"
    existing = (data / "PG_VERSION").exists()  # a cluster a --keep run left (services bench)
    if not existing:
        data.mkdir()
    shutil.chown(workdir, user="postgres")  # initdb refuses to run as root
    shutil.chown(data, user="postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if not existing:
        subprocess.run(
            [
                *as_postgres,
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    # The postmaster runs as a child of this process (through runuser), so it is reaped.
    process = subprocess.Popen(
        [
            *as_postgres,
            str(PG_BIN / "postgres"),
            "-D", str(data),
            "-p", str(port),
            "-k", str(data),
            "-c", f"listen_addresses={HOST}",
            "-c", "max_connections=100",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(data / "server.log").open("w"),
    )  # fmt: skip
    try:
        for _ in range(300):
            ready = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-q", "-h", HOST, "-p", str(port)], check=False
            )
            if ready.returncode == 0:
                break
            if process.poll() is not None:
                raise SystemExit(f"PostgreSQL did not start; see {data / 'server.log'}")
            time.sleep(0.1)
        pid = int((data / "postmaster.pid").read_text().split()[0])
        log(f"PostgreSQL started on {HOST}:{port} (pid {pid})")
        if not existing:
            subprocess.run(
                [*as_postgres, str(PG_BIN / "createdb"), "-h", HOST, "-p", str(port),
                 "-U", "postgres", "ecitizen_bench"],
                check=True,
            )  # fmt: skip
        yield f"postgres://postgres@{HOST}:{port}/ecitizen_bench", pid
    finally:
        with contextlib.suppress(OSError, ValueError):
            pid = int((data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGINT)  # "fast" shutdown of the postmaster we started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log("PostgreSQL stopped")


def manage(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


def prepare_clients(env: dict[str, str], count: int) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "bench/clients.py", str(count)],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- server -------------------------------------------------------------------------------


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and its children, living or reaped."""
    total = 0

    def add(pid: int) -> list[int]:
        nonlocal total
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        return [int(child) for child in children]

    for child in add(root):
        add(child)
    return total / CLK_TCK


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    database_pid: int | None = None  # the PostgreSQL postmaster, if there is one

    def cpu_seconds(self) -> float:
        """CPU time of gunicorn (master and workers) and of the database server, if any."""
        total = tree_cpu_seconds(self.process.pid)
        if self.database_pid:
            total += tree_cpu_seconds(self.database_pid)
        return total


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], args: argparse.Namespace, workdir: Path, database_pid: int | None
) -> Iterator[Server]:
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi:application",
        "--config",
        str(BASE_DIR / "config" / "gunicorn.conf.py"),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--keep-alive",
        "5",
        "--backlog",
        "2048",
        "--graceful-timeout",
        "5",
        "--error-logfile",
        str(workdir / "gunicorn.log"),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env)
    server = Server(process, port, database_pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                status, _, _ = http_get(port, "/bench/hello")
                if status == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {workdir / 'gunicorn.log'}")
            time.sleep(0.2)
        log(
            f"gunicorn on {HOST}:{port}: {args.workers} {args.worker_class} workers"
            + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
        )
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- HTTP helpers for set-up ------------------------------------------------------------------


def http_get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return http_request(port, "GET", path, headers=headers)


def http_request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        return response.status, cookies, response.read()
    finally:
        connection.close()


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the allauth form, as a browser would; returns the Cookie header."""
    status, cookies, page = http_get(port, "/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not match or "csrftoken" not in cookies:
        raise SystemExit(f"login page: status {status}, no CSRF token")
    form = urlencode(
        {"csrfmiddlewaretoken": match.group(1).decode(), "login": email, "password": password}
    ).encode()
    status, new_cookies, _ = http_request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Referer": f"http://{HOST}:{port}/accounts/login/",
        },
    )
    if status != 302 or "sessionid" not in new_cookies:
        raise SystemExit(f"login as {email} failed: status {status}")
    return f"csrftoken={cookies['csrftoken']}; sessionid={new_cookies['sessionid']}"


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Row:
    endpoint: str
    path: str
    rps: float
    p50: float
    p95: float
    p99: float
    ratio: float
    requests: int
    errors: int
    server_cpu_ms: float
    client_cpu_share: float
    reconnects: int
    skipped: str = ""
    rps_range: tuple[float, float] = (0.0, 0.0)


def measure(server: Server, target: loadgen.Target, args: argparse.Namespace) -> Row:
    cpu_before = server.cpu_seconds()
    result = loadgen.run(
        target,
        port=server.port,
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        max_requests=args.max_requests,
    )
    server_cpu = server.cpu_seconds() - cpu_before
    total = result.requests + result.errors
    # CPU is counted over warm-up + measured window; spread it over every request sent.
    sent = total * (args.warmup + result.seconds) / result.seconds if result.seconds else 0
    if result.errors:
        log(f"{target.name}: {result.errors} errors, e.g. {result.error_samples[:3]}")
    return Row(
        endpoint=target.name,
        path=target.path,
        rps=result.rps,
        p50=result.percentile(50),
        p95=result.percentile(95),
        p99=result.percentile(99),
        ratio=0.0,
        requests=result.requests,
        errors=result.errors,
        server_cpu_ms=server_cpu / sent * 1000 if sent else float("nan"),
        client_cpu_share=result.client_cpu_seconds / (args.warmup + result.seconds),
        reconnects=result.reconnects,
    )


def median_row(rounds: list[Row]) -> Row:
    """The round with the median throughput, with the median ratio and the req/s range."""
    ordered = sorted(rounds, key=lambda row: row.rps)
    row = ordered[(len(ordered) - 1) // 2]
    row.ratio = sorted(r.ratio for r in rounds)[(len(rounds) - 1) // 2]
    row.rps_range = (ordered[0].rps, ordered[-1].rps)
    return row


def skipped_row(endpoint: str, reason: str) -> Row:
    nan = float("nan")
    return Row(endpoint, "", nan, nan, nan, nan, nan, 0, 0, nan, nan, 0, skipped=reason)


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'endpoint':<28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'vs bare':>8} {'errors':>7} {'server CPU ms/req':>17} {'client CPU':>11}"
        f"  req/s range over rounds"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        if row.skipped:
            print(f"{row.endpoint:<28} skipped: {row.skipped}")
            continue
        print(
            f"{row.endpoint:<28} {row.rps:>8.0f} {row.p50:>8.1f} {row.p95:>8.1f} "
            f"{row.p99:>8.1f} {row.ratio:>7.0%} {row.errors:>7} {row.server_cpu_ms:>17.2f} "
            f"{row.client_cpu_share:>10.0%}"
            f"  {row.rps_range[0]:.0f}-{row.rps_range[1]:.0f}"
        )
    print()
    for row in rows:
        if row.skipped or row.endpoint.startswith("bare"):
            continue
        if row.endpoint.startswith(("signed-in", "api")):
            verdict = "met" if row.ratio >= TARGET_RATIO and row.p95 < TARGET_P95_MS else "MISSED"
            print(
                f"target for {row.endpoint}: >= {TARGET_RATIO:.0%} of bare throughput and "
                f"p95 < {TARGET_P95_MS:.0f} ms -> {verdict} ({row.ratio:.0%}, {row.p95:.1f} ms)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="eCitizen HTTP benchmark (see bench/README.md)")
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--pg-port", type=int, default=54329)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="override CONN_MAX_AGE (seconds) to compare persistent database connections",
    )
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=1, help="repeat, report the median")
    parser.add_argument("--max-requests", type=int, default=500_000)
    parser.add_argument("--only", default="", help="comma-separated endpoint keys to run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.duration > 120 or args.concurrency > 200:
        raise SystemExit("--duration is at most 120 s and --concurrency at most 200")

    workdir = Path(tempfile.mkdtemp(prefix="ecitizen-bench-"))
    env = bench_environment(workdir, args.conn_max_age)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    try:
        with contextlib.ExitStack() as stack:
            env["DATABASE_URL"], database_pid = open_database(
                stack, workdir, postgres=args.postgres, pg_port=args.pg_port
            )
            log(f"database: {env['DATABASE_URL']}")
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "createcachetable")
            log(f"generating {args.citizens:,} residents ...")
            log(
                manage(
                    env,
                    "generate_population",
                    "--citizens",
                    str(args.citizens),
                    "--seed",
                    str(args.seed),
                    "--password",
                    PASSWORD,
                )
                .strip()
                .splitlines()[0]
            )
            clients = prepare_clients(env, args.concurrency)
            residents = clients["residents"]
            server = stack.enter_context(gunicorn(env, args, workdir, database_pid))
            cookies = [sign_in(server.port, r["email"], PASSWORD) for r in residents]
            log(f"signed in {len(cookies)} residents through the login form")
            names = [escape(r["name"]).encode() for r in residents]
            targets: dict[str, tuple[loadgen.Target | None, str]] = {
                "hello": (
                    loadgen.Target(LABELS["hello"], "/bench/hello", expect_body=b"hello"),
                    "",
                ),
                "home": (loadgen.Target(LABELS["home"], "/", expect_body=b"<html"), ""),
                "me": (
                    loadgen.Target(
                        LABELS["me"],
                        "/me/",
                        headers=[{"Cookie": c} for c in cookies],
                        # In every language (residents see their own): the profile link.
                        expect_body=b'href="/me/profile/"',
                    ),
                    "",
                ),
            }
            if "tokens" in clients:
                targets["api"] = (
                    loadgen.Target(
                        LABELS["api"],
                        "/api/v1/me",
                        headers=[{"Authorization": f"Bearer {t}"} for t in clients["tokens"]],
                        expect_body=b"@residents.ecitizen.example",
                    ),
                    "",
                )
            else:
                targets["api"] = (None, str(clients.get("api_skipped", "no API tokens")))
            # Check each endpoint answers what we expect before timing it.
            for key, (target, _) in list(targets.items()):
                if target is None:
                    continue
                status, _, body = http_get(server.port, target.path, target.headers[0])
                if status != 200 or target.expect_body not in body:
                    targets[key] = (None, f"GET {target.path} answered {status}")
                elif key == "me":
                    for cookie, name in zip(cookies, names, strict=True):
                        _, _, page = http_get(server.port, "/me/", {"Cookie": cookie})
                        if name not in page:
                            targets[key] = (None, "a dashboard does not show its resident's name")
            only = {k for k in args.only.split(",") if k} | {"hello"}
            runs: dict[str, list[Row]] = {}
            skipped: dict[str, str] = {}
            for key, (target, reason) in targets.items():
                if args.only and key not in only:
                    continue
                if target is None:
                    skipped[key] = reason
                else:
                    runs[key] = []
            # Rounds interleave the endpoints, so a burst of other load on the machine does
            # not land on one endpoint only; each round's ratio uses that round's baseline.
            if "hello" not in runs:
                raise SystemExit(f"the bare view does not answer: {skipped.get('hello')}")
            for round_number in range(1, args.rounds + 1):
                for key in runs:
                    target = targets[key][0]
                    assert target is not None
                    log(
                        f"round {round_number}/{args.rounds}: {target.name}: "
                        f"{args.concurrency} clients, {args.warmup:g} s warm-up, "
                        f"{args.duration:g} s measured"
                    )
                    row = measure(server, target, args)
                    runs[key].append(row)
                    row.ratio = row.rps / (runs["hello"][-1].rps or 1.0)
            rows = [median_row(rounds) for rounds in runs.values()]
            rows += [skipped_row(LABELS[key], reason) for key, reason in skipped.items()]
            print_table(rows)
            import django

            print(
                f"machine: {os.cpu_count()} CPUs, load average before/after "
                f"{load_before:.2f}/{os.getloadavg()[0]:.2f}; Python {platform.python_version()}, "
                f"Django {django.get_version()}; {args.citizens:,} residents; "
                f"{'PostgreSQL 15' if args.postgres else 'SQLite (WAL)'}; "
                f"gunicorn {args.workers} {args.worker_class} workers; "
                + (f"CONN_MAX_AGE {args.conn_max_age}; " if args.conn_max_age is not None else "")
                + f"{args.concurrency} clients; total {time.monotonic() - started:.0f} s"
            )
            if args.json:
                args.json.write_text(
                    json.dumps(
                        {
                            "args": {k: str(v) for k, v in vars(args).items()},
                            "rows": [asdict(r) for r in rows],
                        },
                        indent=2,
                    )
                )
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
