"""The two envelopes the taxpayer system's v2 API reads (docs/providers.md, سامانه مؤدیان):
a JWS signed RS256 with the vendor's key and its certificate in ``x5c`` (the token's nonce and
every invoice), and a JWE (RSA-OAEP-256 + A256GCM) that encrypts a signed invoice for the
system's public key. ``cryptography`` only; the fake server opens them with the same functions."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class EnvelopeInvalid(ValueError):
    """A JWS whose signature does not verify, or a JWE that does not open."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _text(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def sign(content: Any, private_key: rsa.RSAPrivateKey, certificate_der: bytes, now: datetime) -> str:
    header = {"alg": "RS256", "x5c": [base64.b64encode(certificate_der).decode()],
              "sigT": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "typ": "jose", "crit": ["sigT"],
              "cty": "text/plain"}
    signing_input = f"{b64url(_text(header))}.{b64url(_text(content))}"
    signature = private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def verified(jws: str) -> tuple[dict[str, Any], Any]:
    """The header and content of a JWS whose signature verifies with its own x5c certificate."""
    try:
        head, body, signature = jws.split(".")
        header = json.loads(unb64url(head))
        certificate = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        public = certificate.public_key()
        assert isinstance(public, rsa.RSAPublicKey) and header["alg"] == "RS256"
        public.verify(unb64url(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return header, json.loads(unb64url(body))
    except Exception as exc:  # noqa: BLE001 - every way a signature can be wrong is one answer
        raise EnvelopeInvalid(f"signature does not verify: {type(exc).__name__}") from None


def encrypt(jws: str, public_key_der_b64: str, key_id: str) -> str:
    public = serialization.load_der_public_key(base64.b64decode(public_key_der_b64))
    assert isinstance(public, rsa.RSAPublicKey)
    header = b64url(_text({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": key_id}))
    key, iv = AESGCM.generate_key(bit_length=256), os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, jws.encode(), header.encode())
    encrypted_key = public.encrypt(key, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                                      label=None))
    return ".".join((header, b64url(encrypted_key), b64url(iv), b64url(sealed[:-16]), b64url(sealed[-16:])))


def decrypt(jwe: str, private_key: rsa.RSAPrivateKey) -> tuple[str, str]:
    """The key id the JWE names and the JWS inside it."""
    try:
        header, encrypted_key, iv, ciphertext, tag = jwe.split(".")
        named = json.loads(unb64url(header))
        assert named["alg"] == "RSA-OAEP-256" and named["enc"] == "A256GCM"
        key = private_key.decrypt(unb64url(encrypted_key), padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                                        algorithm=hashes.SHA256(), label=None))
        plain = AESGCM(key).decrypt(unb64url(iv), unb64url(ciphertext) + unb64url(tag), header.encode())
        return str(named["kid"]), plain.decode()
    except Exception as exc:  # noqa: BLE001 - a JWE that does not open is one answer
        raise EnvelopeInvalid(f"the payload does not open: {type(exc).__name__}") from None


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(private_key: rsa.RSAPrivateKey, name: str, now: datetime) -> bytes:
    """A development certificate (DER) for a development key: production uses the one the
    Tax Administration's CA issued the vendor (docs/configuration.md)."""
    from datetime import timedelta

    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)])
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(private_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
                   .sign(private_key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.DER)
