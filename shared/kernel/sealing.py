"""Sealed values: encrypted to one recipient's X25519 public key (ephemeral key + HKDF +
AES-GCM). Identity seals a verification code for notifications, so the code never stands
readable in an event, a queue or a log, yet notifications can put it in the SMS."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.kernel.config import Settings
from shared.kernel.dev_keys import create_once

_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def _derive(shared_secret: bytes, ephemeral_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public, info=b"platform-seal-v1").derive(
        shared_secret)


def seal(recipient_public_b64: str, plaintext: str) -> str:
    recipient = X25519PublicKey.from_public_bytes(base64.b64decode(recipient_public_b64))
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(*_RAW)
    key = _derive(ephemeral.exchange(recipient), ephemeral_public)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), None)
    return base64.b64encode(ephemeral_public + nonce + sealed).decode()


def unseal(private_b64: str, token: str) -> str:
    raw = base64.b64decode(token)
    ephemeral_public, nonce, sealed = raw[:32], raw[32:44], raw[44:]
    private = X25519PrivateKey.from_private_bytes(base64.b64decode(private_b64))
    key = _derive(private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public)), ephemeral_public)
    return AESGCM(key).decrypt(nonce, sealed, None).decode()


def sealing_keypair(settings: Settings) -> tuple[str, str]:
    """(private, public) base64: SEALING_PRIVATE_KEY / SEALING_PUBLIC_KEY from a Secret in
    production, else the development pair under var/keys/."""
    if settings.sealing_public_key:
        return settings.sealing_private_key, settings.sealing_public_key
    return development_keypair(settings.var_dir / "keys")


def development_keypair(directory: Path) -> tuple[str, str]:
    """(private, public) base64 for development, created once in ``directory``."""
    private_b64 = create_once(directory / "sealing.key", lambda: base64.b64encode(
        X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()))
    ).decode().strip()
    public = X25519PrivateKey.from_private_bytes(base64.b64decode(private_b64)).public_key().public_bytes(*_RAW)
    return private_b64, base64.b64encode(public).decode()
