#!/usr/bin/env bash
# Everything CI checks, in order: build, lint, typecheck, local stack, all test suites.
# The stack is left as found: if this run started it, this run stops it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
t0=$(date +%s)
step() { printf '\n== %s (t+%ss)\n' "$*" "$(( $(date +%s) - t0 ))" >&2; }

step build
pnpm turbo run build --output-logs=errors-only
step lint
pnpm biome check .
bash scripts/check-no-outside-data.sh
node --import tsx scripts/check-import-cycles.ts
step typecheck
pnpm turbo run typecheck --output-logs=errors-only

step "deploy (offline: chart, compose, images, docs)"
bash deploy/check.sh

step "local stack"
started_stack=0
if ! bash deploy/local/stack status --quiet; then
  started_stack=1
  # set before `up`, so a half-started stack is stopped too
  if [ -z "${DW_KEEP_STACK:-}" ]; then trap 'bash deploy/local/stack down || true' EXIT; fi
fi
bash deploy/local/stack up
# Endpoints of the running stack, for every test process. deploy/local/stack writes .data/stack/env with:
#   KAFKA_BOOTSTRAP_SERVERS, DW_S3_ENDPOINT, DW_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
#   REDIS_URL, PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, DW_CONNECT_URL
set -a
# shellcheck disable=SC1091
. "$ROOT/.data/stack/env"
set +a

step "independent Delta readers (delta-rs, Spark)"
bash tools/readers/setup.sh
set -a
# shellcheck disable=SC1091
. "$ROOT/.data/readers.env"
set +a

step tests
pnpm turbo run test --concurrency=1 --continue --output-logs=new-only
step "done"
