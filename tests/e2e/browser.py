"""Headless Chromium for tests that look at a page: Debian's `chromium` driven by its matching
`chromium-driver` over the W3C WebDriver protocol (plain HTTP, no client library).

Installed by `.ci/run` (apt); the two Debian packages are built from one source, so the driver
always speaks the browser's version. Missing, the tests that need it fail and say how to
install it: they are the proof that the report renders.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

INSTALL = "apt-get install -y chromium chromium-driver (as .ci/run does)"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
]


@dataclass
class Browser:
    """One WebDriver session."""

    url: str

    def open(self, address: str) -> None:
        self._post("url", {"url": address})

    def run(self, script: str) -> Any:
        """The value of a synchronous script (its `return`)."""
        return self._post("execute/sync", {"script": script, "args": []})

    def _post(self, command: str, body: dict[str, Any]) -> Any:
        answer = requests.post(f"{self.url}/{command}", json=body, timeout=60)
        value = answer.json().get("value")
        assert answer.ok, f"WebDriver {command}: {value}"
        return value


@contextlib.contextmanager
def headless_chromium(profile: Path) -> Iterator[Browser]:
    """A headless Chromium session with a fresh profile in `profile`, closed at the end."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, f"headless Chromium is missing: {INSTALL}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/status", timeout=2).json()["value"]["ready"]:
                    break
            except (requests.ConnectionError, KeyError, ValueError):
                pass
            assert time.monotonic() < deadline, "chromedriver did not start"
            time.sleep(0.1)
        options = {"binary": chromium, "args": [*FLAGS, f"--user-data-dir={profile}"]}
        capabilities = {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}
        answer = requests.post(f"{base}/session", json={"capabilities": capabilities}, timeout=60)
        session = answer.json()["value"]
        assert answer.ok, f"starting Chromium: {session}"
        url = f"{base}/session/{session['sessionId']}"
        try:
            yield Browser(url)
        finally:
            requests.delete(url, timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=30)
