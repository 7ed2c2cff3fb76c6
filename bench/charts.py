#!/usr/bin/env python3
"""Charts as pictures: how long a 1,040-point chart takes, and what three demo charts look like.

Starts a release build of `springboard serve --demo` on a fresh PostgreSQL database (as `run.py`
does, and with its helpers), then:

1. Records a WEEKLY measure of 1,040 points (twenty years, one site) and times, over
   --samples requests each: `analysis(siteId) { verdict }` (the analysis alone), `analysis(siteId)
   { chart }` (the analysis and its SVG), and `GET /charts/measures/{id}.svg?site=` (the same
   picture at its URL). The chart's own cost is the difference of the first two medians.
2. With --screenshots DIR: saves three demo charts as SVG (the sepsis bundle at Northgate, SPC;
   30-day mortality, all sites pooled, SPC; minutes to antibiotics at Clydeside, run chart) and,
   when `chromium` is installed, a PNG of each as a browser shows it.

    python3 bench/charts.py --no-build                      # reuse target/release/springboard
    python3 bench/charts.py --no-build --screenshots docs/charts
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import run
from run import BenchError, Client, Session, ms_stats, log

POINTS = 1040
DEMO_COLLEGE = f"admin@{run.COLLEGE}.example.org"

VERDICT = "query($m: ID!, $s: ID) { node(id: $m) { ... on Measure { analysis(siteId: $s) { verdict { verdict } } } } }"
CHART = "query($m: ID!, $s: ID) { node(id: $m) { ... on Measure { analysis(siteId: $s) { chart } } } }"
SEPSIS = """{ projects(filter: {search: "Sepsis six within the hour"}, first: 5) { edges { node { title
  sites { id institution { slug } } measures { id name } } } } }"""


def get_svg(port: int, token: str, measure: str, query: dict) -> tuple[int, bytes, float]:
    path = f"/charts/measures/{measure}.svg"
    if query:
        path += "?" + urllib.parse.urlencode(query)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.connect()
        t0 = run.time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, body, run.time.perf_counter() - t0
    finally:
        conn.close()


def bench_render(client: Client, samples: int) -> dict:
    setup = run.setup_project(client)
    college: Session = setup["college"]
    slug = sorted(setup["sites"])[0]
    measure = run.create_measure(college, setup["project_id"], "Chart benchmark")
    body = run.observations_body(measure, [slug], run.mondays(POINTS), random.Random(1040), trend=0.01)
    run.record(college, body, POINTS, f"recordObservations ({POINTS} weeks)")
    site = setup["sites"][slug]
    variables = {"m": measure, "s": site}
    timings: dict[str, list[float]] = {"analysis": [], "analysis_and_chart": [], "url": []}
    size = 0
    for i in range(samples):
        run.DEADLINE.check("chart benchmark")
        _, elapsed = college.run(VERDICT, variables, what=f"analysis #{i + 1}")
        timings["analysis"].append(elapsed)
        data, elapsed = college.run(CHART, variables, what=f"chart #{i + 1}")
        svg = data["node"]["analysis"]["chart"]
        markers = svg.count('class="point"')
        if markers != POINTS:
            raise BenchError(f"chart #{i + 1}: {markers} markers, expected {POINTS}")
        size = len(svg)
        timings["analysis_and_chart"].append(elapsed)
        status, raw, elapsed = get_svg(client.port, college.token(), measure, {"site": site})
        if status != 200 or raw.decode() != svg:
            raise BenchError(f"GET chart #{i + 1}: HTTP {status}, {len(raw)} bytes, not the GraphQL field's SVG")
        timings["url"].append(elapsed)
    result = {"points": POINTS, "samples": samples, "svg_bytes": size}
    for name, values in timings.items():
        result[name] = ms_stats(values)
    result["chart_only_p50_ms"] = round(result["analysis_and_chart"]["p50_ms"] - result["analysis"]["p50_ms"], 2)
    for name in timings:
        s = result[name]
        log(f"  {name:19s} p50 {s['p50_ms']:7.1f} ms  p95 {s['p95_ms']:7.1f} ms  max {s['max_ms']:7.1f} ms")
    log(f"  chart alone (difference of medians): {result['chart_only_p50_ms']} ms; SVG {size} bytes")
    return result


def screenshots(client: Client, directory: str) -> list[str]:
    college = Session(client, DEMO_COLLEGE, run.DEMO_PASSWORD)
    data, _ = college.run(SEPSIS, what="the sepsis project")
    project = next(e["node"] for e in data["projects"]["edges"] if e["node"]["title"] == "Sepsis six within the hour")
    sites = {s["institution"]["slug"]: s["id"] for s in project["sites"]}
    measures = {m["name"]: m["id"] for m in project["measures"]}
    wanted = [
        ("sepsis-bundle-northgate-spc", "Sepsis six completed within one hour", {"site": sites["northgate-general"]}),
        ("mortality-all-sites-spc", "30-day mortality after sepsis admission", {}),
        ("antibiotics-clydeside-run", "Median minutes from triage to antibiotics",
         {"site": sites["clydeside-university"], "variant": "RUN"}),
    ]
    os.makedirs(directory, exist_ok=True)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    written = []
    for name, measure, query in wanted:
        status, raw, _ = get_svg(client.port, college.token(), measures[measure], query)
        if status != 200:
            raise BenchError(f"{name}: HTTP {status}: {raw[:300]!r}")
        svg_path = os.path.join(directory, f"{name}.svg")
        with open(svg_path, "wb") as f:
            f.write(raw)
        written.append(svg_path)
        if browser:
            png_path = os.path.abspath(os.path.join(directory, f"{name}.png"))
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run(
                    [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     f"--user-data-dir={profile}", "--window-size=820,420", f"--screenshot={png_path}",
                     "file://" + os.path.abspath(svg_path)],
                    check=True, capture_output=True, timeout=120,
                )
            written.append(png_path)
    if not browser:
        log("  chromium not found: SVGs written, no PNG screenshots")
    for path in written:
        log(f"  wrote {path}")
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/springboard")
    ap.add_argument("--db", default="springboard_charts", help="PostgreSQL database to (re)create")
    ap.add_argument("--samples", type=int, default=50, help="requests of each kind (default 50)")
    ap.add_argument("--screenshots", metavar="DIR", help="also save three demo charts (and PNGs) here")
    ap.add_argument("--timeout", type=float, default=1800, help="global timeout in seconds (default 1800)")
    args = ap.parse_args()
    if not args.db.replace("_", "").isalnum():
        raise SystemExit("--db must be letters, digits and underscores")
    run.DEADLINE = run.Deadline(args.timeout)
    if not args.no_build:
        run.build_release()
    run.psql(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
    run.psql(f"CREATE DATABASE {args.db}")
    server = run.Server(args.db, tempfile.mkdtemp(prefix="springboard-charts-"))
    results: dict = {}
    try:
        server.start()
        client = Client(server.port)
        if args.screenshots:
            results["screenshots"] = screenshots(client, args.screenshots)
        log(f"rendering a {POINTS}-point chart, {args.samples} samples of each request")
        results["render"] = bench_render(client, args.samples)
    finally:
        server.stop()
        run.psql(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        sys.exit(1)
