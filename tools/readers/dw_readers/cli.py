"""Shared bits of the command-line scripts: one JSON document on stdout, errors on stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any


def emit(doc: Any, out=None) -> None:
    # allow_nan=False: the encoding spells NaN/Infinity as strings, so a bare NaN here is a bug to surface.
    (out or sys.stdout).write(
        json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
    )
    (out or sys.stdout).flush()


def load_spec_arg(arg: str) -> Any:
    """--spec takes inline JSON, @file, or - for stdin."""
    if arg == "-":
        return json.load(sys.stdin)
    if arg.startswith("@"):
        with open(arg[1:], encoding="utf-8") as f:
            return json.load(f)
    if not arg.lstrip().startswith("{") and os.path.exists(arg):
        with open(arg, encoding="utf-8") as f:
            return json.load(f)
    return json.loads(arg)


def run_main(main: Callable[[], Any]) -> None:
    code = 0
    try:
        emit(main())
    except Exception as exc:  # one readable line for the caller; the traceback when DW_READERS_DEBUG is set
        if os.environ.get("DW_READERS_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalization: with deltalake 1.6.6 and pyarrow 22, tearing down a scanned table's
    # objects at exit can abort the process ("terminate called without an active exception", exit 134)
    # after the answer was already printed. Nothing is left to clean up here.
    os._exit(code)
