#!/usr/bin/env python3
"""Springboard benchmark: sign-in timing, bulk ingest, peak memory, analysis latency.

Standard library only (Python 3.11). Run from anywhere:

    python3 bench/run.py [--no-build] [--timeout SECONDS] [--db NAME]

It builds the release binary, recreates a PostgreSQL database, starts
`springboard serve --demo` on a free 127.0.0.1 port, drives it over GraphQL, prints a summary
and writes it to bench/results.json. The server is always stopped at the end. All load goes to
127.0.0.1 only and every loop is bounded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import traceback

import totp

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(REPO, "bench")
RESULTS_PATH = os.path.join(BENCH_DIR, "results.json")
BINARY = os.path.join(REPO, "target", "release", "springboard")

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
DEMO_PASSWORD = "bench-demo-pass-2027"  # 20 characters, fixed
NEW_HOST_PASSWORD = "bench-host-pass-2027"

DEMO_SLUGS = [
    "improvement-fund",
    "royal-college-acute-care",
    "society-clinical-data",
    "northgate-general",
    "clydeside-university",
    "taff-valley",
]
COLLEGE = "royal-college-acute-care"
DEMO_HOSTS = ["northgate-general", "clydeside-university", "taff-valley"]
PLATFORM_ADMIN = "platform-admin@springboard.example.org"

SIGNIN_SAMPLES = 30
INGEST_CALLS = 10
INGEST_WEEKS = 2000  # x 5 sites = 10,000 rows per call
ANALYSIS_WEEKS = 104
ANALYSIS_SAMPLES = 50
TOKEN_MAX_AGE_S = 600  # access tokens live 15 minutes; re-sign-in well before


class BenchError(Exception):
    """A failure with a message meant for people."""


class GlobalTimeout(BenchError):
    pass


# --------------------------------------------------------------------------------------------
# Deadline


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


DEADLINE: Deadline | None = None


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------------
# Helpers: stats, psql, processes


def ms_stats(samples_s: list[float]) -> dict:
    ms = sorted(x * 1000.0 for x in samples_s)
    n = len(ms)
    if n == 0:
        return {"n": 0}

    def pct(p: float) -> float:
        # nearest-rank percentile
        k = max(0, min(n - 1, int(-(-p * n // 100)) - 1))
        return ms[k]

    return {
        "n": n,
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(pct(95), 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "min_ms": round(ms[0], 2),
    }


def psql(sql: str, db: str = "postgres", timeout: float = 120) -> str:
    cmd = ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", db, "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=DEADLINE.cap(timeout) if DEADLINE else timeout)
    except FileNotFoundError as e:
        raise BenchError("psql not found on PATH; install the PostgreSQL client") from e
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"psql timed out: {sql}") from e
    if out.returncode != 0:
        raise BenchError(f"psql failed ({out.returncode}) for `{sql}` on database {db}:\n{out.stderr.strip()}")
    return out.stdout.strip()


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


def build_release() -> None:
    log("building release binary: cargo build --release --bin springboard (may take several minutes)")
    t0 = time.monotonic()
    proc = subprocess.Popen(["cargo", "build", "--release", "--bin", "springboard"], cwd=REPO, start_new_session=True)
    try:
        rc = proc.wait(timeout=DEADLINE.cap(3 * 3600))
    except subprocess.TimeoutExpired as e:
        kill_group(proc)
        raise GlobalTimeout("global timeout reached while building") from e
    except BaseException:
        kill_group(proc)
        raise
    if rc != 0:
        raise BenchError(f"cargo build failed with exit code {rc} (see the compiler output above)")
    log(f"build finished in {time.monotonic() - t0:.0f}s")


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


# --------------------------------------------------------------------------------------------
# Server


class Server:
    def __init__(self, db_name: str, workdir: str):
        self.db_name = db_name
        self.port = free_port()
        self.base = f"127.0.0.1:{self.port}"
        self.log_path = os.path.join(workdir, "server.log")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        alphabet = string.ascii_letters + string.digits
        secret = "".join(secrets.choice(alphabet) for _ in range(48))
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.db_name}",
                "SPRINGBOARD_JWT_SECRETS": f"bench:{secret}",
                "SPRINGBOARD_DATA_KEYS": f"bench:{secret[::-1]}",
                "SPRINGBOARD_DEMO_PASSWORD": DEMO_PASSWORD,
                "SPRINGBOARD_BIND": self.base,
                "SPRINGBOARD_MAX_BODY_BYTES": "16777216",
                "RUST_LOG": "warn",
            }
        )
        if not os.path.exists(BINARY):
            raise BenchError(f"{BINARY} does not exist; build it first (drop --no-build)")
        self.logf = open(self.log_path, "wb")
        log(f"starting {BINARY} serve --demo on {self.base} (log: {self.log_path})")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--demo"], cwd=REPO, env=env, stdout=self.logf, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        self.wait_ready()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

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
                raise BenchError(f"server exited with code {self.proc.returncode} before becoming ready:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/readyz")
                resp = conn.getresponse()
                body = resp.read()
                conn.close()
                if resp.status == 200:
                    log(f"server ready after {time.monotonic() - t0:.1f}s (pid {self.pid})")
                    return
                last = f"{resp.status} {body[:200]!r}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.25)
        raise BenchError(f"server not ready after {limit:.0f}s (last answer: {last}):\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        log(f"stopping server (pid {self.pid})")
        kill_group(self.proc, grace=15)
        try:
            self.logf.close()
        except Exception:
            pass


# --------------------------------------------------------------------------------------------
# GraphQL client


class GraphQLError(BenchError):
    def __init__(self, message: str, body: object = None, status: int | None = None):
        super().__init__(message)
        self.body = body
        self.status = status

    def codes(self) -> list[str]:
        if isinstance(self.body, dict):
            return [((e.get("extensions") or {}).get("code") or "") for e in self.body.get("errors") or []]
        return []


def short(obj: object, limit: int = 4000) -> str:
    text = obj if isinstance(obj, str) else json.dumps(obj, indent=1)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


class Client:
    def __init__(self, port: int):
        self.port = port

    def post_raw(self, body: bytes, token: str | None, timeout: float = 120.0) -> tuple[int, bytes, dict, float]:
        """One POST /graphql on a fresh connection; returns status, body, headers, elapsed seconds
        (wall clock from sending the request to reading the whole response)."""
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
            elapsed = time.perf_counter() - t0
            return resp.status, data, dict(resp.getheaders()), elapsed
        except (OSError, http.client.HTTPException) as e:
            raise BenchError(f"HTTP request to 127.0.0.1:{self.port}/graphql failed: {e!r}") from e
        finally:
            conn.close()

    def execute(self, query: str, variables: dict | None = None, token: str | None = None, *,
                body: bytes | None = None, timeout: float = 120.0, what: str = "request") -> tuple[dict, float]:
        """Runs one operation; raises GraphQLError unless the status is 200 and there are no
        top-level errors. Returns (data, elapsed seconds)."""
        if body is None:
            body = json.dumps({"query": query, "variables": variables or {}}).encode()
        status, raw, headers, elapsed = self.post_raw(body, token, timeout)
        rid = headers.get("x-request-id") or headers.get("X-Request-Id") or "?"
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise GraphQLError(f"{what}: HTTP {status}, non-JSON body (request id {rid}):\n{short(raw.decode('utf-8', 'replace'))}",
                               raw, status)
        if status != 200 or parsed.get("errors"):
            req = short(query, 1500)
            raise GraphQLError(
                f"{what}: HTTP {status} (request id {rid})\nrequest: {req}\nvariables: {short(variables or {}, 1500)}\n"
                f"response: {short(parsed)}", parsed, status)
        return parsed.get("data") or {}, elapsed


def payload(data: dict, field: str, what: str) -> dict:
    p = data.get(field)
    if p is None:
        raise BenchError(f"{what}: no `{field}` in response data: {short(data)}")
    errs = p.get("userErrors") or []
    if errs:
        raise BenchError(f"{what}: userErrors {short(errs)}")
    return p


USER_ERRORS = "userErrors { field message code }"

SIGN_IN = f"""mutation SignIn($email: String!, $password: String!) {{
  signIn(input: {{email: $email, password: $password}}) {{ {totp.SIGN_IN_FIELDS} {USER_ERRORS} }}
}}"""


class Session:
    """An account's access token, renewed by signing in again before it expires."""

    def __init__(self, client: Client, email: str, password: str):
        self.client, self.email, self.password = client, email, password
        self._token: str | None = None
        self._at = 0.0
        self._authenticator = totp.Authenticator()

    def token(self) -> str:
        if self._token is None or time.monotonic() - self._at > TOKEN_MAX_AGE_S:
            data, _ = self.client.execute(SIGN_IN, {"email": self.email, "password": self.password},
                                          what=f"signIn {self.email}")
            p = payload(data, "signIn", f"signIn {self.email}")
            self._token = self._authenticator.complete(
                p, lambda q, v, w: self.client.execute(q, v, what=w)[0], f"signIn {self.email}")
            self._at = time.monotonic()
        return self._token

    def run(self, query: str, variables: dict | None = None, what: str = "request", **kw) -> tuple[dict, float]:
        return self.client.execute(query, variables, self.token(), what=f"{what} (as {self.email})", **kw)


# --------------------------------------------------------------------------------------------
# Benchmarks


def bench_sign_in(client: Client) -> dict:
    log(f"sign-in latency: {SIGNIN_SAMPLES} x (right password, wrong password, unknown email), interleaved")
    accounts = [f"{role}@{slug}.example.org" for slug in DEMO_SLUGS for role in ("admin", "member", "viewer")]
    accounts.append(PLATFORM_ADMIN)
    run_id = secrets.token_hex(4)

    def attempt(email: str, password: str) -> tuple[float, dict]:
        data, elapsed = client.execute(SIGN_IN, {"email": email, "password": password}, what=f"signIn {email}")
        return elapsed, data["signIn"]

    # warm-up (not timed): one of each
    attempt(accounts[0], DEMO_PASSWORD)
    attempt(f"warmup-{run_id}@nowhere.example.net", "wrong-password-123")

    times = {"right_password": [], "wrong_password": [], "unknown_email": []}
    problems: list[str] = []
    for i in range(SIGNIN_SAMPLES):
        DEADLINE.check("sign-in benchmark")
        cases = [
            ("right_password", accounts[i % len(accounts)], DEMO_PASSWORD),
            # offset so the failing account differs from the succeeding one; each account gets
            # at most 2 failures (30 over 19 accounts), well under the lockout threshold of 5
            ("wrong_password", accounts[(i + 7) % len(accounts)], f"not-the-password-{i:04d}"),
            ("unknown_email", f"nobody-{run_id}-{i}@unknown.example.net", DEMO_PASSWORD),
        ]
        rot = i % 3  # rotate the order so no case always follows another
        for case, email, password in cases[rot:] + cases[:rot]:
            elapsed, p = attempt(email, password)
            codes = [e.get("code") for e in p.get("userErrors") or []]
            if case == "right_password":
                # The platform admin's right password opens its second step instead.
                if codes or not ((p.get("tokens") or {}).get("accessToken") or p.get("challenge")):
                    problems.append(f"{case} {email}: expected tokens, got {p}")
            elif codes != ["INVALID_CREDENTIALS"]:
                problems.append(f"{case} {email}: expected [INVALID_CREDENTIALS], got {codes} ({p.get('userErrors')})")
            times[case].append(elapsed)
    if problems:
        raise BenchError("sign-in answers were not as expected:\n  " + "\n  ".join(problems[:20]))
    result = {case: ms_stats(ts) for case, ts in times.items()}
    u, w = result["unknown_email"]["p50_ms"], result["wrong_password"]["p50_ms"]
    result["unknown_vs_wrong_p50_diff_ms"] = round(u - w, 2)
    result["unknown_vs_wrong_p50_ratio"] = round(u / w, 3) if w else None
    for case in ("right_password", "wrong_password", "unknown_email"):
        s = result[case]
        log(f"  {case:15s} p50 {s['p50_ms']:8.1f} ms  p95 {s['p95_ms']:8.1f} ms  max {s['max_ms']:8.1f} ms")
    return result


CREATE_INSTITUTION = f"""mutation($input: CreateInstitutionInput!) {{
  createInstitution(input: $input) {{ institution {{ id slug }} invitationToken {USER_ERRORS} }}
}}"""
ACCEPT_INVITATION = f"""mutation($input: AcceptInvitationInput!) {{
  acceptInvitation(input: $input) {{ membership {{ id }} {USER_ERRORS} }}
}}"""
DIRECTORY = """query($after: String) {
  institutionDirectory(kind: HOST_INSTITUTION, first: 100, after: $after) {
    nodes { id slug } pageInfo { hasNextPage endCursor }
  }
}"""
CREATE_PROJECT = f"""mutation($input: CreateProjectInput!) {{
  createProject(input: $input) {{ project {{ id status }} {USER_ERRORS} }}
}}"""
ADD_SITE = f"""mutation($input: AddProjectSiteInput!) {{
  addProjectSite(input: $input) {{ site {{ id status institution {{ slug }} }} {USER_ERRORS} }}
}}"""
RESPOND_SITE = f"""mutation($input: RespondToProjectSiteInput!) {{
  respondToProjectSite(input: $input) {{ site {{ id status }} {USER_ERRORS} }}
}}"""
PROJECT_SITES = """query($id: ID!) { project(id: $id) { id sites { id status institution { slug } } } }"""
CREATE_MEASURE = f"""mutation($input: CreateMeasureInput!) {{
  createMeasure(input: $input) {{ measure {{ id }} {USER_ERRORS} }}
}}"""
RECORD = f"""mutation Record($input: RecordObservationsInput!) {{
  recordObservations(input: $input) {{ recordedCount {USER_ERRORS} }}
}}"""
ANALYSIS = """query Analysis($m: ID!, $s: ID) {
  node(id: $m) { ... on Measure { analysis(siteId: $s) { verdict { verdict } } } }
}"""


def setup_project(client: Client) -> dict:
    """A project led by the royal college with five accepted host sites."""
    log("setting up: 2 new host institutions, a project with 5 accepted sites")
    run_id = secrets.token_hex(3)
    platform = Session(client, PLATFORM_ADMIN, DEMO_PASSWORD)
    host_sessions: dict[str, Session] = {slug: Session(client, f"admin@{slug}.example.org", DEMO_PASSWORD) for slug in DEMO_HOSTS}
    for n in (1, 2):
        slug = f"bench-host-{n}-{run_id}"
        email = f"admin@{slug}.example.org"
        data, _ = platform.run(CREATE_INSTITUTION, {"input": {
            "name": f"Bench Host {n} ({run_id})", "slug": slug, "kind": "HOST_INSTITUTION", "nation": "ENGLAND",
            "firstAdminEmail": email}}, what="createInstitution")
        p = payload(data, "createInstitution", "createInstitution")
        if not p.get("invitationToken"):
            raise BenchError(f"createInstitution returned no invitationToken for a new email: {short(p)}")
        data, _ = client.execute(ACCEPT_INVITATION, {"input": {
            "token": p["invitationToken"], "name": f"Bench Host {n} Admin", "password": NEW_HOST_PASSWORD}},
            what="acceptInvitation")
        payload(data, "acceptInvitation", "acceptInvitation")
        host_sessions[slug] = Session(client, email, NEW_HOST_PASSWORD)

    college = Session(client, f"admin@{COLLEGE}.example.org", DEMO_PASSWORD)
    directory: dict[str, str] = {}
    after = None
    for _ in range(50):  # bounded pagination
        data, _ = college.run(DIRECTORY, {"after": after}, what="institutionDirectory")
        conn = data["institutionDirectory"]
        directory.update({n["slug"]: n["id"] for n in conn["nodes"]})
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    missing = [s for s in host_sessions if s not in directory]
    if missing:
        raise BenchError(f"institutionDirectory(kind: HOST_INSTITUTION) lacks {missing}; it returned {sorted(directory)}")

    data, _ = college.run(CREATE_PROJECT, {"input": {
        "title": f"Benchmark project {run_id}", "aimStatement": "Measure how fast Springboard ingests and analyses",
        "clinicalArea": "Benchmarking"}}, what="createProject")
    project_id = payload(data, "createProject", "createProject")["project"]["id"]

    sites: dict[str, str] = {}
    for slug, session in host_sessions.items():
        data, _ = college.run(ADD_SITE, {"input": {"projectId": project_id, "institutionId": directory[slug]}},
                              what=f"addProjectSite {slug}")
        site = payload(data, "addProjectSite", f"addProjectSite {slug}")["site"]
        data, _ = session.run(RESPOND_SITE, {"input": {"siteId": site["id"], "accept": True}},
                              what=f"respondToProjectSite {slug}")
        answer = payload(data, "respondToProjectSite", f"respondToProjectSite {slug}")["site"]
        if answer["status"] != "ACCEPTED":
            raise BenchError(f"respondToProjectSite {slug}: status {answer['status']}, expected ACCEPTED")
        sites[slug] = site["id"]

    data, _ = college.run(PROJECT_SITES, {"id": project_id}, what="project sites")
    listed = {s["institution"]["slug"]: (s["id"], s["status"]) for s in data["project"]["sites"]}
    wrong = {k: v for k, v in listed.items() if v[1] != "ACCEPTED"}
    if len(listed) != 5 or wrong:
        raise BenchError(f"project should have 5 accepted sites, has {listed}")
    return {"project_id": project_id, "sites": {k: v[0] for k, v in listed.items()}, "college": college}


def create_measure(college: Session, project_id: str, name: str) -> str:
    data, _ = college.run(CREATE_MEASURE, {"input": {
        "projectId": project_id, "name": name, "operationalDefinition": "Synthetic benchmark values",
        "kind": "OUTCOME", "unit": "CONTINUOUS", "direction": "HIGHER_IS_BETTER", "frequency": "WEEKLY"}},
        what="createMeasure")
    return payload(data, "createMeasure", f"createMeasure {name}")["measure"]["id"]


def mondays(count: int) -> list[str]:
    today = dt.datetime.now(dt.timezone.utc).date()  # the server's `today` is the UTC date
    last = today - dt.timedelta(days=today.weekday())
    first = last - dt.timedelta(weeks=count - 1)
    return [(first + dt.timedelta(weeks=k)).isoformat() for k in range(count)]


def observations_body(measure_id: str, site_slugs: list[str], weeks: list[str], rng: random.Random,
                      trend: float = 0.0) -> bytes:
    rows = []
    for s, slug in enumerate(site_slugs):
        level = 50.0 + 5.0 * s
        for k, week in enumerate(weeks):
            rows.append({"site": slug, "periodStart": week,
                         "value": round(level + trend * k + rng.gauss(0.0, 3.0), 4)})
    return json.dumps({"query": RECORD, "variables": {"input": {"measureId": measure_id, "observations": rows}}}).encode()


def record(college: Session, body: bytes, expected: int, what: str) -> float:
    data, elapsed = college.client.execute(RECORD, None, college.token(), body=body, timeout=600, what=what)
    p = data.get("recordObservations")
    if p is None:
        raise BenchError(f"{what}: no recordObservations in {short(data)}")
    if p.get("userErrors"):
        raise BenchError(f"{what}: userErrors {short(p['userErrors'])}")
    if p.get("recordedCount") != expected:
        raise BenchError(f"{what}: recordedCount {p.get('recordedCount')}, expected {expected}")
    return elapsed


def count_observations(db_name: str) -> int:
    return int(psql("SELECT count(*) FROM observations", db=db_name))


def bench_ingest(setup: dict, server: Server, db_name: str) -> dict:
    college: Session = setup["college"]
    slugs = sorted(setup["sites"])
    weeks = mondays(INGEST_WEEKS)
    rows_per_call = len(slugs) * len(weeks)
    log(f"ingest: {INGEST_CALLS} recordObservations calls x {rows_per_call} rows "
        f"({len(slugs)} sites x {len(weeks)} Mondays {weeks[0]}..{weeks[-1]})")
    measures = [create_measure(college, setup["project_id"], f"Ingest measure {k + 1}") for k in range(INGEST_CALLS)]
    rng = random.Random(20271125)
    mem_before = proc_status(server.pid)
    count_before = count_observations(db_name)
    times = []
    bodies = []
    for k, measure_id in enumerate(measures):
        DEADLINE.check("ingest")
        body = observations_body(measure_id, slugs, weeks, rng)
        bodies.append(body)
        college.token()  # renew outside the timed region if needed
        elapsed = record(college, body, rows_per_call, f"recordObservations call {k + 1}")
        times.append(elapsed)
        log(f"  call {k + 1:2d}: {elapsed * 1000:8.1f} ms  ({len(body) / 1e6:.2f} MB body)")
    count_after = count_observations(db_name)
    inserted = count_after - count_before
    if inserted != INGEST_CALLS * rows_per_call:
        raise BenchError(f"observations table grew by {inserted}, expected {INGEST_CALLS * rows_per_call}")
    mem_after_ingest = proc_status(server.pid)

    college.token()
    # An identical re-send writes nothing: every row is reported unchanged.
    resend = record(college, bodies[0], 0, "recordObservations re-send of call 1")
    count_resend = count_observations(db_name)
    log(f"  re-send of call 1: {resend * 1000:.1f} ms; observations {count_after} -> {count_resend}")
    if count_resend != count_after:
        raise BenchError(f"re-sending call 1 changed the observation count: {count_after} -> {count_resend} (not idempotent)")
    mem_after = proc_status(server.pid)

    total = sum(times)
    stats = ms_stats(times)
    return {
        "calls": INGEST_CALLS,
        "rows_per_call": rows_per_call,
        "body_bytes_per_call": len(bodies[0]),
        "total_rows": INGEST_CALLS * rows_per_call,
        "total_seconds": round(total, 3),
        "rows_per_second": round(INGEST_CALLS * rows_per_call / total, 1),
        "per_call_p50_ms": stats["p50_ms"],
        "per_call_max_ms": stats["max_ms"],
        "per_call_ms": [round(t * 1000, 1) for t in times],
        "resend_ms": round(resend * 1000, 1),
        "observations_before": count_before,
        "observations_after": count_after,
        "observations_after_resend": count_resend,
        "idempotent": count_resend == count_after,
        "memory": {"before": mem_before, "after_ingest": mem_after_ingest, "after_resend": mem_after},
    }


def is_missing_analysis_field(err: GraphQLError) -> bool:
    if not isinstance(err.body, dict) or "data" in err.body and err.body.get("data") is not None:
        return False
    for e in err.body.get("errors") or []:
        code = (e.get("extensions") or {}).get("code")
        if code == "GRAPHQL_VALIDATION_FAILED" and "analysis" in (e.get("message") or ""):
            return True
    return False


def bench_analysis(setup: dict) -> dict:
    college: Session = setup["college"]
    slugs = sorted(setup["sites"])
    weeks = mondays(ANALYSIS_WEEKS)
    log(f"analysis: a WEEKLY measure with {len(slugs)} sites x {len(weeks)} weeks, "
        f"{ANALYSIS_SAMPLES} queries for one site and {ANALYSIS_SAMPLES} for all sites")
    measure_id = create_measure(college, setup["project_id"], "Analysis measure")
    body = observations_body(measure_id, slugs, weeks, random.Random(104), trend=0.05)
    record(college, body, len(slugs) * len(weeks), "recordObservations (analysis data)")
    site_id = setup["sites"][DEMO_HOSTS[0]]

    try:
        data, _ = college.run(ANALYSIS, {"m": measure_id, "s": site_id}, what="analysis probe")
    except GraphQLError as e:
        if is_missing_analysis_field(e):
            msg = "; ".join(x.get("message", "") for x in e.body.get("errors", []))
            log(f"  analysis field not in the schema yet; step skipped ({msg})")
            return {"skipped": True, "reason": msg}
        raise

    def verdict_of(data: dict, what: str) -> str:
        node = data.get("node")
        if not node or "analysis" not in node:
            raise BenchError(f"{what}: node/analysis missing in {short(data)}")
        analysis = node["analysis"]
        if analysis is None or (analysis.get("verdict") or {}).get("verdict") is None:
            raise BenchError(f"{what}: analysis has no verdict: {short(data)}")
        return analysis["verdict"]["verdict"]

    verdicts = {"one_site": verdict_of(data, "analysis probe")}
    result: dict = {"skipped": False, "weeks": len(weeks), "sites": len(slugs)}
    for label, site in (("one_site", site_id), ("all_sites", None)):
        times = []
        seen = set()
        for i in range(ANALYSIS_SAMPLES):
            DEADLINE.check("analysis benchmark")
            college.token()
            data, elapsed = college.run(ANALYSIS, {"m": measure_id, "s": site}, what=f"analysis {label} #{i + 1}")
            seen.add(verdict_of(data, f"analysis {label} #{i + 1}"))
            times.append(elapsed)
        if len(seen) != 1:
            raise BenchError(f"analysis {label}: the same query gave different verdicts: {sorted(seen)}")
        verdicts[label] = seen.pop()
        result[label] = ms_stats(times)
        result[label]["verdict"] = verdicts[label]
        s = result[label]
        log(f"  {label:9s} p50 {s['p50_ms']:8.1f} ms  p95 {s['p95_ms']:8.1f} ms  max {s['max_ms']:8.1f} ms  verdict {s['verdict']}")
    return result


# --------------------------------------------------------------------------------------------
# Summary


def summary_table(results: dict) -> str:
    lines = []

    def row(a: str, b: str) -> None:
        lines.append(f"| {a:<44} | {b:<40} |")

    lines.append(f"| {'metric':<44} | {'value':<40} |")
    lines.append(f"|{'-' * 46}|{'-' * 42}|")
    si = results.get("sign_in")
    if si:
        for case in ("right_password", "wrong_password", "unknown_email"):
            s = si[case]
            row(f"signIn {case} (n={s['n']})", f"p50 {s['p50_ms']:.1f} / p95 {s['p95_ms']:.1f} / max {s['max_ms']:.1f} ms")
        row("signIn unknown - wrong, p50", f"{si['unknown_vs_wrong_p50_diff_ms']:+.1f} ms (ratio {si['unknown_vs_wrong_p50_ratio']})")
    ing = results.get("ingest")
    if ing:
        row(f"ingest {ing['calls']} x {ing['rows_per_call']} rows", f"{ing['rows_per_second']:.0f} rows/s ({ing['total_seconds']:.2f} s total)")
        row("ingest per call", f"p50 {ing['per_call_p50_ms']:.1f} / max {ing['per_call_max_ms']:.1f} ms")
        row("ingest re-send of one call (idempotent?)", f"{ing['resend_ms']:.1f} ms ({'yes' if ing['idempotent'] else 'NO'}: "
            f"{ing['observations_after']} -> {ing['observations_after_resend']})")
        m = ing["memory"]
        srv = results.get("server") or {}
        if "memory_after_sign_in" in srv:
            row("server VmRSS at start / after sign-ins", f"{srv['memory_at_start']['VmRSS_MiB']:.1f} / "
                f"{srv['memory_after_sign_in']['VmRSS_MiB']:.1f} MiB")
        row("server VmHWM before / after ingest", f"{m['before']['VmHWM_MiB']:.1f} / {m['after_resend']['VmHWM_MiB']:.1f} MiB")
        row("server VmRSS before / after ingest", f"{m['before']['VmRSS_MiB']:.1f} / {m['after_resend']['VmRSS_MiB']:.1f} MiB")
    an = results.get("analysis")
    if an:
        if an.get("skipped"):
            row("analysis", "SKIPPED: field not in schema")
        else:
            for label in ("one_site", "all_sites"):
                s = an[label]
                row(f"analysis {label} (n={s['n']}, {s['verdict']})",
                    f"p50 {s['p50_ms']:.1f} / p95 {s['p95_ms']:.1f} / max {s['max_ms']:.1f} ms")
    mach = results.get("machine") or {}
    if "loadavg_at_end" in mach:
        row("load average (1 min) at start / end", f"{mach['loadavg_at_start'][0]} / {mach['loadavg_at_end'][0]} on {mach['cpus']} CPUs")
    if results.get("error"):
        row("ERROR", results["error"].splitlines()[0][:40])
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main


def main() -> int:
    global DEADLINE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/springboard")
    ap.add_argument("--timeout", type=float, default=5400, help="global timeout in seconds, build included (default 5400)")
    ap.add_argument("--db", default="springboard_bench", help="PostgreSQL database to (re)create (default springboard_bench)")
    args = ap.parse_args()
    if not args.db.replace("_", "").isalnum():
        raise SystemExit("--db must be letters, digits and underscores")

    DEADLINE = Deadline(args.timeout)

    def on_alarm(signum, frame):
        raise GlobalTimeout(f"global timeout of {args.timeout:.0f}s reached")

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(int(args.timeout) + 30)  # backstop for anything that blocks past the deadline checks

    results: dict = {
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "database": args.db,
    }
    workdir = tempfile.mkdtemp(prefix="springboard-bench-")
    server: Server | None = None
    rc = 0
    try:
        if not args.no_build:
            build_release()
        log(f"recreating database {args.db}")
        psql(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
        psql(f"CREATE DATABASE {args.db}")
        server = Server(args.db, workdir)
        server.start()
        results["server"] = {"pid": server.pid, "bind": server.base, "log": server.log_path,
                             "memory_at_start": proc_status(server.pid)}
        client = Client(server.port)

        results["sign_in"] = bench_sign_in(client)
        results["server"]["memory_after_sign_in"] = proc_status(server.pid)
        setup = setup_project(client)
        results["server"]["memory_after_setup"] = proc_status(server.pid)
        results["project_id"] = setup["project_id"]
        results["ingest"] = bench_ingest(setup, server, args.db)
        results["memory_MiB"] = {"before_ingest": results["ingest"]["memory"]["before"],
                                 "after_ingest": results["ingest"]["memory"]["after_resend"]}
        results["analysis"] = bench_analysis(setup)
        if server.proc.poll() is not None:
            raise BenchError(f"server died during the run (exit {server.proc.returncode}):\n{server.log_tail()}")
    except (Exception, KeyboardInterrupt) as e:
        rc = 1
        results["error"] = f"{type(e).__name__}: {e}"
        if not isinstance(e, BenchError):
            traceback.print_exc()
        print(f"\nERROR: {e}", file=sys.stderr, flush=True)
        if server is not None:
            print(f"\nserver log tail ({server.log_path}):\n{server.log_tail(30)}", file=sys.stderr)
    finally:
        signal.alarm(0)
        if server is not None:
            try:
                server.stop()
            except Exception as e:  # keep going: results still get written
                print(f"could not stop the server cleanly: {e!r}", file=sys.stderr)
        results["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        with open(RESULTS_PATH, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")

    print("\n" + summary_table(results))
    print(f"\nresults written to {RESULTS_PATH}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
