#!/usr/bin/env python3
"""A long-lived Spark + Delta session for a whole test file: start once (30-60 s), then many requests.

Protocol: JSON lines. Once the session is up, and warmed up by one small write and read (skip that with
DW_SPARK_WARMUP=0), the server prints {"ready": true, "startupMs": N, "sessionMs": N, "sparkVersion": "..."}.
Then one response line per request line on stdin, in order:
  {"id": 1, "op": "read", "uri": "...", "version": 3} -> {"id": 1, "ok": true, "result": <as read_table.py>}
  {"id": 2, "op": "write", "uri": "...", "spec": {}}  -> {"id": 2, "ok": true, "result": <as write_table.py>}
  {"id": 3, "op": "sql", "query": "SELECT ..."}       -> {"id": 3, "ok": true, "result": <schema, rows>}
  {"id": 4, "op": "ping"}                             -> {"id": 4, "ok": true, "result": {}}
  {"id": 5, "op": "cached"}                           -> {"id": 5, "ok": true, "result": {"persistentRdds": 0}}
A failed request answers {"id", "ok": false, "error": "<one line>", "traceback": "..."} and the server
goes on. End of stdin stops Spark and exits 0.
"""

import json
import os
import sys
import time
import traceback

# Only protocol lines may reach stdout: keep a private copy of it, then point fd 1 (inherited by the JVM,
# which logs and prints there) and Python's sys.stdout at stderr.
PROTOCOL = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

from dw_readers.cli import emit  # noqa: E402
from dw_readers.spec import parse_spec  # noqa: E402


def handle(engine, request):
    op = request.get("op")
    if op == "read":
        return engine.read(request["uri"], request.get("version"))
    if op == "write":
        return engine.write(request["uri"], parse_spec(request["spec"]))
    if op == "sql":
        return engine.sql(request["query"])
    if op == "ping":
        return {}
    if op == "cached":
        return engine.cached()
    raise ValueError(f"unknown op {op!r}; known: read, write, sql, ping, cached")


def one_line(exc: BaseException) -> str:
    # Py4J errors carry a whole Java stack trace in str(); the first lines say what went wrong.
    text = f"{type(exc).__name__}: {exc}".strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return " | ".join(lines[:3])[:2000]


def main():
    started = time.monotonic()
    try:
        from dw_readers.spark import SparkEngine, start_session, stop_session

        spark = start_session()
        session_ms = round((time.monotonic() - started) * 1000)
        engine = SparkEngine(spark)
        if os.environ.get("DW_SPARK_WARMUP", "1") != "0":
            engine.warm_up()
    except Exception as exc:
        emit({"ready": False, "error": one_line(exc), "traceback": traceback.format_exc()}, PROTOCOL)
        sys.exit(1)
    emit(
        {
            "ready": True,
            "startupMs": round((time.monotonic() - started) * 1000),
            "sessionMs": session_ms,
            "sparkVersion": spark.version,
        },
        PROTOCOL,
    )
    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            emit({"id": request_id, "ok": True, "result": handle(engine, request)}, PROTOCOL)
        except Exception as exc:
            emit(
                {"id": request_id, "ok": False, "error": one_line(exc), "traceback": traceback.format_exc()},
                PROTOCOL,
            )
    stop_session(spark)


if __name__ == "__main__":
    main()
