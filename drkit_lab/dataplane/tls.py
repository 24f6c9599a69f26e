"""A local certificate authority standing in for the RDS CA, and server certificates for endpoint names.

RDS server certificates name the cluster's AWS endpoints (``<id>.cluster-<hash>.<region>.rds.amazonaws.com``
and the reader endpoint); clients verify them with ``sslmode=verify-full`` against the RDS CA bundle.
The data plane does the same with its own CA: each server's certificate carries its cluster's
endpoint names, so a client that connects as docs/architecture.md says (to the AWS endpoint name at the end of
the CNAME chain, CA bundle, ``verify-full``) is verified exactly as it would be on AWS, and a client
that connects to ``db.<zone>`` is refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALIDITY = dt.timedelta(days=30)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    path.chmod(0o600)


def create_ca(directory: Path) -> Path:
    """``ca.pem`` (the bundle clients trust) and ``ca.key`` in ``directory``; returns the bundle path."""
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "drkit local RDS CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_key(key, directory / "ca.key")
    bundle = directory / "ca.pem"
    bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return bundle


def issue(directory: Path, names: list[str], cert_path: Path, key_path: Path) -> None:
    """A server certificate for ``names`` (DNS SANs), signed by the CA in ``directory``."""
    ca_key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = _key()
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        # A CN holds at most 64 characters: the first label; the SANs hold the names clients verify.
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0].split(".")[0][:64])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, key_path)
