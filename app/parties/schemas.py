from __future__ import annotations

from enum import StrEnum

from app.core.schemas import Name, Omittable, RequestModel, ResponseModel, examples


class PartyKind(StrEnum):
    city = "city"
    school_district = "school_district"
    charter_school = "charter_school"
    community_group = "community_group"


class PartyCreate(RequestModel):
    model_config = examples({"name": "Oak Park Youth Soccer", "kind": "community_group"})

    name: Name
    kind: PartyKind


class PartyUpdate(RequestModel):
    model_config = examples({"name": "Oak Park Youth Soccer League"})

    name: Omittable[Name] = None
    kind: Omittable[PartyKind] = None


class PartyRead(ResponseModel):
    model_config = examples({"id": 3, "name": "Oak Park Youth Soccer", "kind": "community_group"})

    id: int
    name: str
    kind: PartyKind
