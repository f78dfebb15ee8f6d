"""Schemathesis hooks of `tests/fuzz` (loaded by the run's config, not by pytest).

A failure is dropped here only when the answer is one a schema cannot express, for one of
the reasons below; each reason's `name` is a heading of docs/fuzzing.md, which says why.
A refusal is dropped only if *every* error it names is explained (a 422 that also names
one unexplained field is kept), so that an allowance never hides a real failure.

Dropped failures are written, one JSON line each, to `$JOINTUSE_FUZZ_DROPPED`, so the
test can say which reasons were used."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import schemathesis

# Failure codes (schemathesis.failure_codes): a schema-valid request refused, and a
# request without a required header answered otherwise than schemathesis expects.
REJECTED_POSITIVE = "ST202"
MISSING_HEADER = "ST203"

LISTS = (
    r"GET /v1/(parties|sites|spaces|agreements|bookings|events)"
    r"|GET .*/(spaces|calendar-exceptions|cost-items|history|deliveries)|GET /v1/webhooks"
)
BOOKINGS = (
    r"POST /v1/bookings|POST /v1/bookings/quote|POST /v1/booking-series"
    r"|PATCH /v1/bookings/\{booking_id\}"
)
SITES = r"(POST|PATCH) /v1/sites(/\{site_id\})?"
AGREEMENTS = r"(POST|PATCH) /v1/agreements(/\{agreement_id\})?"
EXCEPTIONS = r"(POST|PATCH) /v1/sites/\{site_id\}/calendar-exceptions(/\{exception_id\})?"
STATEMENTS = r"GET /v1/agreements/\{agreement_id\}/statement|GET /v1/reports/utilization"


@dataclass(frozen=True)
class FieldReason:
    """A `validation-error` entry a schema cannot rule out: at `path`, saying `message`."""

    name: str
    operations: str  # regex over "METHOD /path"
    path: str  # regex over the error's dotted path
    message: str  # regex searched in the error's message
    sent: Callable[[Any], bool] | None = None  # what the request held at `path`, if it matters

    def explains(self, label: str, error: dict[str, Any], case: Any) -> bool:
        if not (
            re.fullmatch(self.operations, label)
            and re.fullmatch(self.path, error.get("path", ""))
            and re.search(self.message, error.get("message", ""))
        ):
            return False
        return self.sent is None or self.sent(sent_value(case, error.get("loc", [])))


@dataclass(frozen=True)
class ProblemReason:
    """A whole problem a schema cannot rule out: `code` at `status`, reported as `failure`."""

    name: str
    operations: str
    status: int
    code: str
    failure: str = REJECTED_POSITIVE

    def explains(self, label: str, status: int, code: str | None, failure: str) -> bool:
        return (
            re.fullmatch(self.operations, label) is not None
            and (status, code, failure) == (self.status, self.code, self.failure)
        )


def integral_float(value: Any) -> bool:
    return isinstance(value, float) and value.is_integer()


# pydantic prefixes a validator's own message with "Value error, ".
V = r"^(Value error, )?"

FIELD_REASONS = (
    FieldReason(
        "opaque-cursors", LISTS, r"query\.(cursor|after)", V + r"not a cursor this list returned$"
    ),
    FieldReason(
        "end-after-start",
        BOOKINGS + r"|GET /v1/spaces/\{space_id\}/availability|GET /v1/bookings",
        r"body(\.end)?|query\.to",
        V + r"(end must be after start|`to` must be after `from`)$",
    ),
    FieldReason(
        "spans",
        r"GET /v1/spaces/\{space_id\}/availability|GET /v1/bookings|" + STATEMENTS,
        r"query\.to",
        V + r"(the span from `from` to `to` is at most \d+ days|at most \d+ days from `from` to "
        r"`to`|`to` must not be before `from`)$",
    ),
    FieldReason(
        "dates-in-order",
        AGREEMENTS + "|" + EXCEPTIONS,
        r"body(\.ends_on|\.end_date)?",
        V + r"(ends_on must not be before starts_on|end_date must not be before start_date)$",
    ),
    FieldReason(
        "windows-in-order",
        SITES,
        r"body\.(open|reserved|custodial)_hours\.(mon|tue|wed|thu|fri|sat|sun)",
        V + r"(window \S+: start must be before end|windows \S+ and \S+ overlap)$",
    ),
    FieldReason(
        "cost-shares",
        AGREEMENTS,
        r"body\.cost_shares",
        V + r"(must give a percent for exactly the parties \[.*\]|percents must sum to 100)$",
    ),
    FieldReason(
        "existing-rows",
        r"(POST|PATCH) .*",
        r"body\.[a-z_]+(\[\d+\])?",
        V + r"(no (party|space|site|agreement) with id \d+|must be a site of one of the "
        r"agreement's parties|must be one of the agreement's parties|a party of the agreement "
        r"is not its direct partner|direct partners are community groups|an agreement is "
        r"between the city and a school district or charter school)$",
    ),
    FieldReason(
        "caller-party", BOOKINGS, r"body\.party_id", r"^this key acts for no party: name one$"
    ),
    FieldReason("recurrence-rules", r"POST /v1/booking-series", r"body\.rrule", r""),
    FieldReason(
        "webhook-addresses",
        r"POST /v1/webhooks",
        r"body\.url",
        r"^the webhook URL('s host .* is \(or resolves to\) .*, a loopback, private or link-local "
        r"address| is not a URL|'s port is not a number from 0 to 65535)$"
        r"|^a webhook URL must (name a host|not carry credentials)$",
    ),
    FieldReason(
        "time-zones",
        SITES,
        r"body\.timezone",
        V + r"not an IANA time zone of a region \(e\.g\. America/Los_Angeles\) or UTC: .*$",
    ),
    FieldReason(
        "integral-floats",
        r".*",
        r"(body|query|path)\..*",
        r"^Input should be a valid integer$",
        sent=integral_float,
    ),
)

PROBLEM_REASONS = (
    ProblemReason("booking-rules", BOOKINGS, 422, "booking-rules-violated"),
    ProblemReason("versions", r"PATCH /v1/bookings/\{booking_id\}", 412, "precondition-failed"),
    ProblemReason(
        "versions",
        r"PATCH /v1/bookings/\{booking_id\}",
        428,
        "precondition-required",
        failure=MISSING_HEADER,
    ),
    ProblemReason(
        "idempotency-keys",
        r"POST /v1/(bookings|booking-series|bookings/\{booking_id\}/(approve|decline|cancel))",
        422,
        "idempotency-key-reused",
    ),
)

REASONS = tuple(dict.fromkeys(r.name for r in (*FIELD_REASONS, *PROBLEM_REASONS)))


def sent_value(case: Any, loc: list[Any]) -> Any:
    """What the request held at an error's `loc` (["body", "terms", "max_series_days"])."""
    if not loc:
        return None
    where, *rest = loc
    node: Any = {
        "body": case.body,
        "query": case.query,
        "path": case.path_parameters,
        "header": case.headers,
    }.get(where)
    for key in rest:
        held = (isinstance(node, dict) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        )
        if not held:
            return None
        node = node[key]
    return node


def problem_of(response: Any) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content)
    except (TypeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def explanation(failure: Any, case: Any, response: Any) -> list[str] | None:
    """The reasons that explain this failure, or None if it stays a failure."""
    label = f"{case.method.upper()} {case.operation.path}"
    problem = problem_of(response) or {}
    code = problem.get("code")
    for reason in PROBLEM_REASONS:
        if reason.explains(label, response.status_code, code, failure.code):
            return [reason.name]
    if failure.code != REJECTED_POSITIVE or (response.status_code, code) != (
        422,
        "validation-error",
    ):
        return None
    errors = problem.get("errors") or []
    names: list[str] = []
    for error in errors:
        found = next((r for r in FIELD_REASONS if r.explains(label, error, case)), None)
        if found is None:
            return None
        names.append(found.name)
    return names or None


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    names = explanation(failure, case, response)
    if names is None:
        return True
    record = os.environ.get("JOINTUSE_FUZZ_DROPPED")
    if record:
        label = f"{case.method.upper()} {case.operation.path}"
        with open(record, "a", encoding="utf-8") as out:
            for name in dict.fromkeys(names):
                out.write(json.dumps({"reason": name, "operation": label}) + "\n")
    return False


# The run's own keys (`$JOINTUSE_FUZZ_KEEP_KEY_IDS`): revoking them would turn the rest of
# the run into 401s. Any other id, drawn or linked, is revoked as usual.
MAX_ID = 2**31 - 1
KEPT_KEYS = {int(k) for k in os.environ.get("JOINTUSE_FUZZ_KEEP_KEY_IDS", "").split(",") if k}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.method.upper() == "DELETE" and case.operation.path == "/v1/api-keys/{key_id}":
        # An int, or its text (the coverage phase sends path values as strings).
        key_id = str(case.path_parameters.get("key_id"))
        if key_id.isascii() and key_id.isdigit() and int(key_id) in KEPT_KEYS:
            case.path_parameters["key_id"] = MAX_ID
