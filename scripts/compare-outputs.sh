#!/usr/bin/env bash
# Byte-for-byte comparison of two strata binaries' outputs, for refactors that must change
# nothing a user sees: `report --json`, the text report and a cached reopen on the demo and
# every ../shared/oracle image, `diff` (JSON and text), and the exact error line and exit code
# of every hostile input (tests/hostile/inputs, written by tests/hostile/make.py).
#
#   scripts/compare-outputs.sh OLD_BINARY NEW_BINARY     # prints the differences; exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
  local bin=$1 out=$2
  mkdir -p "$out"
  for img in assets/demo.tar ../shared/oracle/*/*.tar; do
    local n=${img//\//_}
    STRATA_CACHE_DIR=$out/cache "$bin" report --no-cache --json "$img" >"$out/$n.json" 2>"$out/$n.err" || echo "rc=$?" >>"$out/$n.err"
    STRATA_CACHE_DIR=$out/cache "$bin" report --no-cache "$img" >"$out/$n.txt" 2>>"$out/$n.err" || true
    STRATA_CACHE_DIR=$out/cache2 "$bin" report --json "$img" >"$out/$n.cached1.json" 2>/dev/null || true
    STRATA_CACHE_DIR=$out/cache2 "$bin" report --json "$img" >"$out/$n.cached2.json" 2>/dev/null || true
  done
  local a=assets/demo.tar b=../shared/oracle/dive-synthetic/triple.tar
  STRATA_CACHE_DIR=$out/cache "$bin" diff --no-cache --json "$a" "$b" >"$out/diff.json" 2>&1 || true
  STRATA_CACHE_DIR=$out/cache "$bin" diff --no-cache "$a" "$b" >"$out/diff.txt" 2>&1 || true
  for f in tests/hostile/inputs/*; do
    "$bin" report --no-cache "$f" >/dev/null 2>"$out/hostile_$(basename "$f").err" || echo "rc=$?" >>"$out/hostile_$(basename "$f").err"
  done
  rm -rf "$out/cache" "$out/cache2"
}

[ -d tests/hostile/inputs ] || python3 tests/hostile/make.py >/dev/null
run "$1" "$work/old"
run "$2" "$work/new"
if diff -r "$work/old" "$work/new"; then
  echo "compare-outputs: identical ($(ls -A "$work/new" | wc -l) outputs)"
else
  exit 1
fi
