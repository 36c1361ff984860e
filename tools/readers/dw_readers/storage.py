"""Where a table lives: local paths and s3://bucket/prefix, with S3 settings taken from the environment
(the names of the local stack: DW_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)."""

from __future__ import annotations

import os
from urllib.parse import urlparse


def is_s3(uri: str) -> bool:
    return urlparse(uri).scheme in ("s3", "s3a")


def local_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return parsed.path
    if parsed.scheme in ("", None):
        return os.path.abspath(uri)
    raise ValueError(f"unsupported table URI {uri!r}: use a local path or s3://bucket/prefix")


def s3_settings() -> dict[str, str]:
    missing = [
        n for n in ("DW_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if not os.environ.get(n)
    ]
    if missing:
        raise ValueError(
            f"an s3:// table needs {', '.join(missing)} in the environment (see .data/stack/env)"
        )
    return {
        "endpoint": os.environ["DW_S3_ENDPOINT"],
        "access_key": os.environ["AWS_ACCESS_KEY_ID"],
        "secret_key": os.environ["AWS_SECRET_ACCESS_KEY"],
        "region": os.environ.get("AWS_REGION") or "us-east-1",
    }


def deltars_uri_and_options(uri: str) -> tuple[str, dict[str, str] | None]:
    if not is_s3(uri):
        return local_path(uri), None
    s3 = s3_settings()
    return "s3://" + uri.split("://", 1)[1], {
        "AWS_ENDPOINT_URL": s3["endpoint"],
        "AWS_ACCESS_KEY_ID": s3["access_key"],
        "AWS_SECRET_ACCESS_KEY": s3["secret_key"],
        "AWS_REGION": s3["region"],
        "AWS_ALLOW_HTTP": "true",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
        # Tests have one writer per table; without this delta-rs refuses S3 writes that lack a lock provider.
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }


def spark_path(uri: str) -> str:
    # Spark's S3 connector is S3A; the table's own log holds relative paths, so the scheme is ours to pick.
    return "s3a://" + uri.split("://", 1)[1] if is_s3(uri) else local_path(uri)


def spark_s3_conf() -> dict[str, str]:
    """Hadoop S3A settings for the local stack (path-style, plain HTTP allowed); empty without DW_S3_ENDPOINT
    so a Spark server can start before the stack is up and still read local tables."""
    if not os.environ.get("DW_S3_ENDPOINT"):
        return {}
    s3 = s3_settings()
    prefix = "spark.hadoop.fs.s3a."
    return {
        prefix + "endpoint": s3["endpoint"],
        prefix + "endpoint.region": s3["region"],
        prefix + "access.key": s3["access_key"],
        prefix + "secret.key": s3["secret_key"],
        prefix + "path.style.access": "true",
        prefix + "connection.ssl.enabled": str(s3["endpoint"].startswith("https")).lower(),
        prefix + "aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        prefix + "impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        # S3A retries for minutes by default; keep it short so a stack that is down fails a test quickly.
        prefix + "attempts.maximum": "3",
        prefix + "retry.limit": "3",
    }
