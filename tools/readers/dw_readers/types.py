"""Delta schema JSON (PROTOCOL.md "Schema Serialization Format") and its mapping to Arrow types."""

from __future__ import annotations

import re
from typing import Any

DeltaType = str | dict

_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_PRIMITIVES = {
    "string",
    "long",
    "integer",
    "short",
    "byte",
    "float",
    "double",
    "boolean",
    "binary",
    "date",
    "timestamp",
    "timestamp_ntz",
}


def is_primitive(dtype: DeltaType) -> bool:
    return isinstance(dtype, str)


def decimal_params(dtype: DeltaType) -> tuple[int, int] | None:
    m = _DECIMAL.match(dtype) if isinstance(dtype, str) else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def validate_schema(schema: Any) -> dict:
    """Checks a spec schema, failing early with the offending path, and fills in the defaults that
    Delta schema JSON may leave out (nullable, metadata, containsNull, valueContainsNull)."""
    if (
        not isinstance(schema, dict)
        or schema.get("type") != "struct"
        or not isinstance(schema.get("fields"), list)
    ):
        raise ValueError('schema must be a Delta struct: {"type": "struct", "fields": [...]}')
    return _normalize(schema, "schema")


def _normalize(dtype: Any, path: str) -> DeltaType:
    if isinstance(dtype, str):
        if dtype not in _PRIMITIVES and not decimal_params(dtype):
            raise ValueError(f"{path}: unknown Delta type {dtype!r}")
        return dtype
    kind = dtype.get("type") if isinstance(dtype, dict) else None
    if kind == "struct":
        fields = []
        for f in dtype["fields"]:
            if not isinstance(f, dict) or "name" not in f or "type" not in f:
                raise ValueError(f"{path}: every field needs a name and a type")
            fields.append(
                {
                    "name": f["name"],
                    "type": _normalize(f["type"], f"{path}.{f['name']}"),
                    "nullable": f.get("nullable", True),
                    "metadata": f.get("metadata", {}),
                }
            )
        return {"type": "struct", "fields": fields}
    if kind == "array":
        return {
            "type": "array",
            "elementType": _normalize(dtype["elementType"], f"{path}[]"),
            "containsNull": dtype.get("containsNull", True),
        }
    if kind == "map":
        return {
            "type": "map",
            "keyType": _normalize(dtype["keyType"], f"{path}{{key}}"),
            "valueType": _normalize(dtype["valueType"], f"{path}{{value}}"),
            "valueContainsNull": dtype.get("valueContainsNull", True),
        }
    raise ValueError(f"{path}: unknown Delta type {dtype!r}")


def to_arrow_schema(schema: dict):
    import pyarrow as pa

    return pa.schema([_arrow_field(f) for f in schema["fields"]])


def _arrow_field(field: dict):
    import pyarrow as pa

    return pa.field(field["name"], to_arrow_type(field["type"]), nullable=field.get("nullable", True))


def to_arrow_type(dtype: DeltaType):
    import pyarrow as pa

    simple = {
        "string": pa.string(),
        "long": pa.int64(),
        "integer": pa.int32(),
        "short": pa.int16(),
        "byte": pa.int8(),
        "float": pa.float32(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "binary": pa.binary(),
        "date": pa.date32(),
        # Delta stores timestamps as microseconds; "timestamp" is an instant, "timestamp_ntz" a wall time.
        "timestamp": pa.timestamp("us", tz="UTC"),
        "timestamp_ntz": pa.timestamp("us"),
    }
    if isinstance(dtype, str):
        if dtype in simple:
            return simple[dtype]
        precision, scale = decimal_params(dtype) or (None, None)
        if precision is None:
            raise ValueError(f"unknown Delta type {dtype!r}")
        return pa.decimal128(precision, scale)
    kind = dtype["type"]
    if kind == "struct":
        return pa.struct([_arrow_field(f) for f in dtype["fields"]])
    if kind == "array":
        return pa.list_(
            pa.field("element", to_arrow_type(dtype["elementType"]), dtype.get("containsNull", True))
        )
    if kind == "map":
        return pa.map_(
            to_arrow_type(dtype["keyType"]),
            pa.field("value", to_arrow_type(dtype["valueType"]), dtype.get("valueContainsNull", True)),
        )
    raise ValueError(f"unknown Delta type {kind!r}")
