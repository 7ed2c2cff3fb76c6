#!/usr/bin/env python3
"""Springboard under faults: a PostgreSQL restart under write load, and SIGTERM under load.
(Standard library only, Python 3.11; does NOT build anything.)

    python3 bench/faults.py [--binary target/release/springboard] [--write-seconds 20]
                            [--restart-at 8] [--writers 4] [--readers 4] [--timeout 1200]
                            [--stop-mode fast|immediate] [--down-seconds 2] [--sigterm-after 5]
                            [--server-env KEY=VALUE ...] [--keep-cluster]

Everything runs against a private, throwaway PostgreSQL 15 cluster (initdb in a temporary
directory owned by the `postgres` OS user, on a free port, 127.0.0.1 only, `-A trust`), so that
restarting it disturbs nothing else; it is stopped and removed at the end, on every path, unless
--keep-cluster is given (then it is left running and the commands to stop and remove it are
printed). It reuses bench/loading.py (imported, with its PG_PORT pointed at the private cluster)
for the server process, create-admin, sign-in sessions, psql and the mutations' text.

Seeding, through the GraphQL API only: a funder, a royal college and a host institution; a
programme; 2 projects, each with the host as its accepted site, a team meeting the programme's
rule, submitted, the host assessed by the funder after submission, funded and ACTIVE; WEEKLY
measures (16, or more with more writers) whose periods (Mondays from last week back to 1900) give
every write a distinct (measure, site, period) row.

1. PostgreSQL restart under write load: --writers threads each call `recordObservations` with
   ONE observation per call (a new (measure, period) each call) for --write-seconds; at
   --restart-at the cluster is stopped (`pg_ctl stop -m --stop-mode`), left down --down-seconds
   and started again. A 503 is never taken as stored: the writer sleeps its Retry-After, then
   goes on with a new period; after any other failure it waits 0.1 s. A thread asks GET /readyz
   every 0.1 s. Reported: acknowledged writes (HTTP 200, no `errors`, no `userErrors`,
   recordedCount 1), rows stored (psql), whether every acknowledged write is stored (MET / NOT
   MET), the HTTP statuses, `extensions.code` and `extensions.reason` values seen, and the
   seconds from the stop command until /readyz is 200 again and until the first successful
   write sent after the database went down.
2. SIGTERM under load: a fresh server; --readers threads repeat a nested `projects` query as the
   funder and --writers threads write as above; after --sigterm-after s the server gets SIGTERM
   (to its pid). Clients go on until 2 s after it exits (bounded by the grace period + 30 s; past
   that it is killed). Reported: its exit code and seconds to exit, the requests in flight at
   SIGTERM (begun, not yet answered) and how they ended, what requests begun after SIGTERM got
   (expected: connection refused), /readyz answers after SIGTERM, and acknowledged vs stored.

The summary is printed and, with every raw number (each request's timings and outcome
included), written to bench/faults-results.json. Every process started (cluster, servers,
threads) is stopped on every path (errors, Ctrl-C, SIGTERM, the global --timeout). Exit status
1 when a phase failed to run (a NOT MET does not count).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no bench/__pycache__ from importing loading.py
import loading as L  # noqa: E402

RESULTS_PATH = os.path.join(L.BENCH_DIR, "faults-results.json")
PG_BIN = "/usr/lib/postgresql/15/bin"
PG_OS_USER = "postgres"
DB_NAME = "springboard_faults"

PROJECTS = 2
MIN_MEASURES = 16  # x ~6,500 Mondays since 1900: far more distinct rows than a run writes
READY_PROBE_EVERY_S = 0.1
REQUEST_TIMEOUT_S = 60.0
FAILURE_PAUSE_S = 0.1  # after a failure that is not a 503 (a 503 says how long to wait)
REFUSED_PAUSE_S = 0.05
RETRY_AFTER_CAP_S = 30.0
AFTER_EXIT_S = 2.0

READ_QUERY = ("query Read { projects(first: 20) { edges { node { title measures { name "
              "observations(last: 12) { edges { node { value } } } } } } } }")
RECORD = L.RECORD  # recordObservations { recordedCount userErrors }


def log(msg: str) -> None:
    L.log(msg)


def rnd(x, nd=3):
    return None if x is None else round(x, nd)


# --------------------------------------------------------------------------------------------
# The private cluster


class Cluster:
    """A throwaway PostgreSQL 15 cluster run by the postgres OS user, on 127.0.0.1:port."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="springboard-faults-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.port = L.free_port()
        pw = __import__("pwd").getpwnam(PG_OS_USER)
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)

    def run(self, args: list[str], timeout: float, what: str) -> str:
        # env -C: the postgres user may not be allowed into this script's working directory
        cmd = ["runuser", "-u", PG_OS_USER, "--", "env", "-C", self.dir, os.path.join(PG_BIN, args[0])] + args[1:]
        out = L.run_cmd(cmd, timeout, what=what)
        if out.returncode != 0:
            raise L.BenchError(f"{what} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}\n"
                               f"postgres log tail:\n{self.log_tail()}")
        return out.stdout

    def init(self) -> None:
        log(f"initdb: private cluster in {self.data}, port {self.port}")
        self.run(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale",
                  "--no-sync"], 180, "initdb")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# springboard bench/faults.py\n"
                    f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                    f"unix_socket_directories = '{self.dir}'\n"
                    "max_connections = 60\nshared_buffers = 32MB\nfsync = on\nsynchronous_commit = on\n")

    def start(self) -> None:
        self.run(["pg_ctl", "start", "-D", self.data, "-l", self.log_path, "-w", "-t", "60"], 90, "pg_ctl start")

    def stop(self, mode: str = "fast") -> None:
        self.run(["pg_ctl", "stop", "-D", self.data, "-m", mode, "-w", "-t", "60"], 90, f"pg_ctl stop -m {mode}")

    def running(self) -> bool:
        cmd = ["runuser", "-u", PG_OS_USER, "--", "env", "-C", self.dir, os.path.join(PG_BIN, "pg_ctl"),
               "status", "-D", self.data]
        try:
            return L.run_cmd(cmd, 30, what="pg_ctl status").returncode == 0
        except L.BenchError:
            return False

    def postmaster_pid(self) -> int | None:
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def destroy(self) -> None:
        """Stops the cluster (fast, then immediate, then SIGKILL to its postmaster) and removes it."""
        if os.path.isdir(self.data) and self.running():
            for mode in ("fast", "immediate"):
                try:
                    self.stop(mode)
                    break
                except Exception as e:  # noqa: BLE001
                    print(f"pg_ctl stop -m {mode} failed: {e}", file=sys.stderr)
            else:
                pid = self.postmaster_pid()
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    time.sleep(1)
        shutil.rmtree(self.dir, ignore_errors=True)
        log(f"private cluster stopped and removed ({self.dir})")


# --------------------------------------------------------------------------------------------
# Seeding (a small world, through the API)


def gid_uuid(gid: str) -> str:
    """A GraphQL ID is base64url("Kind:uuid") without padding."""
    text = base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode()
    return text.split(":", 1)[1]


def last_monday() -> dt.date:
    today = L.utc_today()  # the server's `today` is the UTC date
    return today - dt.timedelta(days=today.weekday())


def seed(client: L.Client, n_measures: int) -> dict:
    t0 = time.monotonic()
    run_id = secrets.token_hex(3)
    today = L.utc_today()
    platform = L.Session(client, L.PLATFORM_ADMIN, L.PASSWORD)
    insts = {}
    for role, kind, nation in (("funder", "FUNDER", "ENGLAND"), ("college", "ROYAL_COLLEGE", "SCOTLAND"),
                               ("host", "HOST_INSTITUTION", "WALES")):
        slug = f"faults-{role}-{run_id}"
        email = f"admin@{slug}.example.org"
        data = platform.run(L.CREATE_INSTITUTION, {"input": {"name": f"Faults {role} {run_id}", "slug": slug,
                                                             "kind": kind, "nation": nation,
                                                             "firstAdminEmail": email}}, what="createInstitution")
        p = L.payload(data, "createInstitution", "createInstitution")
        data = client.execute(L.ACCEPT_INVITATION, {"input": {"token": p["invitationToken"],
                                                               "name": f"Admin of {slug}", "password": L.PASSWORD}},
                              what="acceptInvitation")["data"]
        L.payload(data, "acceptInvitation", "acceptInvitation")
        insts[role] = {"id": p["institution"]["id"], "slug": slug, "email": email,
                       "session": L.Session(client, email, L.PASSWORD)}
    fs, cs, hs = insts["funder"]["session"], insts["college"]["session"], insts["host"]["session"]
    host = insts["host"]

    data = fs.run(L.CREATE_PROGRAMME, {"input": {
        "name": f"Faults programme {run_id}", "objectives": "Survive faults",
        "biddingOpensOn": (today - dt.timedelta(days=1)).isoformat(),
        "biddingClosesOn": (today + dt.timedelta(days=60)).isoformat(),
        "fundingCriteria": {"minimumScores": [{"dimension": d, "minimumScore": 1} for d in L.DIMENSIONS],
                            "maxAssessmentAgeDays": 365}}}, what="createProgramme")
    programme = L.payload(data, "createProgramme", "createProgramme")["programme"]
    criteria = programme["fundingCriteria"]
    groups = criteria["requiredRoleGroups"] or [["CLINICAL_LEAD"]]
    per_member = math.ceil((float(criteria["minimumWeeklyHours"]) + 1.0) / len(groups) * 2) / 2
    min_scores = {m["dimension"]: m["minimumScore"] for m in criteria["minimumScores"]}
    scores = [{"dimension": d, "score": max(3, min_scores.get(d, 0)), "evidence": "Faults seed"} for d in L.DIMENSIONS]

    def run(session, query, variables, field):
        return L.payload(session.run(query, variables, what=field), field, field)

    projects = []
    for k in range(PROJECTS):
        pid = run(cs, L.CREATE_PROJECT, {"input": {
            "programmeId": programme["id"], "title": f"Faults project {k} ({run_id})",
            "aimStatement": "Keep every acknowledged write", "clinicalArea": "Resilience",
            "budgetRequested": 100000}}, "createProject")["project"]["id"]
        site = run(cs, L.ADD_SITE, {"input": {"projectId": pid, "institutionId": host["id"]}}, "addProjectSite")["site"]
        status = run(hs, L.RESPOND_SITE, {"input": {"siteId": site["id"], "accept": True}},
                     "respondToProjectSite")["site"]["status"]
        if status != "ACCEPTED":
            raise L.BenchError(f"site not ACCEPTED: {status}")
        for n, g in enumerate(groups):
            run(cs, L.ADD_TEAM, {"input": {"projectId": pid, "institutionId": insts["college"]["id"],
                                           "externalName": f"Team member {n + 1}", "role": g[0],
                                           "hoursPerWeek": per_member}}, "addTeamMember")
        run(cs, L.TRANSITION, {"input": {"projectId": pid, "to": "SUBMITTED"}}, "transitionProject")
        # the funder sees a bid from its submission on, so it assesses the site now
        run(fs, L.CREATE_ASSESSMENT, {"input": {"assessedInstitutionId": host["id"], "projectId": pid,
                                                "assessedOn": today.isoformat(), "dimensions": scores,
                                                "submit": True}}, "createCapacityAssessment")
        run(fs, L.DECIDE, {"input": {"projectId": pid, "decision": "FUNDED", "awardedBudget": 90000}}, "decideFunding")
        status = run(fs, L.TRANSITION, {"input": {"projectId": pid, "to": "ACTIVE"}},
                     "transitionProject")["project"]["status"]
        if status != "ACTIVE":
            raise L.BenchError(f"project not ACTIVE: {status}")
        projects.append(pid)

    measures = []
    for j in range(n_measures):
        mid = run(cs, L.CREATE_MEASURE, {"input": {
            "projectId": projects[j % PROJECTS], "name": f"Weekly faults measure {j}",
            "operationalDefinition": "One observation per call, for bench/faults.py", "kind": "OUTCOME",
            "unit": "COUNT", "direction": "LOWER_IS_BETTER", "frequency": "WEEKLY"}}, "createMeasure")["measure"]["id"]
        measures.append({"id": mid, "uuid": gid_uuid(mid)})
    info = {"run_id": run_id, "funder_email": insts["funder"]["email"], "college_email": insts["college"]["email"],
            "host_slug": host["slug"], "programme_id": programme["id"], "projects": projects, "measures": measures,
            "seconds": round(time.monotonic() - t0, 1)}
    log(f"seeded {PROJECTS} ACTIVE projects and {len(measures)} WEEKLY measures in {info['seconds']} s")
    return info


class Periods:
    """Hands out distinct (measure, period) pairs: every measure's Mondays from last week back to
    1900-01-01, measures round-robin. Thread-safe."""

    def __init__(self, measures: list[dict], site: str):
        self.measures, self.site = measures, site
        self.lock = threading.Lock()
        self.i = 0
        self.start = last_monday() - dt.timedelta(days=7)
        self.oldest = dt.date(1900, 1, 1)  # a Monday; the server refuses dates before 1900

    def next(self) -> tuple[dict, str] | None:
        with self.lock:
            i = self.i
            self.i += 1
        m = self.measures[i % len(self.measures)]
        period = self.start - dt.timedelta(days=7 * (i // len(self.measures)))
        if period < self.oldest:
            return None
        return m, period.isoformat()


# --------------------------------------------------------------------------------------------
# Clients


def classify_exception(e: BaseException) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, http.client.RemoteDisconnected)):
        return "reset"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(e, http.client.IncompleteRead):
        return "incomplete"
    return f"error:{type(e).__name__}"


def request(port: int, method: str, path: str, body: bytes | None, token: str | None, timeout: float) -> dict:
    """One request on a new connection. Returns t0 (begun), tc (connected), t1 (ended, monotonic),
    status or error, the Retry-After header and the parsed JSON."""
    ev: dict = {"t0": time.monotonic(), "tc": None, "t1": None, "status": None, "error": None,
                "retry_after": None, "json": None}
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.connect()
        ev["tc"] = time.monotonic()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        ev["status"] = resp.status
        ev["retry_after"] = resp.getheader("Retry-After")
        try:
            ev["json"] = json.loads(raw)
        except ValueError:
            ev["json"] = None
    except (OSError, http.client.HTTPException) as e:
        ev["error"] = classify_exception(e)
    finally:
        ev["t1"] = time.monotonic()
        conn.close()
    return ev


def error_facts(parsed) -> tuple[list[str], list[str]]:
    codes, reasons = [], []
    if isinstance(parsed, dict):
        for err in parsed.get("errors") or []:
            ext = (err or {}).get("extensions") or {}
            codes.append(str(ext.get("code", "(none)")))
            if "reason" in ext:
                reasons.append(str(ext["reason"]))
    return codes, reasons


def outcome_of(ev: dict) -> str:
    """`http_<status>`, `http_200_errors` (200 with top-level errors), `http_200_userErrors`, or a
    connection error (refused, reset, timeout, ...)."""
    if ev["error"]:
        return ev["error"]
    if ev["status"] == 200 and not ev.get("ok", True):
        return "http_200_userErrors" if any(c.startswith("userErrors:") for c in ev.get("codes", [])) else "http_200_errors"
    return f"http_{ev['status']}"


class Worker(threading.Thread):
    """A writer (one observation per call) or a reader, until stop_event; events go to `sink`."""

    def __init__(self, kind: str, n: int, port: int, token: str, stop_event: threading.Event, sink: list,
                 periods: Periods | None = None):
        super().__init__(name=f"{kind}-{n}", daemon=True)
        self.kind, self.n, self.port, self.token = kind, n, port, token
        self.stop_event, self.sink, self.periods = stop_event, sink, periods
        self.exhausted = False
        self.crash: str | None = None

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                if self.kind == "write":
                    got = self.periods.next()
                    if got is None:
                        self.exhausted = True
                        return
                    m, period = got
                    body = json.dumps({"query": RECORD, "variables": {"input": {"measureId": m["id"], "observations": [
                        {"site": self.periods.site, "periodStart": period, "value": float(self.n)}]}}}).encode()
                    key = (m["uuid"], period)
                else:
                    body = json.dumps({"query": READ_QUERY}).encode()
                    key = None
                ev = request(self.port, "POST", "/graphql", body, self.token, REQUEST_TIMEOUT_S)
                parsed = ev.pop("json")
                codes, reasons = error_facts(parsed)
                ok = ev["status"] == 200 and isinstance(parsed, dict) and not parsed.get("errors")
                if ok and self.kind == "write":
                    p = (parsed.get("data") or {}).get("recordObservations") or {}
                    ok = not p.get("userErrors") and p.get("recordedCount") == 1
                    if p.get("userErrors"):
                        codes = codes + ["userErrors:" + ",".join(str(u.get("code")) for u in p["userErrors"])]
                elif ok:
                    ok = isinstance(parsed.get("data"), dict)
                ev.update({"kind": self.kind, "worker": self.n, "ok": ok, "codes": codes, "reasons": reasons,
                           "key": key})
                self.sink.append(ev)
                if ok:
                    continue
                if ev["status"] == 503:
                    try:
                        wait = float(ev["retry_after"]) if ev["retry_after"] is not None else 1.0
                    except ValueError:
                        wait = 1.0
                    self.stop_event.wait(min(max(wait, 0.0), RETRY_AFTER_CAP_S))
                elif ev["error"] == "refused":
                    self.stop_event.wait(REFUSED_PAUSE_S)
                else:
                    self.stop_event.wait(FAILURE_PAUSE_S)
        except Exception as e:  # noqa: BLE001
            self.crash = f"{type(e).__name__}: {e}"


class ReadyProbe(threading.Thread):
    def __init__(self, port: int, stop_event: threading.Event):
        super().__init__(name="readyz", daemon=True)
        self.port, self.stop_event = port, stop_event
        self.samples: list[dict] = []

    def run(self) -> None:
        while not self.stop_event.is_set():
            ev = request(self.port, "GET", "/readyz", None, None, 2.0)
            ev.pop("json", None)
            self.samples.append({"t0": ev["t0"], "t1": ev["t1"], "status": ev["status"], "error": ev["error"]})
            self.stop_event.wait(READY_PROBE_EVERY_S)


def stop_threads(stop_event: threading.Event, threads: list[threading.Thread]) -> list[str]:
    stop_event.set()
    stuck = []
    end = time.monotonic() + REQUEST_TIMEOUT_S + 10
    for t in threads:
        t.join(timeout=max(0.1, end - time.monotonic()))
        if t.is_alive():
            stuck.append(t.name)
    return stuck


# --------------------------------------------------------------------------------------------
# Analysis


def count_by(items, key) -> dict:
    out: dict = {}
    for it in items:
        k = key(it)
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def codes_seen(events: list[dict]) -> dict:
    out: dict = {}
    for ev in events:
        for c in ev["codes"]:
            out[c] = out.get(c, 0) + 1
    return dict(sorted(out.items()))


def reasons_seen(events: list[dict]) -> dict:
    out: dict = {}
    for ev in events:
        for c in ev["reasons"]:
            out[c] = out.get(c, 0) + 1
    return dict(sorted(out.items()))


def stored_keys(measures: list[dict]) -> set[tuple[str, str]]:
    ids = ",".join(f"'{m['uuid']}'" for m in measures)
    out = L.psql(f"SELECT measure_id::text, period_start::text FROM observations WHERE measure_id IN ({ids})",
                 db=DB_NAME, sep="|")
    return {tuple(line.split("|")) for line in out.splitlines() if line}


def write_check(writes: list[dict], measures: list[dict], before: set) -> dict:
    """Acknowledged vs stored, for this phase's writes (rows stored before the phase excluded)."""
    stored_all = stored_keys(measures)
    stored = stored_all - before
    acked = {ev["key"] for ev in writes if ev["ok"]}
    attempted = {ev["key"] for ev in writes}
    missing = sorted(acked - stored)
    unacked_stored = stored & (attempted - acked)
    total_rows = int(L.psql("SELECT count(*) FROM observations", db=DB_NAME))
    return {
        "attempted": len(writes),
        "acknowledged": len(acked),
        "stored_rows_this_phase": len(stored),
        "observations_rows_total": total_rows,
        "acknowledged_not_stored": len(missing),
        "acknowledged_not_stored_examples": [list(k) for k in missing[:20]],
        "stored_not_acknowledged": len(unacked_stored),
        "stored_not_attempted": len(stored - attempted),
        "every_acknowledged_write_stored": not missing,
    }


def compact_events(events: list[dict], t_ref: float) -> list[list]:
    """[kind, worker, t0, tconnected, t1 (s from t_ref), status, error, ok, codes] per request."""
    return [[ev["kind"], ev["worker"], rnd(ev["t0"] - t_ref), rnd(ev["tc"] - t_ref) if ev["tc"] else None,
             rnd(ev["t1"] - t_ref), ev["status"], ev["error"], ev["ok"], ev["codes"] + ev["reasons"]] for ev in events]


def ready_transitions(samples: list[dict], t_ref: float) -> list[list]:
    out, last = [], object()
    for s in samples:
        state = s["status"] if s["status"] is not None else s["error"]
        if state != last:
            out.append([rnd(s["t0"] - t_ref), state])
            last = state
    return out


# --------------------------------------------------------------------------------------------
# Phase 1: PostgreSQL restart under write load


def phase_restart(res: dict, server: L.Server, cluster: Cluster, info: dict, args, periods: Periods) -> None:
    token = L.Session(L.Client(server.port), info["college_email"], L.PASSWORD).token()
    before = stored_keys(info["measures"])
    stop_writers, stop_probe = threading.Event(), threading.Event()
    events: list[dict] = []
    probe = ReadyProbe(server.port, stop_probe)
    writers = [Worker("write", n, server.port, token, stop_writers, events, periods) for n in range(args.writers)]
    tl: dict = {}
    res["timeline"] = tl
    log(f"phase 1: {args.writers} writers for {args.write_seconds:.0f} s; PostgreSQL stop -m {args.stop_mode} at "
        f"{args.restart_at:.0f} s, down {args.down_seconds:.1f} s, then start")
    t_begin = time.monotonic()
    try:
        probe.start()
        for t in writers:
            t.start()
        while time.monotonic() < t_begin + args.restart_at:
            L.DEADLINE.check("phase 1")
            time.sleep(0.05)
        t_cmd = time.monotonic()
        log(f"  restarting PostgreSQL ({sum(1 for ev in events if ev['ok'])} writes acknowledged so far)")
        cluster.stop(args.stop_mode)
        t_stopped = time.monotonic()
        time.sleep(args.down_seconds)
        t_start_cmd = time.monotonic()
        cluster.start()
        t_started = time.monotonic()
        tl.update({"restart_command": rnd(t_cmd - t_begin), "stopped": rnd(t_stopped - t_begin),
                   "start_command": rnd(t_start_cmd - t_begin), "started": rnd(t_started - t_begin)})
        log(f"  PostgreSQL stopped in {t_stopped - t_cmd:.2f} s, up again {t_started - t_cmd:.2f} s after the "
            f"stop command")
        while time.monotonic() < t_begin + args.write_seconds:
            L.DEADLINE.check("phase 1")
            time.sleep(0.05)
        t_writes_end = time.monotonic()
        stuck = stop_threads(stop_writers, writers)
        # the probe goes on (30 s at most) until /readyz has answered 200 since PostgreSQL came back
        end_wait = time.monotonic() + 30
        while time.monotonic() < end_wait and not any(
                s["status"] == 200 and s["t0"] >= t_started for s in list(probe.samples)):
            time.sleep(0.1)
    finally:
        stuck = stop_threads(stop_writers, writers) + stop_threads(stop_probe, [probe])
    t_end = time.monotonic()
    res["stuck_threads"] = stuck
    res["server_alive_after"] = server.alive()

    writes = events
    acked = [ev for ev in writes if ev["ok"]]
    down_samples = [s for s in probe.samples if s["t0"] >= t_cmd and s["status"] != 200]
    first_down = min((s["t0"] for s in down_samples), default=None)
    ready_again = min((s["t1"] for s in probe.samples if s["status"] == 200 and s["t0"] >= t_started
                       and (first_down is None or s["t0"] > first_down)), default=None)
    first_ok_after = min((ev["t1"] for ev in acked if ev["t0"] >= t_stopped), default=None)
    last_ok_before = max((ev["t1"] for ev in acked if ev["t0"] < t_cmd), default=None)
    window = [ev for ev in writes if ev["t0"] >= t_cmd and (first_ok_after is None or ev["t1"] <= first_ok_after)]
    res.update({
        "writes_per_writer": count_by(writes, lambda ev: ev["worker"]),
        "acknowledged": len(acked),
        "not_acknowledged": len(writes) - len(acked),
        "statuses": count_by(writes, outcome_of),
        "codes": codes_seen(writes),
        "reasons": reasons_seen(writes),
        "retry_after_values_on_503": count_by([ev for ev in writes if ev["status"] == 503],
                                              lambda ev: ev["retry_after"]),
        "during_outage": {"requests": len(window), "statuses": count_by(window, outcome_of),
                          "codes": codes_seen(window)},
        "readyz": {
            "went_unready": first_down is not None,
            "first_unready_after_restart_command_s": rnd(first_down - t_cmd) if first_down else None,
            "ready_again_after_restart_command_s": rnd(ready_again - t_cmd) if ready_again else None,
            "statuses": count_by(probe.samples, lambda s: s["status"] if s["status"] is not None else s["error"]),
            "transitions": ready_transitions(probe.samples, t_begin),
        },
        "first_write_ok_after_restart_command_s": rnd(first_ok_after - t_cmd) if first_ok_after else None,
        "last_write_ok_before_restart_command_s": rnd(t_cmd - last_ok_before) if last_ok_before else None,
        "writers_out_of_periods": sum(1 for w in writers if w.exhausted),
        "writer_crashes": [w.crash for w in writers if w.crash],
        "seconds": rnd(t_end - t_begin, 2),
        "write_seconds_actual": rnd(t_writes_end - t_begin, 2),
    })
    res["check"] = write_check(writes, info["measures"], before)
    res["events"] = compact_events(writes, t_begin)
    r = res["check"]
    log(f"  phase 1: {res['acknowledged']} acknowledged, {r['stored_rows_this_phase']} stored, "
        f"{r['acknowledged_not_stored']} acknowledged but missing; statuses {res['statuses']}; codes {res['codes']}")


# --------------------------------------------------------------------------------------------
# Phase 2: SIGTERM under load


def phase_sigterm(res: dict, server: L.Server, info: dict, args, periods: Periods, grace: float) -> None:
    client = L.Client(server.port)
    wtoken = L.Session(client, info["college_email"], L.PASSWORD).token()
    rtoken = L.Session(client, info["funder_email"], L.PASSWORD).token()
    ev0 = request(server.port, "POST", "/graphql", json.dumps({"query": READ_QUERY}).encode(), rtoken, 30)
    if ev0["status"] != 200 or not isinstance(ev0["json"], dict) or ev0["json"].get("errors"):
        raise L.BenchError(f"the read query fails before SIGTERM: {ev0['status']} {L.short(ev0['json'] or '')}")
    res["read_query_projects"] = len(ev0["json"]["data"]["projects"]["edges"])
    before = stored_keys(info["measures"])
    stop = threading.Event()
    events: list[dict] = []
    probe = ReadyProbe(server.port, stop)
    workers = ([Worker("read", n, server.port, rtoken, stop, events) for n in range(args.readers)]
               + [Worker("write", n, server.port, wtoken, stop, events, periods) for n in range(args.writers)])
    threads = [probe] + workers
    log(f"phase 2: {args.readers} readers + {args.writers} writers for {args.sigterm_after:.0f} s, then SIGTERM "
        f"(grace {grace:.0f} s)")
    t_begin = time.monotonic()
    exit_code = None
    t_exit = None
    killed = False
    try:
        for t in threads:
            t.start()
        while time.monotonic() < t_begin + args.sigterm_after:
            L.DEADLINE.check("phase 2")
            time.sleep(0.05)
        t_sig = time.monotonic()
        os.kill(server.pid, signal.SIGTERM)
        log(f"  SIGTERM sent to pid {server.pid}")
        limit = t_sig + grace + 30
        while time.monotonic() < limit:
            L.DEADLINE.check("phase 2: waiting for the server to exit")
            rc = server.proc.poll()
            if rc is not None:
                t_exit, exit_code = time.monotonic(), rc
                break
            time.sleep(0.02)
        if t_exit is None:
            log(f"  the server did not exit within {grace + 30:.0f} s of SIGTERM: killing it")
            killed = True
            L.kill_group(server.proc, grace=5)
            exit_code = server.proc.returncode
        else:
            log(f"  server exited with code {exit_code} {t_exit - t_sig:.2f} s after SIGTERM")
            end = t_exit + AFTER_EXIT_S
            while time.monotonic() < end:
                time.sleep(0.05)
    finally:
        stuck = stop_threads(stop, threads)
    res["stuck_threads"] = stuck

    def kind_split(evs):
        return {k: {"count": sum(1 for e in evs if e["kind"] == k),
                    "outcomes": count_by([e for e in evs if e["kind"] == k],
                                         lambda e: "ok_200" if e["ok"] else outcome_of(e))} for k in ("read", "write")}

    in_flight = [e for e in events if e["t0"] <= t_sig < e["t1"]]
    connected_in_flight = [e for e in in_flight if e["tc"] is not None and e["tc"] <= t_sig]
    after = [e for e in events if e["t0"] > t_sig]
    after_before_exit = [e for e in after if t_exit is None or e["t0"] < t_exit]
    after_exit = [e for e in after if t_exit is not None and e["t0"] >= t_exit]
    ready_after = [s for s in probe.samples if s["t0"] > t_sig]
    writes = [e for e in events if e["kind"] == "write"]
    reads = [e for e in events if e["kind"] == "read"]
    res.update({
        "exit_code": exit_code,
        "killed_after_timeout": killed,
        "seconds_to_exit": rnd(t_exit - t_sig) if t_exit else None,
        "grace_secs": grace,
        "before_sigterm": kind_split([e for e in events if e["t1"] <= t_sig]),
        "in_flight_at_sigterm": {
            "count": len(in_flight),
            "connected": len(connected_in_flight),
            "by_kind": kind_split(in_flight),
            "completed_200": sum(1 for e in in_flight if e["ok"]),
            "failed": sum(1 for e in in_flight if not e["ok"]),
            "outcomes": count_by(in_flight, lambda e: "ok_200" if e["ok"] else outcome_of(e)),
            "longest_finish_after_sigterm_s": rnd(max((e["t1"] - t_sig for e in in_flight), default=0.0)),
            "requests": [[e["kind"], rnd(e["t0"] - t_sig), rnd(e["t1"] - t_sig), e["status"], e["error"], e["ok"]]
                         for e in in_flight],
        },
        "begun_after_sigterm": {
            "count": len(after),
            "before_exit": count_by(after_before_exit, lambda e: "ok_200" if e["ok"] else outcome_of(e)),
            "after_exit": count_by(after_exit, lambda e: "ok_200" if e["ok"] else outcome_of(e)),
            "connection_errors": count_by([e for e in after if e["error"]], lambda e: e["error"]),
        },
        "readyz_after_sigterm": count_by(ready_after, lambda s: s["status"] if s["status"] is not None else s["error"]),
        "readyz_transitions": ready_transitions(probe.samples, t_sig),
        "reads": {"count": len(reads), "ok": sum(1 for e in reads if e["ok"]), "statuses": count_by(reads, outcome_of)},
        "writes": {"count": len(writes), "acknowledged": sum(1 for e in writes if e["ok"]),
                   "statuses": count_by(writes, outcome_of), "codes": codes_seen(writes)},
        "codes": codes_seen(events),
        "worker_crashes": [w.crash for w in workers if w.crash],
        "writers_out_of_periods": sum(1 for w in workers if w.exhausted),
        "server_log_tail": server.log_tail(15),
    })
    res["check"] = write_check(writes, info["measures"], before)
    res["events"] = compact_events(events, t_sig)
    log(f"  phase 2: in flight at SIGTERM {len(in_flight)} ({res['in_flight_at_sigterm']['outcomes']}); "
        f"after SIGTERM {res['begun_after_sigterm']['connection_errors']}; "
        f"acknowledged {res['check']['acknowledged']}, missing {res['check']['acknowledged_not_stored']}")


# --------------------------------------------------------------------------------------------
# Summary


def fmt(x, spec=".2f", none="-") -> str:
    return none if x is None else format(x, spec)


def met(ok) -> str:
    return "UNKNOWN" if ok is None else ("MET" if ok else "NOT MET")


def summarize(results: dict) -> str:
    lines = [f"binary: {results['args']['binary']}"]
    p1 = results.get("restart") or {}
    if p1:
        c = p1.get("check") or {}
        tl = p1.get("timeline") or {}
        rz = p1.get("readyz") or {}
        lines += [
            "",
            f"== 1. PostgreSQL restart under write load ({results['args']['writers']} writers, "
            f"{results['args']['write_seconds']:.0f} s, stop -m {results['args']['stop_mode']} at "
            f"{tl.get('restart_command', '-')} s, down {results['args']['down_seconds']} s)",
            f"writes attempted {c.get('attempted', '-')}; acknowledged {p1.get('acknowledged', '-')}; stored rows "
            f"{c.get('stored_rows_this_phase', '-')} (stored but not acknowledged: {c.get('stored_not_acknowledged', '-')})",
            f"{met(c.get('every_acknowledged_write_stored'))}  every acknowledged write is stored "
            f"({c.get('acknowledged_not_stored', '-')} missing)",
            f"HTTP statuses: {p1.get('statuses')}",
            f"extensions.code: {p1.get('codes')}; reason: {p1.get('reasons') or '-'}; "
            f"Retry-After on 503: {p1.get('retry_after_values_on_503') or '-'}",
            f"from the stop command: PostgreSQL down after {fmt(tl.get('stopped', 0) - tl.get('restart_command', 0) if tl.get('stopped') is not None else None)} s, "
            f"up after {fmt(tl.get('started', 0) - tl.get('restart_command', 0) if tl.get('started') is not None else None)} s; "
            f"/readyz unready after {fmt(rz.get('first_unready_after_restart_command_s'))} s, 200 again after "
            f"{fmt(rz.get('ready_again_after_restart_command_s'))} s; first successful write after "
            f"{fmt(p1.get('first_write_ok_after_restart_command_s'))} s (first one sent after PostgreSQL was down)",
            f"requests between the stop command and that write: {(p1.get('during_outage') or {}).get('statuses')}",
        ]
        if p1.get("writers_out_of_periods"):
            lines.append(f"note: {p1['writers_out_of_periods']} writers ran out of distinct periods")
    p2 = results.get("sigterm") or {}
    if p2:
        c = p2.get("check") or {}
        inf = p2.get("in_flight_at_sigterm") or {}
        after = p2.get("begun_after_sigterm") or {}
        lines += [
            "",
            f"== 2. SIGTERM under load ({results['args']['readers']} readers + {results['args']['writers']} writers, "
            f"SIGTERM after {results['args']['sigterm_after']:.0f} s, grace {p2.get('grace_secs')} s)",
            f"exit code {p2.get('exit_code')}{' (killed: did not exit in time)' if p2.get('killed_after_timeout') else ''}"
            f", {fmt(p2.get('seconds_to_exit'))} s after SIGTERM",
            f"in flight at SIGTERM: {inf.get('count', '-')} ({inf.get('connected', '-')} connected): completed 200 "
            f"{inf.get('completed_200', '-')}, failed {inf.get('failed', '-')} {inf.get('outcomes')}; last one ended "
            f"{fmt(inf.get('longest_finish_after_sigterm_s'))} s after SIGTERM",
            f"begun after SIGTERM: {after.get('count', '-')}: before exit {after.get('before_exit')}, after exit "
            f"{after.get('after_exit')}; connection errors {after.get('connection_errors')}",
            f"/readyz after SIGTERM: {p2.get('readyz_after_sigterm')}",
            f"reads {(p2.get('reads') or {}).get('ok', '-')}/{(p2.get('reads') or {}).get('count', '-')} ok; writes "
            f"acknowledged {c.get('acknowledged', '-')}, stored {c.get('stored_rows_this_phase', '-')}; statuses "
            f"{(p2.get('writes') or {}).get('statuses')}; codes {p2.get('codes')}",
            f"{met(c.get('every_acknowledged_write_stored'))}  every acknowledged write is stored "
            f"({c.get('acknowledged_not_stored', '-')} missing)",
            f"{met(p2.get('exit_code') == 0 if 'exit_code' in p2 else None)}  exit code 0 after SIGTERM",
        ]
    for e in results.get("errors") or []:
        lines += ["", f"ERROR: {e.splitlines()[0][:300]}"]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=L.DEFAULT_BINARY, help="server under test (default target/release/springboard)")
    ap.add_argument("--write-seconds", type=float, default=20, help="phase 1 length in seconds (default 20)")
    ap.add_argument("--restart-at", type=float, default=8, help="phase 1: seconds before the restart (default 8)")
    ap.add_argument("--stop-mode", choices=("fast", "immediate"), default="fast", help="pg_ctl stop -m (default fast)")
    ap.add_argument("--down-seconds", type=float, default=2, help="phase 1: seconds PostgreSQL stays down (default 2)")
    ap.add_argument("--writers", type=int, default=4, help="writer threads (default 4)")
    ap.add_argument("--readers", type=int, default=4, help="phase 2 reader threads (default 4)")
    ap.add_argument("--sigterm-after", type=float, default=5, help="phase 2: seconds of load before SIGTERM (default 5)")
    ap.add_argument("--timeout", type=float, default=1200, help="global timeout in seconds (default 1200)")
    ap.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for every server started (repeatable)")
    ap.add_argument("--keep-cluster", action="store_true",
                    help="leave the private cluster running and in place (prints how to stop and remove it)")
    args = ap.parse_args()

    if args.write_seconds <= 0 or args.restart_at < 0 or args.restart_at >= args.write_seconds:
        raise SystemExit("need 0 <= --restart-at < --write-seconds")
    if args.writers < 1 or args.readers < 0 or args.down_seconds < 0 or args.sigterm_after < 0:
        raise SystemExit("--writers must be >= 1; --readers, --down-seconds, --sigterm-after >= 0")
    extra_env = L.parse_server_env(args.server_env)
    try:
        grace = float(extra_env.get("SPRINGBOARD_SHUTDOWN_GRACE_SECS", "30"))
    except ValueError:
        raise SystemExit("SPRINGBOARD_SHUTDOWN_GRACE_SECS must be a number")
    binary = (os.path.join(L.REPO, L.DEFAULT_BINARY) if args.binary == L.DEFAULT_BINARY
              else os.path.abspath(args.binary))
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not an executable file (this script does not build)")
    if os.geteuid() != 0:
        raise SystemExit("run as root: the private cluster is run as the postgres OS user (runuser)")
    for tool in ("initdb", "pg_ctl"):
        if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
            raise SystemExit(f"{PG_BIN}/{tool} not found (PostgreSQL 15 server binaries)")

    L.start_deadline(args.timeout)
    jwt = L.random_jwt_secrets("faults")
    results: dict = {
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "args": {"binary": binary, "write_seconds": args.write_seconds, "restart_at": args.restart_at,
                 "stop_mode": args.stop_mode, "down_seconds": args.down_seconds, "writers": args.writers,
                 "readers": args.readers, "sigterm_after": args.sigterm_after, "timeout": args.timeout,
                 "server_env": extra_env, "keep_cluster": args.keep_cluster},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "queries": {"read": READ_QUERY, "write": RECORD},
        "event_columns": ["kind", "worker", "t_begun", "t_connected", "t_ended", "status", "error", "ok", "codes"],
        "errors": [],
    }
    workdir = tempfile.mkdtemp(prefix="springboard-faults-")
    log(f"work directory (server logs): {workdir}")
    cluster: Cluster | None = None
    servers: list[L.Server] = []
    rc = 0
    try:
        cluster = Cluster()
        results["cluster"] = {"dir": cluster.dir, "port": cluster.port}
        cluster.init()
        cluster.start()
        L.PG_PORT = cluster.port  # loading.py's psql and database_url now reach the private cluster
        version = L.psql("SHOW server_version")
        results["cluster"]["server_version"] = version
        log(f"private PostgreSQL {version} on 127.0.0.1:{cluster.port}")
        L.psql(f"CREATE DATABASE {DB_NAME}")
        L.create_admin(binary, DB_NAME, jwt, extra_env)

        server = L.Server(binary, DB_NAME, workdir, "restart", jwt, extra_env)
        servers.append(server)
        server.start()
        info = seed(L.Client(server.port), max(MIN_MEASURES, args.writers))
        results["seeding"] = info
        periods = Periods(info["measures"], info["host_slug"])

        results["restart"] = {"server_log": server.log_path}
        try:
            phase_restart(results["restart"], server, cluster, info, args, periods)
        except (Exception, KeyboardInterrupt) as e:
            if isinstance(e, KeyboardInterrupt) or isinstance(e, L.GlobalTimeout):
                raise
            rc = 1
            results["errors"].append(f"phase 1: {type(e).__name__}: {e}")
            print(f"\nphase 1 failed: {e}\nserver log tail:\n{server.log_tail(20)}", file=sys.stderr, flush=True)
            if not cluster.running():
                cluster.start()
        server.stop()

        server = L.Server(binary, DB_NAME, workdir, "sigterm", jwt, extra_env)
        servers.append(server)
        server.start()
        results["sigterm"] = {"server_log": server.log_path}
        phase_sigterm(results["sigterm"], server, info, args, periods, grace)
        results["postgres_log_tail"] = cluster.log_tail(30)
    except (Exception, KeyboardInterrupt) as e:
        rc = 1
        results["errors"].append(f"{type(e).__name__}: {e}")
        if not isinstance(e, L.BenchError):
            traceback.print_exc()
        print(f"\nERROR: {e}", file=sys.stderr, flush=True)
        for s in servers:
            print(f"(server log: {s.log_path})", file=sys.stderr)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        L.DEADLINE = L.Deadline(300)  # cleanup gets its own small budget
        for s in servers:
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001
                print(f"could not stop server {s.label}: {e!r}", file=sys.stderr)
        if cluster is not None:
            if args.keep_cluster:
                log(f"kept the private cluster RUNNING on 127.0.0.1:{cluster.port} ({cluster.data}); "
                    f"psql -h 127.0.0.1 -p {cluster.port} -U postgres {DB_NAME}; to stop and remove it:\n"
                    f"  runuser -u postgres -- {PG_BIN}/pg_ctl stop -D {cluster.data} -m fast && rm -rf {cluster.dir}")
            else:
                try:
                    cluster.destroy()
                except Exception as e:  # noqa: BLE001
                    print(f"could not remove the private cluster {cluster.dir}: {e!r}", file=sys.stderr)
        summary = summarize(results)
        L.write_results(RESULTS_PATH, results, summary, indent=1)

    print("\n" + summary)
    print(f"\nresults written to {RESULTS_PATH}; server logs in {workdir}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
