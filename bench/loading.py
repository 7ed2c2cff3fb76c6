#!/usr/bin/env python3
"""Springboard nested-read benchmark on PostgreSQL ("loading": how the server loads nested lists).

Standard library only (Python 3.11). Run from anywhere:

    python3 bench/loading.py [--binary PATH] [--baseline-binary PATH] [--scale 1.0]
                             [--duration 10] [--connections 16] [--timeout 3600]
                             [--db springboard_loading] [--keep] [--server-env KEY=VALUE ...]

It seeds a dataset through the GraphQL API (500 projects, 1,001 sites, 2,500 measures, 120,120
monthly observations at scale 1.0), clones the seeded database once per binary, and for each
binary on its own clone measures: wrk load on four queries (nested, project by id, __typename with
and without a token), SQL statements per request (from /metrics), server memory, a pgbench
ceiling for one hand-written SQL statement returning the same rows as the nested query, and the
plans (auto_explain) of the statements the server runs for one nested request. It prints a
summary with targets and writes every raw number to bench/loading-results.json. Servers it
starts are always stopped; every wait is bounded by the global timeout. The script does NOT
build anything.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import totp

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(REPO, "bench")
RESULTS_PATH = os.path.join(BENCH_DIR, "loading-results.json")
DEFAULT_BINARY = os.path.join("target", "release", "springboard")

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
# /metrics needs a bearer token; every server a run starts gets this one (older builds ignore it).
METRICS_TOKEN = secrets.token_hex(16)
PASSWORD = "loading-bench-pass-2027"  # every account of the seeded world (>= 12 characters)
PLATFORM_ADMIN = "platform-admin@loading.example.org"

# The dataset at scale 1.0
PROJECTS = 500
COLLEGES = 10
HOSTS = 25
SITES_PER_PROJECT = 2
MEASURES_PER_PROJECT = 5
MONTHS = 24

BATCH_SIZE = 10  # the server's default SPRINGBOARD_MAX_BATCH_SIZE
THREADS = 4
TOKEN_MAX_AGE_S = 600  # access tokens live 15 minutes; sign in again after 10
WARMUP_S = 2
WRK_THREADS = 2
WRK_TIMEOUT = "10s"  # per-request timeout inside wrk (its default of 2 s would count slow answers as errors)
IDLE_AFTER_S = 30
STATEMENT_SAMPLES = 3

NESTED_PAGE = 50
NESTED_OBS = 24

QUERY_NESTED = ("query Nested { projects(first: 50) { edges { node { title measures { name "
                "observations(last: 24) { edges { node { periodStart value } } } } } } } }")
QUERY_ONE = "query One($id: ID!) { project(id: $id) { title lead { name } measures { name } } }"
QUERY_TYPENAME = "{ __typename }"


class BenchError(Exception):
    """A failure with a message meant for people."""


class GlobalTimeout(BenchError):
    pass


# --------------------------------------------------------------------------------------------
# Deadline, logging


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str = "") -> None:
        if self.remaining() <= 0:
            raise GlobalTimeout(f"global timeout of {self.seconds:.0f}s reached{(' during ' + what) if what else ''}")

    def cap(self, timeout: float) -> float:
        left = self.remaining()
        if left <= 0:
            raise GlobalTimeout(f"global timeout of {self.seconds:.0f}s reached")
        return max(0.1, min(timeout, left))


DEADLINE = Deadline(3600)
_print_lock = threading.Lock()


def log(msg: str) -> None:
    with _print_lock:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def short(obj: object, limit: int = 4000) -> str:
    text = obj if isinstance(obj, str) else json.dumps(obj, indent=1)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# --------------------------------------------------------------------------------------------
# Processes, psql


def kill_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stops a process we started in its own session (and its children), by its id."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def run_cmd(cmd: list[str], timeout: float, env: dict | None = None, stdin_text: str | None = None,
            what: str = "") -> subprocess.CompletedProcess:
    """Runs a command in its own session, capturing output; kills its group on timeout or error."""
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                                start_new_session=True)
    except FileNotFoundError as e:
        raise BenchError(f"{cmd[0]} not found: {e}") from e
    try:
        out, err = proc.communicate(input=stdin_text, timeout=DEADLINE.cap(timeout))
    except subprocess.TimeoutExpired as e:
        kill_group(proc, grace=5)
        DEADLINE.check(what or cmd[0])
        raise BenchError(f"{what or cmd[0]} did not finish within {timeout:.0f}s") from e
    except BaseException:
        kill_group(proc, grace=5)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def psql(sql: str, db: str = "postgres", timeout: float = 300, sep: str | None = None) -> str:
    cmd = ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", db, "-X", "-v", "ON_ERROR_STOP=1",
           "-tAq"]
    if sep is not None:
        cmd += ["-F", sep]
    cmd += ["-c", sql]
    out = run_cmd(cmd, timeout, what="psql")
    if out.returncode != 0:
        raise BenchError(f"psql failed ({out.returncode}) for `{short(sql, 600)}` on database {db}:\n{out.stderr.strip()}")
    return out.stdout.strip("\n")


def psql_plain(sql: str, db: str, timeout: float = 300) -> str:
    """psql with headers and aligned output (for EXPLAIN)."""
    cmd = ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", db, "-X", "-v", "ON_ERROR_STOP=1",
           "-q", "-c", sql]
    out = run_cmd(cmd, timeout, what="psql")
    if out.returncode != 0:
        raise BenchError(f"psql failed ({out.returncode}) on database {db}:\n{out.stderr.strip()}")
    return out.stdout.rstrip("\n")


def db_exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def drop_db(name: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def clone_db(template: str, name: str) -> None:
    drop_db(name)
    psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{template}' "
         f"AND pid <> pg_backend_pid()")
    for attempt in range(20):  # terminated backends take a moment to go
        try:
            psql(f"CREATE DATABASE {name} TEMPLATE {template}")
            return
        except BenchError as e:
            if "being accessed by other users" not in str(e) or attempt == 19:
                raise
            time.sleep(0.5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                kb = int(rest.split()[0])
                fields[key + "_MiB"] = round(kb / 1024.0, 1)
    return fields


def database_url(db: str) -> str:
    # sslmode=disable: sqlx's default (prefer) negotiates TLS with the local PostgreSQL, which
    # costs CPU on every request and is not what is being measured.
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}?sslmode=disable"


# --------------------------------------------------------------------------------------------
# Server


class Server:
    def __init__(self, binary: str, db_name: str, workdir: str, label: str, jwt_secrets: str,
                 extra_env: dict[str, str]):
        self.binary = binary
        self.db_name = db_name
        self.label = label
        self.port = free_port()
        self.base = f"127.0.0.1:{self.port}"
        self.log_path = os.path.join(workdir, f"server-{label}-{self.port}.log")
        self.jwt_secrets = jwt_secrets
        self.extra_env = extra_env
        self.proc: subprocess.Popen | None = None
        self.logf = None

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": database_url(self.db_name),
            "SPRINGBOARD_JWT_SECRETS": self.jwt_secrets,
            "SPRINGBOARD_DATA_KEYS": DATA_KEYS,
            "SPRINGBOARD_BIND": self.base,
            "SPRINGBOARD_MAX_BODY_BYTES": "16777216",
            "SPRINGBOARD_METRICS_TOKEN": METRICS_TOKEN,
            # One token drives every request here: measure throughput, not the per-caller budget
            # (a --server-env setting overrides this).
            "SPRINGBOARD_RATE_LIMIT_PER_SEC": "0",
            "RUST_LOG": "warn",
        })
        env.pop("SPRINGBOARD_DEMO", None)
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        if not os.path.isfile(self.binary):
            raise BenchError(f"{self.binary} does not exist (this script does not build; pass --binary)")
        self.logf = open(self.log_path, "wb")
        log(f"starting {self.label}: {self.binary} serve on {self.base}, database {self.db_name} (log: {self.log_path})")
        self.proc = subprocess.Popen(
            [self.binary, "serve"], cwd=REPO, env=self.env(), stdout=self.logf, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        self.wait_ready()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(data[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, limit: float = 180.0) -> None:
        t0 = time.monotonic()
        last = ""
        while time.monotonic() - t0 < limit:
            DEADLINE.check("waiting for /readyz")
            if self.proc.poll() is not None:
                raise BenchError(f"{self.label} server exited with code {self.proc.returncode} before becoming ready:\n{self.log_tail()}")
            try:
                status, body = http_get(self.port, "/readyz", timeout=2)
                if status == 200:
                    log(f"{self.label} server ready after {time.monotonic() - t0:.1f}s (pid {self.pid})")
                    return
                last = f"{status} {body[:200]!r}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.25)
        raise BenchError(f"{self.label} server not ready after {limit:.0f}s (last answer: {last}):\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        log(f"stopping {self.label} server (pid {self.pid})")
        try:
            kill_group(self.proc, grace=15)
        finally:
            if self.logf:
                try:
                    self.logf.close()
                except Exception:
                    pass


def create_admin(binary: str, db: str, jwt_secrets: str, extra_env: dict[str, str]) -> None:
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url(db), "SPRINGBOARD_ADMIN_PASSWORD": PASSWORD,
                "SPRINGBOARD_JWT_SECRETS": jwt_secrets, "RUST_LOG": "warn"})
    env.update(extra_env)
    log(f"{binary} create-admin --email {PLATFORM_ADMIN} (applies migrations to {db})")
    out = run_cmd([binary, "create-admin", "--email", PLATFORM_ADMIN, "--name", "Loading platform admin"], 300,
                  env=env, what="create-admin")
    if out.returncode != 0:
        raise BenchError(f"create-admin failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")


def http_get(port: int, path: str, timeout: float = 10) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE.cap(timeout))
    try:
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"} if path == "/metrics" else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def metrics(port: int) -> dict[str, float]:
    """Prometheus text → {'name{labels}': value} for our counters."""
    status, body = http_get(port, "/metrics")
    if status != 200:
        raise BenchError(f"GET /metrics answered {status}: {body[:300]!r}")
    out: dict[str, float] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        try:
            out[key] = float(value)
        except ValueError:
            pass
    return out


def metric_sum(m: dict[str, float], name: str, label_filter: str = "") -> float:
    total = 0.0
    for key, value in m.items():
        base = key.split("{", 1)[0]
        if base == name and label_filter in key:
            total += value
    return total


# --------------------------------------------------------------------------------------------
# GraphQL client


class GraphQLError(BenchError):
    def __init__(self, message: str, body: object = None, status: int | None = None):
        super().__init__(message)
        self.body = body
        self.status = status


class Client:
    def __init__(self, port: int):
        self.port = port

    def post_raw(self, body: bytes, token: str | None, timeout: float = 120.0) -> tuple[int, bytes, dict, float]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE.cap(timeout))
        try:
            conn.connect()
            t0 = time.perf_counter()
            conn.request("POST", "/graphql", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, data, dict(resp.getheaders()), time.perf_counter() - t0
        except (OSError, http.client.HTTPException) as e:
            raise BenchError(f"HTTP request to 127.0.0.1:{self.port}/graphql failed: {e!r}") from e
        finally:
            conn.close()

    def execute(self, query: str, variables: dict | None = None, token: str | None = None,
                what: str = "request", timeout: float = 120.0) -> dict:
        """One operation; raises GraphQLError unless 200 without top-level errors. Returns the
        whole parsed response."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        status, raw, headers, _ = self.post_raw(body, token, timeout)
        rid = headers.get("x-request-id") or headers.get("X-Request-Id") or "?"
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise GraphQLError(f"{what}: HTTP {status}, non-JSON body (request id {rid}):\n"
                               f"{short(raw.decode('utf-8', 'replace'))}", raw, status)
        if status != 200 or not isinstance(parsed, dict) or parsed.get("errors"):
            raise GraphQLError(f"{what}: HTTP {status} (request id {rid})\nrequest: {short(query, 1500)}\n"
                               f"variables: {short(variables or {}, 1500)}\nresponse: {short(parsed)}", parsed, status)
        return parsed

    def batch(self, ops: list[tuple[str, dict]], token: str | None, what: str, timeout: float = 300.0) -> list[dict]:
        """A JSON array of operations in one POST; returns each response's `data`. Any top-level
        error aborts with the body."""
        body = json.dumps([{"query": q, "variables": v} for q, v in ops]).encode()
        status, raw, headers, _ = self.post_raw(body, token, timeout)
        rid = headers.get("x-request-id") or headers.get("X-Request-Id") or "?"
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise GraphQLError(f"{what}: HTTP {status}, non-JSON body (request id {rid}):\n"
                               f"{short(raw.decode('utf-8', 'replace'))}", raw, status)
        if status != 200 or not isinstance(parsed, list) or len(parsed) != len(ops):
            raise GraphQLError(f"{what}: HTTP {status} (request id {rid}), expected an array of {len(ops)} "
                               f"responses:\n{short(parsed)}", parsed, status)
        out = []
        for i, item in enumerate(parsed):
            if not isinstance(item, dict) or item.get("errors") or item.get("data") is None:
                raise GraphQLError(f"{what}: operation {i + 1} of {len(ops)} failed (request id {rid})\n"
                                   f"request: {short(ops[i][0], 1500)}\nvariables: {short(ops[i][1], 1500)}\n"
                                   f"response: {short(item)}", item, status)
            out.append(item["data"])
        return out


USER_ERRORS = "userErrors { field message code }"

SIGN_IN = f"""mutation SignIn($email: String!, $password: String!) {{
  signIn(input: {{email: $email, password: $password}}) {{ {totp.SIGN_IN_FIELDS} {USER_ERRORS} }}
}}"""


def payload(data: dict, field: str, what: str) -> dict:
    p = data.get(field)
    if p is None:
        raise BenchError(f"{what}: no `{field}` in response data: {short(data)}")
    if p.get("userErrors"):
        raise BenchError(f"{what}: userErrors in `{field}`:\n{short(p)}")
    return p


class Session:
    """An account's access token, renewed by signing in again before it expires. Thread-safe."""

    def __init__(self, client: Client, email: str, password: str):
        self.client, self.email, self.password = client, email, password
        self._token: str | None = None
        self._at = 0.0
        self._lock = threading.Lock()
        self._authenticator = totp.Authenticator()

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() - self._at > TOKEN_MAX_AGE_S:
                data = self.client.execute(SIGN_IN, {"email": self.email, "password": self.password},
                                           what=f"signIn {self.email}")["data"]
                p = payload(data, "signIn", f"signIn {self.email}")
                self._token = self._authenticator.complete(
                    p, lambda q, v, w: self.client.execute(q, v, what=w)["data"], f"signIn {self.email}")
                self._at = time.monotonic()
            return self._token

    def run(self, query: str, variables: dict | None = None, what: str = "request") -> dict:
        return self.client.execute(query, variables, self.token(), what=f"{what} (as {self.email})")["data"]

    def batch(self, ops: list[tuple[str, dict]], what: str) -> list[dict]:
        return self.client.batch(ops, self.token(), what=f"{what} (as {self.email})")


# --------------------------------------------------------------------------------------------
# Seeding through the API

CREATE_INSTITUTION = f"""mutation CreateInstitution($input: CreateInstitutionInput!) {{
  createInstitution(input: $input) {{ institution {{ id slug }} invitationToken {USER_ERRORS} }}
}}"""
ACCEPT_INVITATION = f"""mutation AcceptInvitation($input: AcceptInvitationInput!) {{
  acceptInvitation(input: $input) {{ membership {{ id }} {USER_ERRORS} }}
}}"""
CREATE_PROGRAMME = f"""mutation CreateProgramme($input: CreateProgrammeInput!) {{
  createProgramme(input: $input) {{ programme {{ id isBiddingOpen fundingCriteria {{
    minimumScores {{ dimension minimumScore }} maxAssessmentAgeDays requiredRoleGroups minimumWeeklyHours }} }}
    {USER_ERRORS} }}
}}"""
CREATE_PROJECT = f"""mutation CreateProject($input: CreateProjectInput!) {{
  createProject(input: $input) {{ project {{ id status }} {USER_ERRORS} }}
}}"""
ADD_SITE = f"""mutation AddSite($input: AddProjectSiteInput!) {{
  addProjectSite(input: $input) {{ site {{ id status institution {{ slug }} }} {USER_ERRORS} }}
}}"""
RESPOND_SITE = f"""mutation RespondSite($input: RespondToProjectSiteInput!) {{
  respondToProjectSite(input: $input) {{ site {{ id status }} {USER_ERRORS} }}
}}"""
CREATE_ASSESSMENT = f"""mutation Assess($input: CreateCapacityAssessmentInput!) {{
  createCapacityAssessment(input: $input) {{ assessment {{ id status }} {USER_ERRORS} }}
}}"""
ADD_TEAM = f"""mutation AddTeam($input: AddTeamMemberInput!) {{
  addTeamMember(input: $input) {{ teamMember {{ id }} {USER_ERRORS} }}
}}"""
TRANSITION = f"""mutation Transition($input: TransitionProjectInput!) {{
  transitionProject(input: $input) {{ project {{ id status }} {USER_ERRORS} }}
}}"""
DECIDE = f"""mutation Decide($input: DecideFundingInput!) {{
  decideFunding(input: $input) {{ project {{ id status }} {USER_ERRORS} }}
}}"""
CREATE_MEASURE = f"""mutation CreateMeasure($input: CreateMeasureInput!) {{
  createMeasure(input: $input) {{ measure {{ id }} {USER_ERRORS} }}
}}"""
RECORD = f"""mutation Record($input: RecordObservationsInput!) {{
  recordObservations(input: $input) {{ recordedCount {USER_ERRORS} }}
}}"""
PROJECT_READINESS = """query Readiness($id: ID!) { project(id: $id) { status
  teamCapacity { meetsRule totalHours requiredHours missingRoleGroups }
  fundingReadiness { ready failures { field message code } } } }"""

DIMENSIONS = ["PROJECT_MANAGEMENT", "LEADERSHIP", "MONITORING_AND_EVALUATION", "DATA_INFRASTRUCTURE", "STAFF_TIME"]

# (name, kind, unit, direction) — 3 COUNT/CONTINUOUS and 2 PROPORTION, all MONTHLY
MEASURE_DEFS = [
    ("Inpatient falls", "OUTCOME", "COUNT", "LOWER_IS_BETTER"),
    ("Mean length of stay (days)", "BALANCING", "CONTINUOUS", "LOWER_IS_BETTER"),
    ("Unplanned readmissions", "OUTCOME", "COUNT", "LOWER_IS_BETTER"),
    ("Patients screened on admission", "PROCESS", "PROPORTION", "HIGHER_IS_BETTER"),
    ("Harm-free care", "OUTCOME", "PROPORTION", "HIGHER_IS_BETTER"),
]


def utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()  # the server's `today` is the UTC date


def months_before_current(count: int) -> list[str]:
    """The 1st of each of the `count` whole months before the current (UTC) month, oldest first."""
    today = utc_today()
    y, m = today.year, today.month
    out = []
    for _ in range(count):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(dt.date(y, m, 1).isoformat())
    return list(reversed(out))


def targets_for(scale: float) -> dict:
    projects = max(1, round(PROJECTS * scale))
    return {
        "projects": projects,
        "project_sites": projects * SITES_PER_PROJECT + 1,
        "measures": projects * MEASURES_PER_PROJECT,
        "observations": projects * MEASURES_PER_PROJECT * SITES_PER_PROJECT * MONTHS + MEASURES_PER_PROJECT * MONTHS,
    }


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def run_jobs(jobs: list[tuple[Session, list[tuple[str, dict, str]], object]], what: str) -> float:
    """Runs batches concurrently (THREADS). Each job: (session, [(query, variables, field)],
    callback(list_of_payloads)). Every userError or top-level error aborts. Returns seconds."""
    total_ops = sum(len(ops) for _, ops, _ in jobs)
    log(f"  {what}: {total_ops} operations in {len(jobs)} requests")
    t0 = time.monotonic()
    done = [0]
    last_print = [t0]
    lock = threading.Lock()
    stop = threading.Event()

    def one(job):
        session, ops, callback = job
        if stop.is_set():
            return
        DEADLINE.check(what)
        datas = session.batch([(q, v) for q, v, _ in ops], what)
        payloads = [payload(d, field, f"{what}: {field}") for d, (_, _, field) in zip(datas, ops)]
        if callback is not None:
            callback(payloads)
        with lock:
            done[0] += len(ops)
            now = time.monotonic()
            if now - last_print[0] >= 5:
                last_print[0] = now
                log(f"    {what}: {done[0]}/{total_ops} ({done[0] / (now - t0):.0f} ops/s)")

    with concurrent.futures.ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(one, job) for job in jobs]
        try:
            for fut in concurrent.futures.as_completed(futures, timeout=DEADLINE.cap(24 * 3600)):
                fut.result()
        except BaseException:
            stop.set()
            for f in futures:
                f.cancel()
            raise
    elapsed = time.monotonic() - t0
    log(f"    {what}: {total_ops} done in {elapsed:.1f}s ({total_ops / max(elapsed, 1e-9):.0f} ops/s)")
    return elapsed


def seed(client: Client, scale: float, db: str) -> dict:
    """Builds the dataset through GraphQL only. Returns what the measurements need."""
    t_start = time.monotonic()
    timings: dict[str, float] = {}
    tgt = targets_for(scale)
    n_projects = tgt["projects"]
    run_id = secrets.token_hex(3)
    today = utc_today()
    months = months_before_current(MONTHS)
    log(f"seeding {n_projects} projects ({tgt}) through the API; months {months[0]}..{months[-1]}")

    platform = Session(client, PLATFORM_ADMIN, PASSWORD)
    platform.token()

    # ---- institutions: 1 funder, 10 royal colleges, 25 hosts, each with an admin by invitation
    insts: list[dict] = [{"role": "funder", "kind": "FUNDER", "slug": f"loading-funder-{run_id}",
                          "name": f"Loading Improvement Fund {run_id}"}]
    insts += [{"role": "college", "kind": "ROYAL_COLLEGE", "slug": f"loading-college-{k:02d}-{run_id}",
               "name": f"Royal College of Loading {k:02d} ({run_id})"} for k in range(COLLEGES)]
    insts += [{"role": "host", "kind": "HOST_INSTITUTION", "slug": f"loading-host-{k:02d}-{run_id}",
               "name": f"Loading General Hospital {k:02d} ({run_id})"} for k in range(HOSTS)]
    nations = ["ENGLAND", "SCOTLAND", "WALES", "NORTHERN_IRELAND"]
    for k, inst in enumerate(insts):
        inst["email"] = f"admin@{inst['slug']}.example.org"
        inst["nation"] = nations[k % len(nations)]

    def created(batch_insts):
        def cb(payloads):
            for inst, p in zip(batch_insts, payloads):
                if not p.get("invitationToken"):
                    raise BenchError(f"createInstitution {inst['slug']}: no invitationToken for a new email: {short(p)}")
                inst["id"] = p["institution"]["id"]
                inst["invitation"] = p["invitationToken"]
        return cb

    t0 = time.monotonic()
    jobs = []
    for group in chunks(insts, BATCH_SIZE):
        ops = [(CREATE_INSTITUTION, {"input": {"name": i["name"], "slug": i["slug"], "kind": i["kind"],
                                                "nation": i["nation"], "firstAdminEmail": i["email"]}},
                "createInstitution") for i in group]
        jobs.append((platform, ops, created(group)))
    run_jobs(jobs, "createInstitution")

    anonymous = Session(client, "", "")
    anonymous._token = ""  # acceptInvitation for a new account needs no credentials
    anonymous._at = float("inf")
    jobs = []
    for group in chunks(insts, BATCH_SIZE):
        ops = [(ACCEPT_INVITATION, {"input": {"token": i["invitation"], "name": f"Admin of {i['name']}"[:200],
                                               "password": PASSWORD}}, "acceptInvitation") for i in group]
        jobs.append((anonymous, ops, None))
    run_jobs(jobs, "acceptInvitation")
    for inst in insts:
        inst["session"] = Session(client, inst["email"], PASSWORD)
    timings["institutions"] = time.monotonic() - t0

    funder = insts[0]
    colleges = [i for i in insts if i["role"] == "college"]
    hosts = [i for i in insts if i["role"] == "host"]
    fs: Session = funder["session"]

    # ---- programme
    t0 = time.monotonic()
    data = fs.run(CREATE_PROGRAMME, {"input": {
        "name": f"Loading programme {run_id}", "objectives": "Measure nested reads",
        "biddingOpensOn": (today - dt.timedelta(days=1)).isoformat(),
        "biddingClosesOn": (today + dt.timedelta(days=60)).isoformat(),
        "fundingCriteria": {"minimumScores": [{"dimension": d, "minimumScore": 1} for d in DIMENSIONS],
                            "maxAssessmentAgeDays": 365}}}, what="createProgramme")
    programme = payload(data, "createProgramme", "createProgramme")["programme"]
    if not programme["isBiddingOpen"]:
        raise BenchError(f"createProgramme: the programme is not open for bidding today: {short(programme)}")
    criteria = programme["fundingCriteria"]
    log(f"  programme {programme['id']}: criteria {json.dumps(criteria)}")

    # A team meeting the springboard rule: the first role of every group, hours split evenly
    groups = criteria["requiredRoleGroups"] or [["CLINICAL_LEAD"]]
    per_member = math.ceil((float(criteria["minimumWeeklyHours"]) + 1.0) / len(groups) * 2) / 2
    team_roles = [(g[0], per_member) for g in groups]
    min_scores = {m["dimension"]: m["minimumScore"] for m in criteria["minimumScores"]}
    scores = [{"dimension": d, "score": max(3, min_scores.get(d, 0)), "evidence": "Benchmark seed"} for d in DIMENSIONS]
    if any(s["score"] > 4 for s in scores):
        raise BenchError(f"the programme's minimum scores cannot be met: {criteria}")
    timings["programme"] = time.monotonic() - t0

    # ---- projects
    projects = [{"k": k, "college": colleges[k % COLLEGES], "title": f"Loading project {k:04d} ({run_id})"}
                for k in range(n_projects)]
    for p in projects:
        k = p["k"]
        p["hosts"] = [hosts[(2 * k) % HOSTS], hosts[(2 * k + 1) % HOSTS]]
    projects[0]["hosts"].append(hosts[2 % HOSTS] if HOSTS > 2 else hosts[-1])  # the one 3-site project
    if len({h["slug"] for h in projects[0]["hosts"]}) != 3:
        raise BenchError("need at least 3 hosts for the 3-site project")

    def by_college(items: list[dict], key=lambda x: x["college"]) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for it in items:
            out.setdefault(key(it)["slug"], []).append(it)
        return out

    def set_field(items, name, getter):
        def cb(payloads):
            for it, pl in zip(items, payloads):
                it[name] = getter(pl)
        return cb

    def jobs_for(items: list[dict], session_of, op_of, field: str, store=None, size: int = BATCH_SIZE):
        """Batches per session (items of one session only), each of up to `size` operations."""
        grouped: dict[int, tuple[Session, list[dict]]] = {}
        for it in items:
            s = session_of(it)
            grouped.setdefault(id(s), (s, []))[1].append(it)
        jobs = []
        # interleave sessions so the threads spread over institutions
        lists = [(s, chunks(its, size)) for s, its in grouped.values()]
        for round_ in range(max((len(c) for _, c in lists), default=0)):
            for s, cs in lists:
                if round_ < len(cs):
                    group = cs[round_]
                    ops = [(op_of(it)[0], op_of(it)[1], field) for it in group]
                    jobs.append((s, ops, store(group) if store else None))
        return jobs

    t0 = time.monotonic()
    run_jobs(jobs_for(projects, lambda p: p["college"]["session"],
                      lambda p: (CREATE_PROJECT, {"input": {
                          "programmeId": programme["id"], "title": p["title"],
                          "aimStatement": "Reduce harm measurably across sites", "clinicalArea": "Patient safety",
                          "budgetRequested": 100000}}),
                      "createProject", lambda g: set_field(g, "id", lambda pl: pl["project"]["id"])),
             "createProject")
    timings["createProject"] = time.monotonic() - t0

    sites = [{"project": p, "host": h, "college": p["college"]} for p in projects for h in p["hosts"]]
    t0 = time.monotonic()
    run_jobs(jobs_for(sites, lambda s: s["college"]["session"],
                      lambda s: (ADD_SITE, {"input": {"projectId": s["project"]["id"], "institutionId": s["host"]["id"]}}),
                      "addProjectSite", lambda g: set_field(g, "id", lambda pl: pl["site"]["id"])),
             "addProjectSite")
    run_jobs(jobs_for(sites, lambda s: s["host"]["session"],
                      lambda s: (RESPOND_SITE, {"input": {"siteId": s["id"], "accept": True}}),
                      "respondToProjectSite", lambda g: set_field(g, "status", lambda pl: pl["site"]["status"])),
             "respondToProjectSite")
    bad = [s for s in sites if s.get("status") != "ACCEPTED"]
    if bad:
        raise BenchError(f"{len(bad)} sites not ACCEPTED after respondToProjectSite, e.g. {bad[0].get('status')}")
    timings["sites"] = time.monotonic() - t0

    t0 = time.monotonic()
    members = [{"project": p, "college": p["college"], "role": role, "hours": hours, "n": n}
               for p in projects for n, (role, hours) in enumerate(team_roles)]
    run_jobs(jobs_for(members, lambda m: m["college"]["session"],
                      lambda m: (ADD_TEAM, {"input": {
                          "projectId": m["project"]["id"], "institutionId": m["college"]["id"],
                          "externalName": f"Team member {m['n'] + 1} ({m['role'].lower().replace('_', ' ')})",
                          "role": m["role"], "hoursPerWeek": m["hours"]}}),
                      "addTeamMember"),
             "addTeamMember")
    first = projects[0]
    data = first["college"]["session"].run(PROJECT_READINESS, {"id": first["id"]}, what="teamCapacity check")
    cap = data["project"]["teamCapacity"]
    if not cap["meetsRule"]:
        raise BenchError(f"the seeded team does not meet the springboard rule: {short(data)}")
    run_jobs(jobs_for(projects, lambda p: p["college"]["session"],
                      lambda p: (TRANSITION, {"input": {"projectId": p["id"], "to": "SUBMITTED"}}),
                      "transitionProject"),
             "transitionProject SUBMITTED")
    # The funder sees a bid from its submission on, so it assesses the sites now.
    run_jobs(jobs_for(sites, lambda s: fs,
                      lambda s: (CREATE_ASSESSMENT, {"input": {
                          "assessedInstitutionId": s["host"]["id"], "projectId": s["project"]["id"],
                          "assessedOn": today.isoformat(), "dimensions": scores, "submit": True}}),
                      "createCapacityAssessment"),
             "createCapacityAssessment")
    data = fs.run(PROJECT_READINESS, {"id": first["id"]}, what="fundingReadiness check")
    if not data["project"]["fundingReadiness"]["ready"]:
        raise BenchError(f"the first project is not ready for funding: {short(data)}")
    run_jobs(jobs_for(projects, lambda p: fs,
                      lambda p: (DECIDE, {"input": {"projectId": p["id"], "decision": "FUNDED", "awardedBudget": 90000}}),
                      "decideFunding"),
             "decideFunding FUNDED")
    run_jobs(jobs_for(projects, lambda p: fs,
                      lambda p: (TRANSITION, {"input": {"projectId": p["id"], "to": "ACTIVE"}}),
                      "transitionProject"),
             "transitionProject ACTIVE")
    timings["team_and_lifecycle"] = time.monotonic() - t0

    t0 = time.monotonic()
    measures = [{"project": p, "college": p["college"], "j": j} for p in projects for j in range(MEASURES_PER_PROJECT)]
    run_jobs(jobs_for(measures, lambda m: m["college"]["session"],
                      lambda m: (CREATE_MEASURE, {"input": {
                          "projectId": m["project"]["id"], "name": MEASURE_DEFS[m["j"]][0],
                          "operationalDefinition": "Synthetic monthly values for the loading benchmark",
                          "kind": MEASURE_DEFS[m["j"]][1], "unit": MEASURE_DEFS[m["j"]][2],
                          "direction": MEASURE_DEFS[m["j"]][3], "frequency": "MONTHLY"}}),
                      "createMeasure", lambda g: set_field(g, "id", lambda pl: pl["measure"]["id"])),
             "createMeasure")
    timings["createMeasure"] = time.monotonic() - t0

    def rows_for(m: dict) -> list[dict]:
        # Period-major (each month, then each site): the API lists observations in the order they
        # were first recorded, so `last: 24` is then the latest periods, as the SQL ceiling reads.
        rng = random.Random(f"{m['project']['k']}-{m['j']}")
        unit = MEASURE_DEFS[m["j"]][2]
        rows = []
        for t, month in enumerate(months):
            for s, host in enumerate(m["project"]["hosts"]):
                row: dict = {"site": host["slug"], "periodStart": month}
                if unit == "COUNT":
                    row["value"] = float(max(0, round(rng.gauss(20 + 3 * s - 0.2 * t, 4))))
                elif unit == "CONTINUOUS":
                    row["value"] = round(rng.gauss(6.0 + 0.5 * s - 0.02 * t, 0.6), 3)
                else:
                    den = rng.randint(80, 160)
                    row["numerator"] = float(min(den, max(0, round(den * (0.6 + 0.01 * t) + rng.gauss(0, 6)))))
                    row["denominator"] = float(den)
                rows.append(row)
        return rows

    def check_recorded(group):
        def cb(payloads):
            for m, pl in zip(group, payloads):
                want = MONTHS * len(m["project"]["hosts"])
                if pl.get("recordedCount") != want:
                    raise BenchError(f"recordObservations: recordedCount {pl.get('recordedCount')}, expected {want}: {short(pl)}")
        return cb

    t0 = time.monotonic()
    run_jobs(jobs_for(measures, lambda m: m["college"]["session"],
                      lambda m: (RECORD, {"input": {"measureId": m["id"], "observations": rows_for(m)}}),
                      "recordObservations", check_recorded),
             "recordObservations")
    timings["recordObservations"] = time.monotonic() - t0

    counts = table_counts(db)
    log(f"  counts in {db}: {counts}; targets {tgt}")
    if counts != tgt:
        raise BenchError(f"seeded counts differ from the targets: got {counts}, expected {tgt}")
    # Statistics as autovacuum would eventually leave them, the same for every clone
    psql("VACUUM (ANALYZE)", db=db, timeout=600)
    total = time.monotonic() - t_start
    log(f"seeding finished in {total:.1f}s")
    return {
        "run_id": run_id,
        "seconds": round(total, 1),
        "phase_seconds": {k: round(v, 1) for k, v in timings.items()},
        "counts": counts,
        "targets": tgt,
        "months": [months[0], months[-1]],
        "funder_email": funder["email"],
        "funder_slug": funder["slug"],
        "programme_id": programme["id"],
        "project_id": projects[0]["id"],
        "project_title": projects[0]["title"],
        "three_site_project_id": projects[0]["id"],
        "team_rule": {"roles": team_roles, "criteria": criteria},
    }


def table_counts(db: str) -> dict:
    out = psql("SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM project_sites), "
               "(SELECT count(*) FROM measures), (SELECT count(*) FROM observations)", db=db)
    a, b, c, d = (int(x) for x in out.split("|"))
    return {"projects": a, "project_sites": b, "measures": c, "observations": d}


# --------------------------------------------------------------------------------------------
# Measurements

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def parse_time_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise BenchError(f"cannot parse wrk time {text!r}")
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(out: str) -> dict:
    res: dict = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise BenchError(f"wrk printed no Requests/sec:\n{out}")
    res["requests_per_s"] = float(m.group(1))
    m = re.search(r"(\d+) requests in ([\d.]+\w+),", out)
    if m:
        res["requests"] = int(m.group(1))
        res["elapsed_ms"] = parse_time_ms(m.group(2))
    dist = {}
    for pct, val in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, flags=re.M):
        dist[f"p{pct}_ms"] = round(parse_time_ms(val), 3)
    if "p50_ms" not in dist or "p99_ms" not in dist:
        raise BenchError(f"wrk printed no latency distribution:\n{out}")
    res.update(dist)
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    if m:
        res["latency_avg_ms"] = round(parse_time_ms(m.group(1)), 3)
        res["latency_max_ms"] = round(parse_time_ms(m.group(3)), 3)
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = ({"connect": int(m.group(1)), "read": int(m.group(2)), "write": int(m.group(3)),
                             "timeout": int(m.group(4))} if m else {"connect": 0, "read": 0, "write": 0, "timeout": 0})
    return res


def lua_long_string(s: str) -> str:
    level = 1
    while f"]{'=' * level}]" in s:
        level += 1
    eq = "=" * level
    return f"[{eq}[{s}]{eq}]"


def write_lua(workdir: str, name: str, body: str, token: str | None) -> str:
    path = os.path.join(workdir, f"wrk-{name}.lua")
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"',
             'wrk.headers["Accept"] = "application/json"']
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    lines.append(f"wrk.body = {lua_long_string(body)}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run_wrk(port: int, script: str, connections: int, duration: float) -> tuple[dict, str]:
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{int(max(1, round(duration)))}s", "--latency",
           "--timeout", WRK_TIMEOUT, "-s", script, f"http://127.0.0.1:{port}/graphql"]
    out = run_cmd(cmd, duration + 60, what="wrk")
    if out.returncode != 0:
        raise BenchError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return parse_wrk(out.stdout), out.stdout


def query_defs(info: dict, token: str) -> list[dict]:
    return [
        {"name": "nested", "body": json.dumps({"query": QUERY_NESTED}), "token": token},
        {"name": "project_by_id", "body": json.dumps({"query": QUERY_ONE, "variables": {"id": info["project_id"]}}),
         "token": token},
        {"name": "typename_token", "body": json.dumps({"query": QUERY_TYPENAME}), "token": token},
        {"name": "typename_anonymous", "body": json.dumps({"query": QUERY_TYPENAME}), "token": None},
    ]


def post_body(port: int, body: str, token: str | None, timeout: float = 120) -> tuple[int, dict | list | None, bytes]:
    status, raw, _, _ = Client(port).post_raw(body.encode(), token, timeout)
    try:
        return status, json.loads(raw), raw
    except ValueError:
        return status, None, raw


def check_response(q: dict, status: int, parsed, raw: bytes, info: dict) -> dict:
    """Raises with the body when the answer is not a clean 200 with the expected data."""
    if status != 200 or not isinstance(parsed, dict) or parsed.get("errors") or parsed.get("data") is None:
        hint = ""
        text = raw.decode("utf-8", "replace")
        if "omplex" in text:
            hint = ("\nhint: the query exceeds the server's complexity limit; raise it with "
                    "--server-env SPRINGBOARD_MAX_QUERY_COMPLEXITY=10000")
        raise BenchError(f"query {q['name']}: HTTP {status}, response:\n{short(text, 3000)}{hint}")
    data = parsed["data"]
    facts: dict = {}
    if q["name"] == "nested":
        edges = data["projects"]["edges"]
        want_projects = min(NESTED_PAGE, info["targets"]["projects"])
        n_measures = sum(len(e["node"]["measures"]) for e in edges)
        n_obs = sum(len(m["observations"]["edges"]) for e in edges for m in e["node"]["measures"])
        want_obs = want_projects * MEASURES_PER_PROJECT * NESTED_OBS
        facts = {"projects": len(edges), "measures": n_measures, "observation_nodes": n_obs,
                 "expected_observation_nodes": want_obs}
        if len(edges) != want_projects or n_measures != want_projects * MEASURES_PER_PROJECT or n_obs != want_obs:
            raise BenchError(f"nested query: expected {want_projects} projects x {MEASURES_PER_PROJECT} measures x "
                             f"{NESTED_OBS} observations = {want_obs} nodes, got {facts}")
    elif q["name"] == "project_by_id":
        p = data.get("project")
        if not p or len(p.get("measures") or []) != MEASURES_PER_PROJECT or not (p.get("lead") or {}).get("name"):
            raise BenchError(f"project by id: unexpected data {short(data)}")
        facts = {"title": p["title"], "measures": len(p["measures"])}
    else:
        if data.get("__typename") != "Query":
            raise BenchError(f"{q['name']}: unexpected data {short(data)}")
    return facts


def requests_by_outcome(port: int) -> dict[str, float]:
    m = metrics(port)
    return {o: metric_sum(m, "springboard_graphql_requests_total", f'outcome="{o}"') for o in ("ok", "error", "rejected")}


def statements_per_request(port: int, q: dict) -> list[int]:
    out = []
    for _ in range(STATEMENT_SAMPLES):
        DEADLINE.check("statements per request")
        time.sleep(0.3)  # let anything still in flight finish
        before = metric_sum(metrics(port), "springboard_db_statements_total")
        status, parsed, raw = post_body(port, q["body"], q["token"])
        if status != 200 or not isinstance(parsed, dict) or parsed.get("errors"):
            raise BenchError(f"{q['name']} (statements probe): HTTP {status}: {short(raw.decode('utf-8', 'replace'))}")
        time.sleep(0.3)
        after = metric_sum(metrics(port), "springboard_db_statements_total")
        out.append(int(round(after - before)))
    return out


def sign_in_funder(port: int, info: dict) -> str:
    s = Session(Client(port), info["funder_email"], PASSWORD)
    return s.token()


def ceiling_sql(funder_id: str) -> str:
    """The rows the nested query shows the funder: its first 50 visible projects by id (a funder
    sees the projects of its programmes; it can neither lead nor host), each project's measures,
    and each measure's 24 latest observations (by period, then recording order, newest first).
    No final ORDER BY: the row set is what must match, and sorting 6,000 wide rows would
    roughly double the execution time (the comparison with the API sorts both sides)."""
    return (
        "SELECT p.title, m.name, o.period_start, o.value "
        "FROM (SELECT id, title FROM projects "
        f"WHERE programme_id IN (SELECT id FROM programmes WHERE funder_institution_id = '{funder_id}') "
        f"ORDER BY id LIMIT {NESTED_PAGE}) p "
        "JOIN measures m ON m.project_id = p.id "
        "CROSS JOIN LATERAL (SELECT ob.period_start, ob.value FROM observations ob "
        f"WHERE ob.measure_id = m.id ORDER BY ob.period_start DESC, ob.id DESC LIMIT {NESTED_OBS}) o"
    )


def api_rows(nested_data: dict) -> list[tuple]:
    rows = []
    for e in nested_data["projects"]["edges"]:
        n = e["node"]
        for m in n["measures"]:
            for oe in m["observations"]["edges"]:
                o = oe["node"]
                rows.append((n["title"], m["name"], o["periodStart"], None if o["value"] is None else round(float(o["value"]), 9)))
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], -1e300 if r[3] is None else r[3]))


def sql_rows(text: str) -> list[tuple]:
    rows = []
    for line in text.splitlines():
        if not line:
            continue
        title, name, period, value = line.split("\x1f")
        rows.append((title, name, period, None if value == "" else round(float(value), 9)))
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], -1e300 if r[3] is None else r[3]))


def pgbench_ceiling(db: str, sql: str, connections: int, duration: float, workdir: str, label: str) -> dict:
    path = os.path.join(workdir, f"ceiling-{label}.sql")
    with open(path, "w") as f:
        f.write(sql + ";\n")

    def once(secs: float) -> tuple[float, str]:
        cmd = ["pgbench", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-n", "-f", path,
               "-c", str(connections), "-j", "2", "-T", str(int(max(1, round(secs)))), db]
        out = run_cmd(cmd, secs + 120, what="pgbench")
        text = out.stdout + out.stderr
        if out.returncode != 0:
            raise BenchError(f"pgbench failed ({out.returncode}):\n{text}")
        m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
        if not m:
            raise BenchError(f"pgbench printed no tps:\n{text}")
        return float(m.group(1)), out.stdout

    once(WARMUP_S)
    tps, raw = once(duration)
    lat = re.search(r"latency average = ([\d.]+) ms", raw)
    failed = re.search(r"number of failed transactions: (\d+)", raw)
    return {"tps": tps, "latency_avg_ms": float(lat.group(1)) if lat else None,
            "failed_transactions": int(failed.group(1)) if failed else 0, "sql_file": path, "raw": raw}


# ---- auto_explain


def find_pg_log() -> str | None:
    try:
        out = run_cmd(["pg_lsclusters", "-h"], 30, what="pg_lsclusters")
        for line in out.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 7 and parts[2] == str(PG_PORT):
                return parts[6]
    except BenchError:
        pass
    try:
        path = psql("SELECT pg_current_logfile()")
        if path:
            return path if path.startswith("/") else os.path.join(psql("SHOW data_directory"), path)
    except BenchError:
        pass
    return None


ENTRY_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


SCAN_NODE = re.compile(r"(Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan|Seq Scan)"
                       r"(?: Backward)?(?: using (\S+))?(?: on (\S+))?")


def plan_scans(plan_text: str, observation_indexes: set[str]) -> list[dict]:
    """Scan nodes of a text plan with their Index Cond / Filter / rows removed by the filter."""
    scans: list[dict] = []
    current: dict | None = None
    for line in plan_text.splitlines():
        body = line.strip()
        if body.startswith("->"):
            body = body[2:].strip()
        m = SCAN_NODE.match(body) if (line.strip().startswith("->") or not scans) else None
        if m:
            kind, idx, target = m.group(1), m.group(2), m.group(3)
            if kind == "Bitmap Index Scan":
                # "Bitmap Index Scan on <index>": the table is the one the index belongs to
                idx = target
                table = "observations" if idx in observation_indexes else "?"
            else:
                table = target
            current = {"kind": kind + (" Backward" if " Backward" in body.split("(")[0] else ""), "index": idx,
                       "table": table, "index_cond": None, "filter": None, "rows_removed_by_filter": 0}
            scans.append(current)
            continue
        if line.strip().startswith("->"):
            current = None  # another node
            continue
        if current is not None:
            if body.startswith("Index Cond:"):
                current["index_cond"] = body[len("Index Cond:"):].strip()
            elif body.startswith("Filter:"):
                current["filter"] = body[len("Filter:"):].strip()
            elif body.startswith("Rows Removed by Filter:"):
                current["rows_removed_by_filter"] = int(body.split(":")[1])
    return scans


def parse_plans(text: str, db: str, observation_indexes: set[str]) -> list[dict]:
    entries: list[str] = []
    for line in text.splitlines():
        if ENTRY_START.match(line):
            entries.append(line)
        elif entries:
            entries[-1] += "\n" + line
    plans = []
    for entry in entries:
        if f"@{db} " not in entry.split("\n", 1)[0] or "plan:" not in entry:
            continue
        m = re.search(r"duration: ([\d.]+) ms", entry)
        qm = re.search(r"Query Text: (.*)", entry)
        body = entry.split("Query Text:", 1)[-1]
        plan_lines = [ln[1:] if ln.startswith("\t") else ln for ln in body.split("\n")[1:]]
        plan_text = "\n".join(plan_lines).strip("\n")
        scans = plan_scans(plan_text, observation_indexes)
        obs = [s for s in scans if s["table"] == "observations"]
        by_index = [s for s in obs if s["kind"] != "Seq Scan" and s["kind"] != "Bitmap Heap Scan"]
        plans.append({
            "duration_ms": float(m.group(1)) if m else None,
            "query": qm.group(1).strip() if qm else "",
            "reads_observations": bool(obs) or '"observations"' in (qm.group(1) if qm else ""),
            "observations_scans": obs,
            "observations_index_scan": bool(by_index) and not any(s["kind"] == "Seq Scan" for s in obs),
            "observations_indexes": sorted({s["index"] for s in by_index if s["index"]}),
            # an index scan whose index selects nothing (no Index Cond) and filters row by row
            "observations_rows_removed_by_filter": sum(s["rows_removed_by_filter"] for s in obs),
            "observations_index_without_cond": any(s["index_cond"] is None for s in by_index),
            "scans": scans,
            "plan": plan_text,
        })
    return plans


def capture_server_plans(binary: str, db: str, label: str, info: dict, workdir: str, jwt: str,
                         extra_env: dict[str, str]) -> dict:
    try:
        psql("LOAD 'auto_explain'", db=db)
    except BenchError as e:
        log(f"  auto_explain unavailable ({e}); skipping the server's plans")
        return {"available": False, "reason": str(e)}
    logfile = find_pg_log()
    if not logfile or not os.access(logfile, os.R_OK):
        log(f"  PostgreSQL log not found or not readable ({logfile}); skipping the server's plans")
        return {"available": False, "reason": f"log not readable: {logfile}"}
    settings = [("session_preload_libraries", "'auto_explain'"), ("auto_explain.log_min_duration", "0"),
                ("auto_explain.log_analyze", "on")]
    obs_indexes = set(filter(None, psql("SELECT indexname FROM pg_indexes WHERE tablename = 'observations'", db=db).split("\n")))
    server = None
    try:
        for name, value in settings:
            psql(f"ALTER DATABASE {db} SET {name} = {value}")
        server = Server(binary, db, workdir, f"{label}-auto-explain", jwt, extra_env)
        server.start()
        token = sign_in_funder(server.port, info)
        time.sleep(0.5)
        offset = os.path.getsize(logfile)
        q = query_defs(info, token)[0]
        status, parsed, raw = post_body(server.port, q["body"], token)
        if status != 200 or not isinstance(parsed, dict) or parsed.get("errors"):
            raise BenchError(f"nested (auto_explain run): HTTP {status}: {short(raw.decode('utf-8', 'replace'), 2000)}")
        time.sleep(1.5)  # let PostgreSQL write the log
        with open(logfile, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
    finally:
        if server is not None:
            server.stop()
        for name, _ in settings:
            try:
                psql(f"ALTER DATABASE {db} RESET {name}")
            except BenchError as e:
                log(f"  could not RESET {name} on {db}: {e}")
    plans = parse_plans(text, db, obs_indexes)
    return {"available": True, "log_file": logfile, "plans": plans, "statements": len(plans),
            "observation_indexes_in_schema": sorted(obs_indexes)}


def print_plans(label: str, cap: dict | None) -> None:
    if not cap:
        print(f"\n[{label}] server plans: not captured (the step failed, see above)")
        return
    if not cap.get("available"):
        print(f"\n[{label}] server plans: auto_explain unavailable: {cap.get('reason')}")
        return
    plans = cap["plans"]
    print(f"\n[{label}] server plans for one nested request (auto_explain, {len(plans)} statements logged):")
    if not plans:
        print("  (no plans found in the log)")
        return
    grouped: dict[str, list[dict]] = {}
    for p in plans:
        grouped.setdefault(p["query"], []).append(p)
    for k, (query, ps) in enumerate(grouped.items(), 1):
        total = sum(p["duration_ms"] or 0 for p in ps)
        obs = [p for p in ps if p["reads_observations"]]
        print(f"  #{k} x{len(ps)} ({total:.2f} ms total): {short(query, 200)}")
        if not obs:
            print("      does not read observations")
            continue
        # the same statement may get different plans (custom, then generic after 5 executions)
        variants: dict[tuple, list[dict]] = {}
        for p in obs:
            key = tuple((s["kind"], s["index"], s["index_cond"] is not None) for s in p["observations_scans"])
            variants.setdefault(key, []).append(p)
        for key, vs in variants.items():
            removed = [p["observations_rows_removed_by_filter"] for p in vs]
            idx = sorted({i for p in vs for i in p["observations_indexes"]})
            kinds = ", ".join(f"{kind}{'' if has_cond else ' (no Index Cond)'}" for kind, _, has_cond in key)
            verdict = "INDEX SCAN" if all(p["observations_index_scan"] for p in vs) else "NOT an index scan"
            extra = ""
            if any(p["observations_index_without_cond"] for p in vs) or max(removed) > 0:
                extra = (f"; the index selects nothing, rows filtered one by one: removed by filter "
                         f"{min(removed)}..{max(removed)} per statement")
            print(f"      x{len(vs)}: observations {verdict} [{kinds or 'no scan node'}] indexes {idx or '-'}{extra}")
    if len(grouped) <= 6:
        shown = set()
        for query, ps in grouped.items():
            for p in ps:
                key = tuple((sc["kind"], sc["index"]) for sc in p["scans"])
                if (query, key) in shown:
                    continue
                shown.add((query, key))
                print(f"  --- plan of: {short(query, 160)}")
                print("\n".join("    " + line for line in p["plan"].splitlines()))


# ---- one binary


def measure_binary(res: dict, label: str, binary: str, db: str, info: dict, args, workdir: str, jwt: str,
                   extra_env: dict[str, str]) -> dict:
    """Fills `res` as it goes, so a failure or timeout still leaves what was measured."""
    res.update({"label": label, "binary": binary, "database": db, "errors": {}})

    def step(name: str, fn):
        try:
            DEADLINE.check(name)
            return fn()
        except GlobalTimeout:
            raise
        except BenchError as e:
            log(f"  [{label}] step {name} FAILED: {e}")
            res["errors"][name] = str(e)
        except Exception as e:  # keep measuring the other steps
            traceback.print_exc()
            res["errors"][name] = f"{type(e).__name__}: {e}"
        return None

    server = Server(binary, db, workdir, label, jwt, extra_env)
    nested_data = None
    try:
        server.start()
        res["server_log"] = server.log_path
        res["memory"] = {"idle_after_start": proc_status(server.pid)}
        res["counts"] = table_counts(db)
        token = sign_in_funder(server.port, info)
        queries = query_defs(info, token)

        # 1. every query once: no errors, and the nested one holds the expected nodes
        res["checks"] = {}
        ok_queries = []
        for q in queries:
            def check(q=q):
                status, parsed, raw = post_body(server.port, q["body"], q["token"])
                facts = check_response(q, status, parsed, raw, info)
                return facts, parsed
            out = step(f"check_{q['name']}", check)
            if out is not None:
                res["checks"][q["name"]] = out[0]
                ok_queries.append(q)
                if q["name"] == "nested":
                    nested_data = out[1]["data"]
                    log(f"  [{label}] nested: {out[0]}")

        # 2. SQL statements per request
        res["statements"] = {}
        for q in ok_queries:
            s = step(f"statements_{q['name']}", lambda q=q: statements_per_request(server.port, q))
            if s is not None:
                res["statements"][q["name"]] = s
                log(f"  [{label}] statements per request, {q['name']}: {s}")

        # 3. load
        res["load"] = {}
        for q in ok_queries:
            def load(q=q):
                script = write_lua(workdir, f"{label}-{q['name']}", q["body"], q["token"])
                warm, _ = run_wrk(server.port, script, args.connections, WARMUP_S)
                before = requests_by_outcome(server.port)
                result, raw = run_wrk(server.port, script, args.connections, args.duration)
                after = requests_by_outcome(server.port)
                result["graphql_outcomes"] = {k: int(after[k] - before[k]) for k in after}
                result["warmup"] = warm
                result["raw"] = raw
                problems = []
                if result["non_2xx"] > 0:
                    problems.append(f"{result['non_2xx']} non-2xx responses")
                if sum(result["socket_errors"].values()) > 0:
                    problems.append(f"socket errors {result['socket_errors']}")
                if result["graphql_outcomes"]["error"] or result["graphql_outcomes"]["rejected"]:
                    problems.append(f"GraphQL outcomes {result['graphql_outcomes']}")
                res["load"][q["name"]] = result
                log(f"  [{label}] {q['name']:18s} {result['requests_per_s']:9.1f} req/s  p50 {result['p50_ms']:8.2f} ms  "
                    f"p99 {result['p99_ms']:8.2f} ms  non-2xx {result['non_2xx']}  socket errors "
                    f"{sum(result['socket_errors'].values())}")
                if problems:
                    raise BenchError(f"load {q['name']}: " + "; ".join(problems))
                # and the answer is still right after the load
                status, parsed, raw = post_body(server.port, q["body"], q["token"])
                check_response(q, status, parsed, raw, info)
                return result
            step(f"load_{q['name']}", load)

        if not server.alive():
            raise BenchError(f"{label} server died during the run:\n{server.log_tail()}")
        res["memory"]["after_load"] = proc_status(server.pid)
        log(f"  [{label}] memory after load {res['memory']['after_load']}; idling {IDLE_AFTER_S}s")
        end = time.monotonic() + IDLE_AFTER_S
        while time.monotonic() < end:
            DEADLINE.check("idle wait")
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        res["memory"]["after_idle_30s"] = proc_status(server.pid)
        log(f"  [{label}] memory after {IDLE_AFTER_S}s idle {res['memory']['after_idle_30s']}")
    finally:
        server.stop()

    # 4. database ceiling, on the clone with no server running
    def ceiling():
        funder_id = psql(f"SELECT id FROM institutions WHERE slug = '{info['funder_slug']}'", db=db)
        if not funder_id:
            raise BenchError(f"funder {info['funder_slug']} not found in {db}")
        sql = ceiling_sql(funder_id)
        out = psql(sql, db=db, sep="\x1f")
        rows = sql_rows(out)
        want = min(NESTED_PAGE, info["targets"]["projects"]) * MEASURES_PER_PROJECT * NESTED_OBS
        c = {"sql": sql, "rows": len(rows), "expected_rows": want}
        if nested_data is not None:
            c["matches_api"] = rows == api_rows(nested_data)
        res["ceiling"] = c
        if len(rows) != want:
            raise BenchError(f"the ceiling statement returned {len(rows)} rows, expected {want}")
        c["explain"] = psql_plain("EXPLAIN (ANALYZE, BUFFERS) " + sql, db)
        bench = pgbench_ceiling(db, sql, args.connections, args.duration, workdir, label)
        c.update(bench)
        log(f"  [{label}] ceiling: {len(rows)} rows (same as the API: {c.get('matches_api')}), pgbench "
            f"{bench['tps']:.1f} tps, latency avg {bench['latency_avg_ms']} ms")
        if c.get("matches_api") is False:
            raise BenchError("the ceiling statement's rows differ from the nested query's")
        return c
    step("ceiling", ceiling)

    # 5. the plans of the statements the server runs for one nested request
    res["server_plans"] = step("server_plans", lambda: capture_server_plans(binary, db, label, info, workdir, jwt, extra_env))
    nested_rps = ((res.get("load") or {}).get("nested") or {}).get("requests_per_s")
    tps = (res.get("ceiling") or {}).get("tps")
    res["ratio_nested_to_pgbench"] = round(nested_rps / tps, 4) if nested_rps and tps else None
    return res


# --------------------------------------------------------------------------------------------
# Summary


def fmt(x, spec=".1f", none="-") -> str:
    return none if x is None else format(x, spec)


def summarize(results: dict) -> str:
    lines: list[str] = []
    seeding = results.get("seeding") or {}
    if seeding:
        lines.append(f"seeding: {seeding.get('seconds')} s with {seeding.get('seeded_with')}; counts {seeding.get('counts')}")
    for label, r in (results.get("binaries") or {}).items():
        lines.append("")
        lines.append(f"== {label}: {r.get('binary')} (database {r.get('database')})")
        lines.append(f"| {'query':<20} | {'req/s':>9} | {'p50 ms':>8} | {'p99 ms':>8} | {'non-2xx':>7} | {'statements/request':<20} |")
        lines.append(f"|{'-' * 22}|{'-' * 11}|{'-' * 10}|{'-' * 10}|{'-' * 9}|{'-' * 22}|")
        for q in ("nested", "project_by_id", "typename_token", "typename_anonymous"):
            ld = (r.get("load") or {}).get(q) or {}
            st = (r.get("statements") or {}).get(q)
            err = "" if ld else " (failed)" if any(k.endswith(q) for k in r.get("errors", {})) else ""
            lines.append(f"| {q + err:<20} | {fmt(ld.get('requests_per_s')):>9} | {fmt(ld.get('p50_ms'), '.2f'):>8} | "
                         f"{fmt(ld.get('p99_ms'), '.2f'):>8} | {fmt(ld.get('non_2xx'), 'd'):>7} | "
                         f"{(', '.join(str(x) for x in st) if st else '-'):<20} |")
        c = r.get("ceiling") or {}
        ratio = r.get("ratio_nested_to_pgbench")
        lines.append(f"pgbench ceiling: {fmt(c.get('tps'))} tps ({c.get('rows', '-')} rows, same rows as the API: "
                     f"{c.get('matches_api', '-')}); ratio nested req/s / pgbench tps = {fmt(ratio, '.3f')}")
        mem = r.get("memory") or {}
        g = lambda k, f: (mem.get(k) or {}).get(f)  # noqa: E731
        lines.append(f"RSS MiB: idle {fmt(g('idle_after_start', 'VmRSS_MiB'))} / after load {fmt(g('after_load', 'VmRSS_MiB'))}"
                     f" / after {IDLE_AFTER_S} s idle {fmt(g('after_idle_30s', 'VmRSS_MiB'))}; "
                     f"VmHWM {fmt(g('after_idle_30s', 'VmHWM_MiB') or g('after_load', 'VmHWM_MiB'))}")
        sp = r.get("server_plans") or {}
        if sp.get("available"):
            obs = [p for p in sp["plans"] if p["reads_observations"]]
            idx = sorted({i for p in obs for i in p["observations_indexes"]})
            filtered = [p for p in obs if p["observations_index_without_cond"] or p["observations_rows_removed_by_filter"]]
            lines.append(f"server plans: {len(sp['plans'])} statements for one nested request; "
                         f"{len(obs)} read observations, all by index: {all(p['observations_index_scan'] for p in obs) if obs else '-'}"
                         f" (indexes {idx or '-'}); {len(filtered)} of them filter rows one by one "
                         f"({sum(p['observations_rows_removed_by_filter'] for p in obs)} rows removed by filter in all)")
        elif sp:
            lines.append(f"server plans: unavailable ({sp.get('reason')})")
        if r.get("errors"):
            for k, v in r["errors"].items():
                lines.append(f"FAILED {k}: {v.splitlines()[0][:160]}")
    tg = results.get("targets") or {}
    for label, checks in tg.items():
        lines.append("")
        lines.append(f"targets ({label}):")
        for c in checks:
            lines.append(f"  {c['status']:<8} {c['target']}: {c['detail']}")
    if results.get("error"):
        lines.append("")
        lines.append(f"ERROR: {results['error'].splitlines()[0][:200]}")
    return "\n".join(lines)


def evaluate_targets(results: dict) -> dict:
    out = {}
    binaries = results.get("binaries") or {}
    base = binaries.get("baseline")
    for label, r in binaries.items():
        load = r.get("load") or {}
        checks = []

        def add(target: str, ok: bool | None, detail: str):
            checks.append({"target": target, "status": "MET" if ok else ("NOT MET" if ok is not None else "UNKNOWN"),
                           "detail": detail})

        nested = load.get("nested") or {}
        tps = (r.get("ceiling") or {}).get("tps")
        rps = nested.get("requests_per_s")
        add("nested >= 80% of pgbench tps", (rps / tps >= 0.8) if rps and tps else None,
            f"{fmt(rps)} req/s vs {fmt(tps)} tps = {fmt(rps / tps * 100 if rps and tps else None)}%")
        p99 = nested.get("p99_ms")
        add("nested p99 <= 150 ms", (p99 <= 150) if p99 is not None else None, f"{fmt(p99, '.2f')} ms")
        st = (r.get("statements") or {}).get("nested")
        add("nested statements <= 6", (max(st) <= 6) if st else None, f"{st}")
        if label != "baseline" and base is not None:
            one = (load.get("project_by_id") or {}).get("requests_per_s")
            bone = ((base.get("load") or {}).get("project_by_id") or {}).get("requests_per_s")
            add("project-by-id req/s >= 4 x baseline", (one >= 4 * bone) if one and bone else None,
                f"{fmt(one)} vs baseline {fmt(bone)} = x{fmt(one / bone if one and bone else None, '.2f')}")
        wt = (load.get("typename_token") or {}).get("requests_per_s")
        wo = (load.get("typename_anonymous") or {}).get("requests_per_s")
        add("typename with token >= 50% of without", (wt >= 0.5 * wo) if wt and wo else None,
            f"{fmt(wt)} vs {fmt(wo)} req/s = {fmt(wt / wo * 100 if wt and wo else None)}%")
        mem = r.get("memory") or {}
        after30 = (mem.get("after_idle_30s") or {}).get("VmRSS_MiB")
        after = (mem.get("after_load") or {}).get("VmRSS_MiB")
        add("RSS after the run <= 64 MiB", (after30 <= 64) if after30 is not None else None,
            f"{fmt(after30)} MiB after {IDLE_AFTER_S} s idle (immediately after the load: {fmt(after)} MiB)")
        out[label] = checks
    return out


# --------------------------------------------------------------------------------------------
# Main



# --------------------------------------------------------------------------------------------
# Shared by the scripts that import this one (overload.py, faults.py)


def parse_server_env(items: list[str]) -> dict[str, str]:
    """--server-env KEY=VALUE items as a dict; a malformed one stops the script."""
    env: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise SystemExit(f"--server-env expects KEY=VALUE, got {item!r}")
        env[key] = value
    return env


def start_deadline(timeout: float) -> None:
    """The global time budget: checks raise GlobalTimeout past it, SIGTERM becomes a
    KeyboardInterrupt (so every finally runs), and an alarm backs up anything that blocks."""
    global DEADLINE
    DEADLINE = Deadline(timeout)

    def on_alarm(signum, frame):
        raise GlobalTimeout(f"global timeout of {timeout:.0f}s reached")

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(int(timeout) + 60)


def random_jwt_secrets(kid: str) -> str:
    """One signing key for every server of a run, so a token works on all of them."""
    alphabet = string.ascii_letters + string.digits
    return f"{kid}:" + "".join(secrets.choice(alphabet) for _ in range(48))


# One data key for every server of a run, so an authenticator enrolled on one opens on all.
DATA_KEYS = random_jwt_secrets("bench")


def write_results(path: str, results: dict, summary: str, indent: int = 2) -> None:
    results["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["summary"] = summary
    with open(path, "w") as f:
        json.dump(results, f, indent=indent, default=str)
        f.write("\n")


def main() -> int:
    global DEADLINE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=DEFAULT_BINARY, help="server under test (default target/release/springboard)")
    ap.add_argument("--baseline-binary", help="an older build, measured side by side on its own clone")
    ap.add_argument("--db", default="springboard_loading", help="seeded database (dropped and recreated); clones get _test/_baseline")
    ap.add_argument("--duration", type=float, default=10, help="seconds per load run (default 10)")
    ap.add_argument("--connections", type=int, default=16, help="wrk and pgbench connections (default 16)")
    ap.add_argument("--timeout", type=float, default=3600, help="global timeout in seconds (default 3600)")
    ap.add_argument("--keep", action="store_true", help="leave the databases in place")
    ap.add_argument("--scale", type=float, default=1.0, help="dataset size relative to 500 projects (e.g. 0.05)")
    ap.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for every server (repeatable), e.g. SPRINGBOARD_DB_MAX_CONNECTIONS=20")
    args = ap.parse_args()

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", args.db):
        raise SystemExit("--db must be lower-case letters, digits and underscores (at most 41 characters)")
    if not (0 < args.scale <= 10):
        raise SystemExit("--scale must be in (0, 10]")
    if args.duration < 1 or args.connections < 1:
        raise SystemExit("--duration and --connections must be positive")
    extra_env = parse_server_env(args.server_env)
    binary = os.path.join(REPO, DEFAULT_BINARY) if args.binary == DEFAULT_BINARY else os.path.abspath(args.binary)
    baseline = None
    if args.baseline_binary:
        baseline = os.path.abspath(args.baseline_binary)
    for b in [binary] + ([baseline] if baseline else []):
        if not os.path.isfile(b) or not os.access(b, os.X_OK):
            raise SystemExit(f"{b} is not an executable file (this script does not build)")

    start_deadline(args.timeout)
    jwt = random_jwt_secrets("loading")
    seed_db = args.db
    clones = {"binary": f"{args.db}_test"}
    if baseline:
        clones["baseline"] = f"{args.db}_baseline"
    results: dict = {
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "args": {"binary": binary, "baseline_binary": baseline, "db": args.db, "duration": args.duration,
                 "connections": args.connections, "timeout": args.timeout, "keep": args.keep, "scale": args.scale,
                 "server_env": extra_env},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "queries": {"nested": QUERY_NESTED, "project_by_id": QUERY_ONE, "typename": QUERY_TYPENAME},
        "binaries": {},
    }
    workdir = tempfile.mkdtemp(prefix="springboard-loading-")
    log(f"work directory (server logs, wrk scripts): {workdir}")
    created: list[str] = []
    rc = 0
    seed_server: Server | None = None
    try:
        # ---- seed once, with the older binary when there is one
        seeder = baseline or binary
        log(f"recreating database {seed_db}")
        drop_db(seed_db)
        psql(f"CREATE DATABASE {seed_db}")
        created.append(seed_db)
        create_admin(seeder, seed_db, jwt, extra_env)
        seed_server = Server(seeder, seed_db, workdir, "seed", jwt, extra_env)
        seed_server.start()
        info = seed(Client(seed_server.port), args.scale, seed_db)
        info["seeded_with"] = seeder
        results["seeding"] = info
        seed_server.stop()
        seed_server = None

        order = (["baseline"] if baseline else []) + ["binary"]
        for label in order:
            DEADLINE.check("measurements")
            b = baseline if label == "baseline" else binary
            log(f"cloning {seed_db} -> {clones[label]} for {label}")
            clone_db(seed_db, clones[label])
            created.append(clones[label])
            log(f"measuring {label}: {b}")
            results["binaries"][label] = {}
            measure_binary(results["binaries"][label], label, b, clones[label], info, args, workdir, jwt, extra_env)
            print_plans(label, results["binaries"][label].get("server_plans"))
            c = (results["binaries"][label].get("ceiling") or {})
            if c.get("explain"):
                print(f"\n[{label}] EXPLAIN (ANALYZE, BUFFERS) of the ceiling statement:\n{c['explain']}")
        if any(r.get("errors") for r in results["binaries"].values()):
            rc = 1
    except (Exception, KeyboardInterrupt) as e:
        rc = 1
        results["error"] = f"{type(e).__name__}: {e}"
        if not isinstance(e, BenchError):
            traceback.print_exc()
        print(f"\nERROR: {e}", file=sys.stderr, flush=True)
        if seed_server is not None:
            print(f"\nseed server log tail ({seed_server.log_path}):\n{seed_server.log_tail(30)}", file=sys.stderr)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if seed_server is not None:
            try:
                seed_server.stop()
            except Exception as e:
                print(f"could not stop the seed server cleanly: {e!r}", file=sys.stderr)
        DEADLINE = Deadline(300)  # cleanup gets its own small budget
        if not args.keep:
            for name in reversed(created):
                try:
                    drop_db(name)
                except Exception as e:
                    print(f"could not drop database {name}: {e}", file=sys.stderr)
        else:
            log(f"kept databases: {', '.join(created)}")
        results["targets"] = evaluate_targets(results)
        summary = summarize(results)
        write_results(RESULTS_PATH, results, summary, indent=2)

    print("\n" + summary)
    print(f"\nresults written to {RESULTS_PATH}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
