"""Open a page in headless Chromium and report what a person would see, with no dependency.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``:
JSON messages ending in a NUL byte, commands on file descriptor 3, replies on 4), so no
WebSocket client is needed. :func:`visit` loads a file and returns its console errors, every
request the page made and a PNG screenshot.

    python3 tests/chromium.py out/quickstart/report.html docs/img/report.png   # a screenshot
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 60.0


def find_chromium() -> str | None:
    """Return the path of a Chromium executable on PATH (``$CHROMIUM`` first), or None."""
    for name in (os.environ.get("CHROMIUM"), *NAMES):
        if name and (found := shutil.which(name)):
            return found
    return None


@dataclass
class Visit:
    """What a page load showed: console errors and exceptions, request URLs, a screenshot."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""


class _Pipe:
    """The DevTools session of one Chromium child: send a command, collect its events."""

    def __init__(self, process: subprocess.Popen, to_browser: int, from_browser: int) -> None:
        self.process, self.out, self.inp = process, to_browser, from_browser
        self.buffer, self.next_id, self.events = b"", 0, []

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send ``method`` with ``params`` and return its result (events seen are kept)."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        """Return the first event named ``method`` (from those kept, else the next ones)."""
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self.read())

    def read(self) -> dict:
        """Return the next message, failing after ``TIMEOUT_S``."""
        deadline = time.monotonic() + TIMEOUT_S
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("Chromium stopped answering")
            chunk = os.read(self.inp, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)


def _launch(executable: str, profile: str) -> _Pipe:
    """Start headless Chromium with its DevTools pipe on descriptors 3 and 4."""
    commands, to_browser = os.pipe()
    from_browser, replies = os.pipe()

    def wire() -> None:  # in the child, before exec
        # NOTE: copied out of the way first, so that neither dup2 overwrites the other's source.
        high = [os.dup(commands), os.dup(replies)]
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)

    flags = ["--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
             f"--user-data-dir={profile}", "about:blank"]  # fmt: skip
    process = subprocess.Popen(
        [executable, *flags],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=wire,
        start_new_session=True,  # NOTE: its own process group, ended whole by ``_close``
        pass_fds=(3, 4),  # NOTE: descriptors closed after ``wire`` except these
    )
    os.close(commands)
    os.close(replies)
    return _Pipe(process, to_browser, from_browser)


def visit(
    path: Path, width: int = 1280, height: int = 2400, executable: str | None = None
) -> Visit:
    """Load ``path`` in headless Chromium at ``width`` × ``height`` CSS pixels; return what
    happened: console errors and uncaught exceptions, the URL of every request, a screenshot."""
    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError("no Chromium found")
    with tempfile.TemporaryDirectory(
        prefix="batchsim-chromium-", ignore_cleanup_errors=True
    ) as profile:
        pipe = _launch(executable, profile)
        try:
            return _load(pipe, Path(path).resolve().as_uri(), width, height)
        finally:
            _close(pipe)


def _close(pipe: _Pipe) -> None:
    """Ask the browser to quit, then end its process group (renderers, crash handler)."""
    with contextlib.suppress(Exception):
        pipe.call("Browser.close")
        pipe.process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pipe.process.pid, signal.SIGKILL)
    pipe.process.wait()
    os.close(pipe.out)
    os.close(pipe.inp)


def _load(pipe: _Pipe, url: str, width: int, height: int) -> Visit:
    target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
    session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        pipe.call(f"{domain}.enable", session)
    pipe.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
              deviceScaleFactor=1, mobile=False)  # fmt: skip
    pipe.events.clear()
    pipe.call("Page.navigate", session, url=url)
    pipe.wait_for("Page.loadEventFired")
    shot = pipe.call("Page.captureScreenshot", session, format="png")["data"]
    pipe.call("Runtime.evaluate", session, expression="1")  # NOTE: flushes late console events
    return _visit(pipe.events, base64.b64decode(shot))


def _visit(events: list[dict], screenshot: bytes) -> Visit:
    """Sort the page's events into console errors and requests."""
    found = Visit(screenshot=screenshot)
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            found.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            found.errors.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.errors.append(json.dumps(params.get("args"))[:500])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.errors.append(params["entry"].get("text", ""))
    return found


if __name__ == "__main__":
    page, target = Path(sys.argv[1]), Path(sys.argv[2])
    seen = visit(page, height=int(sys.argv[3]) if len(sys.argv) > 3 else 2400)
    target.write_bytes(seen.screenshot)
    print(f"errors: {seen.errors}\nrequests: {seen.requests}\nscreenshot: {target}")
