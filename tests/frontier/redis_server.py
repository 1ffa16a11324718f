"""A throwaway redis-server for tests and benchmarks: loopback only, a free port, a password,
no persistence unless asked (then append-only, so a restart keeps the frontier), optionally
TLS only (a throwaway CA and server certificate). Never a system service."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    """One redis-server process; `stop()` and `start()` again on the same port and data."""

    config: Path
    url: str
    process: subprocess.Popen | None = None

    def start(self) -> bool:
        self.process = subprocess.Popen([REDIS_SERVER, str(self.config)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        return _wait_ready(self.url, self.process)

    def stop(self) -> None:
        """SIGTERM: an append-only server writes its log out before exiting."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def write_tls_files(directory: Path) -> dict[str, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("scmap test CA")).issuer_name(name("scmap test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
              .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))
    files = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server-key.pem"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    files["key"].chmod(0o600)
    return files


@contextmanager
def run_redis_server(directory: Path | None = None, attempts: int = 3, persistent: bool = False,
                     tls: bool = False) -> Iterator[str]:
    """Yields `redis://:PASSWORD@127.0.0.1:PORT/0` (TLS: `rediss://...?ssl_ca_certs=CA`). The
    password is in a config file, not on the command line."""
    with start_redis_server(directory, attempts, persistent, tls) as server:
        yield server.url


@contextmanager
def start_redis_server(directory: Path | None = None, attempts: int = 3, persistent: bool = False,
                       tls: bool = False) -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="scmap-redis-") as scratch:
        workdir = Path(directory or scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(16)
        persistence = "appendonly yes\nappendfsync always\n" if persistent else "appendonly no\n"
        tls_files = write_tls_files(workdir) if tls else {}
        for attempt in range(attempts):
            port = free_port()
            config = workdir / f"redis-{port}.conf"
            listen = (f"port 0\ntls-port {port}\ntls-cert-file {tls_files['cert']}\ntls-key-file {tls_files['key']}\n"
                      f"tls-ca-cert-file {tls_files['ca']}\ntls-auth-clients no\n") if tls else f"port {port}\n"
            config.write_text(
                f"{listen}bind 127.0.0.1\nrequirepass {password}\nsave \"\"\n{persistence}"
                f"dir {workdir}\nprotected-mode yes\n")
            config.chmod(0o600)
            url = (f"rediss://:{password}@127.0.0.1:{port}/0?ssl_ca_certs={tls_files['ca']}" if tls
                   else f"redis://:{password}@127.0.0.1:{port}/0")
            server = RedisServer(config, url)
            if server.start():
                break
            output = server.process.stdout.read() if server.process and server.process.stdout else ""
            server.stop()
        else:
            raise RuntimeError(f"redis-server did not start: {output}")
        try:
            yield server
        finally:
            server.stop()


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(url)
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                if client.ping():
                    return True
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.05)
        return False
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """One password-protected redis-server for the test session (stores use their own prefixes)."""
    with run_redis_server() as url:
        yield url
