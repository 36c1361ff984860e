#!/usr/bin/env bash
# Provisions the independent Delta readers (delta-rs and Spark + Delta) for tests. Idempotent and cached:
#   <repo>/.cache/py           venv with the pinned packages of requirements.txt
#   <repo>/.cache/spark-jars   Delta + S3A jars for Spark, resolved by Maven from pom.xml
#   <repo>/.data/readers.env   the env lines below, for `set -a; . .data/readers.env; set +a`
# Prints the env lines (DW_PYTHON=..., DW_SPARK_JARS=..., DW_JAVA_HOME=...) on stdout; progress on stderr.
# A second run only compares stamps and takes about a second.
#
# Overrides: DW_READERS_BASE_PYTHON (a Python 3.11 interpreter), JAVA_HOME (a JDK 17+),
# DW_READERS_FORCE=1 (rebuild both caches).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV="$ROOT/.cache/py"
JARS="$ROOT/.cache/spark-jars"
ENV_FILE="$ROOT/.data/readers.env"
t0=$(date +%s)

say() { printf 'readers-setup: %s\n' "$*" >&2; }
die() { printf 'readers-setup: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }

# sha256 of the given files plus extra words: a cache is reused only when its stamp matches this.
fingerprint() {
  local extra=$1; shift
  { cat "$@"; printf '%s' "$extra"; } | sha256sum | cut -c1-16
}

# --- toolchain ------------------------------------------------------------------------------------

find_python() {
  local cand candidates=(python3.11 "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.11*/bin/python3.11)
  [ -z "${DW_READERS_BASE_PYTHON:-}" ] || candidates=("$DW_READERS_BASE_PYTHON")
  for cand in "${candidates[@]}"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys, venv; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
      command -v "$cand"; return
    fi
  done
  return 1
}

java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

# Spark 4.2 runs on Java 17, 21 and 25; the machine's default JDK 17 is what we test with.
find_java_home() {
  local cand
  for cand in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 \
    "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    if [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ "$(java_major "$cand")" -ge 17 ] 2>/dev/null; then
      echo "$cand"; return
    fi
  done
  return 1
}

BASE_PY=$(find_python) || die "no Python 3.11 found: install it (pyenv install 3.11) or set DW_READERS_BASE_PYTHON to a python3.11"
JAVA_HOME_FOUND=$(find_java_home) || die "no JDK 17+ found: install openjdk-17-jdk-headless (apt-get install) or set JAVA_HOME"
command -v mvn >/dev/null 2>&1 || die "Maven (mvn) not found: install it with 'apt-get install maven'"

# --- Python venv ----------------------------------------------------------------------------------

py_stamp=$(fingerprint "$("$BASE_PY" -VV)" "$HERE/requirements.txt")
if [ "${DW_READERS_FORCE:-}" = 1 ] || [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.dw-stamp" 2>/dev/null)" != "$py_stamp" ]; then
  say "creating the Python venv at .cache/py (pyspark is a ~450 MB download: the first run takes a few minutes)"
  rm -rf "$VENV"
  "$BASE_PY" -m venv "$VENV"
  # pyspark is published as an sdist only; everything else must come as a wheel.
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off --prefer-binary \
    --only-binary deltalake,pyarrow,arro3-core -r "$HERE/requirements.txt" >&2
  "$VENV/bin/python" -c 'import deltalake, pyarrow, pyspark, delta' ||
    die "the venv at .cache/py was installed but its packages do not import (see above)"
  echo "$py_stamp" >"$VENV/.dw-stamp"
  say "venv ready ($(elapsed))"
fi

# --- Spark jars -----------------------------------------------------------------------------------

SPARK_JARS_DIR=$(echo "$VENV"/lib/python3*/site-packages/pyspark/jars)
hadoop_jar=$(cd "$SPARK_JARS_DIR" && ls hadoop-client-api-*.jar 2>/dev/null | head -1)
[ -n "$hadoop_jar" ] || die "pyspark ships no hadoop-client-api jar in $SPARK_JARS_DIR: cannot pick hadoop-aws"
HADOOP_VERSION=${hadoop_jar#hadoop-client-api-}
HADOOP_VERSION=${HADOOP_VERSION%.jar}
jackson_jar=$(cd "$SPARK_JARS_DIR" && ls jackson-databind-*.jar 2>/dev/null | head -1)
JACKSON_VERSION=${jackson_jar#jackson-databind-}
JACKSON_VERSION=${JACKSON_VERSION%.jar}

jar_stamp=$(fingerprint "hadoop=$HADOOP_VERSION jackson=$JACKSON_VERSION" "$HERE/pom.xml" "$HERE/requirements.txt")
if [ "${DW_READERS_FORCE:-}" = 1 ] || [ ! -d "$JARS" ] || [ "$(cat "$JARS/.dw-stamp" 2>/dev/null)" != "$jar_stamp" ]; then
  say "resolving Delta and hadoop-aws $HADOOP_VERSION jars with Maven (the AWS SDK bundle is ~600 MB on a first run)"
  staging="$JARS.tmp.$$"
  rm -rf "$staging"
  trap 'rm -rf "$staging"' EXIT
  # Maven 3.8 prints colour resets even in batch mode: strip them so logs stay plain text.
  mvn -B -q --no-transfer-progress -f "$HERE/pom.xml" \
    -Dhadoop.version="$HADOOP_VERSION" -Djackson.version="$JACKSON_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$staging" 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g' >&2 ||
    die "Maven could not resolve tools/readers/pom.xml (see above)"
  # Spark's own copy of a library wins: a second, older jackson or scala-library on the driver classpath
  # breaks Spark, so drop every resolved jar whose artifact pyspark already ships.
  "$VENV/bin/python" - "$staging" "$SPARK_JARS_DIR" <<'PY'
import os, re, sys
staging, spark_jars = sys.argv[1], sys.argv[2]
artifact = lambda name: re.sub(r"-\d[^-]*(-.*)?\.jar$", "", name)
bundled = {artifact(n) for n in os.listdir(spark_jars) if n.endswith(".jar")}
for name in sorted(os.listdir(staging)):
    if artifact(name) in bundled:
        os.remove(os.path.join(staging, name))
PY
  for must in "delta-spark_" "delta-storage-" "hadoop-aws-$HADOOP_VERSION" "bundle-"; do
    ls "$staging" | grep -q "^$must" || die "Maven did not bring a $must* jar into the Spark classpath"
  done
  echo "$jar_stamp" >"$staging/.dw-stamp"
  rm -rf "$JARS"
  mv "$staging" "$JARS"
  trap - EXIT
  say "$(ls "$JARS" | wc -l) jars in .cache/spark-jars ($(elapsed))"
fi

# --- env ------------------------------------------------------------------------------------------

mkdir -p "$(dirname "$ENV_FILE")"
env_lines="DW_PYTHON=$VENV/bin/python
DW_SPARK_JARS=$JARS
DW_JAVA_HOME=$JAVA_HOME_FOUND"
printf '# written by tools/readers/setup.sh\n%s\n' "$env_lines" >"$ENV_FILE.tmp"
mv "$ENV_FILE.tmp" "$ENV_FILE"
say "ready in $(elapsed); env written to .data/readers.env"
echo "$env_lines"
