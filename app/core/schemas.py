"""Field types shared by every domain's request schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

MAX_ID = 2**31 - 1


def _storable(text: str) -> str:
    # NUL and lone surrogates cannot be stored (PostgreSQL text, UTF-8).
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return text


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_storable),
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_storable)
]
# Strict: `true` would otherwise be read as id 1.
IdRef = Annotated[int, Strict(), Field(ge=1, le=MAX_ID, description="Id of an existing resource")]
Cents = Annotated[int, Strict(), Field(ge=0, le=10**11, description="Integer cents")]
RateCents = Annotated[int, Strict(), Field(ge=0, le=10**8, description="Integer cents per hour")]


class RequestModel(BaseModel):
    """Requests refuse unknown fields, so a misspelt field is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def changes_of(data: BaseModel, *, nullable: frozenset[str] = frozenset()) -> dict[str, object]:
    """The fields a PATCH sets. An explicit null is refused for fields that cannot be empty."""
    from app.core.errors import ValidationFailed

    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None and field not in nullable:
            raise ValidationFailed(["body", field], "may not be null")
    return changes


# JSON numbers only: "12" and 12.0 are refused where an integer amount is meant.
StrictInt = Annotated[int, Strict()]
