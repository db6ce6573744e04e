"""Starts one real LabelFlight server from the built jar for the whole test session (loopback, free ports,
a temporary data directory, no demo dataset, authentication on: the dev user with a fixed token, and a second
user "bob" whose PBKDF2 hash is computed here, in the documented format) and stops it at the end."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

import labelflight as lf

ROOT = Path(__file__).resolve().parents[3]
# LABELFLIGHT_JAR runs the suite against another build (then nothing is built here).
JAR = Path(os.environ.get("LABELFLIGHT_JAR", ROOT / "server" / "target" / "labelflight-server.jar"))
# Small chunks, so that test datasets of a few thousand rows span several chunks and stream in parts.
CHUNK_ROWS = 1000
# The user the suite acts as (the server's dev user) and a second user, for isolation tests.
TOKEN = "pytest-dev-token-0123456789"
OTHER_USER, OTHER_TOKEN = "bob", "pytest-bob-token-9876543210"


def secret_hash(token: str, iterations: int = 1000) -> str:
    """A user's secret hash as the server reads it: pbkdf2-sha256$ITERATIONS$SALT$HASH, unpadded base64url."""
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    salt = os.urandom(16)
    return f"pbkdf2-sha256${iterations}${b64(salt)}${b64(hashlib.pbkdf2_hmac('sha256', token.encode(), salt, iterations))}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jar_is_stale() -> bool:
    if not JAR.exists():
        return True
    built = JAR.stat().st_mtime
    sources = [ROOT / "pom.xml", *ROOT.glob("*/pom.xml"), *ROOT.glob("*/src/main/**/*"), *ROOT.glob("conf/*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def _build_jar() -> None:
    subprocess.run(["mvn", "-B", "-q", "-DskipTests", "package"], cwd=ROOT, check=True)


class Server:
    """A running server: its Flight location and log file."""

    def __init__(self, location: str, http: str, log: Path, data_dir: Path | None = None):
        self.location = location
        self.http = http
        self.log = log
        self.data_dir = data_dir

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def run_server(tmp_path_factory, scheme: str = "grpc", **extra_env: str) -> Iterator[Server]:
    """A server from the jar with the suite's users, on free ports; ``extra_env`` adds LABELFLIGHT_* settings."""
    if "LABELFLIGHT_JAR" not in os.environ and os.environ.get("LABELFLIGHT_SKIP_BUILD") != "1" and _jar_is_stale():
        _build_jar()
    flight_port, http_port = _free_port(), _free_port()
    data_dir = tmp_path_factory.mktemp("labelflight-data")
    log = tmp_path_factory.mktemp("labelflight-log") / "server.log"
    users = tmp_path_factory.mktemp("labelflight-users") / "users.json"
    users.write_text(json.dumps({OTHER_USER: secret_hash(OTHER_TOKEN)}))
    env = dict(os.environ,
               LABELFLIGHT_AUTH_ENABLED="true",
               LABELFLIGHT_AUTH_DEVUSER_ENABLED="true",
               LABELFLIGHT_AUTH_DEVUSER_TOKEN=TOKEN,
               LABELFLIGHT_AUTH_USERSFILE=str(users),
               LABELFLIGHT_FLIGHT_PORT=str(flight_port),
               LABELFLIGHT_HTTP_PORT=str(http_port),
               LABELFLIGHT_DATADIR=str(data_dir),
               LABELFLIGHT_DEMO_ENABLED="false",
               LABELFLIGHT_STORE_CHUNKROWS=str(CHUNK_ROWS),
               # Small enough for a test to exceed cheaply (test_oversized_value_is_refused_naming_the_limit).
               LABELFLIGHT_LIMITS_MAXVALUEBYTES=str(1 << 20),
               **extra_env)
    # As bin/serve starts a node: the JVM's direct-memory limit is the budget + 64 MiB (the server clamps a
    # budget above that limit, which defaults to the heap size).
    budget_mib = int(extra_env.get("LABELFLIGHT_MEMORY_BUDGETMIB", "448"))
    cmd = ["java", "-Xmx512m", f"-XX:MaxDirectMemorySize={budget_mib + 64}m", "--add-opens=java.base/java.nio=ALL-UNNAMED",
           "-Dhazelcast.local.localAddress=127.0.0.1", "-jar", str(JAR)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    cert = extra_env.get("LABELFLIGHT_TLS_CERTFILE")
    srv = Server(f"{scheme}://127.0.0.1:{flight_port}", f"{'https' if cert else 'http'}://127.0.0.1:{http_port}", log,
                 data_dir)
    tls = ssl.create_default_context(cafile=cert) if cert else None
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{srv.log_tail()}")
            try:
                with urllib.request.urlopen(srv.http + "/health", timeout=2, context=tls) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy after 120 s:\n{srv.log_tail()}")
            time.sleep(0.2)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    with run_server(tmp_path_factory) as srv:
        yield srv


@pytest.fixture(scope="session")
def client(server) -> lf.Client:
    with lf.connect(server.location, token=TOKEN) as c:
        yield c


_counter = iter(range(1_000_000))


@pytest.fixture
def name(request) -> str:
    """A dataset name unique to the test."""
    return f"{request.node.name.split('[')[0]}_{next(_counter)}".replace("test_", "t_")
