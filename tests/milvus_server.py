"""A real Milvus server for the tests: the standalone server of the PyPI package `milvus` (2.3.5).

`MilvusServer(folder).start()` runs `milvus-server --data FOLDER --proxy-port PORT` on a free
loopback port and returns once a client can list the collections; `stop()` ends the server as an
outage would (SIGTERM, then SIGKILL after 5 s: Milvus 2.3.5 standalone had not finished its
graceful stop after a minute), `start()` again brings the same server back on the same port
with its data. The second start runs the Milvus binary itself, with the configuration and
environment the launcher gave it: the launcher binds each port without SO_REUSEADDR, so while
the old connections linger in TIME_WAIT (a minute) it would move the server to another port.

Left out: authentication and TLS (the server runs on loopback only).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT = 180.0  # seconds: about 12 s on 2 idle cores, much more while the suite runs beside it
INSTALL = "pip install milvus==2.3.5 (requirements.lock pins it; `make test` installs it)"


def launcher() -> str | None:
    """The `milvus-server` command of this Python's environment, or on the PATH."""
    beside = Path(sys.executable).parent / "milvus-server"
    return str(beside) if beside.is_file() else shutil.which("milvus-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MilvusServer:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder, self.port = folder, port or free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self._launcher: subprocess.Popen | None = None
        self._server: subprocess.Popen | None = None  # the binary, when started again by us
        self._command: tuple[list[str], dict[str, str], str] | None = None
        self.start_seconds = 0.0  # how long the last start took until a client was served

    def start(self) -> float:
        began = time.monotonic()
        log = (self.folder / "launcher.log").open("ab")
        if self._command is None:
            command = launcher()
            if command is None:
                raise FileNotFoundError(f"milvus-server is not installed: {INSTALL}")
            self._launcher = subprocess.Popen([command, "--data", str(self.folder), "--proxy-port", str(self.port)],
                                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        else:
            argv, env, cwd = self._command
            self._server = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self._wait_ready(began)
        if self._command is None:
            self._command = self._binary_command()
        self.start_seconds = time.monotonic() - began
        return self.start_seconds

    def _wait_ready(self, began: float) -> None:
        from pymilvus import MilvusClient

        while True:
            if time.monotonic() - began > START_TIMEOUT:
                raise TimeoutError(f"Milvus did not serve {self.uri} within {START_TIMEOUT:g} s: see {self.folder / 'logs'}")
            for proc in (self._launcher, self._server):
                if proc is not None and proc is (self._server or self._launcher) and proc.poll() is not None:
                    raise RuntimeError(f"milvus exited with {proc.returncode}: see {self.folder / 'launcher.log'}")
            try:
                client = MilvusClient(uri=self.uri, timeout=2)
                try:
                    client.list_collections(timeout=5)
                    return
                finally:
                    client.close()
            except Exception:
                time.sleep(0.5)

    def _binary_pid(self) -> int:
        assert self._launcher is not None
        children = Path(f"/proc/{self._launcher.pid}/task/{self._launcher.pid}/children").read_text().split()
        return int(children[0])

    def _binary_command(self) -> tuple[list[str], dict[str, str], str]:
        """The Milvus binary's command line, environment and folder, as the launcher started it."""
        proc = Path(f"/proc/{self._binary_pid()}")
        argv = proc.joinpath("cmdline").read_bytes().rstrip(b"\0").decode().split("\0")
        env = dict(item.split("=", 1) for item in proc.joinpath("environ").read_bytes().decode().split("\0") if "=" in item)
        return argv, env, os.readlink(proc / "cwd")

    def stop(self) -> None:
        """Stop the Milvus binary (the launcher, if it started it, stays idle until `close`)."""
        pid = self._server.pid if self._server is not None else self._binary_pid()
        _end(pid)
        if self._server is not None:
            self._server.wait(30)
            self._server = None

    def close(self) -> None:
        if self._server is not None:
            self.stop()
        if self._launcher is not None:
            if self._launcher.poll() is None:
                try:
                    _end(self._binary_pid())
                except (OSError, IndexError):
                    pass
                self._launcher.send_signal(signal.SIGINT)  # its own handler stops what it started
                try:
                    self._launcher.wait(15)
                except subprocess.TimeoutExpired:
                    self._launcher.kill()
                    self._launcher.wait(5)
            self._launcher = None


def _end(pid: int, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; returns when the process is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie is gone: its parent has not read its status yet
