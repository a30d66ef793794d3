"""API keys: random bearer tokens stored only as hashes, each with one role."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import Session, select

from inbox.models import ApiKey, Role, utcnow

KEY_PREFIX = "tl_"


class InvalidKeySpec(ValueError):
    """A bootstrap key list that is not `role:key[,role:key…]` with known roles and long keys."""


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_key(session: Session, role: Role | str, name: str | None = None) -> tuple[str, ApiKey]:
    """A new key; the plaintext is returned once and never stored."""
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    return plaintext, _store(session, plaintext, Role(role), name)


def authenticate(session: Session, plaintext: str) -> ApiKey | None:
    """The live key matching `plaintext`, or None."""
    digest = hash_key(plaintext)
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    if key is None or key.revoked_at is not None:
        return None
    # Lookup is by hash already; compare again in constant time for good measure.
    return key if hmac.compare_digest(key.key_hash, digest) else None


def revoke_key(session: Session, key_id: str) -> bool:
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    return True


def install_bootstrap_keys(session: Session, spec: str) -> int:
    """Install `role:key` pairs (e.g. from a deploy secret); already-known keys are left alone."""
    installed = 0
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        role, sep, plaintext = item.partition(":")
        if not sep or role not in Role.__members__:
            raise InvalidKeySpec("bootstrap keys are role:key, role one of helpdesk|reviewer|admin")
        if len(plaintext) < 16:
            raise InvalidKeySpec("bootstrap keys must be at least 16 characters long")
        if session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext))).first():
            continue
        _store(session, plaintext, Role(role), "bootstrap")
        installed += 1
    return installed


def _store(session: Session, plaintext: str, role: Role, name: str | None) -> ApiKey:
    key = ApiKey(prefix=plaintext[:10], key_hash=hash_key(plaintext), role=role, name=name)
    session.add(key)
    session.flush()
    return key
