#!/usr/bin/env bash
# The package as users get it: build, `npm pack`, install the tarball into two fresh apps in
# temporary directories (scripts/package-apps/*), and in each compile with the app's own `tsc`,
# start it, and send one delivery signed by the package's own WebhookSigner (200 and the handler's
# output expected):
#   nest12-esm  NestJS 12 (ESM only), "type": "module", module/moduleResolution NodeNext
#   nest11-cjs  NestJS 11, CommonJS, module commonjs + moduleResolution node (top-level main/types)
# Both also mount the ./dashboard entry's module, serve GET /health with the ./terminus entry's indicator (terminus
# 12.1.0 and 11.0.0) and verify through the ./core entry. A third, core-only,
# installs the tarball alone with --omit=peer and checks that ./core loads and verifies without any peer.
# Catches what only the packed package shows: files left out of `files`, missing .d.ts or public
# exports, a package.json that `moduleResolution: node` cannot resolve (no `types`/`main`), peer
# ranges that refuse NestJS 11 or 12 (ERESOLVE), a package CommonJS cannot require(). Not caught: a
# dependency an Express app already has hoisted (busboy comes with multer). Needs the npm registry.
# KEEP_PACKAGE_TEST_DIRS=1 keeps the temporary directories for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
APPS_DIR="$REPO/scripts/package-apps"
APPS=(nest12-esm nest11-cjs)
EXPECTED_LINE='HANDLED guuru from the packed tarball GuuruChatDto'

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestjs-signed-webhooks-package.XXXXXX")
cleanup() {
  if [ "${KEEP_PACKAGE_TEST_DIRS:-}" = 1 ]; then
    echo "kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

started=$SECONDS
elapsed() { echo "$((SECONDS - started))s"; }

echo "==> node $(node --version), npm $(npm --version)"
echo "==> npm run build"
npm run build

echo "==> npm pack"
npm pack --pack-destination "$WORK" --silent >/dev/null
tarballs=("$WORK"/*.tgz)
if [ "${#tarballs[@]}" -ne 1 ] || [ ! -f "${tarballs[0]}" ]; then
  echo "FAIL: npm pack did not produce exactly one tarball in $WORK" >&2
  exit 1
fi
TARBALL=${tarballs[0]}
echo "    $(basename "$TARBALL"): $(tar -tzf "$TARBALL" | wc -l) files, $(du -k "$TARBALL" | cut -f1) kB"

# step <label> <log file> <command...>: runs the command with its output in the log file; on failure
# prints the label and the log, and returns 1. (Explicit, because `set -e` does not apply inside a
# function called as `test_app ... || ...`.)
step() {
  local label=$1 log=$2
  shift 2
  echo "    $label"
  local status=0
  "$@" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "    $label failed (exit $status):"
    sed 's/^/      | /' "$log"
    return 1
  fi
}

# test_app <name>: copies the template to a fresh temporary directory, installs its dependencies and
# then the tarball, compiles with its tsc, runs it, and checks what it printed.
test_app() {
  local name=$1 dir
  dir=$(mktemp -d "$WORK/$name.XXXXXX")
  cp -R "$APPS_DIR/$name/." "$dir/"
  mkdir -p "$dir/src" && cp "$APPS_DIR/main.ts" "$dir/src/main.ts"
  echo "==> $name in $dir"
  cd "$dir" || return 1
  step "npm install (the app's dependencies)" "$dir/install-deps.log" npm install --no-audit --no-fund || return 1
  step "npm install $(basename "$TARBALL")" "$dir/install-tarball.log" npm install --no-audit --no-fund "$TARBALL" ||
    return 1
  # The app's own typescript, never a package called "tsc" fetched by npx.
  if [ ! -x node_modules/.bin/tsc ]; then
    echo "    node_modules/.bin/tsc is missing: the app's typescript was not installed"
    return 1
  fi
  step "npx tsc -p . ($(npx tsc --version))" "$dir/tsc.log" npx tsc -p . || return 1
  echo "    node dist/main.js"
  local status=0
  timeout 60 node dist/main.js >"$dir/run.log" 2>&1 || status=$?
  sed 's/^/      | /' "$dir/run.log"
  if [ "$status" -ne 0 ]; then
    echo "    node dist/main.js exited with $status$([ "$status" -eq 124 ] && echo ' (timed out after 60 s)')"
    return 1
  fi
  if ! grep -qx "status 200 .*" "$dir/run.log"; then
    echo "    the app did not print 'status 200 ...'"
    return 1
  fi
  if ! grep -qxF "$EXPECTED_LINE" "$dir/run.log"; then
    echo "    the handler did not print '$EXPECTED_LINE'"
    return 1
  fi
}

# test_core_only: the tarball alone in an empty project, peers omitted; ./core must work without them.
test_core_only() {
  local dir
  dir=$(mktemp -d "$WORK/core-only.XXXXXX")
  cp -R "$APPS_DIR/core-only/." "$dir/"
  echo "==> core-only in $dir"
  cd "$dir" || return 1
  step "npm install --omit=peer $(basename "$TARBALL")" "$dir/install.log" \
    npm install --omit=peer --no-audit --no-fund "$TARBALL" || return 1
  step "node check.mjs" "$dir/run.log" node check.mjs || return 1
  sed 's/^/      | /' "$dir/run.log"
  grep -qx 'CORE OK' "$dir/run.log"
}

declare -A results
failed=0
APPS+=(core-only)
for app in "${APPS[@]}"; do
  app_started=$SECONDS
  runner=test_app
  [ "$app" = core-only ] && runner=test_core_only
  if "$runner" "$app"; then
    results[$app]="PASS $app ($((SECONDS - app_started))s)"
  else
    results[$app]="FAIL $app ($((SECONDS - app_started))s)"
    failed=1
  fi
  cd "$REPO"
  echo "${results[$app]}"
done

echo "==> package test summary ($(elapsed))"
for app in "${APPS[@]}"; do echo "${results[$app]}"; done
exit "$failed"
