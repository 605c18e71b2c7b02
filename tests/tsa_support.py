"""A throw-away RFC 3161 time-stamping authority for the tests: a CA and a TSA certificate made
here, `openssl ts -reply` signing the tokens, behind a tiny HTTP server on 127.0.0.1."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl")
HOW_TO_INSTALL = "the openssl command is needed for the test TSA: apt-get install openssl"


@dataclass
class Tsa:
    url: str
    root_pem: Path
    requests: list[bytes]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(
    directory: Path, common: str = "Test Root"
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


def write_tsa_files(directory: Path) -> Path:
    """CA, TSA certificate (EKU timeStamping, critical) and an openssl ts configuration."""
    ca, ca_key = make_ca(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "tsa.pem").write_bytes(cert.public_bytes(pem))
    (directory / "tsa.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (directory / "serial").write_text("01\n")
    (directory / "ts.cnf").write_text(
        "[ tsa ]\ndefault_tsa = test_tsa\n\n[ test_tsa ]\n"
        f"dir = {directory}\n"
        "serial = $dir/serial\ncrypto_device = builtin\n"
        # No `certs` line: openssl writes the certificate SET unsorted, which rfc3161-client
        # (strict DER) refuses; the signer certificate alone goes into each token.
        "signer_cert = $dir/tsa.pem\nsigner_key = $dir/tsa.key\n"
        "signer_digest = sha256\ndefault_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\n"
        "digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\n"
        "tsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n"
    )
    return directory / "ca.pem"


@contextmanager
def local_tsa(directory: Path) -> Iterator[Tsa]:
    assert OPENSSL is not None, HOW_TO_INSTALL
    directory.mkdir(parents=True, exist_ok=True)
    root = write_tsa_files(directory)
    requests: list[bytes] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock, tempfile.TemporaryDirectory(dir=directory) as work:
                query = Path(work) / "q.tsq"
                reply = Path(work) / "r.tsr"
                query.write_bytes(body)
                done = subprocess.run(
                    [
                        OPENSSL,
                        "ts",
                        "-reply",
                        "-config",
                        str(directory / "ts.cnf"),
                        "-queryfile",
                        str(query),
                        "-out",
                        str(reply),
                    ],
                    capture_output=True,
                )
                requests.append(body)
                if done.returncode != 0:
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(done.stderr)
                    return
                data = reply.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Tsa(f"http://127.0.0.1:{server.server_address[1]}/tsa", root, requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
