#!/usr/bin/env bash
# The main job (`./dw demo`): start the local stack, build, and run the demo pipeline — a committer leader and its
# standby, two ingestors, MongoDB-shaped Debezium events for three collections with a progress display — then print
# the Delta tables read back (versions, schema, row counts, a few rows). The program is e2e/demo/run.ts; it uses the
# e2e harness, so what the demo shows is what the end-to-end tests check.
#   DEMO_EVENTS=20000 ./dw demo    more events (default 6000)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
step() { printf '\n== %s\n' "$*" >&2; }

step "local stack (Kafka, Kafka Connect, S3 server, Redis, PostgreSQL)"
bash deploy/local/stack up
set -a
# shellcheck disable=SC1091
. "$ROOT/.data/stack/env"
# delta-rs row counts when the independent readers are set up (bash tools/readers/setup.sh); optional
# shellcheck disable=SC1091
[ -f "$ROOT/.data/readers.env" ] && . "$ROOT/.data/readers.env"
set +a

step "build"
pnpm turbo run build --output-logs=errors-only

step "demo pipeline"
# the AWS SDK's notice about Node 22 is not for demo viewers
export NODE_NO_WARNINGS=1
exec node --conditions=source --import tsx e2e/demo/run.ts
