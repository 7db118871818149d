"""report.html in a real headless browser (Debian chromium + chromedriver, driven over chromedriver's W3C HTTP API
with urllib, so no extra Python package): it loads without console errors, hostile names stay text, every plot
renders, and tables sort on click. Skipped where chromium or chromedriver is not installed."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from harness.report import build_and_write
from harness.report.synthetic import record, write_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromedriver are not installed "
                                "(apt-get install -y chromium chromium-driver)")

SST2 = ("sst2", "classification", "classification", "accuracy", True)
STSB = ("stsb", "similarity", "regression", "pearson", True)
HOSTILE = "<img src=x onerror=alert(1)>"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1300,1000"]


class Driver:
    """The few W3C WebDriver calls the test needs."""

    def __init__(self, tmp_path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen([DRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.call("GET", "/status")["ready"]:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.2)
        options = {"binary": CHROMIUM, "args": [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]}
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options,
                                                 "goog:loggingPrefs": {"browser": "ALL"},
                                                 "unhandledPromptBehavior": "ignore"}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.read().decode()[:500]}") from None

    def do(self, method: str, path: str, body: dict | None = None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def script(self, source: str):
        return self.do("POST", "/execute/sync", {"script": source, "args": []})

    def click(self, css: str) -> None:
        element = self.do("POST", "/element", {"using": "css selector", "value": css})
        self.do("POST", f"/element/{next(iter(element.values()))}/click", {})

    def close(self) -> None:
        try:
            self.call("DELETE", f"/session/{self.session}")
        finally:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def page(tmp_path):
    records = []
    for model, score, sps in (("alpha", 0.70, 300.0), (HOSTILE, 0.90, 100.0), ("gamma", 0.80, 200.0)):
        records += [record(model, SST2, s, score=score + s / 100, samples_per_s=sps) for s in range(2)]
        records += [record(model, STSB, s, score=score - 0.3 + s / 100, samples_per_s=sps) for s in range(2)]
    records.append(record("delta", SST2, 0, status="unsupported", error="no head <b>here</b>"))
    out = tmp_path / "report"
    build_and_write(write_run(tmp_path / "run", records), out, "html")
    driver = Driver(tmp_path)
    try:
        driver.do("POST", "/url", {"url": (out / "report.html").as_uri()})
        yield driver
    finally:
        driver.close()


def test_report_renders_sorts_and_stays_inert(page):
    # An alert from the hostile name would block every later command with "unexpected alert open".
    assert page.script("return document.title") == "Leaderboard: run"
    images = page.script("return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
    assert len(images) == 4, images          # only the four plots: the hostile <img> is text
    assert all(done and width > 0 for done, width, _ in images), images
    assert page.script("return document.body.innerText.includes('<img src=x onerror=alert(1)>')")

    def column(table: str, index: int) -> list[str]:
        return page.script(f"return Array.from(document.querySelectorAll('#t-{table} tbody tr'))"
                           f".map(r => r.cells[{index}].textContent)")

    entries = column("overall", 1)
    assert entries[0] == HOSTILE and entries[-1] == "delta"               # ranked by overall score
    page.click("#t-overall thead th:nth-child(2)")                        # entry: ascending text
    assert column("overall", 1) == sorted(entries, key=str.lower)
    page.click("#t-overall thead th:nth-child(4)")                        # overall score: ascending
    scores = column("overall", 3)
    assert [s.split()[0] for s in scores[:3]] == ["55.5", "65.5", "75.5"] and scores[-1] == "–"
    page.click("#t-overall thead th:nth-child(4)")                        # descending; missing stays last
    scores = column("overall", 3)
    assert [s.split()[0] for s in scores[:3]] == ["75.5", "65.5", "55.5"] and scores[-1] == "–"
    assert page.script("return document.querySelector('#t-overall thead th:nth-child(4)')"
                       ".getAttribute('aria-sort')") == "descending"

    logs = page.do("POST", "/se/log", {"type": "browser"})
    errors = [entry for entry in logs if entry.get("level") in ("SEVERE", "ERROR")]
    assert not errors, errors
