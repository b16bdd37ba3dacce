"""Schemathesis hooks for the API fuzzing run (loaded via SCHEMATHESIS_HOOKS=tests.api.fuzz_hooks).

Each hook covers a rule the JSON schema cannot express, never a bug:
- an Idempotency-Key means "one logical request": random keys reused with other bodies are (correct)
  422s, so the fuzzer does not send the header (tests/api/test_idempotency.py covers it); likewise
  a random If-Match is a (correct) 412 for nearly every update, which would leave the bodies of
  PUT/PATCH/DELETE untested (tests/api/test_products.py covers If-Match);
- prices: `multipleOf: 0.01` is generated as n * 0.01 in binary floating point (0.57 comes out as
  0.5700000000000001, which the API rightly refuses as more than 2 decimals); such artefacts are
  rounded back to the 2-decimal number they stand for, genuine extra decimals are kept;
- emails: `format: email` admits special-use domains (.test, .invalid, .local ...) that the shared
  email validator refuses; such a domain is replaced by example.com.
"""
from __future__ import annotations

import schemathesis
from email_validator import EmailNotValidError, validate_email

# Headers whose valid values depend on stored state, not on the schema (see the docstring).
STATEFUL_HEADERS = {"Idempotency-Key", "If-Match"}


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [p for p in operation["parameters"] if p.get("name") not in STATEFUL_HEADERS]


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Runs for every phase (coverage, fuzzing, stateful) just before the request is sent.
    body = case.body
    if isinstance(body, dict):
        if isinstance(body.get("price"), float):
            cents = body["price"] * 100
            if abs(cents - round(cents)) < 1e-6:
                body["price"] = round(body["price"], 2)
        email = body.get("email")
        if isinstance(email, str) and "@" in email and "\x00" not in email:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError as exc:
                if "special-use" in str(exc):
                    body["email"] = email.rsplit("@", 1)[0] + "@example.com"
