"""Sign-in over the API: login, me, refresh and logout with JWT access and refresh tokens."""
from __future__ import annotations

from flask import jsonify, request
from flask_jwt_extended import decode_token, get_jwt
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import ExpiredSignatureError, PyJWTError
from werkzeug.exceptions import UnsupportedMediaType

from erp_admin.api import revocation
from erp_admin.api.body import is_json_request, json_object, parse_json_object
from erp_admin.api.errors import problem
from erp_admin.api.registry import Body, Reply, route
from erp_admin.api.tokens import issue_access_token, issue_tokens
from erp_admin.audit.log import record
from erp_admin.auth.access import current_principal
from erp_admin.auth.roles import permissions_for
from erp_admin.auth.signin import authenticate
from erp_admin.schemas import ValidationFailed, serialize_user

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LOGIN_SCHEMA = {
    "type": "object",
    "properties": {"username": {"type": "string", "maxLength": 150}, "password": {"type": "string", "maxLength": 1024}},
    "required": ["username", "password"],
    "additionalProperties": False,
}
LOGOUT_SCHEMA = {
    "type": "object",
    "properties": {"refresh_token": {"type": "string", "description": "Also revoke this refresh token."}},
    "additionalProperties": False,
}


def _credentials() -> dict:
    if request.mimetype in FORM_TYPES:
        return request.form.to_dict()
    if is_json_request():
        return parse_json_object(request.get_data(cache=True))
    raise UnsupportedMediaType("Send the credentials as JSON or form-encoded.")


@route("/auth/login", ["POST"], summary="Sign in with username and password", tags=["auth"], auth=None,
       body=Body(LOGIN_SCHEMA, media_types=("application/json", "application/x-www-form-urlencoded")),
       responses={200: Reply("TokenPair")}, errors=(400, 401, 413, 415, 422, 429), commit=False)
def login():
    """Wrong username, wrong password and inactive account all answer the same 401."""
    data = _credentials()
    errors = [{"field": name, "message": "must be a string"} for name in ("username", "password")
              if not isinstance(data.get(name), str)]
    errors += [{"field": name, "message": "unknown field"} for name in data if name not in ("username", "password")]
    if errors:
        raise ValidationFailed(errors)
    # Too many failures: LoginThrottled, a 429 with Retry-After (api.errors, like every error of the family).
    result = authenticate(data["username"], data["password"], client_addr=request.remote_addr)
    if not result.ok:
        return problem(401, "Invalid username or password.", kind="invalid-credentials")
    body = issue_tokens(result.user)
    body["user"] = signed_in_user(result.user)
    return _token_response(body)


@route("/auth/me", ["GET"], summary="The signed-in user and what their role may do", tags=["auth"],
       responses={200: Reply("Me")})
def me():
    return jsonify(signed_in_user(current_principal()))


def signed_in_user(user) -> dict:
    """The user as `me` and the login reply show it: the record plus the role's permissions."""
    body = serialize_user(user)
    body["permissions"] = permissions_for(user.role)
    return body


@route("/auth/refresh", ["POST"], summary="A new access token for a refresh token", tags=["auth"], auth="refresh",
       responses={200: Reply("AccessToken")}, commit=False)
def refresh():
    """Send the refresh token as the bearer token."""
    return _token_response(issue_access_token(current_principal()))


def _token_response(body: dict):
    # RFC 6749 section 5.1: tokens must not be stored by any cache (Pragma for HTTP/1.0 caches).
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@route("/auth/logout", ["POST"], summary="Revoke the access token (and a refresh token)", tags=["auth"],
       body=Body(LOGOUT_SCHEMA, required=False), responses={204: Reply(None, description="Signed out")},
       errors=(400, 413, 415, 422, 503))
def logout():
    """Revoked for every worker and process (database or Redis)."""
    data = json_object(optional=True)
    unknown = [{"field": k, "message": "unknown field"} for k in data if k != "refresh_token"]
    if unknown:
        raise ValidationFailed(unknown)
    refresh_claims = None
    token = data.get("refresh_token")
    if token is not None:
        refresh_claims = _refresh_claims(token)
    access = get_jwt()
    revocation.revoke(access["jti"], revocation.expiry_of(access))
    if refresh_claims is not None:
        revocation.revoke(refresh_claims["jti"], revocation.expiry_of(refresh_claims))
    user = current_principal()
    record("logout", "user", user.id, user=user)  # committed with the revocation by `route`
    return "", 204


def _refresh_claims(token) -> dict | None:
    """Return the claims of the user's own refresh token (None if it expired already); 422 if invalid."""
    invalid = ValidationFailed([{"field": "refresh_token", "message": "is not a valid refresh token of yours"}])
    if not isinstance(token, str):
        raise invalid
    try:
        claims = decode_token(token)
    except ExpiredSignatureError:
        return None
    except (JWTExtendedException, PyJWTError):
        raise invalid from None
    if claims.get("type") != "refresh" or claims.get("sub") != str(current_principal().id) or "jti" not in claims:
        raise invalid
    return claims
