from __future__ import annotations

from pydantic import Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

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

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # `keys.service.create_api_key`: only an admin key acts for no party.
        json_schema = handler.resolve_ref_schema(handler(schema))
        json_schema["if"] = {"properties": {"role": {"const": Role.admin.value}}}
        json_schema["else"] = {
            "required": ["party_id"], "properties": {"party_id": {"type": "integer"}}
        }
        return json_schema


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
