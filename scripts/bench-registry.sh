#!/usr/bin/env bash
# Pull from a registry on loopback, then reopen from the cache: the generated `medium` image
# (12 layers, 60,000 files, ~400 MB unpacked, gzip layers) is pushed to Debian's
# docker-registry; each run opens it with an empty cache (`strata report --json`), then again
# with the registry stopped (everything from the cache), then again with it running (the tag
# is re-checked, nothing else fetched). Medians of RUNS runs; writes bench/registry.md.
# Target (#4): the reopen with the registry stopped under 10% of the first open.
#
#   scripts/bench-registry.sh                      RUNS=3 by default
#   scripts/bench-registry.sh oci-archive:PATH     another image (e.g. a fixture of
#                                                  ../shared/fixtures/build.sh); the table
#                                                  goes to bench/registry-NAME.md
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
OUT=${BENCH_REGISTRY_OUT:-bench/registry.md}
for tool in docker-registry skopeo /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-registry.sh: needs $tool (apt-get install docker-registry skopeo time)" >&2; exit 1; }
done
cargo build --release --quiet --bin strata --example gen_image
work=$(mktemp -d /tmp/strata-bench-registry.XXXXXX)
port=$((20000 + RANDOM % 20000))
. scripts/lib-registry.sh
cleanup() { stop_all; }
trap cleanup EXIT

if [ $# -gt 0 ]; then
  source_ref=$1
  archive=${source_ref#*:}
  label="\`$(basename "$archive")\`"
  OUT=${BENCH_REGISTRY_OUT:-bench/registry-$(basename "$archive" .tar).md}
else
  ./target/release/examples/gen_image medium "$work/img" oci-gzip >/dev/null
  archive=$(ls "$work"/img/*.tar | head -1)
  source_ref="oci-archive:$archive"
  label="the generated \`medium\` image (12 layers, 60,000 files)"
fi
start_registry
skopeo copy --quiet --dest-tls-verify=false "$source_ref" "docker://127.0.0.1:$port/bench/medium:v1"
ref="127.0.0.1:$port/bench/medium:v1"
compressed=$(du -b "$archive" | cut -f1)

# One timed run: prints "seconds peak_kb".
timed() {
  /usr/bin/time -f "%e %M" -o "$work/t" env STRATA_CACHE_DIR="$work/cache" ./target/release/strata report --json --quiet "$ref" > "$work/out.json"
  cat "$work/t"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$work/first"; : > "$work/offline"; : > "$work/online"
for _ in $(seq 1 "$RUNS"); do
  rm -rf "$work/cache"
  timed >> "$work/first"
  cp "$work/out.json" "$work/first.json"
  stop_registry
  timed >> "$work/offline"
  cmp -s "$work/out.json" "$work/first.json" || { echo "reopen from the cache gave a different report" >&2; exit 1; }
  start_registry
  timed >> "$work/online"
done
first=$(cut -d' ' -f1 "$work/first" | median); first_kb=$(cut -d' ' -f2 "$work/first" | median)
off=$(cut -d' ' -f1 "$work/offline" | median); off_kb=$(cut -d' ' -f2 "$work/offline" | median)
on=$(cut -d' ' -f1 "$work/online" | median); on_kb=$(cut -d' ' -f2 "$work/online" | median)
ratio=$(awk -v a="$off" -v b="$first" 'BEGIN {printf "%.1f", 100 * a / b}')
{
  echo "# Registry pull and reopen from the cache"
  echo
  echo "\`scripts/bench-registry.sh\`: $label ($(numfmt --to=si "$compressed")B archive)"
  echo "in Debian's docker-registry on 127.0.0.1, \`strata report --json\`, medians of $RUNS runs."
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, strata $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo
  echo "| open | wall | peak RSS |"
  echo "| --- | ---: | ---: |"
  echo "| first (empty cache: download + decompress + index) | ${first} s | $((first_kb / 1024)) MB |"
  echo "| again, registry stopped (all from the cache) | ${off} s | $((off_kb / 1024)) MB |"
  echo "| again, registry running (tag re-checked) | ${on} s | $((on_kb / 1024)) MB |"
  echo
  echo "Reopen with the registry stopped: ${ratio} % of the first open (target: under 10 %)."
} > "$OUT"
cat "$OUT"
