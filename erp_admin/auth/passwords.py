"""Password hashing: argon2id for new hashes, and verification of older schemes.

Hashes from the old backend (unsalted SHA-256 hex) and Werkzeug's scrypt/pbkdf2
are accepted once and replaced by argon2id on the next successful login.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from werkzeug.security import check_password_hash

LEGACY_SHA256 = re.compile(r"^[0-9a-f]{64}$")

_lock = threading.Lock()
_hashers: dict[tuple[int, int, int], PasswordHasher] = {}
_semaphores: dict[int, threading.BoundedSemaphore] = {}
_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _params() -> tuple[int, int, int]:
    cfg = current_app.config
    return (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])


def _hasher() -> PasswordHasher:
    params = _params()
    with _lock:
        if params not in _hashers:
            t, m, p = params
            _hashers[params] = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p)
        return _hashers[params]


def _slot() -> threading.BoundedSemaphore:
    # Each argon2 hash takes ARGON2_MEMORY_COST of RAM: bound how many run at
    # once so a login flood queues instead of exhausting memory.
    size = current_app.config["PASSWORD_HASH_CONCURRENCY"]
    with _lock:
        if size not in _semaphores:
            _semaphores[size] = threading.BoundedSemaphore(size)
        return _semaphores[size]


def hash_password(password: str) -> str:
    """Return an argon2id hash of password with the configured parameters."""
    with _slot():
        return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Check password against stored_hash.

    Returns (ok, new_hash): new_hash is an argon2id hash to store when the
    stored one is of an older scheme or weaker parameters, else None.
    """
    ok, rehash = check_password(stored_hash, password)
    return ok, (hash_password(password) if rehash else None)


def check_password(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """Check password against stored_hash: (ok, whether to store a new argon2id hash when ok).

    Every check runs exactly one argon2 verification, whatever the stored scheme
    and outcome: a legacy SHA-256 account must not answer a wrong password in a
    fraction of the time an argon2 account or an unknown user takes.
    """
    if not stored_hash or not isinstance(password, str):
        burn_dummy_hash(password if isinstance(password, str) else "")
        return False, False
    if stored_hash.startswith("$argon2"):
        hasher = _hasher()
        with _slot():
            try:
                hasher.verify(stored_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False, False
        return True, hasher.check_needs_rehash(stored_hash)
    if LEGACY_SHA256.match(stored_hash):
        ok = hmac.compare_digest(hashlib.sha256(password.encode("utf-8")).hexdigest(), stored_hash)
    else:
        try:
            ok = check_password_hash(stored_hash, password)
        except (ValueError, TypeError):  # a format nobody here knows
            ok = False
    burn_dummy_hash(password)
    return ok, ok


def burn_dummy_hash(password: str) -> None:
    """Spend the time of a real verification, so unknown usernames are not revealed by timing."""
    params = _params()
    with _lock:
        dummy = _dummy_hashes.get(params)
    if dummy is None:
        dummy = hash_password("not-a-real-password")
        with _lock:
            _dummy_hashes[params] = dummy
    with _slot():
        try:
            _hasher().verify(dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            pass


def hash_parameters(stored_hash: str) -> dict[str, int]:
    """Return the argon2 parameters (m, t, p) recorded in a stored hash."""
    match = re.match(r"^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$", stored_hash)
    if not match:
        raise ValueError("not an argon2id hash")
    m, t, p = (int(x) for x in match.groups())
    return {"memory_cost": m, "time_cost": t, "parallelism": p}
