"""Spark + Delta (delta-spark): a local session with the jars from setup.sh; read into the DW encoding,
write specs, and run SQL."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

from .encoding import decode_row, encode_row, sort_rows
from .spec import Spec, Step
from .storage import spark_path, spark_s3_conf


def start_session(extra_conf: dict[str, str] | None = None):
    """Starts the one local Spark session of this process (30-60 s on 2 cores)."""
    jars = os.environ.get("DW_SPARK_JARS")
    if not jars or not os.path.isdir(jars):
        raise RuntimeError(
            "DW_SPARK_JARS is not set up: run tools/readers/setup.sh and use the env lines it prints"
        )
    if os.environ.get("DW_JAVA_HOME"):
        os.environ["JAVA_HOME"] = os.environ["DW_JAVA_HOME"]
    # Loopback only: the machine may have no resolvable hostname, and nothing here talks to other hosts.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    # PySpark turns timestamps into Python datetimes in the process' local zone; UTC keeps that lossless.
    os.environ["TZ"] = "UTC"
    time.tzset()

    from pyspark.sql import SparkSession

    scratch = tempfile.mkdtemp(prefix="dw-spark-")
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("dw-test-readers")
        .config("spark.driver.extraClassPath", os.path.join(jars, "*"))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        # Test tables are tiny and the machine has 2 busy cores: compiling is what costs. C1 only and no
        # whole-stage codegen roughly halved session start and first-query time here (measured under load).
        # C1 only also shrinks the JIT's code cache to 48 MB (JDK 17, one unsegmented heap), which a session
        # serving a whole e2e suite filled ("Out of space in CodeCache for adapters", then every read failed):
        # 256 MB is reserved address space, used only as code is compiled.
        .config(
            "spark.driver.extraJavaOptions",
            f"-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m -XX:+UseParallelGC "
            f"-Dderby.system.home={scratch}",
        )
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.databricks.delta.snapshotPartitions", "1")
    )
    for key, value in {**spark_s3_conf(), **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    _scratch_dirs[id(spark)] = scratch
    return spark


_scratch_dirs: dict[int, str] = {}


def stop_session(spark) -> None:
    spark.stop()
    shutil.rmtree(_scratch_dirs.pop(id(spark), ""), ignore_errors=True)


class SparkEngine:
    def __init__(self, spark):
        self.spark = spark

    def warm_up(self) -> None:
        """Writes and reads a one-row table once, so the JVM's class loading and compiling happen here
        rather than in a caller's first (timed) request."""
        from .spec import parse_spec

        scratch = tempfile.mkdtemp(prefix="dw-spark-warmup-")
        try:
            fields = [{"name": f"c{i}", "type": t, "nullable": True} for i, t in enumerate(_WARM_UP_TYPES)]
            values = ["1", "a", "1.00", "2024-01-01T00:00:00Z", "2024-01-01"]
            spec = {
                "schema": {"type": "struct", "fields": fields},
                "partitionBy": ["c1"],
                "rows": [{f"c{i}": v for i, v in enumerate(values)}],
            }
            table = os.path.join(scratch, "t")
            self.write(table, parse_spec(spec))
            self.read(table)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def cached(self) -> dict:
        """What the session holds between requests: RDDs persisted (Delta caches each table's state as one)."""
        return {"persistentRdds": self.spark.sparkContext._jsc.getPersistentRDDs().size()}

    def forget(self) -> None:
        """Drops what Delta and Spark cached for the tables of a request. The session serves a whole e2e run, and
        Delta keeps every table it read (its log and its state, persisted) until its cache evicts it: a nemesis
        session reading four new tables a run ran the driver out of heap after ~45 runs (seed 5044,
        "GC overhead limit exceeded"). Tests read a table a few times at most; reading its log again is cheap."""
        self.spark._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()
        self.spark.catalog.clearCache()
        # Delta persists each snapshot's state as an RDD of its own, which neither call above unpersists.
        for rdd in list(self.spark.sparkContext._jsc.getPersistentRDDs().values()):
            rdd.unpersist(False)

    def read(self, uri: str, version: int | None = None) -> dict:
        try:
            return self._read(uri, version)
        finally:
            self.forget()

    def _read(self, uri: str, version: int | None = None) -> dict:
        from delta.tables import DeltaTable

        path = spark_path(uri)
        table = DeltaTable.forPath(self.spark, path)
        if version is None:
            version = self._latest_version(table)
        # Pinning the version makes schema, rows and the reported version one consistent snapshot.
        df = self.spark.read.format("delta").option("versionAsOf", version).load(path)
        schema = df.schema.jsonValue()
        rows = [encode_row(schema, r) for r in df.toArrow().to_pylist()]
        return {
            "engine": "spark",
            "version": version,
            "schema": schema,
            "partitionColumns": list(table.detail().first()["partitionColumns"]),
            "numRows": len(rows),
            "rows": sort_rows(rows),
        }

    def sql(self, query: str) -> dict:
        try:
            return self._sql(query)
        finally:
            self.forget()

    def _sql(self, query: str) -> dict:
        df = self.spark.sql(query)
        schema = df.schema.jsonValue()
        rows = [encode_row(schema, r) for r in df.toArrow().to_pylist()]
        return {"engine": "spark", "schema": schema, "numRows": len(rows), "rows": rows}

    def write(self, uri: str, spec: Spec) -> dict:
        try:
            return self._write(uri, spec)
        finally:
            self.forget()

    def _write(self, uri: str, spec: Spec) -> dict:
        from delta.tables import DeltaTable

        path = spark_path(uri)
        done = []
        for step in spec.steps:
            created = self._run_step(path, spec, step)
            if created is not None:
                done.append({"op": "create", "version": created})
            done.append(
                {"op": step.op, "version": self._latest_version(DeltaTable.forPath(self.spark, path))}
            )
        return {"engine": "spark", "version": done[-1]["version"], "steps": done}

    def _run_step(self, path: str, spec: Spec, step: Step) -> int | None:
        """Runs one step; returns the version of a separate create commit when one was needed."""
        from delta.tables import DeltaTable
        from pyspark.sql.types import StructType

        if step.op == "write":
            schema = step.schema or spec.schema
            assert schema is not None  # parse_spec guarantees it
            struct = StructType.fromJson(schema)
            created = None
            exists = DeltaTable.isDeltaTable(self.spark, path)
            if not exists and (spec.properties or _has_required_field(schema)):
                # A DataFrame write makes every column nullable and takes no table properties; the builder
                # (CREATE TABLE) keeps NOT NULL columns and sets properties, at the price of an extra commit.
                builder = DeltaTable.create(self.spark).location(path).addColumns(struct)
                if spec.partition_by:
                    builder = builder.partitionedBy(*spec.partition_by)
                for key, value in spec.properties.items():
                    builder = builder.property(key, value)
                builder.execute()
                created, exists = self._latest_version(DeltaTable.forPath(self.spark, path)), True
            df = self.spark.createDataFrame([decode_row(schema, r) for r in step.rows], struct)
            writer = df.write.format("delta").mode("errorifexists" if step.mode == "error" else step.mode)
            if spec.partition_by and not exists:
                writer = writer.partitionBy(*spec.partition_by)
            if step.merge_schema:
                writer = writer.option("mergeSchema", "true")
            writer.save(path)
            return created
        if step.op == "checkpoint":
            jvm = self.spark.sparkContext._jvm
            jvm.org.apache.spark.sql.delta.DeltaLog.forTable(self.spark._jsparkSession, path).checkpoint()
        elif step.op == "optimize":
            DeltaTable.forPath(self.spark, path).optimize().executeCompaction()
        elif step.op == "delete":
            DeltaTable.forPath(self.spark, path).delete(step.predicate)
        else:
            raise ValueError(f"unknown step {step.op!r}")
        return None

    @staticmethod
    def _latest_version(table) -> int:
        return int(table.history(1).first()["version"])


_WARM_UP_TYPES = ("long", "string", "decimal(10,2)", "timestamp", "date")


def _has_required_field(dtype) -> bool:
    if isinstance(dtype, str):
        return False
    if dtype["type"] == "struct":
        return any(not f.get("nullable", True) or _has_required_field(f["type"]) for f in dtype["fields"])
    if dtype["type"] == "array":
        return not dtype.get("containsNull", True) or _has_required_field(dtype["elementType"])
    return not dtype.get("valueContainsNull", True) or _has_required_field(dtype["valueType"])
