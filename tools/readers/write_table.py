#!/usr/bin/env python3
"""Creates or appends to a Delta table with an independent engine, following a write spec (README.md
"Write specs": schema, rows, partitionBy, properties, and steps write/checkpoint/optimize/delete), and
prints {engine, version, steps: [{op, version}]}.

  write_table.py --engine delta-rs|spark <uri> --spec '<json>' | --spec @spec.json | --spec -
"""

import argparse

from dw_readers.cli import load_spec_arg, run_main
from dw_readers.spec import parse_spec


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["delta-rs", "spark"], required=True)
    parser.add_argument("uri")
    parser.add_argument("--spec", required=True, help="inline JSON, @file, or - for stdin")
    args = parser.parse_args()
    spec = parse_spec(load_spec_arg(args.spec))
    if args.engine == "delta-rs":
        from dw_readers import deltars

        return deltars.write(args.uri, spec)
    from dw_readers.spark import SparkEngine, start_session, stop_session

    spark = start_session()
    try:
        return SparkEngine(spark).write(args.uri, spec)
    finally:
        stop_session(spark)


if __name__ == "__main__":
    run_main(main)
