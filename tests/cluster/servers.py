"""Real servers on loopback for the cluster profile: PostgreSQL (Debian's package), an S3 server (moto's
server mode) and an MLflow tracking server. Each is a child process in its own session, started by a
context manager that stops it (and whatever it forked) on exit, also when the test fails."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
POSTGRES_USER = "postgres"  # the Debian package's system user; PostgreSQL refuses to run as root
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin with a server in it (Debian's layout), or None."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    return max(found, key=lambda p: int(p.parent.name), default=None)


@contextmanager
def _process(name: str, args: list[str], log: Path, ready: Callable[[], bool], stop_signal=signal.SIGTERM,
             **popen) -> Iterator[subprocess.Popen]:
    """Start `args` (output to `log`), wait until `ready()`, and on exit signal its process group and wait."""
    with open(log, "ab") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start (exit code {process.poll()}); its log {log}:\n"
                                   + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield process
    finally:
        _stop(process, stop_signal)


def _stop(process: subprocess.Popen, stop_signal) -> None:
    group = process.pid  # start_new_session: the process leads its own group (workers included)
    for sig, wait_s in ((stop_signal, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class Postgres:
    port: int
    version: str
    superuser: str = "vitra"

    def connect(self, db: str):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=self.superuser, dbname=db)


@contextmanager
def postgres(bin_dir: Path, databases: list[str]) -> Iterator[Postgres]:
    """A throwaway cluster (trust auth on loopback and a private unix socket) with each of `databases` owned
    by a login role of the same name, as the cluster's (dagster@.../dagster, mlflow@.../mlflow).

    As root it runs as the `postgres` system user, in a folder of its own under /tmp (pytest's tmp_path
    is private to root)."""
    run_as = {"user": POSTGRES_USER} if os.getuid() == 0 else {}
    root = Path(tempfile.mkdtemp(prefix="vitra-pg-", dir="/tmp" if run_as else None))  # not a root-only TMPDIR
    data, log, port = root / "data", root / "postgres.log", free_port()
    log.touch()
    if run_as:
        account = pwd.getpwnam(POSTGRES_USER)
        for path in (root, log):
            os.chown(path, account.pw_uid, account.pw_gid)
    try:
        server = Postgres(port, subprocess.run([bin_dir / "postgres", "--version"], check=True, capture_output=True,
                                               text=True).stdout.strip())
        initdb = subprocess.run([bin_dir / "initdb", "-D", data, "-U", server.superuser, "--auth=trust", "-E", "UTF8",
                                 "--no-sync"], capture_output=True, text=True, cwd=root, **run_as)
        if initdb.returncode:
            raise RuntimeError(f"initdb failed ({initdb.returncode}): {initdb.stderr}")
        settings = {"listen_addresses": "127.0.0.1", "port": port, "unix_socket_directories": root,
                    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}  # throwaway data
        args = [bin_dir / "postgres", "-D", data, *(f"-c{k}={v}" for k, v in settings.items())]
        with _process("postgres", args, log, lambda: _accepts(port), signal.SIGINT, cwd=root, **run_as):
            connection = server.connect("postgres")
            connection.autocommit = True
            with connection.cursor() as cursor:
                for db in databases:
                    cursor.execute(f'CREATE ROLE "{db}" LOGIN')
                    cursor.execute(f'CREATE DATABASE "{db}" OWNER "{db}"')
            connection.close()
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def s3_server(workdir: Path, buckets: list[str]) -> Iterator[str]:
    """moto's S3 server (`moto_server`) with `buckets` created; yields its endpoint URL. Needs AWS_* in the
    environment (any values: moto accepts every key)."""
    import boto3

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [BIN / "moto_server", "-H", "127.0.0.1", "-p", str(port)]
    with _process("moto_server", args, workdir / "moto.log", lambda: _accepts(port), cwd=workdir):
        s3 = boto3.client("s3", endpoint_url=url)
        for bucket in buckets:
            s3.create_bucket(Bucket=bucket)
        yield url


@contextmanager
def mlflow_server(workdir: Path, args: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """`mlflow <args>` (a `server` command listening on 127.0.0.1:`port`) with `env` added; yields its URL."""
    url = f"http://127.0.0.1:{port}"
    with _process("mlflow server", [BIN / "mlflow", *args], workdir / "mlflow.log", lambda: _http_ok(f"{url}/health"),
                  cwd=workdir, env={**os.environ, **env}):
        yield url


def mlflow_server_version(url: str) -> str:
    with urllib.request.urlopen(f"{url}/version", timeout=5) as response:
        return response.read().decode().strip()
