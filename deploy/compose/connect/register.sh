#!/usr/bin/env bash
# Registers (or updates) the Debezium MongoDB source connector: PUT /connectors/<name>/config is idempotent.
#   register.sh <connect url> <config json>
set -euo pipefail
url=$1
config=$2
name=mongodb-source
for _ in $(seq 1 60); do
  curl -fsS "$url/connector-plugins" >/dev/null 2>&1 && break
  sleep 2
done
curl -fsS -X PUT -H 'Content-Type: application/json' --data @"$config" "$url/connectors/$name/config"
echo
for _ in $(seq 1 60); do
  state=$(curl -fsS "$url/connectors/$name/status" | grep -o '"state":"[A-Z]*"' | head -2 | tr '\n' ' ')
  case "$state" in
    *FAILED*) echo "connector $name failed: $(curl -fsS "$url/connectors/$name/status")" >&2; exit 1 ;;
    '"state":"RUNNING" "state":"RUNNING" ') echo "connector $name is running"; exit 0 ;;
  esac
  sleep 2
done
echo "connector $name did not reach RUNNING: $(curl -fsS "$url/connectors/$name/status")" >&2
exit 1
