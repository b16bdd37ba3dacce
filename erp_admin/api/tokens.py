"""JWT access and refresh tokens: issuing them and checking them on every request.

Identity is the user id as a string; the `tv` claim carries the user's
token_version, so a password, role or active-flag change (which bumps it)
ends every earlier token; the `ik` claim carries the user's random identity
key, so a token is never honoured for another user who gets the same id
(a restored backup, a reset sequence). Every failure is one 401 problem with
`WWW-Authenticate: Bearer` and a problem kind (token-missing, -invalid, -expired,
-revoked: api.errors.PROBLEM_KINDS), never flask-jwt-extended's default 422.
"""
from __future__ import annotations

import re
import time
from functools import cache

import jwt as pyjwt
from sqlalchemy import Select
from flask import Flask, current_app, g, request
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, verify_jwt_in_request
from flask_jwt_extended.config import config as jwt_config
from flask_jwt_extended.exceptions import (
    InvalidHeaderError, JWTDecodeError, JWTExtendedException, NoAuthorizationError, RevokedTokenError,
    UserLookupError, WrongTokenError,
)
from jwt import ExpiredSignatureError, PyJWTError

from erp_admin.api import revocation
from erp_admin.audit.context import get_actor, set_actor, with_user
from erp_admin.auth.access import set_principal
from erp_admin.extensions import db, jwt
from erp_admin.auth.principal import Principal, principal_from_row, principal_statement
from erp_admin.models import User
from erp_admin.errors import NotAuthenticated, ServiceUnavailable

REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti", "type", "tv", "ik")


class InvalidToken(NotAuthenticated):
    """The bearer token is missing, malformed, expired, revoked, of the wrong type or outdated."""

    def __init__(self, detail: str, *, kind: str = "token-invalid"):
        super().__init__(detail)
        self.problem_kind = kind  # api.errors.PROBLEM_KINDS


def _user_claims(user: User | Principal) -> dict:
    """The claims that tie a token to this user as they are now."""
    return {"tv": user.token_version, "ik": user.identity_key}


def issue_tokens(user: User) -> dict:
    """Return a fresh access and refresh token pair for user."""
    claims = _user_claims(user)
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims=claims),
        "token_type": "bearer",
        "expires_in": access_lifetime_seconds(),
    }


def issue_access_token(user: User | Principal) -> dict:
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=_user_claims(user)),
        "token_type": "bearer",
        "expires_in": access_lifetime_seconds(),
    }


def access_lifetime_seconds() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def authenticate_request(*, refresh: bool = False) -> Principal:
    """Verify the request's bearer token and return its user, or raise InvalidToken (401)."""
    try:
        if request.method in jwt_config.exempt_methods or not jwt_config.header_type:
            verify_jwt_in_request(refresh=refresh)
        else:
            _verify_bearer_token(refresh)
    except ExpiredSignatureError:
        raise InvalidToken("The token has expired.", kind="token-expired") from None
    except revocation.RevocationUnavailable:
        if request.endpoint == "api.logout":
            # Refusing with 401 would read as "signed out"; the token was NOT revoked.
            raise ServiceUnavailable("The sign-out cannot be stored right now; try again shortly.",
                                     retry_after=5) from None
        raise
    except (JWTExtendedException, PyJWTError) as exc:
        detail, kind = _describe(exc)
        raise InvalidToken(detail, kind=kind) from None
    from flask_jwt_extended import current_user

    user = current_user._get_current_object()
    set_principal(user)
    set_actor(with_user(get_actor(), user))
    return user


def _verify_bearer_token(refresh: bool) -> None:
    """verify_jwt_in_request(refresh=...) for a header token, parsing the token once instead of four times.

    The same checks in the same order: signature, exp/nbf/iat, audience,
    issuer, the identity claim, the token type, revocation, the user. The
    result goes where flask-jwt-extended 4.7.4's get_jwt() and current_user
    read it (its private g attributes; pinned by tests/api/test_tokens.py).
    """
    name, kind = jwt_config.header_name, jwt_config.header_type
    header = request.headers.get(name, "").strip().strip(",")
    if not header:
        raise NoAuthorizationError(f"Missing {name} Header")
    values = [v for v in re.split(r",\s*", header) if v and v.split()[0] == kind]
    if len(values) != 1:
        raise NoAuthorizationError(f"Missing '{kind}' type in '{name}' header.")
    parts = values[0].split()
    if len(parts) != 2:
        raise InvalidHeaderError(f"Bad {name} header. Expected '{name}: {kind} <JWT>'")
    jwt_header, claims = _decode(parts[1])
    if jwt_config.identity_claim_key not in claims:
        raise JWTDecodeError(f"Missing claim: {jwt_config.identity_claim_key}")
    claims.setdefault("type", "access")
    claims.setdefault("fresh", False)
    claims.setdefault("jti", None)
    if claims["type"] != ("refresh" if refresh else "access"):
        raise WrongTokenError(f"Only {'refresh' if refresh else 'access'} tokens are allowed")
    user = _lookup(jwt_header, claims)
    # Where flask-jwt-extended's verify_jwt_in_request leaves them (get_jwt, current_user).
    g._jwt_extended_jwt_user = {"loaded_user": user}
    g._jwt_extended_jwt_header = jwt_header
    g._jwt_extended_jwt = claims
    g._jwt_extended_jwt_location = "headers"


# Tokens whose signature and claims were verified, so a client's next requests with the same
# token skip PyJWT's parse and HMAC (a third of an authenticated read's CPU). Keyed by the
# token and every decode setting; the expiry is checked again on every use. Per process, bounded.
_VERIFIED: dict[tuple, tuple[dict, dict]] = {}
VERIFIED_CACHE_SIZE = 4096


def _now() -> float:
    return time.time()


def _decode(token: str) -> tuple[dict, dict]:
    """Return (header, claims) of a valid token: pyjwt.decode_complete with the app's settings, cached."""
    key = (token, jwt_config.decode_key, tuple(jwt_config.decode_algorithms), str(jwt_config.decode_audience),
           jwt_config.decode_issuer, jwt_config.leeway, jwt_config.verify_sub)
    cached = _VERIFIED.get(key)
    if cached is None:
        decoded = pyjwt.decode_complete(
            token, jwt_config.decode_key, algorithms=jwt_config.decode_algorithms,
            audience=jwt_config.decode_audience, issuer=jwt_config.decode_issuer, leeway=jwt_config.leeway,
            options={"verify_aud": jwt_config.decode_audience is not None, "verify_sub": jwt_config.verify_sub},
        )
        cached = (decoded["header"], decoded["payload"])
        if len(_VERIFIED) >= VERIFIED_CACHE_SIZE:
            del _VERIFIED[next(iter(_VERIFIED))]  # the oldest entry
        _VERIFIED[key] = cached
    else:
        # What passed nbf/iat once passes later too; only the expiry can have come since.
        leeway = jwt_config.leeway
        leeway = leeway.total_seconds() if hasattr(leeway, "total_seconds") else leeway
        exp = cached[1].get("exp")
        if exp is not None and exp <= _now() - leeway:
            del _VERIFIED[key]
            raise ExpiredSignatureError("Signature has expired")
    # Copies: the caller fills in defaults.
    return dict(cached[0]), dict(cached[1])


MISSING = "Missing bearer token (Authorization: Bearer <token>)."
# flask-jwt-extended's error -> (detail, problem kind); anything else is "token-invalid".
_FAILURES = {
    NoAuthorizationError: (MISSING, "token-missing"),
    RevokedTokenError: ("The token has been revoked.", "token-revoked"),
    WrongTokenError: ("Wrong token type for this route.", "token-invalid"),
    UserLookupError: ("The token is no longer valid (user changed, deactivated or deleted).", "token-revoked"),
}


def _describe(exc: Exception) -> tuple[str, str]:
    """The detail and problem kind of a token failure."""
    return _FAILURES.get(type(exc), ("The token is invalid.", "token-invalid"))


def _lookup(jwt_header: dict, claims: dict) -> Principal:
    """Revocation, then the user: one statement reads both from the database (plus Redis when configured).

    Raises RevokedTokenError or UserLookupError, in flask-jwt-extended's order.
    """
    jti = claims.get("jti")
    if not isinstance(jti, str):
        raise RevokedTokenError(jwt_header, claims)
    if revocation.revoked_in_redis(jti):  # only with REDIS_URL; fails closed when Redis is down
        raise RevokedTokenError(jwt_header, claims)
    user_id = _user_id(claims)
    row = None
    if user_id is not None:
        row = db.session.connection().execute(_statement(), {"user_id": user_id, "jti": jti}).first()
    if row is None and revocation.revoked_in_database(jti):  # no such user: still say "revoked" first
        raise RevokedTokenError(jwt_header, claims)
    if row is not None and row.revoked:
        raise RevokedTokenError(jwt_header, claims)
    if user_id is None and row is None:  # a required claim missing or malformed: not a token we issued
        raise JWTDecodeError("Missing or malformed claims")
    user = principal_from_row(row) if row is not None else None
    if (user is None or not user.is_active or user.token_version != claims["tv"]
            or user.identity_key != claims["ik"]):
        raise UserLookupError("Failed to load user", jwt_header, claims)
    return user


def _user_id(claims: dict) -> int | None:
    """The token's user id, or None when a required claim is missing or the subject is no id."""
    if any(name not in claims for name in REQUIRED_CLAIMS):
        return None
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.isdigit() or len(sub) > 18:
        return None
    return int(sub)


@cache
def _statement() -> Select:
    # Built once: a reused statement object keeps SQLAlchemy's cache key, so it is compiled once too.
    return principal_statement(revocation.REVOKED)


@jwt.user_lookup_loader
def _load_user(jwt_header: dict, claims: dict) -> Principal | None:
    # Only reached through flask-jwt-extended's own verify_jwt_in_request (exempt methods).
    try:
        return _lookup(jwt_header, claims)
    except (RevokedTokenError, UserLookupError, JWTDecodeError):
        return None


def _unauthorized(detail: str, kind: str = "token-invalid"):
    from erp_admin.api.errors import problem

    return problem(401, detail, kind=kind)


# Used only if some code outside `route` verifies tokens itself: the same 401 problem.
jwt.unauthorized_loader(lambda reason: _unauthorized(MISSING, "token-missing"))
jwt.invalid_token_loader(lambda reason: _unauthorized("The token is invalid."))
jwt.expired_token_loader(lambda header, claims: _unauthorized("The token has expired.", "token-expired"))
jwt.revoked_token_loader(lambda header, claims: _unauthorized("The token has been revoked.", "token-revoked"))
jwt.user_lookup_error_loader(lambda header, claims: _unauthorized("The token is no longer valid.", "token-revoked"))
jwt.token_verification_failed_loader(lambda header, claims: _unauthorized("The token is invalid."))
jwt.needs_fresh_token_loader(lambda header, claims: _unauthorized("A fresh token is required."))


def current_claims() -> dict:
    """The verified claims of this request's token."""
    return get_jwt()


def init_app(app: Flask) -> None:
    """Bind flask-jwt-extended: header tokens only, only the configured algorithm (config checked both)."""
    app.config["JWT_TOKEN_LOCATION"] = ["headers"]
    app.config["JWT_COOKIE_CSRF_PROTECT"] = False  # no cookies, so no csrf claim in the tokens
    app.config["JWT_DECODE_ALGORITHMS"] = [app.config["JWT_ALGORITHM"]]
    jwt.init_app(app)
