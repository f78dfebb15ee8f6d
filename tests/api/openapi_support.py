"""Reading the OpenAPI document in tests: operations, schemas, and whether an answer is
what the document says."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def allows_null(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    return kinds == "null" or (isinstance(kinds, list) and "null" in kinds) or any(
        allows_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", [])
    )


def body_schema(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    body = op.get("requestBody")
    return resolve(doc, body["content"]["application/json"]["schema"]) if body else None


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def conforms(doc: dict[str, Any], schema: dict[str, Any], instance: Any) -> None:
    jsonschema_rs.validator_for({**schema, "components": doc["components"]}).validate(instance)


def documented(
    doc: dict[str, Any], method: str, path: str, r: httpx.Response
) -> dict[str, Any]:
    """The response as the document says this operation answers its status: the media
    type's schema holds the body, and the documented headers are there."""
    response = doc["paths"][path][method.lower()]["responses"][str(r.status_code)]
    for name, header in response.get("headers", {}).items():
        if "$ref" in header:
            header = doc["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
        if header.get("required"):
            assert name.lower() in r.headers, (method, path, r.status_code, name)
    if "content" not in response:
        assert not r.content, (method, path, r.status_code)
        return {}
    media = r.headers["content-type"].split(";")[0]
    conforms(doc, response["content"][media]["schema"], r.json())
    body: dict[str, Any] = r.json()
    return body
