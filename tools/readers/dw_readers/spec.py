"""Write specs: what write_table.py and the Spark server's "write" request take (README.md "Write specs")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .types import validate_schema

OPS = ("write", "checkpoint", "optimize", "delete")
MODES = ("append", "overwrite", "error")


@dataclass
class Step:
    op: str
    rows: list[dict] = field(default_factory=list)
    mode: str = "append"
    schema: dict | None = None
    merge_schema: bool = False
    predicate: str | None = None


@dataclass
class Spec:
    schema: dict | None
    partition_by: list[str]
    properties: dict[str, str]
    steps: list[Step]


def parse_spec(raw: Any) -> Spec:
    if not isinstance(raw, dict):
        raise ValueError("spec must be a JSON object")
    known = {"schema", "partitionBy", "properties", "mode", "rows", "steps"}
    if set(raw) - known:
        raise ValueError(f"spec has unknown keys {sorted(set(raw) - known)}; known: {sorted(known)}")
    schema = validate_schema(raw["schema"]) if "schema" in raw else None
    steps: list[Step] = []
    if "rows" in raw:
        steps.append(_step({"op": "write", "rows": raw["rows"], "mode": raw.get("mode", "append")}))
    steps += [_step(s) for s in raw.get("steps", [])]
    if not steps:
        raise ValueError('spec has nothing to do: give "rows" or "steps"')
    for s in steps:
        if s.op == "write" and s.schema is None and schema is None:
            raise ValueError('a write step needs a schema: give "schema" in the spec or in the step')
    return Spec(
        schema=schema,
        partition_by=list(raw.get("partitionBy", [])),
        properties={str(k): str(v) for k, v in raw.get("properties", {}).items()},
        steps=steps,
    )


def _step(raw: Any) -> Step:
    if not isinstance(raw, dict) or raw.get("op") not in OPS:
        raise ValueError(f"each step needs an op, one of {OPS}: {raw!r}")
    step = Step(
        op=raw["op"],
        rows=list(raw.get("rows", [])),
        mode=raw.get("mode", "append"),
        schema=validate_schema(raw["schema"]) if "schema" in raw else None,
        merge_schema=bool(raw.get("mergeSchema", False)),
        predicate=raw.get("predicate"),
    )
    if step.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {step.mode!r}")
    if step.op == "delete" and not step.predicate:
        raise ValueError('a delete step needs a "predicate" (SQL, e.g. "id = 3")')
    return step
