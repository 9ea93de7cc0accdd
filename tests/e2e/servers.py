"""Servers the end-to-end tests start on 127.0.0.1: the team setup of docs/scale-out.md (PostgreSQL plus an
``mlflow server`` with proxied artifacts) and a local Ray head. Every command here is the
docs', with loopback addresses, free ports and temporary folders filled in."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _postgres_bin() -> Path:
    """Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does)")
    return Path(pg_ctl).parent


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its programs as the ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], log: Path) -> None:
    with open(log, "a") as out:
        proc = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL cluster in a fresh folder, listening on 127.0.0.1 only, with a database
    ``mlflow``; yields the docs' ``postgresql://`` URI for it."""
    bin_dir = _postgres_bin()
    # Not under pytest's tmp_path: its parents are private to root, and postgres must reach it.
    root = Path(tempfile.mkdtemp(prefix="trackbench-pg-"))
    data = root / "data"
    log = root / "postgres.log"
    log.touch()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(log, "postgres", "postgres")
    port = free_port()
    options = f"-c listen_addresses={HOST} -p {port} -c unix_socket_directories={root}"
    try:
        _run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]), log)
        pg_ctl = str(bin_dir / "pg_ctl")
        _run(_as_postgres([pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]), log)
        _run(_as_postgres([str(bin_dir / "createdb"), "-h", HOST, "-p", str(port), "-U", "postgres", "mlflow"]), log)
        yield f"postgresql://postgres@{HOST}:{port}/mlflow"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


class MlflowServer:
    """``mlflow server`` on a database URI with artifacts proxied into a folder; can be stopped
    and started again on the same port (outage tests)."""

    def __init__(self, backend_uri: str, folder: Path, workers: int = 2) -> None:
        self.backend_uri = backend_uri
        self.folder = folder
        self.workers = workers
        self.port = free_port()
        self.uri = f"http://{HOST}:{self.port}"
        self.artifacts = folder / "artifacts"
        self._proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "mlflow", "server",
            "--host", HOST, "--port", str(self.port), "--workers", str(self.workers),
            "--backend-store-uri", self.backend_uri,
            "--artifacts-destination", str(self.artifacts),
        ]  # fmt: skip

    def start(self, timeout: float = 120) -> None:
        log = open(self.folder / "server.log", "a")  # noqa: SIM115 - the child holds it
        self._proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.folder
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mlflow server did not start:\n{(self.folder / 'server.log').read_text()[-3000:]}")
            time.sleep(0.3)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server and its workers (its own process group); the port is free after."""
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGTERM)
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=30)
        # Workers may outlive the parent by a moment: wait until nobody answers.
        deadline = time.monotonic() + 30
        while self.healthy() and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc = None


def _pids_in(folder: Path) -> list[int]:
    """Our own Ray processes: every one of them runs in the head's fresh folder."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "cwd")) == folder:
                    pids.append(int(entry.name))
    return pids


def listening(pids: list[int]) -> list[str]:
    """Local addresses the given processes listen on (TCP), read from ``ss -ltnp``."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    wanted = {f"pid={p}," for p in pids}
    return [line.split()[3] for line in out.splitlines() if any(w in line for w in wanted)]


class RayHead:
    """``ray start --head`` on 127.0.0.1 in a fresh folder, with token authentication on.

    ``env`` is what the head and every driver joining it get: the token lives in ``$HOME/.ray``
    (a HOME of the test's own, so nothing is left in the user's), Ray's files under
    ``RAY_TMPDIR``, and RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 keeps Ray from replacing 127.0.0.1
    by the machine's interface address (../shared/NOTES.md); ``addresses()`` checks that."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.address = f"{HOST}:{self.port}"
        home = folder / "home"
        home.mkdir()
        self.env = {
            **os.environ,
            "HOME": str(home),
            "RAY_TMPDIR": str(folder / "tmp"),
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "RAY_AUTH_MODE": "token",
            "RAY_USAGE_STATS_ENABLED": "0",
        }
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> None:
        ray = str(Path(sys.executable).parent / "ray")
        subprocess.run([ray, "get-auth-token", "--generate"], env=self.env, capture_output=True, check=True, timeout=60)
        log_path = self.folder / "head.log"
        with open(log_path, "w") as log:
            self._proc = subprocess.Popen(
                [
                    ray, "start", "--head", "--block", f"--node-ip-address={HOST}", f"--port={self.port}",
                    f"--ray-client-server-port={free_port()}", "--num-cpus=4", "--include-dashboard=false",
                    "--disable-usage-stats", f"--temp-dir={self.folder / 'tmp'}",
                ],
                cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while "Ray runtime started" not in log_path.read_text():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"ray head did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)

    def addresses(self) -> list[str]:
        return listening(_pids_in(self.folder))

    def stop(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _pids_in(self.folder) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in _pids_in(self.folder):  # stragglers that ignored SIGTERM
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._proc = None
