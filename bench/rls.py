#!/usr/bin/env python3
"""What PostgreSQL's row level security costs: the loading benchmark's nested list and one-project
query, each against the same build and the same data, once with the server connected as the
tables' owner (the policies do not bind it; requests run as before) and once as a runtime role the
policies bind (every request in one transaction that names its actor first).

    python3 bench/rls.py --binary target/release/springboard [--reuse-db] [--rounds 2] [--duration 10]

It reuses bench/loading.py and bench/overload.py (imported, not copied): the same dataset, seeded
through the GraphQL API (500 projects, about 120,000 observations at --scale 1), the same wrk
scripts and response checks. The two modes alternate for --rounds rounds, so drift on the machine
falls on both; each figure reported is the median over the rounds. The overhead is
1 - (req/s with RLS) / (req/s without). Each server's connections are checked in pg_stat_activity
(the role they use) and its log (the owner mode warns that the policies do not bind it), so a
mistake in the set-up cannot pass for a result.

The runtime role (springboard_bench_runtime) is created by the server's own migration step, as
`springboard migrate` would for an operator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import statistics
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no bench/__pycache__ from the imports
import loading as L  # noqa: E402
import overload as O  # noqa: E402

RESULTS_PATH = os.path.join(L.BENCH_DIR, "rls-results.json")
O.SEED_INFO_PATH = os.path.join(L.BENCH_DIR, "rls-seed.json")
RUNTIME_ROLE = "springboard_bench_runtime"
OVERHEAD_TARGET = 0.15
QUERIES = ("nested", "project_by_id")

MODES = {
    # Connected as the owner (a superuser here): the policies do not bind, no request transaction.
    "without_rls": {"env": lambda db: {}, "user": L.PG_USER},
    # Connected as the runtime role, migrating as the owner.
    "with_rls": {
        "env": lambda db: {
            "DATABASE_URL": L.database_url(db).replace(f"://{L.PG_USER}@", f"://{RUNTIME_ROLE}@"),
            "SPRINGBOARD_MIGRATION_DATABASE_URL": L.database_url(db),
        },
        "user": RUNTIME_ROLE,
    },
}


def log(msg: str) -> None:
    L.log(msg)


def check_mode(server: L.Server, mode: str, db: str) -> None:
    """The server's pool must be connected as the mode's role, and only the owner mode may log
    that the policies do not bind it."""
    user = MODES[mode]["user"]
    connected = L.psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}' AND usename = '{user}' "
                       f"AND pid <> pg_backend_pid()", db="postgres")
    with open(server.log_path, "rb") as f:
        warned = b"row level security does not bind" in f.read()
    if connected in ("", "0") or warned != (mode == "without_rls"):
        raise L.BenchError(f"{server.label}: expected connections as {user} (found {connected}) and the "
                           f"not-binding warning {'present' if mode == 'without_rls' else 'absent'}:\n{server.log_tail()}")


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of the processes, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass  # a backend that ended meanwhile
    return total / tick


def backend_pids(db: str) -> list[int]:
    rows = L.psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()",
                  db="postgres")
    return [int(x) for x in rows.split()]


def measure_mode(mode: str, round_no: int, binary: str, db: str, info: dict, args, workdir: str, jwt: str,
                 extra_env: dict[str, str]) -> dict:
    env = {**extra_env, **MODES[mode]["env"](db)}
    server = L.Server(binary, db, workdir, f"{mode}-{round_no}", jwt, env)
    out: dict = {}
    try:
        server.start()
        check_mode(server, mode, db)
        token = L.sign_in_funder(server.port, info)
        for q in [q for q in L.query_defs(info, token) if q["name"] in QUERIES]:
            status, parsed, raw = L.post_body(server.port, q["body"], q["token"])
            facts = L.check_response(q, status, parsed, raw, info)
            script = L.write_lua(workdir, f"{mode}-{q['name']}", q["body"], q["token"])
            L.run_wrk(server.port, script, args.connections, 2.0)  # warm-up, not reported
            # CPU per request splits the cost between this server and PostgreSQL; on two shared
            # cores it varies less from run to run than requests per second do.
            pids = backend_pids(db)
            before = (cpu_seconds([server.proc.pid]), cpu_seconds(pids))
            result, _ = L.run_wrk(server.port, script, args.connections, args.duration)
            after = (cpu_seconds([server.proc.pid]), cpu_seconds(pids))
            done = max(1, result.get("requests", 0) or round(result["requests_per_s"] * args.duration))
            result["server_cpu_ms_per_request"] = round(1000 * (after[0] - before[0]) / done, 3)
            result["postgres_cpu_ms_per_request"] = round(1000 * (after[1] - before[1]) / done, 3)
            result["facts"] = facts
            out[q["name"]] = result
            log(f"  {mode} round {round_no} {q['name']}: {result['requests_per_s']:.1f} req/s, "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, non-2xx {result['non_2xx']}, "
                f"CPU per request: server {result['server_cpu_ms_per_request']:.3f} ms, "
                f"PostgreSQL {result['postgres_cpu_ms_per_request']:.3f} ms")
            if result["non_2xx"] or any(result["socket_errors"].values()):
                raise L.BenchError(f"{mode} {q['name']}: failed answers under load: {result}")
    except BaseException:
        print(f"\nserver log tail ({server.log_path}):\n{server.log_tail(30)}", file=sys.stderr)
        raise
    finally:
        server.stop()
    return out


def summarize(results: dict) -> str:
    lines = [f"row level security overhead ({results['args']['rounds']} rounds of {results['args']['duration']:.0f} s, "
             f"{results['args']['connections']} connections; medians)", ""]
    lines.append(f"{'query':<16}{'without RLS':>22}{'with RLS':>22}{'req/s change':>16}{'target':>10}")
    for name in QUERIES:
        s = results.get("summary", {}).get(name)
        if not s:
            continue
        lines.append(
            f"{name:<16}{s['without_rls']['requests_per_s']:>10.1f} req/s p99 {s['without_rls']['p99_ms']:>5.0f}"
            f"{s['with_rls']['requests_per_s']:>10.1f} req/s p99 {s['with_rls']['p99_ms']:>5.0f}"
            f"{-100 * s['overhead']:>15.1f}%{'met' if s['overhead'] <= OVERHEAD_TARGET else 'NOT MET':>10}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=L.DEFAULT_BINARY, help="server under test (default target/release/springboard)")
    ap.add_argument("--db", default="springboard_rls", help="database (default springboard_rls)")
    ap.add_argument("--scale", type=float, default=1.0, help="dataset size relative to 500 projects")
    ap.add_argument("--duration", type=float, default=10, help="seconds per measured wrk run (default 10)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds of both modes (default 2)")
    ap.add_argument("--reuse-db", action="store_true", help="use --db as it is if it exists (and keep it)")
    ap.add_argument("--keep", action="store_true", help="leave the database in place")
    ap.add_argument("--timeout", type=float, default=3600, help="global timeout in seconds (default 3600)")
    ap.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for every server started (repeatable)")
    args = ap.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", args.db):
        raise SystemExit("--db must be lower-case letters, digits and underscores")
    if args.duration < 1 or args.connections < 1 or args.rounds < 1:
        raise SystemExit("--duration, --connections and --rounds must be positive")
    extra_env = L.parse_server_env(args.server_env)
    binary = (os.path.join(L.REPO, L.DEFAULT_BINARY) if args.binary == L.DEFAULT_BINARY
              else os.path.abspath(args.binary))
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not an executable file (this script does not build)")

    L.start_deadline(args.timeout)
    jwt = L.random_jwt_secrets("rls")
    results: dict = {
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "args": {**vars(args), "binary": binary, "server_env": extra_env},
        "machine": {"cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "rounds": [],
        "errors": [],
    }
    workdir = tempfile.mkdtemp(prefix="springboard-rls-")
    log(f"work directory (server logs, wrk scripts): {workdir}")
    created = False
    rc = 0
    try:
        if args.reuse_db and L.db_exists(args.db):
            log(f"reusing database {args.db}")
            info = O.reuse_info(args.db)
            if "project_id" not in info:
                raise L.BenchError(f"{O.SEED_INFO_PATH} does not describe {args.db}; run without --reuse-db")
        else:
            created = True
            info = O.seed_db(binary, args.db, args.scale, workdir, jwt, extra_env)
        results["seeding"] = {k: info.get(k) for k in ("counts", "funder_email", "project_id")}
        for round_no in range(1, args.rounds + 1):
            for mode in MODES:
                results["rounds"].append({"mode": mode, "round": round_no, **measure_mode(
                    mode, round_no, binary, args.db, info, args, workdir, jwt, extra_env)})
        summary: dict = {}
        for name in QUERIES:
            per_mode = {}
            for mode in MODES:
                runs = [r[name] for r in results["rounds"] if r["mode"] == mode]
                per_mode[mode] = {"requests_per_s": statistics.median(r["requests_per_s"] for r in runs),
                                  "p99_ms": statistics.median(r["p99_ms"] for r in runs)}
            per_mode["overhead"] = round(
                1 - per_mode["with_rls"]["requests_per_s"] / per_mode["without_rls"]["requests_per_s"], 4)
            summary[name] = per_mode
        results["summary"] = summary
    except (Exception, KeyboardInterrupt) as e:
        rc = 1
        results["errors"].append(f"{type(e).__name__}: {e}")
        if not isinstance(e, L.BenchError):
            traceback.print_exc()
        print(f"\nERROR: {e}", file=sys.stderr, flush=True)
    finally:
        signal.alarm(0)
        L.DEADLINE = L.Deadline(300)
        if created and not args.keep:
            L.drop_db(args.db)
            log(f"dropped database {args.db}")
        text = summarize(results)
        L.write_results(RESULTS_PATH, results, text)
    print("\n" + text)
    print(f"\nresults written to {RESULTS_PATH}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
