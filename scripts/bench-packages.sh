#!/usr/bin/env bash
# What the package inventory (#21) costs: `strata report --json --no-cache` on the large
# fixtures (node-app: 113k files, ~3,900 package.json; py-app v2; debian), built at a commit
# before the inventory (BASE, default aa29488) and at HEAD, side by side in one run; medians
# of RUNS runs of wall time and peak RSS, page cache warm. Writes bench/packages.md.
# Target (issue #21): at most +10% time and +10% peak RSS on node-app.
#
# Env: BASE (aa29488), RUNS (5), FIXTURES_DIR (/tmp/fixtures-out), BENCH_OUT (bench/packages.md)
# Not a test: timings belong here, never in the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-aa29488}
RUNS=${RUNS:-5}
FIXTURES=${FIXTURES_DIR:-/tmp/fixtures-out}
OUT=${BENCH_OUT:-bench/packages.md}
command -v /usr/bin/time >/dev/null || { echo "bench-packages.sh: needs /usr/bin/time" >&2; exit 1; }

work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" 2>/dev/null || true; rm -rf "$work"' EXIT
git worktree add --quiet --detach "$work/base" "$BASE"
# Separate target dirs: the two builds must not share artefacts.
CARGO_TARGET_DIR="${BASE_TARGET:-target/bench-base}" cargo build --release --quiet \
  --manifest-path "$work/base/Cargo.toml"
cargo build --release --quiet
base_bin="${BASE_TARGET:-target/bench-base}/release/strata"
head_bin=target/release/strata

# Median of wall seconds and of peak RSS (KB) over RUNS runs of one binary on one image.
measure() { # bin archive
  local bin=$1 archive=$2 t=() m=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" report --json --no-cache "$archive" > /dev/null
    read -r secs kb < "$work/time"
    t+=("$secs"); m+=("$kb")
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
  printf '%s\n' "${m[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

{
  echo "# The package inventory's cost (scripts/bench-packages.sh)"
  echo
  echo "\`strata report --json --no-cache\`, median of $RUNS runs, page cache warm, $(nproc) cores,"
  echo "before the inventory ($BASE) and with it ($(git rev-parse --short HEAD)), $(date -u +%Y-%m-%d)."
  echo "Target (#21): node-app at most +10% wall time and +10% peak RSS."
  echo
  echo "| image, form | wall before | wall with | change | peak RSS before | peak RSS with | change | packages |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$OUT.tmp"
status=0
for image in node-app-latest py-app-v2 debian-bookworm; do
  for form in docker-archive oci-archive; do
    archive="$FIXTURES/$form/$image.tar"
    [ -f "$archive" ] || { echo "bench-packages.sh: $archive missing (../shared/fixtures/build.sh)" >&2; exit 1; }
    cat "$archive" > /dev/null
    mapfile -t b < <(measure "$base_bin" "$archive")
    mapfile -t h < <(measure "$head_bin" "$archive")
    packages=$("$head_bin" report --json "$archive" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))')
    row=$(python3 - "${b[0]}" "${h[0]}" "${b[1]}" "${h[1]}" <<'PY'
import sys
bt, ht, bm, hm = map(float, sys.argv[1:])
dt, dm = (ht / bt - 1) * 100, (hm / bm - 1) * 100
ok = dt <= 10 and dm <= 10
print(f"{bt:.2f} s|{ht:.2f} s|{dt:+.1f}%|{bm/1024:.0f} MB|{hm/1024:.0f} MB|{dm:+.1f}%|{'ok' if ok else 'MISS'}")
PY
)
    IFS='|' read -r bt ht dt bm hm dm verdict <<<"$row"
    echo "| $image, $form | $bt | $ht | $dt | $bm | $hm | $dm | $packages |" >> "$OUT.tmp"
    echo "$image $form: $row" >&2
    if [ "$image" = node-app-latest ] && [ "$verdict" = MISS ]; then status=1; fi
  done
done
mv "$OUT.tmp" "$OUT"
cat "$OUT"
exit $status
