#!/usr/bin/env python3
"""A hospital analyst's monthly round trip, against the demo (`springboard serve --demo`).

Northgate General's analyst signs in, makes an API token for the monthly script, downloads the
sepsis bundle measure's data for Northgate, corrects last month (dry run first), re-sends it
unchanged, voids a month entered by mistake and sends it back, pulls the whole project as a
table and its chart for the board report, and fills in the project's CSV template for last month
and checks it with a dry run. Every step checks what the API answered; the script
exits non-zero at the first surprise.

    SPRINGBOARD_URL=http://127.0.0.1:8080 SPRINGBOARD_PASSWORD=<demo password> \\
        python3 examples/analyst/round_trip.py

Needs Python 3.10+ and `requests`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys

import requests

URL = os.environ.get("SPRINGBOARD_URL", "http://127.0.0.1:8080").rstrip("/")
EMAIL = os.environ.get("SPRINGBOARD_EMAIL", "admin@northgate-general.example.org")
PASSWORD = os.environ.get("SPRINGBOARD_PASSWORD") or sys.exit("set SPRINGBOARD_PASSWORD to the demo password")
SITE = "northgate-general"
MEASURE = "Sepsis six completed within one hour"
TIMEOUT = 30


class Surprise(Exception):
    pass


def graphql(query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(f"{URL}/graphql", json={"query": query, "variables": variables or {}},
                             headers=headers, timeout=TIMEOUT)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise Surprise(f"HTTP {response.status_code}: {body}")
    return body["data"]


def payload(data: dict, field: str) -> dict:
    result = data[field]
    if result.get("userErrors"):
        raise Surprise(f"{field}: {result['userErrors']}")
    return result


def expect(what: str, got, wanted) -> None:
    if got != wanted:
        raise Surprise(f"{what}: got {got!r}, expected {wanted!r}")
    print(f"  ok  {what}: {got}")


def download(path: str, token: str) -> requests.Response:
    response = requests.get(f"{URL}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    if response.status_code != 200:
        raise Surprise(f"GET {path}: HTTP {response.status_code}: {response.text[:300]}")
    return response


def main() -> None:
    print(f"signing in as {EMAIL} at {URL}")
    signed_in = payload(graphql(
        "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { tokens { accessToken } userErrors { code message } } }",
        {"e": EMAIL, "p": PASSWORD}), "signIn")
    person = signed_in["tokens"]["accessToken"]
    script = payload(graphql(
        "mutation { createApiToken(input: {name: \"monthly upload\", scope: READ_WRITE}) { secret userErrors { code message } } }",
        token=person), "createApiToken")["secret"]
    print("  ok  API token made for the monthly script")

    found = graphql("""{ projects(filter: {search: "Sepsis six within the hour"}, first: 5) { edges { node {
        id title measures { id name code unit } } } } }""", token=script)
    project = next(e["node"] for e in found["projects"]["edges"] if e["node"]["title"] == "Sepsis six within the hour")
    measure = next(m for m in project["measures"] if m["name"] == MEASURE)
    print(f"  ok  found {MEASURE!r} in {project['title']!r}")

    # What is stored for Northgate, as the import format: the file to correct and send back.
    stored = list(csv.DictReader(io.StringIO(
        download(f"/export/measures/{measure['id']}.csv?site={SITE}", script).text)))
    if len(stored) < 3:
        raise Surprise(f"expected months of data for {SITE}, got {len(stored)} rows")
    last = stored[-1]
    print(f"  ok  downloaded {len(stored)} months; the latest is {last['period_start']}")

    corrected = dict(last, numerator=str(int(float(last["numerator"])) - 1))
    record = """mutation($input: RecordObservationsInput!) { recordObservations(input: $input) {
        recordedCount created updated unchanged dryRun userErrors { field code message } } }"""

    def send(row: dict, dry_run: bool) -> dict:
        observation = {"site": row["site"], "periodStart": row["period_start"],
                       "numerator": float(row["numerator"]), "denominator": float(row["denominator"])}
        if row.get("note"):
            observation["note"] = row["note"]
        return payload(graphql(record, {"input": {"measureId": measure["id"], "observations": [observation],
                                                   "dryRun": dry_run}}, script), "recordObservations")

    report = send(corrected, dry_run=True)
    expect("dry run of the correction", (report["updated"], report["dryRun"]), (1, True))
    expect("nothing changed by the dry run",
           list(csv.DictReader(io.StringIO(download(f"/export/measures/{measure['id']}.csv?site={SITE}", script).text)))[-1],
           last)
    expect("the correction", send(corrected, dry_run=False)["updated"], 1)
    expect("the same month sent again", send(corrected, dry_run=False)["unchanged"], 1)

    void = """mutation($input: VoidObservationsInput!) { voidObservations(input: $input) {
        voidedCount dryRun userErrors { field code message } } }"""
    month = dt.date.fromisoformat(corrected["period_start"])
    wrong = {"measureId": measure["id"], "site": SITE, "from": str(month), "to": str(month),
             "reason": "entered against the wrong month"}
    expect("voiding it, dry run", payload(graphql(void, {"input": dict(wrong, dryRun=True)}, script),
                                         "voidObservations")["voidedCount"], 1)
    expect("voiding it", payload(graphql(void, {"input": wrong}, script), "voidObservations")["voidedCount"], 1)
    expect("it has left the export",
           any(r["period_start"] == str(month) for r in csv.DictReader(io.StringIO(
               download(f"/export/measures/{measure['id']}.csv?site={SITE}", script).text))), False)
    expect("sending it back", send(corrected, dry_run=False)["created"], 1)

    table = download(f"/export/projects/{project['id']}.csv", script)
    expect("the project table's disposition", table.headers.get("Content-Disposition", "").startswith("attachment"), True)
    rows = list(csv.DictReader(io.StringIO(table.text)))
    proportions = [r for r in rows if r["measure"] == MEASURE and r["site"] == SITE]
    expect("the table has values filled in for proportions",
           all(r["value"] and abs(float(r["value"]) - float(r["numerator"]) / float(r["denominator"])) < 1e-9
               for r in proportions), True)
    chart = download(f"/charts/measures/{measure['id']}.svg?site={SITE}", script)
    expect("the chart for the board report", chart.headers.get("Content-Type"), "image/svg+xml; charset=utf-8")

    # Next month's file, from the template: a row per measure for Northgate at the last month
    # that has ended, filled here from the table (so nothing should change).
    template = list(csv.DictReader(io.StringIO(download(f"/export/projects/{project['id']}/template.csv", script).text)))
    by_code = {m["code"]: m for m in project["measures"]}
    expect("the template names each measure once, by code, at Northgate",
           sorted((r["measure"], r["site"]) for r in template), sorted((code, SITE) for code in by_code))
    stored_rows = {(r["measure_id"], r["period_start"]): r for r in rows if r["site"] == SITE}
    for line in template:
        had = stored_rows[(by_code[line["measure"]]["id"], line["period_start"])]
        line.update(numerator=had["numerator"], denominator=had["denominator"], note=had["note"],
                    value="" if had["numerator"] else had["value"])
    filled = io.StringIO()
    writer = csv.DictWriter(filled, fieldnames=list(template[0].keys()))
    writer.writeheader()
    writer.writerows(template)
    operations = {"query": """mutation($f: Upload!, $p: ID!) { importObservationsCsv(input: {projectId: $p, file: $f, dryRun: true}) {
        created updated unchanged byMeasure { measure { code } unchanged } userErrors { field code message } } }""",
                  "variables": {"f": None, "p": project["id"]}}
    response = requests.post(f"{URL}/graphql", headers={"Authorization": f"Bearer {script}"}, timeout=TIMEOUT,
                             data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
                             files={"0": ("monthly.csv", filled.getvalue().encode(), "text/csv")})
    imported = response.json()
    if response.status_code != 200 or imported.get("errors"):
        raise Surprise(f"HTTP {response.status_code}: {imported}")
    report = payload(imported["data"], "importObservationsCsv")
    expect("the filled template, checked with a dry run", (report["created"], report["updated"], report["unchanged"]),
           (0, 0, len(template)))
    print(f"done: {len(rows)} rows in the project table, chart {len(chart.content)} bytes")


if __name__ == "__main__":
    try:
        main()
    except (Surprise, requests.RequestException, KeyError, StopIteration) as error:
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
