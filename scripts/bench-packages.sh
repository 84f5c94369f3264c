#!/usr/bin/env bash
# What the package inventory (#21) costs: `strata report --no-cache` (text) and `report --json
# --no-cache` on the large fixtures (node-app: 113k files, ~3,900 package.json; py-app v2;
# debian), built at a commit before the inventory (BASE, default aa29488) and at HEAD; the two
# builds' runs interleaved (this machine's speed drifts by more than the effect between
# batches), medians of RUNS runs of wall time, CPU time and peak RSS, page cache warm.
# Writes bench/packages.md. Target (issue #21): at most +10% time and +10% peak RSS on
# node-app.
#
# Env: BASE (aa29488), RUNS (11), FIXTURES_DIR (/tmp/fixtures-out), BENCH_OUT (bench/packages.md)
# Not a test: timings belong here, never in the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-aa29488}
RUNS=${RUNS:-11}
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

# Interleaved runs of both builds on one image; prints the table row and the verdict.
measure() { # label archive args...
  local label=$1 archive=$2; shift 2
  rm -f "$work/runs"
  for _ in $(seq "$RUNS"); do
    for which in before with; do
      local bin=$base_bin; [ "$which" = with ] && bin=$head_bin
      /usr/bin/time -f "$which %e %U %S %M" -a -o "$work/runs" "$bin" report "$@" --no-cache "$archive" > /dev/null
    done
  done
  python3 - "$work/runs" "$label" <<'PY'
import statistics as st, sys
runs = {"before": [], "with": []}
for line in open(sys.argv[1]):
    which, wall, user, sys_, rss = line.split()
    runs[which].append((float(wall), float(user) + float(sys_), int(rss)))
med = {k: [st.median(r[i] for r in v) for i in range(3)] for k, v in runs.items()}
(bw, bc, bm), (hw, hc, hm) = med["before"], med["with"]
ch = lambda a, b: (b / a - 1) * 100
ok = ch(bw, hw) <= 10 and ch(bm, hm) <= 10
# The target is set on node-app; the other images are shown for what they are.
verdict = ("ok" if ok else "MISS") if sys.argv[2].startswith("node-app") else "(no target)"
print(f"| {sys.argv[2]} | {bw:.3f} s | {hw:.3f} s | {ch(bw, hw):+.1f}% | {ch(bc, hc):+.1f}% "
      f"| {bm/1024:.1f} MB | {hm/1024:.1f} MB | {ch(bm, hm):+.1f}% | {verdict} |")
PY
}

{
  echo "# The package inventory's cost (scripts/bench-packages.sh)"
  echo
  echo "\`strata report --no-cache\` (text, and \`--json\`), medians of $RUNS interleaved runs, page"
  echo "cache warm, $(nproc) cores, before the inventory ($BASE) and with it"
  echo "($(git rev-parse --short HEAD)), $(date -u +%Y-%m-%d). Target (#21): node-app at most +10% wall"
  echo "time and +10% peak RSS. CPU is user+sys."
  echo
  echo "| image, form, report | wall before | wall with | wall | CPU | peak RSS before | peak RSS with | RSS | verdict |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$OUT.tmp"
status=0
for image in node-app-latest py-app-v2 debian-bookworm; do
  for form in docker-archive oci-archive; do
    archive="$FIXTURES/$form/$image.tar"
    [ -f "$archive" ] || { echo "bench-packages.sh: $archive missing (../shared/fixtures/build.sh)" >&2; exit 1; }
    cat "$archive" > /dev/null
    modes=("--json")
    [ "$image" = node-app-latest ] && modes=("" "--json")
    for mode in "${modes[@]}"; do
      row=$(measure "$image, $form, ${mode:-text}" "$archive" $mode)
      echo "$row" >> "$OUT.tmp"
      echo "$row" >&2
      if [ "$image" = node-app-latest ] && [[ "$row" == *MISS* ]]; then status=1; fi
    done
  done
done
mv "$OUT.tmp" "$OUT"
cat "$OUT"
exit $status
