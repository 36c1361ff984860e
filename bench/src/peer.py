"""The peer baseline: the original service's design in plain Python, reading the bench's topic into its own Delta table.

A confluent-kafka consumer (its own group, from the beginning, auto-commit off), one thread: each Debezium MongoDB
record's envelope and `after` document are parsed with orjson, Extended JSON wrappers unwrapped to plain values
(`$oid` and `$numberDecimal` as strings, `$date` as epoch ms, `$numberLong` and `$numberInt` as integers), and the rows
of 10 000 records go to `pyarrow.Table.from_pylist` (nested documents become inferred structs) and one
`deltalake.write_deltalake` append — one Delta commit — after which the consumer commits the batch's offsets.
Tombstones are counted, not written. A field whose values have mixed types in a batch is written as JSON text; a
batch is cast to the table's schema where the table already has the column (new columns merge in).

Run by bench/src/peer.ts with the arguments below; prints one JSON line per commit and one at the end, on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import orjson
import pyarrow as pa
from confluent_kafka import Consumer, TopicPartition
from deltalake import write_deltalake


def unwrap(v):
    """Extended JSON wrappers as plain values; documents and arrays walked."""
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k == "$oid" or k == "$numberDecimal" or k == "$symbol":
                return x
            if k == "$date":
                return x if isinstance(x, int) else (unwrap(x) if isinstance(x, dict) else x)
            if k == "$numberLong" or k == "$numberInt":
                return int(x)
            if k == "$numberDouble":
                return float(x)
        return {k: unwrap(x) for k, x in v.items()}
    if isinstance(v, list):
        return [unwrap(x) for x in v]
    return v


def kind(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def as_table(rows):
    """The batch as Arrow: inferred, with fields of mixed types (in this batch) as JSON text."""
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        kinds = {}
        for r in rows:
            for k, v in r.items():
                t = kind(v)
                if t is not None:
                    kinds.setdefault(k, set()).add(t)
        mixed = {k for k, ts in kinds.items() if len(ts) > 1}
        fixed = [
            {k: (orjson.dumps(v).decode() if k in mixed and v is not None else v) for k, v in r.items()} for r in rows
        ]
        return pa.Table.from_pylist(fixed)


def conform(table, schema):
    """Cast the batch's columns the table already has to the table's types (text where a cast is not possible)."""
    if schema is None:
        return table
    columns, fields = [], []
    for field in table.schema:
        column = table.column(field.name)
        want = schema.field(field.name).type if field.name in schema.names else None
        if want is not None and field.type != want:
            try:
                column = column.cast(want, safe=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                column = pa.array([None if x is None else json.dumps(x, default=str) for x in column.to_pylist()], want)
            field = pa.field(field.name, want)
        columns.append(column)
        fields.append(field)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def main() -> int:
    a = argparse.ArgumentParser()
    a.add_argument("--brokers", required=True)
    a.add_argument("--topic", required=True)
    a.add_argument("--group", required=True)
    a.add_argument("--table", required=True)
    a.add_argument("--last-offsets", required=True, help='JSON {"<partition>": <last offset>}')
    a.add_argument("--batch", type=int, default=10_000)
    a.add_argument("--timeout", type=float, default=600)
    args = a.parse_args()
    storage = {
        "AWS_ENDPOINT_URL": _env("DW_S3_ENDPOINT"),
        "AWS_ACCESS_KEY_ID": _env("AWS_ACCESS_KEY_ID"),
        "AWS_SECRET_ACCESS_KEY": _env("AWS_SECRET_ACCESS_KEY"),
        "AWS_REGION": _env("AWS_REGION", "us-east-1"),
        "AWS_ALLOW_HTTP": "true",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
        # one writer per table: no lock provider needed
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }
    remaining = {int(p): int(o) for p, o in json.loads(args.last_offsets).items()}
    consumer = Consumer(
        {
            "bootstrap.servers": args.brokers,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([args.topic])
    started = time.monotonic()
    rows, offsets, records, events, schema = [], {}, 0, 0, None

    def write():
        nonlocal rows, offsets, schema
        if rows:
            table = conform(as_table(rows), schema)
            write_deltalake(args.table, table, mode="append", schema_mode="merge", storage_options=storage)
            schema = table.schema if schema is None else pa.unify_schemas([schema, table.schema])
        if offsets:
            consumer.commit(
                offsets=[TopicPartition(args.topic, p, o + 1) for p, o in offsets.items()], asynchronous=False
            )
        print(json.dumps({"event": "commit", "records": records, "rows": len(rows), "at": time.monotonic()}), flush=True)
        rows, offsets = [], {}

    pending = 0
    while remaining:
        if time.monotonic() - started > args.timeout:
            print(json.dumps({"event": "timeout", "records": records}), flush=True)
            return 1
        for m in consumer.consume(num_messages=args.batch - pending, timeout=1.0):
            if m.error():
                raise RuntimeError(m.error())
            p, o = m.partition(), m.offset()
            offsets[p] = o
            records += 1
            pending += 1
            if p in remaining and o >= remaining[p]:
                del remaining[p]
            value = m.value()
            if value is None:
                continue
            envelope = orjson.loads(value)
            payload = envelope.get("payload", envelope) if isinstance(envelope, dict) else {}
            after = payload.get("after")
            if not isinstance(after, str):
                continue
            events += 1
            row = unwrap(orjson.loads(after))
            row["_op"] = payload.get("op")
            row["_ts_ms"] = payload.get("ts_ms")
            row["_partition"] = p
            row["_offset"] = o
            rows.append(row)
        if pending >= args.batch or (not remaining and pending):
            write()
            pending = 0
    consumer.close()
    print(json.dumps({"event": "done", "records": records, "events": events, "at": time.monotonic()}), flush=True)
    return 0


def _env(name, default=None):
    import os

    v = os.environ.get(name, default)
    if v is None:
        raise SystemExit(f"peer: {name} is not set")
    return v


if __name__ == "__main__":
    sys.exit(main())
