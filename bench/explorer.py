#!/usr/bin/env python3
"""The API explorer as a person uses it, in headless Chromium over the DevTools protocol: the page
loads with no network beyond the server, a person signs in from the bar, runs the worked example,
and after their access token is made to expire, runs it again without re-pasting anything.

    python3 bench/explorer.py --url http://127.0.0.1:8080 --email admin@northgate-general.example.org \\
        --password <demo password> [--screenshot docs/explorer.png]

Start the server first (`cargo run --release -- serve --demo`). Needs Debian's `chromium` and
`pip install websocket-client`.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

PORT = 9231


class Page:
    def __init__(self, url: str):
        self.ws = websocket.create_connection(url)
        self.n = 0

    def call(self, method: str, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.n:
                return message

    def js(self, expression: str):
        reply = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return reply["result"].get("result", {}).get("value")

    def wait_for(self, expression: str, seconds: float = 15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.js(expression):
                return
            time.sleep(0.25)
        sys.exit(f"FAILED: waited {seconds}s for {expression}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--email", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--screenshot")
    args = ap.parse_args()
    profile = tempfile.mkdtemp()
    browser = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                                "--window-size=1400,900", f"--remote-debugging-port={PORT}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(40):
            try:
                tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{PORT}/json"))
                break
            except OSError:
                time.sleep(0.25)
        page = Page(next(t for t in tabs if t["type"] == "page")["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Page.navigate", url=f"{args.url}/graphql")
        page.wait_for("!!document.querySelector('.graphiql-execute-button')")
        print("  ok  the explorer loaded from the server alone")
        page.js(f"""(() => {{ const f = document.getElementById('sign-in');
            f.email.value = {json.dumps(args.email)}; f.password.value = {json.dumps(args.password)};
            f.requestSubmit(); }})()""")
        page.wait_for("document.getElementById('who').textContent.length > 0")
        who = page.js("document.getElementById('who').textContent")
        print(f"  ok  signed in: {who}")
        page.js("document.querySelector('.graphiql-execute-button').click()")
        page.wait_for("(document.querySelector('.result-window')?.innerText || '').includes('totalCount')")
        print("  ok  the worked example ran")
        if args.screenshot:
            shot = page.call("Page.captureScreenshot", format="png")["result"]["data"]
            with open(args.screenshot, "wb") as out:
                out.write(base64.b64decode(shot))
            print(f"  ok  screenshot {args.screenshot}")
        page.js("""(() => { const s = JSON.parse(sessionStorage.getItem('springboard.explorer.session'));
            window.__before = s.accessToken; s.accessExpiresAt = new Date(Date.now() + 1000).toISOString();
            sessionStorage.setItem('springboard.explorer.session', JSON.stringify(s)); })()""")
        page.js("document.querySelector('.graphiql-execute-button').click()")
        page.wait_for("JSON.parse(sessionStorage.getItem('springboard.explorer.session')).accessToken !== window.__before")
        page.wait_for("(document.querySelector('.result-window')?.innerText || '').includes('totalCount')")
        print("  ok  an expiring access token was renewed, and the query ran again")
    finally:
        browser.terminate()


if __name__ == "__main__":
    main()
