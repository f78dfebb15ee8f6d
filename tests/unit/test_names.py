"""A name's documented pattern refuses exactly what the server refuses as blank."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from app.core.schemas import _NOT_BLANK, WHITESPACE, Name

NAME = TypeAdapter(Name)
PATTERN = re.compile(_NOT_BLANK.keywords["pattern"])
# ECMA-262's WhiteSpace and LineTerminator code points: what `\s` matches in a JSON Schema.
ECMA_WHITESPACE = set("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {
    chr(c) for c in range(0x2000, 0x200B)
}


def test_the_whitespace_set_is_ecma_262s():
    assert set(WHITESPACE) == ECMA_WHITESPACE


@pytest.mark.parametrize("char", sorted(ECMA_WHITESPACE | {"\x1c", "\x85", "a", "\u200b"}))
def test_a_one_character_name_is_refused_by_the_pattern_exactly_when_the_server_refuses_it(char):
    try:
        NAME.validate_python(char * 3)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == bool(PATTERN.match(char * 3))


def test_a_name_is_stored_trimmed():
    assert NAME.validate_python("\u3000 Parks and Recreation \t") == "Parks and Recreation"
