#!/usr/bin/env bash
# The main job (`./dw demo`). Until the pipeline exists end to end (committer + ingestors reading Debezium
# events into Delta tables), it brings up the local stack and shows where each service listens.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash deploy/local/stack up
echo
bash deploy/local/stack status
echo
echo "Endpoints (.data/stack/env; load with: set -a; . .data/stack/env; set +a):"
grep -v '^#' .data/stack/env
echo
echo "Stop the stack with: ./dw stack down"
