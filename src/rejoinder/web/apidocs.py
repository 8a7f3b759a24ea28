"""``/api/docs``: the API reference as one server-rendered page, made from the OpenAPI document.

FastAPI's Swagger UI loads its script and styles from a CDN: blank offline, and a third-party
script on our origin is what the CSP is there to forbid. This page shows the same document
(operations, parameters, request and response schemas) with our own layout and no scripts;
``/api/openapi.json`` stays the machine-readable source.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from rejoinder.web.templating import render

router = APIRouter()

METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"


def type_of(schema: dict[str, Any]) -> str:  # noqa: PLR0911 - one return per schema shape
    """A short readable type: ``CommentOut``, ``list[int]``, ``string | null``, ``"a" | "b"``."""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(REF_PREFIX)
    for combiner in ("anyOf", "oneOf", "allOf"):
        if combiner in schema:
            return " | ".join(type_of(option) for option in schema[combiner])
    if "enum" in schema:
        return " | ".join(f'"{value}"' for value in schema["enum"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list[{type_of(schema.get('items', {}))}]"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"dict[string, {type_of(extra) if isinstance(extra, dict) else 'any'}]"
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def limits_of(schema: dict[str, Any]) -> str:
    """Bounds worth knowing before sending a value: lengths, ranges, patterns."""
    found = []
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("pattern", "pattern"),
    ):
        if key in schema:
            found.append(f"{label} {schema[key]}")
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            found.extend(limits_of(option).split("; ") if limits_of(option) else [])
    return "; ".join(found)


def _body_schema(content: dict[str, Any]) -> str | None:
    for media in content.values():
        schema = media.get("schema")
        if schema:
            return type_of(schema)
    return None


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody")
            operations.append(
                {
                    "anchor": f"{method}-{path}".replace("/", "-")
                    .replace("{", "")
                    .replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or ["other"])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": type_of(p.get("schema", {})),
                            "limits": limits_of(p.get("schema", {})),
                            "description": p.get("description")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _body_schema(body.get("content", {})) if body else None,
                    "body_required": bool(body and body.get("required")),
                    "responses": [
                        {
                            "status": status,
                            "description": response.get("description", ""),
                            "schema": _body_schema(response.get("content", {})),
                        }
                        for status, response in op.get("responses", {}).items()
                    ],
                }
            )
    return operations


def _schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    schemas = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        schemas.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "type": None if "properties" in schema else type_of(schema),
                "fields": [
                    {
                        "name": field,
                        "type": type_of(definition),
                        "required": field in required,
                        "limits": limits_of(definition),
                        "description": definition.get("description", ""),
                    }
                    for field, definition in schema.get("properties", {}).items()
                ],
            }
        )
    return schemas


def _reference(app: FastAPI) -> dict[str, Any]:
    # The document is fixed once the app is built: its outline is made once per app.
    cached: dict[str, Any] | None = getattr(app.state, "api_reference", None)
    if cached is not None:
        return cached
    spec = app.openapi()
    operations = _operations(spec)
    tags: dict[str, list[dict[str, Any]]] = {}
    for operation in operations:
        tags.setdefault(operation["tag"], []).append(operation)
    reference = {"info": spec.get("info", {}), "tags": tags, "schemas": _schemas(spec)}
    app.state.api_reference = reference
    return reference


@router.get("/api/docs")
async def api_docs(request: Request) -> Response:
    """The API reference, readable without JavaScript or any other site."""
    return render(request, "api_docs.html", _reference(request.app))
