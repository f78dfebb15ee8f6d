from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, Strict, ValidationInfo, field_validator
from pydantic.config import JsonDict

from app.core.schemas import (
    IdRef,
    LongText,
    Name,
    Omittable,
    RateCents,
    RequestModel,
    ResponseModel,
    examples,
)
from app.core.time import (
    DEFAULT_TIMEZONE,
    LocalDate,
    TimeZoneName,
    WeeklyHours,
    normalize_weekly,
)

_ALL_DAY = [("00:00", "24:00")]
ALL_WEEK: WeeklyHours = {
    "mon": _ALL_DAY, "tue": _ALL_DAY, "wed": _ALL_DAY, "thu": _ALL_DAY, "fri": _ALL_DAY,
    "sat": _ALL_DAY, "sun": _ALL_DAY,
}

_SCHOOL_DAYS = ("mon", "tue", "wed", "thu", "fri")


def _on_school_days(start: str, end: str) -> JsonDict:
    return {day: [[start, end]] for day in _SCHOOL_DAYS}


# The examples' school site: open every weekday evening and Saturdays, instruction
# 08:00-15:00, custodians 06:00-18:00 on school days.
_OPEN: JsonDict = {**_on_school_days("06:00", "22:00"), "sat": [["08:00", "18:00"]]}
# Each resource's example as written; its read example adds the ids.
_SITE: JsonDict = {
    "name": "Washington Elementary",
    "kind": "school",
    "owner_party_id": 2,
    "timezone": "America/Los_Angeles",
    "address": "520 18th St, Sacramento, CA 95811",
    "open_hours": _OPEN,
    "reserved_hours": _on_school_days("08:00", "15:00"),
    "custodial_hours": _on_school_days("06:00", "18:00"),
    "custodial_rate_cents_per_hour": 4200,
}
_GYM: JsonDict = {
    "name": "Gym", "kind": "gym", "capacity": 200, "standard_rental_rate_cents_per_hour": 7500
}
_RECESS: JsonDict = {
    "kind": "recess",
    "start_date": "2027-03-29",
    "end_date": "2027-04-02",
    "reason": "Spring recess",
}

# A head count is a JSON integer: "200", 200.0 and true are refused.
Capacity = Annotated[int, Strict(), Field(ge=0, le=1_000_000)]
Address = Annotated[LongText, Field(max_length=500)]
Reason = Annotated[LongText, Field(max_length=500)]


class SiteKind(StrEnum):
    school = "school"
    city_facility = "city_facility"


class SpaceKind(StrEnum):
    gym = "gym"
    multipurpose = "multipurpose"
    classroom = "classroom"
    field = "field"
    playground = "playground"
    pool = "pool"
    kitchen = "kitchen"
    library = "library"
    meeting_room = "meeting_room"
    other = "other"


class CalendarExceptionKind(StrEnum):
    closure = "closure"
    recess = "recess"


class _SiteFields(RequestModel):
    def hours_json(self) -> dict[str, Any]:
        """Set weekly hours in their stored form."""
        return {
            field: normalize_weekly(value)
            for field in ("open_hours", "reserved_hours", "custodial_hours")
            if (value := getattr(self, field)) is not None and field in self.model_fields_set
        }


class SiteCreate(_SiteFields):
    model_config = examples(_SITE)

    name: Name
    kind: SiteKind
    owner_party_id: IdRef
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    address: Address | None = None
    open_hours: WeeklyHours = Field(
        default_factory=ALL_WEEK.copy,
        description="When the site may be used at all; omitted means open all week",
    )
    reserved_hours: WeeklyHours = Field(
        default_factory=WeeklyHours, description="The owner's priority use (school instruction)"
    )
    custodial_hours: WeeklyHours = Field(
        default_factory=WeeklyHours, description="Normal scheduled custodial coverage"
    )
    custodial_rate_cents_per_hour: RateCents = 0

    def hours_json(self) -> dict[str, Any]:
        return {
            "open_hours": normalize_weekly(self.open_hours),
            "reserved_hours": normalize_weekly(self.reserved_hours),
            "custodial_hours": normalize_weekly(self.custodial_hours),
        }


class SiteUpdate(_SiteFields):
    model_config = examples(
        {
            "custodial_hours": {
                **_on_school_days("06:00", "18:00"),
                "fri": [["06:00", "20:00"]],
            },
            "custodial_rate_cents_per_hour": 4500,
        }
    )

    name: Omittable[Name] = None
    kind: Omittable[SiteKind] = None
    owner_party_id: Omittable[IdRef] = None
    timezone: Omittable[TimeZoneName] = None
    address: Address | None = Field(None, description="null clears it")
    open_hours: Omittable[WeeklyHours] = None
    reserved_hours: Omittable[WeeklyHours] = None
    custodial_hours: Omittable[WeeklyHours] = None
    custodial_rate_cents_per_hour: Omittable[RateCents] = None


class SiteRead(ResponseModel):
    model_config = examples({"id": 1, **_SITE})

    id: int
    name: str
    kind: SiteKind
    owner_party_id: int
    timezone: str
    address: str | None
    open_hours: WeeklyHours
    reserved_hours: WeeklyHours
    custodial_hours: WeeklyHours
    custodial_rate_cents_per_hour: int


class SpaceCreate(RequestModel):
    model_config = examples(_GYM)

    name: Name
    kind: SpaceKind
    capacity: Capacity
    standard_rental_rate_cents_per_hour: RateCents = 0


class SpaceUpdate(RequestModel):
    model_config = examples({"name": "Main gym", "capacity": 180})

    name: Omittable[Name] = None
    kind: Omittable[SpaceKind] = None
    capacity: Omittable[Capacity] = None
    standard_rental_rate_cents_per_hour: Omittable[RateCents] = None


class _OfSiteRead(ResponseModel):
    """What a site's space or calendar exception is read with first: its id, its site's."""

    id: int
    site_id: int


class SpaceRead(_OfSiteRead):
    model_config = examples({"id": 1, "site_id": 1, **_GYM})

    name: str
    kind: SpaceKind
    capacity: int
    standard_rental_rate_cents_per_hour: int


class CalendarExceptionCreate(RequestModel):
    model_config = examples(_RECESS)

    kind: CalendarExceptionKind
    start_date: LocalDate
    end_date: LocalDate
    reason: Reason = ""

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, end_date: date, info: ValidationInfo) -> date:
        # A field validator, so the 422 names `end_date` (as a PATCH's does).
        start_date = info.data.get("start_date")
        if start_date is not None and end_date < start_date:
            raise ValueError("end_date must not be before start_date")
        return end_date


class CalendarExceptionUpdate(RequestModel):
    model_config = examples({"end_date": "2027-04-05", "reason": "Spring recess, Cesar Chavez Day"})

    kind: Omittable[CalendarExceptionKind] = None
    start_date: Omittable[LocalDate] = None
    end_date: Omittable[LocalDate] = None
    reason: Omittable[Reason] = None


class CalendarExceptionRead(_OfSiteRead):
    model_config = examples({"id": 3, "site_id": 1, **_RECESS})

    kind: CalendarExceptionKind
    start_date: LocalDate
    end_date: LocalDate
    reason: str
