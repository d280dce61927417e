"""Real PostgreSQL (and Redis) servers for tests and benchmarks, started from Debian's packages.

Each server lives in a temporary directory on a free loopback port and is stopped at the end.
`initdb` refuses to run as root, and CI runs as root: then the cluster is run by the
`postgres` user the package creates. Durability is switched off (fsync, synchronous commit):
these clusters are thrown away, and a test should not wait for a disk.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
PG_USER = "app"


class ServerUnavailable(RuntimeError):
    """The server's programs are not installed (`make test` installs them)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise ServerUnavailable(f"{name} not found: apt-get install -y postgresql")
    return found


class PostgresServer:
    def __init__(self, *, durable: bool = False) -> None:
        # Tests trade durability for speed; a benchmark keeps PostgreSQL's defaults (fsync,
        # synchronous commit), as the bot's own durability rules assume.
        self.durable = durable
        self.dir = Path(tempfile.mkdtemp(prefix="semya-pg-"))
        self.port = free_port()
        self._as: list[str] = []
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def start(self) -> PostgresServer:
        data = self.dir / "data"
        self._run(_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", PG_USER, "-E", "UTF8",
                  "--no-sync", "--locale=C.UTF-8")  # fmt: skip
        options = f"-k {self.dir} -c listen_addresses=127.0.0.1 -p {self.port}"
        options += " -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l",
                  str(self.dir / "log"), "-w", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        try:
            self._run(_pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate",
                      "-w", "stop")  # fmt: skip
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        subprocess.run(
            [_pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", PG_USER, "-d", database, "-c", statement],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def new_database(self, template: str = "template0") -> str:
        """A fresh database (a copy of `template`); its name."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def _run(self, *argv: str) -> None:
        result = subprocess.run([*self._as, *argv], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.dir / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{argv[0]} failed: {result.stderr.strip()}\n{tail}")


class RedisServer:
    """`redis-server` on a free loopback port, nothing saved to disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="semya-redis-"))

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerUnavailable("redis-server not found: apt-get install -y redis-server")
        subprocess.run(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "yes",
             "--pidfile", str(self.dir / "redis.pid"), "--logfile", str(self.dir / "log")],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start listening")

    def stop(self) -> None:
        try:
            pid = int((self.dir / "redis.pid").read_text())
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
