"""The fuzz run's allowances are narrow: `hooks.filter_failure` drops a refused request only
when every error it names is one a schema cannot express (docs/fuzzing.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.fuzz import hooks

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fuzzing.md"


@dataclass
class Case:
    method: str
    path: str
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    path_parameters: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)

    @property
    def operation(self) -> SimpleNamespace:
        return SimpleNamespace(path=self.path)


def answer(status: int, code: str, **fields: Any) -> SimpleNamespace:
    return SimpleNamespace(
        status_code=status, content=json.dumps({"status": status, "code": code, **fields}).encode()
    )


def invalid(*errors: tuple[list[Any], str]) -> SimpleNamespace:
    listed = [
        {"loc": loc, "path": ".".join(map(str, loc)), "message": message} for loc, message in errors
    ]
    return answer(422, "validation-error", errors=listed)


REJECTED = SimpleNamespace(code=hooks.REJECTED_POSITIVE)
BOOKING = Case("POST", "/v1/bookings", body={"start": "x", "end": "x", "attendance": 3.0})


def kept(failure: Any, case: Case, response: Any) -> bool:
    return bool(hooks.filter_failure(None, failure, case, response))


def test_a_refusal_a_schema_cannot_express_is_dropped():
    assert not kept(REJECTED, BOOKING, invalid((["body"], "Value error, end must be after start")))


def test_a_refusal_that_also_names_another_error_is_kept():
    response = invalid(
        (["body"], "Value error, end must be after start"),
        (["body", "purpose"], "String should have at most 200 characters"),
    )
    assert kept(REJECTED, BOOKING, response)


def test_a_reason_holds_only_on_its_operations():
    refused = invalid((["query", "cursor"], "not a cursor this list returned"))
    assert not kept(REJECTED, Case("GET", "/v1/parties", query={"cursor": "abc"}), refused)
    assert kept(REJECTED, BOOKING, refused)


def test_an_integer_refused_is_dropped_only_when_it_was_sent_as_an_integral_float():
    refused = invalid((["body", "attendance"], "Input should be a valid integer"))
    assert not kept(REJECTED, BOOKING, refused)
    as_text = Case("POST", "/v1/bookings", body={"attendance": "3"})
    assert kept(REJECTED, as_text, refused)


def test_other_checks_and_statuses_are_never_dropped():
    server_error = SimpleNamespace(code="ST101")
    assert kept(server_error, BOOKING, answer(500, "internal-error"))
    assert kept(REJECTED, BOOKING, answer(403, "forbidden"))
    assert not kept(REJECTED, BOOKING, answer(422, "booking-rules-violated", violations=[]))
    patch = Case("PATCH", "/v1/bookings/{booking_id}")
    assert not kept(REJECTED, patch, answer(412, "precondition-failed"))
    assert kept(REJECTED, patch, answer(428, "precondition-required"))
    missing = SimpleNamespace(code=hooks.MISSING_HEADER)
    assert not kept(missing, patch, answer(428, "precondition-required"))


def test_a_dropped_failure_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    record = tmp_path / "dropped.jsonl"
    monkeypatch.setenv("JOINTUSE_FUZZ_DROPPED", str(record))
    hooks.filter_failure(None, REJECTED, BOOKING, answer(422, "booking-rules-violated"))
    assert json.loads(record.read_text()) == {
        "reason": "booking-rules",
        "operation": "POST /v1/bookings",
    }


def test_every_reason_is_explained_in_the_docs():
    text = DOCS.read_text()
    for name in hooks.REASONS:
        assert f"`{name}`" in text, f"docs/fuzzing.md does not explain `{name}`"


def test_the_run_never_revokes_its_own_keys(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hooks, "KEPT_KEYS", {7})
    for sent in (7, "7", "007"):
        case = Case("DELETE", "/v1/api-keys/{key_id}", path_parameters={"key_id": sent})
        hooks.before_call(None, case, {})
        assert case.path_parameters["key_id"] == hooks.MAX_ID
    other = Case("DELETE", "/v1/api-keys/{key_id}", path_parameters={"key_id": "8"})
    hooks.before_call(None, other, {})
    assert other.path_parameters["key_id"] == "8"
