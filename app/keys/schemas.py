from __future__ import annotations

from pydantic import Field

from app.core.auth import Role
from app.core.schemas import IdRef, Name, RequestModel, ResponseModel, examples
from app.core.time import Instant


class ApiKeyCreate(RequestModel):
    model_config = examples({"party_id": 3, "role": "partner", "name": "Oak Park booking app"})

    party_id: IdRef | None = Field(
        None, description="The party the key acts for; required except for admin keys"
    )
    role: Role
    name: Name = "api key"


class ApiKeyRead(ResponseModel):
    id: int
    party_id: int | None
    role: Role
    name: str
    created_at: Instant
    revoked_at: Instant | None


class ApiKeyCreated(ApiKeyRead):
    model_config = examples(
        {
            "id": 12,
            "party_id": 3,
            "role": "partner",
            "name": "Oak Park booking app",
            "created_at": "2027-01-04T17:30:00Z",
            "revoked_at": None,
            "secret": "jk_4mQ9vX2pL7sT0bN8cR5wY1eH6uJ3aZ",
        }
    )

    secret: str = Field(description="The key itself; shown only in this response")
