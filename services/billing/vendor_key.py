"""The vendor's signing key for the taxpayer system: the PEM files configuration names
(MOADIAN_KEY_FILE, MOADIAN_CERTIFICATE_FILE), else a development key and a self-signed
certificate created once under var/keys/ (shared/kernel/dev_keys.py), which only the local
fake accepts."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.billing import jose
from services.billing.moadian import VendorKey
from shared.kernel.dev_keys import create_once


def vendor_key(var_dir: Path, key_file: str = "", certificate_file: str = "") -> VendorKey:
    if key_file:
        key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
        certificate = x509.load_pem_x509_certificate(Path(certificate_file).read_bytes())
        assert isinstance(key, rsa.RSAPrivateKey), "the taxpayer system signs RS256: an RSA key"
        return VendorKey(key, certificate.public_bytes(serialization.Encoding.DER))
    directory = var_dir / "keys"
    pem = create_once(directory / "moadian-vendor.pem", lambda: jose.new_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    der = create_once(directory / "moadian-vendor.der",
                      lambda: jose.self_signed(key, "development vendor", datetime.now(UTC)))
    return VendorKey(key, der)


def system_key(key_file: str = "") -> str | None:
    """The taxpayer system's public key (PEM, MOADIAN_SYSTEM_KEY_FILE) as server-information
    gives it (base64 of the DER SubjectPublicKeyInfo); None when not configured."""
    if not key_file:
        return None
    key = serialization.load_pem_public_key(Path(key_file).read_bytes())
    return base64.b64encode(key.public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
