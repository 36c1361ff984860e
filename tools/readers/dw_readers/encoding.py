"""The DW value encoding: one JSON form per Delta type, so rows read by delta-rs, by Spark and by our
TypeScript reader compare with plain deep equality. README.md ("Value encoding") is the contract;
keep the two in step.

Encoding is driven by the Delta schema, never by the Python value's type: an int64 is a string even
when it is small, a decimal keeps its declared scale, and so on.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from decimal import Context, Decimal
from typing import Any

from .types import DeltaType, decimal_params, is_primitive

_UTC = dt.UTC
# Delta decimals have up to 38 digits; Python's default context keeps 28 and would refuse to quantize them.
_DECIMALS = Context(prec=80)
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

# Types whose encoded form is a JSON string: a map key of one of these is used as the object key as is.
_STRING_ENCODED = {"string", "long", "binary", "date", "timestamp", "timestamp_ntz"}


def encode_row(schema: dict, row: dict) -> dict:
    return {f["name"]: encode_value(f["type"], row.get(f["name"])) for f in schema["fields"]}


def decode_row(schema: dict, row: dict) -> dict:
    unknown = set(row) - {f["name"] for f in schema["fields"]}
    if unknown:
        raise ValueError(f"row has columns not in the schema: {sorted(unknown)}")
    return {f["name"]: decode_value(f["type"], row.get(f["name"])) for f in schema["fields"]}


def encode_value(dtype: DeltaType, value: Any) -> Any:
    if value is None:
        return None
    if not is_primitive(dtype):
        kind = dtype["type"]
        if kind == "struct":
            return encode_row(dtype, value)
        if kind == "array":
            return [encode_value(dtype["elementType"], v) for v in value]
        if kind == "map":
            pairs = value.items() if isinstance(value, dict) else value
            encoded = {_map_key(dtype["keyType"], k): encode_value(dtype["valueType"], v) for k, v in pairs}
            return dict(sorted(encoded.items()))
        raise ValueError(f"unsupported Delta type {kind!r}")
    if dtype in ("string", "boolean"):
        return value
    if dtype == "long":
        return str(int(value))
    if dtype in ("integer", "short", "byte"):
        return int(value)
    if dtype in ("float", "double"):
        return _encode_float(float(value))
    if dtype == "binary":
        return base64.b64encode(bytes(value)).decode("ascii")
    if dtype == "date":
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if dtype == "timestamp":
        if value.tzinfo is None:
            raise ValueError(
                "a 'timestamp' value arrived without a time zone; readers must give UTC instants"
            )
        return _iso(value.astimezone(_UTC)) + "Z"
    if dtype == "timestamp_ntz":
        return _iso(value.replace(tzinfo=None))
    params = decimal_params(dtype)
    if params:
        return _encode_decimal(Decimal(value), params[1])
    raise ValueError(f"unsupported Delta type {dtype!r}")


def decode_value(dtype: DeltaType, value: Any) -> Any:
    """The inverse of encode_value, giving Python values that pyarrow and PySpark both accept.
    Writers are lenient where it is unambiguous: a long or decimal may also be a JSON number."""
    if value is None:
        return None
    if not is_primitive(dtype):
        kind = dtype["type"]
        if kind == "struct":
            return decode_row(dtype, value)
        if kind == "array":
            return [decode_value(dtype["elementType"], v) for v in value]
        if kind == "map":
            return {
                _parse_map_key(dtype["keyType"], k): decode_value(dtype["valueType"], v)
                for k, v in value.items()
            }
        raise ValueError(f"unsupported Delta type {kind!r}")
    if dtype == "string":
        return str(value)
    if dtype == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"boolean expected, got {value!r}")
        return value
    if dtype in ("long", "integer", "short", "byte"):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{dtype} expected, got {value!r}")
        return int(value)
    if dtype in ("float", "double"):
        return _SPECIAL_FLOATS[value] if isinstance(value, str) else float(value)
    if dtype == "binary":
        return base64.b64decode(value, validate=True)
    if dtype == "date":
        return dt.date.fromisoformat(value)
    if dtype == "timestamp":
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"timestamp needs a zone (end it with Z): {value!r}")
        return parsed.astimezone(_UTC)
    if dtype == "timestamp_ntz":
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            raise ValueError(f"timestamp_ntz must have no zone: {value!r}")
        return parsed
    params = decimal_params(dtype)
    if params:
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-params[1]), context=_DECIMALS)
    raise ValueError(f"unsupported Delta type {dtype!r}")


def sort_rows(rows: list[dict]) -> list[dict]:
    """Delta tables have no row order; sorting by the canonical JSON text makes two reads comparable."""
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, separators=(",", ":")))


def _encode_float(v: float) -> float | str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _encode_decimal(v: Decimal, scale: int) -> str:
    quantized = v.quantize(Decimal(1).scaleb(-scale), context=_DECIMALS)
    if quantized.is_zero():
        quantized = quantized.copy_abs()  # "-0.00" and "0.00" are the same value
    return format(quantized, "f")


def _iso(v: dt.datetime) -> str:
    # Not strftime: %Y does not zero-pad years before 1000 on glibc.
    date = f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
    return f"{date}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def _map_key(key_type: DeltaType, key: Any) -> str:
    encoded = encode_value(key_type, key)
    return encoded if isinstance(encoded, str) else json.dumps(encoded)


def _parse_map_key(key_type: DeltaType, key: str) -> Any:
    if isinstance(key_type, str) and (key_type in _STRING_ENCODED or decimal_params(key_type)):
        return decode_value(key_type, key)
    return decode_value(key_type, json.loads(key))
