"""A controller as a child process on a local port (`python -m robot.cli controller serve`): used by
`vitra demo`, the Dagster tests and the benchmark; the process owns the simulated hand and its GL context."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from robot.deploy_client import DeployClient

REPO_ROOT = Path(__file__).resolve().parents[2]
_START_TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ControllerProcess:
    """Start, stop (SIGTERM) or kill (SIGKILL) one controller; its output goes to `log_path`."""

    def __init__(self, config_path: Path, token: str, token_env: str, port: int | None = None,
                 log_dir: Path | None = None, module: str = "robot.cli"):
        self.config_path = config_path
        self.module = module  # the CLI module run with `python -m`: tests substitute one that wraps it
        self.token = token
        self.token_env = token_env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = (log_dir or config_path.parent) / f"controller-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        self.started_state: dict | None = None  # GET /state as soon as the controller was healthy

    def client(self, token: str | None = "") -> DeployClient:
        """A client with the controller's token (default), another token, or none (None)."""
        return DeployClient(self.url, self.token if token == "" else token)

    def start(self, accept_degraded: bool = False) -> ControllerProcess:
        """Start and wait until /health is ok, or with `accept_degraded` until it answers with the loop ticking."""
        env = {**os.environ, self.token_env: self.token, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
        command = [sys.executable, "-m", self.module, "controller", "serve", "--config", str(self.config_path),
                   "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"controller exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                answer = requests.get(self.url + "/health", timeout=2)
                if answer.status_code == 200 or (
                        accept_degraded and answer.status_code == 503 and answer.json().get("loop_ticks", 0) > 0):
                    self.started_state = self.client().state()
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"controller not healthy after {_START_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
