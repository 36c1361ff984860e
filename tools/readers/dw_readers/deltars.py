"""delta-rs (the `deltalake` Python package): read a table into the DW encoding; write specs."""

from __future__ import annotations

import json

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder, write_deltalake

from .encoding import decode_row, encode_row, sort_rows
from .spec import Spec, Step
from .storage import deltars_uri_and_options
from .types import to_arrow_schema


def read(uri: str, version: int | None = None, where: str | None = None) -> dict:
    table_uri, options = deltars_uri_and_options(uri)
    table = DeltaTable(table_uri, version=version, storage_options=options)
    schema = json.loads(table.schema().to_json())
    # delta-rs' own (DataFusion) scan, not to_pyarrow_table(): the pyarrow dataset path reads columns by
    # logical name, so on a column-mapped table it returns all nulls, and it refuses deletion vectors.
    # A `where` filter goes to DataFusion, which skips files by their statistics first.
    query = "SELECT * FROM t" + (f" WHERE {where}" if where else "")
    data = pa.table(QueryBuilder().register("t", table).execute(query))
    rows = [encode_row(schema, r) for r in data.to_pylist()]
    return {
        "engine": "delta-rs",
        "version": table.version(),
        "schema": schema,
        "partitionColumns": list(table.metadata().partition_columns),
        "numRows": len(rows),
        "rows": sort_rows(rows),
    }


def write(uri: str, spec: Spec) -> dict:
    table_uri, options = deltars_uri_and_options(uri)
    done = []
    for step in spec.steps:
        _run_step(table_uri, options, spec, step)
        done.append({"op": step.op, "version": DeltaTable(table_uri, storage_options=options).version()})
    return {"engine": "delta-rs", "version": done[-1]["version"], "steps": done}


def _run_step(table_uri: str, options: dict | None, spec: Spec, step: Step) -> None:
    if step.op == "write":
        schema = step.schema or spec.schema
        assert schema is not None  # parse_spec guarantees it
        data = pa.Table.from_pylist(
            [decode_row(schema, r) for r in step.rows], schema=to_arrow_schema(schema)
        )
        creating = not DeltaTable.is_deltatable(table_uri, storage_options=options)
        write_deltalake(
            table_uri,
            data,
            mode=step.mode,
            # Partitioning and properties belong to table creation; on later writes they must not be restated.
            partition_by=(spec.partition_by or None) if creating else None,
            configuration=(spec.properties or None) if creating else None,
            schema_mode="merge" if step.merge_schema else None,
            storage_options=options,
        )
        return
    table = DeltaTable(table_uri, storage_options=options)
    if step.op == "checkpoint":
        table.create_checkpoint()
    elif step.op == "optimize":
        table.optimize.compact()
    elif step.op == "delete":
        table.delete(step.predicate)
    else:
        raise ValueError(f"unknown step {step.op!r}")
