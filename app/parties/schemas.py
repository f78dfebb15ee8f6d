from __future__ import annotations

from enum import StrEnum

from app.core.schemas import Name, Omittable, RequestModel, ResponseModel


class PartyKind(StrEnum):
    city = "city"
    school_district = "school_district"
    charter_school = "charter_school"
    community_group = "community_group"


class PartyCreate(RequestModel):
    name: Name
    kind: PartyKind


class PartyUpdate(RequestModel):
    name: Omittable[Name] = None
    kind: Omittable[PartyKind] = None


class PartyRead(ResponseModel):
    id: int
    name: str
    kind: PartyKind
