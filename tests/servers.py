"""Real gunicorn processes serving the app, for tests about several processes or nodes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, dict | str]:
    """GET url: (status, parsed JSON or text), 4xx/5xx included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read().decode()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def patch(url: str, headers: dict, body: dict, timeout: float = 60) -> int:
    """PATCH url with a JSON body: the status, 4xx/5xx included."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PATCH",
                                     headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Gunicorn:
    """gunicorn -c gunicorn.conf.py wsgi:app on a free loopback port, with RESDIR_* env.

    The listening socket is bound here and handed to gunicorn (`--bind fd://N`): a port only
    looked up as free and bound later by gunicorn can be taken meanwhile by another test's
    server or outgoing connection, and the health check would then reach the wrong server."""

    def __init__(self, env: dict[str, str], workers: int = 1, log: Path | None = None):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.workers = workers
        self.log = log
        self.process: subprocess.Popen | None = None
        self._out = None

    def start(self, healthy_within: float = 60) -> Gunicorn:
        self._out = open(self.log, "ab") if self.log else None  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "--bind",
             f"fd://{self.listener.fileno()}", "--workers", str(self.workers), "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self._out or subprocess.DEVNULL,
            stderr=subprocess.STDOUT, pass_fds=(self.listener.fileno(),),
        )
        deadline = time.monotonic() + healthy_within
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if (get(self.url + "/healthz", timeout=2)[0] == 200
                        and (not self.log or len(self.ready_workers()) >= self.workers)):
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()  # never leave a server behind when the test fails here
        raise AssertionError(f"gunicorn on {self.url} not healthy with {self.workers} "
                             f"workers in {healthy_within}s (exit code "
                             f"{self.process.returncode}; log: {self.log})")

    def ready_workers(self) -> list[int]:
        """Running workers that have said they take requests (gunicorn.conf.py's
        post_worker_init). The master forks workers one after another: a test that counts
        or kills workers must not start before the last is up. Without a log, the health
        check alone is the sign of a start (and this list is empty)."""
        if not self.log:
            return []
        found = re.findall(r"Worker ready \(pid: (\d+)\)", self.log.read_text())
        return [pid for pid in map(int, found) if alive(pid)]

    def wait_workers(self, count: int, within: float = 30) -> list[int]:
        """Wait until `count` workers are ready (after one was killed and is replaced)."""
        deadline = time.monotonic() + within
        while len(pids := self.ready_workers()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return pids

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._out:
            self._out.close()
            self._out = None
        self.listener.close()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def alive(pid: int) -> bool:
    """The process runs (a zombie, killed but not yet reaped by its parent, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
