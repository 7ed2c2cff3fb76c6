#!/usr/bin/env python3
"""Springboard under overload: does the server stay responsive when far more clients ask for
heavy nested lists than it can serve? (PostgreSQL; standard library only, Python 3.11.)

    python3 bench/overload.py [--binary target/release/springboard] [--db springboard_overload]
                              [--scale 1.0] [--duration 10] [--overload-seconds 20]
                              [--connections 256] [--idle-after 30] [--deadline-ms 5000]
                              [--reuse-db] [--keep] [--timeout 3600] [--server-env KEY=VALUE ...]

It reuses bench/loading.py (imported, not copied): the same dataset seeded through the GraphQL
API (500 projects, 2,500 measures, 120,120 observations at scale 1.0), the same funder admin
token, and the same nested query (projects(first: 50) x measures x observations(last: 24), about
6,000 nodes). It does NOT build anything: point --binary at a release build.

Phases, on one freshly started server (`springboard serve`, PostgreSQL, the --server-env extras
and SPRINGBOARD_REQUEST_DEADLINE_MS=--deadline-ms):

1. baseline: wrk, 16 connections, --duration seconds (after a 2 s warm-up) on the nested query:
   served req/s (2xx answers without GraphQL `errors`), p50/p99 from wrk.
2. 5 s idle, then RSS "before" (VmRSS, VmHWM from /proc/PID/status).
3. overload: wrk, --connections (256) connections, --overload-seconds (20) s, `--timeout 10s`.
   A Lua `response()` counts statuses, the `extensions.code` values SERVICE_UNAVAILABLE and
   DEADLINE_EXCEEDED, and Retry-After headers. /metrics is read before and after
   (springboard_admission_refused_total, springboard_deadline_exceeded_total: missing = 0;
   the served Nested operations' latency histogram). Meanwhile a Python thread probes every
   0.5 s with two timed requests on new connections (http.client, 15 s timeout): GET /readyz,
   and POST /graphql `{ __typename }` with the funder token; and another thread samples the
   server's VmRSS every 0.25 s.
4. RSS at the end of the load, 5 s later and --idle-after (30) s later.

Targets (MET / NOT MET / UNKNOWN): probe worst latency <= 100 ms (and every probe answered 200);
served overload req/s >= 90 % of the 16-connection rate; peak RSS <= 256 MiB; RSS after
--idle-after s <= 1.2 x RSS before; no request waited past its deadline (wrk max latency <=
deadline + 1 s, and no wrk timeouts).

Seeding: drops and recreates --db and seeds it like loading.py, unless --reuse-db is given and
the database exists (then the funder comes from bench/overload-seed.json, written after every
seeding, or else from the database itself). The database is dropped at the end unless --keep or
--reuse-db is given. The summary is printed and, with every raw number, written to
bench/overload-results.json. Every server started is stopped (also on errors, Ctrl-C, SIGTERM
and the global --timeout). Exit status 1 when a phase failed (targets not met do not count).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import re
import signal
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no bench/__pycache__ from importing loading.py
import loading as L  # noqa: E402

RESULTS_PATH = os.path.join(L.BENCH_DIR, "overload-results.json")
SEED_INFO_PATH = os.path.join(L.BENCH_DIR, "overload-seed.json")

BASELINE_CONNECTIONS = 16
IDLE_BEFORE_S = 5.0
AFTER_SHORT_S = 5.0
PROBE_INTERVAL_S = 0.5
PROBE_TIMEOUT_S = 15.0
PROBE_LEAD_S = 1.0  # the probe runs alone this long before the overload (unloaded reference)
RSS_INTERVAL_S = 0.25

PROBE_LATENCY_TARGET_MS = 100.0
THROUGHPUT_TARGET = 0.90
PEAK_RSS_TARGET_MIB = 256.0
RSS_AFTER_FACTOR = 1.2
DEADLINE_SLACK_MS = 1000.0

REFUSED_METRIC = "springboard_admission_refused_total"
DEADLINE_METRIC = "springboard_deadline_exceeded_total"
LATENCY_METRIC = "springboard_graphql_request_duration_seconds_bucket"

# Appended to loading.py's request script: counts answers per status and per error code, in
# every wrk thread, and prints the totals from done() as one line the script parses.
COUNTER_KEYS = ["responses", "s2xx", "s2xx_errors", "s429", "s503", "s4xx_other", "s5xx_other", "s_other",
                "code_unavailable", "code_deadline", "code_other", "retry_after"]
LUA_COUNTERS = r"""
local threads = {}
local keys = {%(keys)s}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for _, k in ipairs(keys) do _G[k] = 0 end
end

function response(status, headers, body)
  responses = responses + 1
  if status >= 200 and status < 300 then
    if body and string.find(body, '"errors":', 1, true) then
      s2xx_errors = s2xx_errors + 1
    else
      s2xx = s2xx + 1
    end
    return
  end
  if status == 429 then s429 = s429 + 1
  elseif status == 503 then s503 = s503 + 1
  elseif status >= 400 and status < 500 then s4xx_other = s4xx_other + 1
  elseif status >= 500 then s5xx_other = s5xx_other + 1
  else s_other = s_other + 1 end
  if headers["Retry-After"] or headers["retry-after"] then retry_after = retry_after + 1 end
  if body and string.find(body, '"SERVICE_UNAVAILABLE"', 1, true) then
    code_unavailable = code_unavailable + 1
  elseif body and string.find(body, '"DEADLINE_EXCEEDED"', 1, true) then
    code_deadline = code_deadline + 1
  else
    code_other = code_other + 1
  end
end

function done(summary, latency, requests)
  local parts = {}
  for _, k in ipairs(keys) do
    local total = 0
    for _, t in ipairs(threads) do total = total + (tonumber(t:get(k)) or 0) end
    table.insert(parts, k .. "=" .. string.format("%%d", total))
  end
  io.write("OVERLOAD_COUNTS " .. table.concat(parts, " ") .. "\n")
end
"""


def log(msg: str) -> None:
    L.log(msg)


def sleep_for(seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while True:
        L.DEADLINE.check(what)
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.5, left))


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(pct / 100.0 * len(s)) - 1))]


def rnd(x, nd=1):
    return None if x is None else round(x, nd)


# --------------------------------------------------------------------------------------------
# wrk with counters


# With --honour-retry-after: a client told 503 waits the Retry-After second before its next
# request, as a well-behaved script does. wrk keeps one Lua state per thread, so each 503 delays
# the thread's next request (whichever connection sends it) by a second: the same pause, shared
# out among that thread's connections.
LUA_BACKOFF = r"""
local backoffs = 0
local counted_response = response
function response(status, headers, body)
  if status == 503 then backoffs = backoffs + 1 end
  counted_response(status, headers, body)
end

function delay()
  if backoffs > 0 then
    backoffs = backoffs - 1
    return 1000
  end
  return 0
end
"""


def write_counting_lua(workdir: str, name: str, body: str, token: str, backoff: bool = False) -> str:
    path = L.write_lua(workdir, name, body, token)
    with open(path, "a") as f:
        f.write(LUA_COUNTERS % {"keys": ", ".join(f'"{k}"' for k in COUNTER_KEYS)})
        if backoff:
            f.write(LUA_BACKOFF)
    return path


def wrk_phase(port: int, script: str, connections: int, seconds: float) -> dict:
    result, raw = L.run_wrk(port, script, connections, seconds)
    m = re.search(r"^OVERLOAD_COUNTS (.*)$", raw, flags=re.M)
    if m:
        result["counts"] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}
    else:
        result["counts"] = None
    result["connections"] = connections
    result["raw"] = raw
    elapsed_s = (result.get("elapsed_ms") or seconds * 1000.0) / 1000.0
    served = result["counts"]["s2xx"] if result["counts"] else result.get("requests", 0) - result["non_2xx"]
    result["served"] = served
    result["served_per_s"] = round(served / elapsed_s, 2) if elapsed_s > 0 else None
    return result


# --------------------------------------------------------------------------------------------
# /metrics


def metric_present(m: dict[str, float], name: str) -> bool:
    return any(k.split("{", 1)[0] == name for k in m)


def labels_of(key: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', key.partition("{")[2]))


def latency_buckets(m: dict[str, float], operation: str, outcome: str) -> dict[float, float]:
    out: dict[float, float] = {}
    for key, value in m.items():
        if key.split("{", 1)[0] != LATENCY_METRIC:
            continue
        lb = labels_of(key)
        if lb.get("operation") == operation and lb.get("outcome") == outcome and "le" in lb:
            le = math.inf if lb["le"] == "+Inf" else float(lb["le"])
            out[le] = out.get(le, 0.0) + value
    return out


def histogram_quantiles(before: dict[float, float], after: dict[float, float]) -> dict:
    """The served operations' latency between two readings, as bucket upper bounds."""
    delta = {le: after.get(le, 0.0) - before.get(le, 0.0) for le in after}
    total = delta.get(math.inf, max(delta.values(), default=0.0))
    res: dict = {"count": int(total)}
    for name, q in (("p50_le_ms", 0.50), ("p99_le_ms", 0.99)):
        val = None
        if total > 0:
            for le in sorted(delta):
                if delta[le] >= q * total:
                    val = le * 1000.0 if le != math.inf else math.inf
                    break
        res[name] = None if val is None else ("+Inf" if val == math.inf else round(val, 1))
    return res


def metrics_snapshot(port: int) -> dict[str, float]:
    try:
        return L.metrics(port)
    except (L.BenchError, OSError, http.client.HTTPException) as e:
        log(f"  could not read /metrics: {e}")
        return {}


def counter_deltas(before: dict[str, float], after: dict[str, float]) -> dict:
    out = {}
    for name in (REFUSED_METRIC, DEADLINE_METRIC):
        present = metric_present(after, name)
        out[name] = {"present": present,
                     "delta": int(L.metric_sum(after, name) - L.metric_sum(before, name)) if present else 0}
    out["graphql_requests_total"] = {
        o: int(L.metric_sum(after, "springboard_graphql_requests_total", f'outcome="{o}"')
               - L.metric_sum(before, "springboard_graphql_requests_total", f'outcome="{o}"'))
        for o in ("ok", "error", "rejected")}
    # every other counter that moved, for the record
    moved = {}
    for key, value in after.items():
        if key.split("{", 1)[0].endswith("_total") and value != before.get(key, 0.0):
            moved[key] = value - before.get(key, 0.0)
    out["all_counters_moved"] = moved
    return out


# --------------------------------------------------------------------------------------------
# Probe and RSS sampler threads


def probe_once(port: int, kind: str, token: str) -> dict:
    if kind == "readyz":
        method, path, body, headers = "GET", "/readyz", None, {}
    else:
        method, path = "POST", "/graphql"
        body = json.dumps({"query": L.QUERY_TYPENAME}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "Authorization": f"Bearer {token}"}
    started = time.monotonic()
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT_S)
    sample: dict = {"kind": kind, "start": started}
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        sample["ms"] = (time.perf_counter() - t0) * 1000.0
        sample["status"] = resp.status
        ok = resp.status == 200
        if ok and kind == "typename":
            try:
                parsed = json.loads(data)
                ok = (isinstance(parsed, dict) and not parsed.get("errors")
                      and (parsed.get("data") or {}).get("__typename") == "Query")
            except ValueError:
                ok = False
        sample["ok"] = ok
        if not ok:
            sample["body"] = data[:300].decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as e:
        sample["ms"] = (time.perf_counter() - t0) * 1000.0
        sample["status"] = None
        sample["ok"] = False
        sample["error"] = repr(e)
    finally:
        conn.close()
    return sample


class Probe(threading.Thread):
    def __init__(self, port: int, token: str):
        super().__init__(name="probe", daemon=True)
        self.port, self.token = port, token
        self.samples: list[dict] = []
        self.missed_ticks = 0
        self.stop_event = threading.Event()
        self.failure: str | None = None

    def run(self) -> None:
        try:
            next_tick = time.monotonic()
            while not self.stop_event.is_set():
                for kind in ("readyz", "typename"):
                    self.samples.append(probe_once(self.port, kind, self.token))
                next_tick += PROBE_INTERVAL_S
                now = time.monotonic()
                if next_tick < now:
                    missed = int((now - next_tick) // PROBE_INTERVAL_S) + 1
                    self.missed_ticks += missed
                    next_tick += missed * PROBE_INTERVAL_S
                self.stop_event.wait(max(0.0, next_tick - time.monotonic()))
        except Exception as e:  # recorded; the main thread reports it
            self.failure = f"{type(e).__name__}: {e}"


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(name="rss", daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []  # (monotonic, VmRSS MiB)
        self.last_status: dict = {}
        self.stop_event = threading.Event()
        self.failure: str | None = None

    def run(self) -> None:
        while True:
            try:
                st = L.proc_status(self.pid)
                self.last_status = st
                self.samples.append((time.monotonic(), st.get("VmRSS_MiB", 0.0)))
            except OSError as e:
                self.failure = f"/proc/{self.pid}/status unreadable: {e}"
                return
            if self.stop_event.wait(RSS_INTERVAL_S):
                return


def probe_stats(samples: list[dict]) -> dict:
    lat = [s["ms"] for s in samples if s.get("status") is not None]
    failed = [s for s in samples if not s.get("ok")]
    return {
        "requests": len(samples),
        "failed_or_non_200": len(failed),
        "no_answer": sum(1 for s in samples if s.get("status") is None),
        "statuses": {str(k): sum(1 for s in samples if s.get("status") == k)
                     for k in sorted({s.get("status") for s in samples}, key=lambda x: (x is None, x or 0))},
        "p50_ms": rnd(percentile(lat, 50), 2),
        "p99_ms": rnd(percentile(lat, 99), 2),
        # a request that got no answer counts with the time it took to fail
        "worst_ms": rnd(max((s["ms"] for s in samples), default=None), 2),
        "failures": [{k: v for k, v in s.items() if k != "start"} for s in failed[:10]],
    }


# --------------------------------------------------------------------------------------------
# Seeding or reuse


def funder_from_db(db: str) -> dict:
    slug = L.psql("SELECT slug FROM institutions WHERE slug LIKE 'loading-funder-%' ORDER BY slug LIMIT 1", db=db)
    if not slug:
        raise L.BenchError(f"no seeded funder (slug loading-funder-*) in {db}; run without --reuse-db to reseed")
    return {"funder_slug": slug, "funder_email": f"admin@{slug}.example.org"}


def reuse_info(db: str) -> dict:
    info: dict = {}
    try:
        with open(SEED_INFO_PATH) as f:
            saved = json.load(f)
        if saved.get("db") == db:
            info = saved
    except (OSError, ValueError):
        pass
    if info.get("funder_slug"):
        found = L.psql(f"SELECT count(*) FROM institutions WHERE slug = '{info['funder_slug']}'", db=db)
        if found != "1":
            log(f"  {SEED_INFO_PATH} names funder {info['funder_slug']}, not in {db}: looking it up instead")
            info = {}
    if not info:
        info = funder_from_db(db)
        info["source"] = "database"
    else:
        info["source"] = SEED_INFO_PATH
    counts = L.table_counts(db)
    if counts["projects"] < 1 or counts["observations"] < 1:
        raise L.BenchError(f"{db} holds no seeded data ({counts}); run without --reuse-db to reseed")
    info["counts"] = counts
    info["targets"] = {**info.get("targets", {}), "projects": counts["projects"]}
    return info


def seed_db(binary: str, db: str, scale: float, workdir: str, jwt: str, extra_env: dict[str, str]) -> dict:
    log(f"recreating database {db}")
    L.drop_db(db)
    try:
        os.remove(SEED_INFO_PATH)
    except FileNotFoundError:
        pass
    L.psql(f"CREATE DATABASE {db}")
    L.create_admin(binary, db, jwt, extra_env)
    server = L.Server(binary, db, workdir, "seed", jwt, extra_env)
    try:
        server.start()
        info = L.seed(L.Client(server.port), scale, db)
    except BaseException:
        print(f"\nseed server log tail ({server.log_path}):\n{server.log_tail(30)}", file=sys.stderr)
        raise
    finally:
        server.stop()
    info["seeded_with"] = binary
    saved = {"db": db, "scale": scale, "seeded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             **{k: info[k] for k in ("run_id", "funder_email", "funder_slug", "project_id", "counts", "targets",
                                     "months", "seeded_with")}}
    with open(SEED_INFO_PATH, "w") as f:
        json.dump(saved, f, indent=2)
        f.write("\n")
    log(f"seed facts written to {SEED_INFO_PATH}")
    return info


# --------------------------------------------------------------------------------------------
# The run


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(res: dict, binary: str, db: str, info: dict, args, workdir: str, jwt: str,
            env: dict[str, str]) -> None:
    """Fills `res` as it goes, so a failure still leaves what was measured."""
    server = L.Server(binary, db, workdir, "under-test", jwt, env)
    probe: Probe | None = None
    sampler: RssSampler | None = None
    mem: dict = {}
    res["memory"] = mem
    try:
        server.start()
        res["server_log"] = server.log_path
        res["server_pid"] = server.pid
        mem["at_start"] = L.proc_status(server.pid)
        token = L.sign_in_funder(server.port, info)
        q = {"name": "nested", "body": json.dumps({"query": L.QUERY_NESTED}), "token": token}  # as L.query_defs
        status, parsed, raw = L.post_body(server.port, q["body"], token)
        res["check_before"] = L.check_response(q, status, parsed, raw, info)
        log(f"  nested query answers {res['check_before']}")
        script = write_counting_lua(workdir, "overload-nested", q["body"], token)
        overload_script = write_counting_lua(workdir, "overload-nested-backoff", q["body"], token, backoff=True) \
            if args.honour_retry_after else script
        res["wrk_script"] = script

        # 1. baseline
        warm = wrk_phase(server.port, script, BASELINE_CONNECTIONS, L.WARMUP_S)
        res["warmup"] = {k: v for k, v in warm.items() if k != "raw"}
        if warm["counts"] is None:
            log("  wrk printed no OVERLOAD_COUNTS line (the Lua counters failed?); "
                "served = requests - non-2xx instead")
        before = metrics_snapshot(server.port)
        log(f"baseline: {BASELINE_CONNECTIONS} connections for {args.duration:.0f} s")
        cpu_before, busy_before, t0 = cpu_seconds(server.pid), machine_busy_seconds(), time.monotonic()
        base = wrk_phase(server.port, script, BASELINE_CONNECTIONS, args.duration)
        base["cpu"] = {"server_s": round(cpu_seconds(server.pid) - cpu_before, 2),
                       "machine_busy_s": round(machine_busy_seconds() - busy_before, 2),
                       "machine_capacity_s": round((time.monotonic() - t0) * (os.cpu_count() or 1), 2)}
        base["server_counters"] = counter_deltas(before, metrics_snapshot(server.port))
        res["baseline"] = base
        log(f"  baseline: served {base['served_per_s']} req/s ({base['served']} served of "
            f"{base.get('requests')}), p50 {base['p50_ms']} ms, p99 {base['p99_ms']} ms, non-2xx {base['non_2xx']}, "
            f"socket errors {base['socket_errors']}")
        log(f"  CPU during the baseline: server {base['cpu']['server_s']} s, whole machine busy "
            f"{base['cpu']['machine_busy_s']} s of {base['cpu']['machine_capacity_s']} s")

        # 2. idle, RSS before
        log(f"idle {IDLE_BEFORE_S:.0f} s")
        sleep_for(IDLE_BEFORE_S, "idle before the overload")
        mem["before"] = L.proc_status(server.pid)
        log(f"  RSS before the overload: {mem['before']}")

        # 3. overload, with the probe and the RSS sampler
        before = metrics_snapshot(server.port)
        sampler = RssSampler(server.pid)
        sampler.start()
        probe = Probe(server.port, token)
        probe.start()
        sleep_for(PROBE_LEAD_S, "probe lead")
        log(f"overload: {args.connections} connections for {args.overload_seconds:.0f} s "
            f"(probe every {PROBE_INTERVAL_S} s, RSS every {RSS_INTERVAL_S} s)")
        t_start = time.monotonic()
        cpu_before, busy_before = cpu_seconds(server.pid), machine_busy_seconds()
        try:
            over = wrk_phase(server.port, overload_script, args.connections, args.overload_seconds)
        finally:
            t_end = time.monotonic()
            server_cpu = cpu_seconds(server.pid) - cpu_before
            machine_busy = machine_busy_seconds() - busy_before
            probe.stop_event.set()
            sampler.stop_event.set()
            probe.join(timeout=PROBE_TIMEOUT_S * 2 + 5)
            sampler.join(timeout=5)
        mem["end_of_load"] = L.proc_status(server.pid)
        after = metrics_snapshot(server.port)
        over["server_counters"] = counter_deltas(before, after)
        over["served_nested_server_side"] = histogram_quantiles(latency_buckets(before, "Nested", "ok"),
                                                                latency_buckets(after, "Nested", "ok"))
        over["seconds_measured_by_script"] = round(t_end - t_start, 2)
        # Where the machine's CPU went: the server, and everything else (wrk, PostgreSQL, probe).
        over["cpu"] = {"server_s": round(server_cpu, 2), "machine_busy_s": round(machine_busy, 2),
                       "machine_capacity_s": round((t_end - t_start) * (os.cpu_count() or 1), 2)}
        res["overload"] = over
        c = over["counts"] or {}
        log(f"  overload: served {over['served_per_s']} req/s ({over['served']} served), non-2xx {over['non_2xx']} "
            f"(SERVICE_UNAVAILABLE {c.get('code_unavailable', '?')}, DEADLINE_EXCEEDED {c.get('code_deadline', '?')}), "
            f"socket errors {over['socket_errors']}, wrk p99 {over['p99_ms']} ms, max {over.get('latency_max_ms')} ms")
        log(f"  CPU during the overload: server {over['cpu']['server_s']} s, whole machine busy "
            f"{over['cpu']['machine_busy_s']} s of {over['cpu']['machine_capacity_s']} s")

        during = [s for s in probe.samples if t_start <= s["start"] <= t_end]
        pre = [s for s in probe.samples if s["start"] < t_start]
        res["probe"] = {
            "interval_s": PROBE_INTERVAL_S, "timeout_s": PROBE_TIMEOUT_S, "missed_ticks": probe.missed_ticks,
            "thread_failure": probe.failure, "still_running": probe.is_alive(),
            "during": {k: probe_stats([s for s in during if s["kind"] == k]) for k in ("readyz", "typename")},
            "unloaded_before": {k: probe_stats([s for s in pre if s["kind"] == k]) for k in ("readyz", "typename")},
            "timeline": [{"t_s": round(s["start"] - t_start, 3), "kind": s["kind"], "status": s.get("status"),
                          "ms": round(s["ms"], 2)} for s in probe.samples],
        }
        for k in ("readyz", "typename"):
            st = res["probe"]["during"][k]
            log(f"  probe {k}: {st['requests']} requests, {st['failed_or_non_200']} failed/non-200, "
                f"p50 {st['p50_ms']} ms, p99 {st['p99_ms']} ms, worst {st['worst_ms']} ms")

        in_load = [(t, v) for t, v in sampler.samples if t_start <= t <= t_end]
        mem["peak_during_sampled"] = {"VmRSS_MiB": max((v for _, v in in_load), default=None),
                                      "samples": len(in_load)}
        mem["rss_timeline"] = [(round(t - t_start, 2), v) for t, v in sampler.samples]
        mem["sampler_failure"] = sampler.failure
        log(f"  RSS peak during the overload {mem['peak_during_sampled']['VmRSS_MiB']} MiB (sampled), "
            f"at the end {mem['end_of_load']}")

        # 4. after
        marks = sorted({AFTER_SHORT_S, float(args.idle_after)})
        for mark in marks:
            sleep_for(max(0.0, t_end + mark - time.monotonic()), "idle after the overload")
            if not server.alive():
                raise L.BenchError(f"the server died after the overload:\n{server.log_tail()}")
            mem[f"after_{mark:g}s"] = L.proc_status(server.pid)
            log(f"  RSS {mark:g} s after the load: {mem[f'after_{mark:g}s']}")

        status, parsed, raw = L.post_body(server.port, q["body"], token)
        res["check_after"] = L.check_response(q, status, parsed, raw, info)
    finally:
        for t in (probe, sampler):
            if t is not None:
                t.stop_event.set()
        res["server_alive_at_end"] = server.alive()
        if server.proc is not None and not server.alive():
            res["server_exit_code"] = server.proc.returncode
            res["server_log_tail"] = server.log_tail(40)
        server.stop()


# --------------------------------------------------------------------------------------------
# Targets and summary


def fmt(x, spec=".1f", none="-") -> str:
    if x is None:
        return none
    if isinstance(x, str):
        return x
    return format(x, spec)


def evaluate(res: dict, args) -> list[dict]:
    checks = []

    def add(target: str, ok: bool | None, detail: str):
        checks.append({"target": target, "status": "MET" if ok else ("NOT MET" if ok is not None else "UNKNOWN"),
                       "detail": detail})

    probe = (res.get("probe") or {}).get("during") or {}
    r, t = probe.get("readyz") or {}, probe.get("typename") or {}
    if r.get("requests") and t.get("requests"):
        worst = max(r["worst_ms"], t["worst_ms"])
        failed = r["failed_or_non_200"] + t["failed_or_non_200"]
        add(f"probe worst latency <= {PROBE_LATENCY_TARGET_MS:.0f} ms",
            worst <= PROBE_LATENCY_TARGET_MS and failed == 0,
            f"worst {worst:.1f} ms (/readyz {r['worst_ms']:.1f}, typename {t['worst_ms']:.1f}); "
            f"{failed} probe requests failed or non-200")
    else:
        add(f"probe worst latency <= {PROBE_LATENCY_TARGET_MS:.0f} ms", None, "no probe samples")

    base = (res.get("baseline") or {}).get("served_per_s")
    over = (res.get("overload") or {}).get("served_per_s")
    add(f"served overload req/s >= {THROUGHPUT_TARGET:.0%} of the {BASELINE_CONNECTIONS}-connection rate",
        (over >= THROUGHPUT_TARGET * base) if base and over is not None else None,
        f"{fmt(over)} vs {fmt(base)} req/s = {fmt(over / base * 100 if base and over is not None else None)} %")

    mem = res.get("memory") or {}
    peak_sampled = (mem.get("peak_during_sampled") or {}).get("VmRSS_MiB")
    hwm = (mem.get("end_of_load") or {}).get("VmHWM_MiB")
    peaks = [x for x in (peak_sampled, hwm) if x is not None]
    peak = max(peaks) if peaks else None
    add(f"peak RSS <= {PEAK_RSS_TARGET_MIB:.0f} MiB", (peak <= PEAK_RSS_TARGET_MIB) if peak is not None else None,
        f"{fmt(peak)} MiB (sampled VmRSS peak {fmt(peak_sampled)}, VmHWM at the end of the load {fmt(hwm)})")

    before = (mem.get("before") or {}).get("VmRSS_MiB")
    after = (mem.get(f"after_{float(args.idle_after):g}s") or {}).get("VmRSS_MiB")
    ratio = after / before if before and after is not None else None
    add(f"RSS {args.idle_after:g} s after <= {RSS_AFTER_FACTOR} x RSS before",
        (ratio <= RSS_AFTER_FACTOR) if ratio is not None else None,
        f"{fmt(after)} MiB vs {fmt(before)} MiB = x{fmt(ratio, '.2f')}")

    ov = res.get("overload") or {}
    mx = ov.get("latency_max_ms")
    timeouts = (ov.get("socket_errors") or {}).get("timeout")
    limit = args.deadline_ms + DEADLINE_SLACK_MS
    add("no request waited past its deadline",
        (mx <= limit and timeouts == 0) if mx is not None and timeouts is not None else None,
        f"wrk max latency {fmt(mx)} ms vs deadline {args.deadline_ms} + {DEADLINE_SLACK_MS:.0f} ms; "
        f"wrk timeouts (> 10 s) {fmt(timeouts, 'd')}")
    return checks


def summarize(results: dict, args) -> str:
    lines: list[str] = []
    res = results.get("run") or {}
    s = results.get("seeding") or {}
    if s:
        how = f"reused ({s.get('source')})" if s.get("reused") else f"seeded in {s.get('seconds')} s"
        lines.append(f"database {args.db}: {how}; counts {s.get('counts')}")
    lines.append(f"server: {results['args']['binary']}, deadline {args.deadline_ms} ms, "
                 f"extra env {results['args']['server_env'] or '{}'}")
    b = res.get("baseline") or {}
    if b:
        lines.append("")
        lines.append(f"baseline, {BASELINE_CONNECTIONS} connections, {args.duration:g} s (nested query):")
        lines.append(f"  served {fmt(b.get('served_per_s'))} req/s = {b.get('served')} answers 2xx without errors of "
                     f"{b.get('requests')} (wrk's Requests/sec over all answers: {fmt(b.get('requests_per_s'))})")
        lines.append(f"  latency (wrk, every answer): p50 {fmt(b.get('p50_ms'))} ms, p99 {fmt(b.get('p99_ms'))} ms; "
                     f"non-2xx {b.get('non_2xx')}; socket errors {b.get('socket_errors')}")
    o = res.get("overload") or {}
    if o:
        c = o.get("counts") or {}
        sc = o.get("server_counters") or {}
        lines.append("")
        lines.append(f"overload, {args.connections} connections, {args.overload_seconds:g} s (wrk --timeout 10s):")
        lines.append(f"  served {fmt(o.get('served_per_s'))} req/s = {o.get('served')} answers 2xx without errors"
                     f" (2xx with GraphQL errors: {c.get('s2xx_errors', '?')})")
        lines.append(f"  refused (non-2xx answers): {o.get('non_2xx')}: extensions.code SERVICE_UNAVAILABLE "
                     f"{c.get('code_unavailable', '?')}, DEADLINE_EXCEEDED {c.get('code_deadline', '?')}, other "
                     f"{c.get('code_other', '?')}; statuses 503 {c.get('s503', '?')}, 429 {c.get('s429', '?')}, "
                     f"other 4xx "
                     f"{c.get('s4xx_other', '?')}, other 5xx {c.get('s5xx_other', '?')}; with Retry-After "
                     f"{c.get('retry_after', '?')}")

        def counter(name):
            d = sc.get(name) or {}
            return f"{d.get('delta', 0)}" + ("" if d.get("present") else " (metric absent: 0)")
        lines.append(f"  server counters during the overload: {REFUSED_METRIC} +{counter(REFUSED_METRIC)}, "
                     f"{DEADLINE_METRIC} +{counter(DEADLINE_METRIC)}; "
                     f"graphql outcomes {sc.get('graphql_requests_total')}")
        lines.append(f"  wrk socket errors (no answer): {o.get('socket_errors')}")
        lines.append(f"  latency (wrk, every answer: served AND refused): p50 {fmt(o.get('p50_ms'))} ms, "
                     f"p99 {fmt(o.get('p99_ms'))} ms, max {fmt(o.get('latency_max_ms'))} ms")
        h = o.get("served_nested_server_side") or {}
        lines.append(f"  served Nested operations as the server timed them (/metrics histogram, bucket bounds): "
                     f"{h.get('count')} ops, p50 <= {fmt(h.get('p50_le_ms'))} ms, p99 <= {fmt(h.get('p99_le_ms'))} ms")
    p = res.get("probe") or {}
    if p:
        lines.append("")
        lines.append(f"probe during the overload (every {PROBE_INTERVAL_S} s, new connection per request, "
                     f"{PROBE_TIMEOUT_S:.0f} s timeout; missed ticks {p.get('missed_ticks')}):")
        for k, label in (("readyz", "GET /readyz"), ("typename", "{ __typename } + token")):
            st = p["during"][k]
            un = p["unloaded_before"][k]
            lines.append(f"  {label:<24} {st['requests']:>4} requests, failed/non-200 {st['failed_or_non_200']}, "
                         f"p50 {fmt(st['p50_ms'])} ms, p99 {fmt(st['p99_ms'])} ms, worst {fmt(st['worst_ms'])} ms "
                         f"(unloaded, just before: worst {fmt(un['worst_ms'])} ms)")
    m = res.get("memory") or {}
    if m:
        g = lambda k, f="VmRSS_MiB": (m.get(k) or {}).get(f)  # noqa: E731
        lines.append("")
        lines.append(f"RSS MiB: at start {fmt(g('at_start'))}; before the overload {fmt(g('before'))} (VmHWM "
                     f"{fmt(g('before', 'VmHWM_MiB'))}); peak during (sampled every {RSS_INTERVAL_S} s) "
                     f"{fmt((m.get('peak_during_sampled') or {}).get('VmRSS_MiB'))}, VmHWM at the end "
                     f"{fmt(g('end_of_load', 'VmHWM_MiB'))}; at the end {fmt(g('end_of_load'))}"
                     + "".join(f"; {k[6:]} after {fmt(g(k))}" for k in m if k.startswith("after_")))
    for k in ("check_after",):
        if res.get(k):
            lines.append(f"nested answer after the overload: {res[k]}")
    if results.get("errors"):
        lines.append("")
        for e in results["errors"]:
            lines.append(f"FAILED: {e.splitlines()[0][:200]}")
    lines.append("")
    lines.append("targets:")
    for c in results.get("targets") or []:
        lines.append(f"  {c['status']:<8} {c['target']}: {c['detail']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=L.DEFAULT_BINARY, help="server under test (default target/release/springboard)")
    ap.add_argument("--db", default="springboard_overload", help="database (default springboard_overload)")
    ap.add_argument("--scale", type=float, default=1.0, help="dataset size relative to 500 projects (e.g. 0.05)")
    ap.add_argument("--duration", type=float, default=10,
                    help=f"seconds of the {BASELINE_CONNECTIONS}-connection baseline (default 10)")
    ap.add_argument("--overload-seconds", type=float, default=20, help="seconds of the overload (default 20)")
    ap.add_argument("--connections", type=int, default=256, help="wrk connections during the overload (default 256)")
    ap.add_argument("--idle-after", type=float, default=30, help="seconds after the load for the last RSS reading")
    ap.add_argument("--deadline-ms", type=int, default=5000,
                    help="SPRINGBOARD_REQUEST_DEADLINE_MS for the server under test (default 5000)")
    ap.add_argument("--reuse-db", action="store_true", help="use --db as it is if it exists (and keep it)")
    ap.add_argument("--honour-retry-after", action="store_true",
                    help="overload clients wait the Retry-After second after a 503 (default: they retry at once)")
    ap.add_argument("--keep", action="store_true", help="leave the database in place")
    ap.add_argument("--timeout", type=float, default=3600, help="global timeout in seconds (default 3600)")
    ap.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for every server started (repeatable)")
    args = ap.parse_args()

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", args.db):
        raise SystemExit("--db must be lower-case letters, digits and underscores (at most 41 characters)")
    if not (0 < args.scale <= 10):
        raise SystemExit("--scale must be in (0, 10]")
    if args.duration < 1 or args.overload_seconds < 1 or args.connections < 1 or args.idle_after < 0 \
            or args.deadline_ms < 1:
        raise SystemExit("--duration, --overload-seconds, --connections and --deadline-ms must be positive")
    extra_env = L.parse_server_env(args.server_env)
    if "SPRINGBOARD_REQUEST_DEADLINE_MS" in extra_env:
        raise SystemExit("give the deadline with --deadline-ms, not --server-env")
    binary = (os.path.join(L.REPO, L.DEFAULT_BINARY) if args.binary == L.DEFAULT_BINARY
              else os.path.abspath(args.binary))
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not an executable file (this script does not build)")

    L.start_deadline(args.timeout)
    jwt = L.random_jwt_secrets("overload")
    test_env = {**extra_env, "SPRINGBOARD_REQUEST_DEADLINE_MS": str(args.deadline_ms)}
    results: dict = {
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "args": {"binary": binary, "db": args.db, "scale": args.scale, "duration": args.duration,
                 "overload_seconds": args.overload_seconds, "connections": args.connections,
                 "idle_after": args.idle_after, "deadline_ms": args.deadline_ms, "reuse_db": args.reuse_db,
                 "keep": args.keep, "timeout": args.timeout, "server_env": extra_env,
                 "honour_retry_after": args.honour_retry_after},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "query": L.QUERY_NESTED,
        "errors": [],
    }
    workdir = tempfile.mkdtemp(prefix="springboard-overload-")
    log(f"work directory (server logs, wrk script): {workdir}")
    created = False
    rc = 0
    try:
        if args.reuse_db and L.db_exists(args.db):
            log(f"reusing database {args.db}")
            info = reuse_info(args.db)
            info["reused"] = True
            if abs(info["counts"]["projects"] - L.targets_for(args.scale)["projects"]) > 0:
                log(f"  note: {args.db} holds {info['counts']['projects']} projects (--scale {args.scale} is ignored)")
        else:
            created = True
            info = seed_db(binary, args.db, args.scale, workdir, jwt, extra_env)
            info["reused"] = False
        results["seeding"] = {k: v for k, v in info.items() if k != "team_rule"}
        log(f"funder: {info['funder_email']}")
        results["run"] = {}
        measure(results["run"], binary, args.db, info, args, workdir, jwt, test_env)
    except (Exception, KeyboardInterrupt) as e:
        rc = 1
        results["errors"].append(f"{type(e).__name__}: {e}")
        if not isinstance(e, L.BenchError):
            traceback.print_exc()
        print(f"\nERROR: {e}", file=sys.stderr, flush=True)
        log_tail = (results.get("run") or {}).get("server_log")
        if log_tail:
            print(f"(server log: {log_tail})", file=sys.stderr)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        L.DEADLINE = L.Deadline(300)  # cleanup gets its own small budget
        if created and not args.keep and not args.reuse_db:
            try:
                L.drop_db(args.db)
                log(f"dropped database {args.db}")
                if os.path.exists(SEED_INFO_PATH):
                    os.remove(SEED_INFO_PATH)
            except Exception as e:
                print(f"could not drop database {args.db}: {e}", file=sys.stderr)
        else:
            log(f"kept database {args.db}")
        results["targets"] = evaluate(results.get("run") or {}, args)
        summary = summarize(results, args)
        L.write_results(RESULTS_PATH, results, summary, indent=2)

    print("\n" + summary)
    print(f"\nresults written to {RESULTS_PATH}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
