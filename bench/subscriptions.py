#!/usr/bin/env python3
"""How soon a subscriber hears of a publication, and only of those it may see: two replicas of one
build on one PostgreSQL database, subscribers on both, publications made through one of them.

    python3 bench/subscriptions.py --binary target/release/springboard [--subscribers 200] [--publications 20]

The first replica seeds the demo; the college's admin publishes --publications results of its
sepsis project (LESSON, visibility PROJECT), one every --interval seconds, through replica A.
Half the subscribers are Northgate General's admin (a site of the project: it must hear of every
one), half Taff Valley's (in the programme but not the project: it must hear of none), spread
over both replicas. Latency is from the moment the publishing request's answer arrived to the
moment each subscriber read the event; the replicas look for publications every --poll-ms
(SPRINGBOARD_PUBLICATIONS_POLL_MS, default 1000), so that bounds what a subscriber on replica B
waits. Needs Python 3.11 and `websockets` (pip install websockets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import loading as L  # noqa: E402

try:
    import websockets
except ImportError:  # pragma: no cover - a set-up problem, said plainly
    raise SystemExit("needs the `websockets` package: pip install websockets")

DEMO_PASSWORD = "subscriptions-bench-password"
SUBSCRIBE = "subscription { resultPublished { id title publishedAt } }"
SITE = "admin@northgate-general.example.org"
OUTSIDER = "admin@taff-valley.example.org"
LEAD = "admin@royal-college-acute-care.example.org"


class DemoServer(L.Server):
    def __init__(self, *args, demo: bool, poll_ms: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.demo = demo
        self.poll_ms = poll_ms

    def env(self) -> dict:
        env = super().env()
        env["SPRINGBOARD_DEMO_PASSWORD"] = DEMO_PASSWORD
        env["SPRINGBOARD_PUBLICATIONS_POLL_MS"] = str(self.poll_ms)
        return env

    def start(self) -> None:
        if not self.demo:
            return super().start()
        # As L.Server.start, with --demo: the first replica seeds the world.
        import subprocess
        self.logf = open(self.log_path, "wb")
        L.log(f"starting {self.label}: {self.binary} serve --demo on {self.base} (log: {self.log_path})")
        self.proc = subprocess.Popen([self.binary, "serve", "--demo"], cwd=L.REPO, env=self.env(), stdout=self.logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.wait_ready()


def sign_in(port: int, email: str) -> str:
    data = L.Client(port).execute(
        "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { tokens { accessToken } userErrors { code } } }",
        {"e": email, "p": DEMO_PASSWORD}, what=f"sign in {email}")["data"]["signIn"]
    if not data.get("tokens"):
        raise L.BenchError(f"sign-in of {email} failed: {data}")
    return data["tokens"]["accessToken"]


async def subscriber(port: int, token: str, received: list, ready: asyncio.Event, stop: asyncio.Event):
    async with websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"],
                                  max_queue=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        ack = json.loads(await ws.recv())
        if ack.get("type") != "connection_ack":
            raise L.BenchError(f"no connection_ack: {ack}")
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        ready.set()
        while not stop.is_set():
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
            except asyncio.TimeoutError:
                continue
            if message.get("type") == "next":
                event = message["payload"].get("data", {}).get("resultPublished")
                if not event:
                    raise L.BenchError(f"an error on the stream: {message}")
                received.append((event["id"], time.perf_counter()))


def publish(port: int, token: str, project: str, n: int) -> tuple[str, float]:
    client = L.Client(port)
    created = client.execute(
        "mutation($i: CreateSharedResultInput!) { createSharedResult(input: $i) { sharedResult { id } userErrors { code message } } }",
        {"i": {"projectId": project, "title": f"Lesson {n}", "summary": "bench", "outcome": "LESSON", "visibility": "PROJECT"}},
        token, what="draft")["data"]["createSharedResult"]
    rid = created["sharedResult"]["id"]
    done = client.execute(
        "mutation($id: ID!) { publishSharedResult(input: {id: $id}) { sharedResult { status } userErrors { code message } } }",
        {"id": rid}, token, what="publish")["data"]["publishSharedResult"]
    if done["userErrors"]:
        raise L.BenchError(f"publish failed: {done}")
    return rid, time.perf_counter()


async def run(args, ports: tuple[int, int]) -> dict:
    site_token = sign_in(ports[0], SITE)
    outsider_token = sign_in(ports[0], OUTSIDER)
    lead_token = sign_in(ports[0], LEAD)
    projects = L.Client(ports[0]).execute("{ projects(first: 10, filter: {statuses: [ACTIVE]}) { edges { node { id title } } } }",
                                          token=lead_token)["data"]["projects"]["edges"]
    project = next(e["node"]["id"] for e in projects if e["node"]["title"].startswith("Sepsis"))
    stop = asyncio.Event()
    subscribers = []
    for i in range(args.subscribers):
        insider = i % 2 == 0
        port = ports[(i // 2) % 2]
        received: list = []
        ready = asyncio.Event()
        task = asyncio.create_task(subscriber(port, site_token if insider else outsider_token, received, ready, stop))
        subscribers.append({"insider": insider, "replica": "A" if port == ports[0] else "B", "received": received,
                            "ready": ready, "task": task})
    await asyncio.wait_for(asyncio.gather(*(s["ready"].wait() for s in subscribers)), timeout=60)
    await asyncio.sleep(1.0)  # every subscription polled once by its server
    published = {}
    for n in range(args.publications):
        rid, at = await asyncio.to_thread(publish, ports[0], lead_token, project, n)
        published[rid] = at
        await asyncio.sleep(args.interval)
    await asyncio.sleep(args.poll_ms / 1000 + 2.0)
    stop.set()
    await asyncio.gather(*(s["task"] for s in subscribers))
    out: dict = {"published": len(published)}
    for replica in ("A", "B"):
        insiders = [s for s in subscribers if s["insider"] and s["replica"] == replica]
        outsiders = [s for s in subscribers if not s["insider"] and s["replica"] == replica]
        latencies = [1000 * (at - published[rid]) for s in insiders for rid, at in s["received"] if rid in published]
        out[replica] = {
            "insiders": len(insiders), "outsiders": len(outsiders),
            "delivered": len(latencies), "expected": len(insiders) * len(published),
            "told_to_outsiders": sum(len(s["received"]) for s in outsiders),
            "latency_ms": {
                "p50": round(statistics.median(latencies), 1) if latencies else None,
                "p99": round(sorted(latencies)[max(0, int(len(latencies) * 0.99) - 1)], 1) if latencies else None,
                "max": round(max(latencies), 1) if latencies else None,
            },
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=L.DEFAULT_BINARY)
    ap.add_argument("--db", default="springboard_push")
    ap.add_argument("--subscribers", type=int, default=200)
    ap.add_argument("--publications", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between publications")
    ap.add_argument("--poll-ms", type=int, default=1000)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    L.start_deadline(900)
    jwt = L.random_jwt_secrets("push")
    workdir = tempfile.mkdtemp(prefix="springboard-push-")
    if L.db_exists(args.db):
        L.drop_db(args.db)
    L.psql(f"CREATE DATABASE {args.db}")
    servers = [DemoServer(binary, args.db, workdir, "A", jwt, {}, demo=True, poll_ms=args.poll_ms),
               DemoServer(binary, args.db, workdir, "B", jwt, {}, demo=False, poll_ms=args.poll_ms)]
    try:
        for server in servers:
            server.start()
        result = asyncio.run(run(args, (servers[0].port, servers[1].port)))
    finally:
        for server in servers:
            server.stop()
        L.drop_db(args.db)
    print(json.dumps(result, indent=2))
    ok = all(result[r]["delivered"] == result[r]["expected"] and result[r]["told_to_outsiders"] == 0 for r in ("A", "B"))
    print("every insider heard of every publication, no outsider of any" if ok else "MISSED OR LEAKED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
