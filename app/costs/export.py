"""The period queries and CSV answers that statements (`costs`) and reports share."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import Header, Query, Response

from app.core.openapi import header, op
from app.core.time import LocalDate

DateQuery = Annotated[
    LocalDate, Query(description="YYYY-MM-DD, inclusive, in each site's local calendar")
]
FromDateQuery = Annotated[LocalDate, Query(alias="from", description="YYYY-MM-DD, inclusive")]
CSV_MEDIA_TYPE = "text/csv"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
          "headers": {"Content-Disposition": header("Content-Disposition")},
          "description": "JSON, or CSV (RFC 4180, header row first) with `Accept: text/csv`"}
}


def wants_csv(accept: str | None) -> bool:
    return accept is not None and CSV_MEDIA_TYPE in accept.lower()


# A text cell starting with one of these is a formula to a spreadsheet (contract, section 1).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """Text a party wrote, as no spreadsheet runs it: prefixed with `'` where it would be
    a formula. Numbers stay numbers (a negative amount is not text)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(header: list[str], rows: list[list[Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line breaks
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# The `Accept` header asks for CSV; it is documented by `CSV_RESPONSE`, not as a parameter.
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]
TAKE_TURNS = ("Statements and reports take turns: 503 with `Retry-After` when too many are "
              "asked for at once.")


def period_read_op(summary: str, *errors: int, description: str) -> dict[str, Any]:
    """Route keyword arguments of a read over a period (a statement, a report): it takes
    turns with the others (503) and answers JSON or, on asking, CSV."""
    return {
        **op(summary, *errors, 503, description=f"{description} {TAKE_TURNS}",
             responses=CSV_RESPONSE),
        "response_model_by_alias": True,
    }
