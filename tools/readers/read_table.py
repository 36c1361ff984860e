#!/usr/bin/env python3
"""Reads a Delta table with an independent engine and prints one JSON document:
{engine, version, schema (Delta schema JSON), partitionColumns, numRows, rows} with rows in the DW value
encoding, sorted by their canonical JSON (see README.md).

  read_table.py --engine delta-rs|spark <uri> [--version N] [--where <SQL predicate>]

<uri> is a local path or s3://bucket/prefix (S3 settings from DW_S3_ENDPOINT, AWS_*).
"""

import argparse

from dw_readers.cli import run_main


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["delta-rs", "spark"], required=True)
    parser.add_argument("uri")
    parser.add_argument("--version", type=int, default=None)
    parser.add_argument("--where", default=None, help="delta-rs only: a SQL filter (files skipped by stats)")
    args = parser.parse_args()
    if args.engine == "delta-rs":
        from dw_readers import deltars

        return deltars.read(args.uri, args.version, args.where)
    if args.where:
        parser.error("--where is for delta-rs; with Spark use SparkSession.sql")
    from dw_readers.spark import SparkEngine, start_session, stop_session

    spark = start_session()
    try:
        return SparkEngine(spark).read(args.uri, args.version)
    finally:
        stop_session(spark)


if __name__ == "__main__":
    run_main(main)
