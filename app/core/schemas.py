"""Field types shared by every domain's request schemas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
)
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

MAX_ID = 2**31 - 1
T = TypeVar("T")
V = TypeVar("V")


class Documented:
    """JSON-schema keywords a type enforces by its own validators (a pattern, a range),
    added to its schema. Not `Field(json_schema_extra=...)`: pydantic drops a callable
    extra (`Omittable`'s) when it meets a dict one on the same field."""

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), **self.keywords}


def _storable(text: str) -> str:
    # NUL and lone surrogates cannot be stored (PostgreSQL text, UTF-8).
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return text


# Whitespace as JSON Schema's regexes see it (ECMA-262 `\s`), spelt out so that the check
# here and the documented pattern agree: Python's `\s` and `str.isspace` add \x1c-\x1f and
# \x85, and lack \ufeff.
WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WS_CLASS = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)


def _trimmed(text: str) -> str:
    # Trimmed after the length is checked, so that the document's lengths hold for what
    # is sent.
    return text.strip(WHITESPACE)


def _named(text: str) -> str:
    if not text:
        raise ValueError("must not be blank")
    return text


# What `_storable` and `_named` refuse that a pattern can say (lone surrogates it cannot,
# portably).
_NO_NUL = Documented(pattern="^[^\\u0000]*$")
_NOT_BLANK = Documented(pattern=f"^[^\\u0000]*[^\\u0000{_WS_CLASS}][^\\u0000]*$")
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_storable),
    AfterValidator(_trimmed),
    AfterValidator(_named),
    _NOT_BLANK,
]
LongText = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(_storable),
    AfterValidator(_trimmed),
    _NO_NUL,
]
# Strict: `true` would otherwise be read as id 1.
IdRef = Annotated[int, Strict(), Field(ge=1, le=MAX_ID, description="Id of an existing resource")]
# A JSON object's key naming a resource by id ({party_id: percent}): the id as text.
IdKey = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,9}$")]


class _KeyNames:
    """Documents a map's key pattern as `propertyNames`, values as `additionalProperties`
    (pydantic writes `patternProperties`, which allows any other key and which
    generators read as an object with no properties)."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        patterns = json_schema.pop("patternProperties", None)
        if patterns:
            ((pattern, values),) = patterns.items()
            json_schema["propertyNames"] = {"pattern": pattern}
            json_schema["additionalProperties"] = values
        return json_schema


# {id: value}, e.g. `IdMap[int]` for {party_id: cents}.
IdMap = Annotated[dict[IdKey, V], _KeyNames()]
Cents = Annotated[int, Strict(), Field(ge=0, le=10**11, description="Integer cents")]
RateCents = Annotated[int, Strict(), Field(ge=0, le=10**8, description="Integer cents per hour")]


# Model name -> its examples, for the document (FastAPI drops their nulls on the way:
# `core.openapi` puts them back whole).
EXAMPLES: dict[str, list[JsonDict]] = {}


def examples(*bodies: JsonDict) -> ConfigDict:
    """A model's whole examples, as the document shows them (OpenAPI `examples`): valid
    bodies in one world, with ids that tests/api/test_examples.py sets up and sends."""

    def extra(schema: JsonDict, model: type[Any]) -> None:
        schema["examples"] = list(bodies)
        EXAMPLES[model.__name__] = list(bodies)

    return ConfigDict(json_schema_extra=extra)


class RequestModel(BaseModel):
    """Requests refuse unknown fields, so a misspelt field is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _NotNull:
    """Validates `T | None` as `T`: the `None` is the default of a field left out,
    never a value a client may send."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        schema = handler(source)
        return schema["schema"] if schema["type"] == "nullable" else schema


def _no_null_default(schema: dict[str, Any]) -> None:
    if "default" in schema and schema["default"] is None:
        del schema["default"]


# A field a request may leave out but not send as null (most PATCH fields): `None` in
# Python means "not given"; the schema says `T`, optional, with no null and no default.
# A field where null means something (clearing a site's `address`) is `T | None = None`.
Omittable = Annotated[T | None, _NotNull(), Field(json_schema_extra=_no_null_default)]


def changes_of(data: BaseModel) -> dict[str, object]:
    """The fields a PATCH sets (an `Omittable` field is never null here)."""
    return data.model_dump(exclude_unset=True)


def stored(fields: Iterable[tuple[str, object]]) -> dict[str, object]:
    """A body's fields (a model's, or a PATCH's changes) as its row stores them: a kind
    as its text."""
    return {f: v.value if isinstance(v, StrEnum) else v for f, v in fields}


def apply_changes(row: object, changes: Mapping[str, object]) -> None:
    """Write a PATCH's changes onto its row."""
    for field, value in stored(changes.items()).items():
        setattr(row, field, value)


# JSON numbers only: "12" and 12.0 are refused where an integer amount is meant.
StrictInt = Annotated[int, Strict()]


# Contract section 8: an `Idempotency-Key` is 1-255 printable characters (visible ASCII
# and the space).
IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7e]{1,255}$"
