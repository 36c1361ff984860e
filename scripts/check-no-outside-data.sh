#!/usr/bin/env bash
# Fails when a tracked file reads data from outside the repository: the team's `shared/` folder beside the clone
# (which a clone alone does not have) by a relative or an absolute path. Test data lives in testdata/ (see its README).
#   bash scripts/check-no-outside-data.sh [root]    (default: the repository this script is in)
set -euo pipefail
ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$ROOT"
# ../shared, ../../shared, …; path.join('..', 'shared'); resolve(x, '..', '..', 'shared'); /work/shared
pattern="(\.\./)+shared\b|['\"]\.\.['\"][[:space:]]*,[[:space:]]*(['\"]\.\.['\"][[:space:]]*,[[:space:]]*)*['\"]shared['\"]|/work/shared\b"
self=scripts/check-no-outside-data.sh
hits=$(git ls-files -z --cached --others --exclude-standard | grep -zv "^$self\$" |
  xargs -0 grep -nIE "$pattern" -- 2>/dev/null || true)
if [ -n "$hits" ]; then
  printf 'check-no-outside-data: these lines refer to a folder outside the repository; copy the data into testdata/ (with its provenance) and read it from there:\n%s\n' "$hits" >&2
  exit 1
fi
echo "check-no-outside-data: no reads from outside the repository"
