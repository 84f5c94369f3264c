#!/usr/bin/env bash
# A registry image over a slow link: the baseline for issue "Open a registry image before it
# has downloaded". The generated image (`medium` by default: 12 layers, 60,000 files) is
# pushed to Debian's docker-registry on loopback, behind examples/throttle_proxy.rs
# (RATE bytes/s for all connections together, LATENCY ms before each request). With an
# empty cache each run measures:
#   - the explorer's first frame with the Layers panel (`strata REF` in tmux, polled every
#     20 ms), which the manifest and config are enough for;
#   - the explorer with every layer in and the image's figures on screen (the same run);
#   - `strata report --json REF`: the whole download and analysis;
# and the link's floor, the blobs' bytes at RATE. Medians of RUNS runs; writes
# bench/lazy.md (bench/lazy-NAME.md for another image).
#
#   scripts/bench-lazy.sh                 RUNS=3 RATE=20000000 LATENCY=30 by default
#   scripts/bench-lazy.sh big             gen_image's `big` (2 GB; one run takes minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
RATE=${RATE:-20000000}
LATENCY=${LATENCY:-30}
SIZE=${1:-medium}
OUT=${BENCH_LAZY_OUT:-bench/lazy.md}
[ "$SIZE" = medium ] || OUT=${BENCH_LAZY_OUT:-bench/lazy-$SIZE.md}
for tool in docker-registry skopeo tmux; do
  command -v "$tool" >/dev/null || { echo "bench-lazy.sh: needs $tool (apt-get install docker-registry skopeo tmux)" >&2; exit 1; }
done
cargo build --release --quiet --bin strata --example gen_image --example throttle_proxy
work=$(mktemp -d /tmp/strata-bench-lazy.XXXXXX)
port=$((20000 + RANDOM % 20000))
sock="strata-bench-lazy-$$"
. scripts/lib-registry.sh
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  stop_all
}
trap cleanup EXIT

./target/release/examples/gen_image "$SIZE" "$work/img" oci-gzip >/dev/null
archive=$(ls "$work"/img/*.tar | head -1)
start_registry
skopeo copy --quiet --dest-tls-verify=false "oci-archive:$archive" "docker://127.0.0.1:$port/bench/$SIZE:v1"
start_throttle "$RATE" "$LATENCY"
ref="127.0.0.1:$proxy_port/bench/$SIZE:v1"
blobs=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$port/bench/$SIZE:v1" \
  | python3 -c 'import json,sys; m=json.load(sys.stdin); print(sum(l["size"] for l in m["layers"]) + m["config"]["size"])')
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$work/first"; : > "$work/full"; : > "$work/filled"
for _ in $(seq 1 "$RUNS"); do
  rm -rf "$work/cache"
  start=$(now)
  tmux -L "$sock" -f /dev/null new-session -d -s s -x 160 -y 48 \
    "env TERM=xterm-256color STRATA_CACHE_DIR=$work/cache ./target/release/strata $ref; sleep 600"
  until tmux -L "$sock" capture-pane -p -t s | grep -q "Layers ("; do sleep 0.02; done
  awk -v a="$start" -v b="$(now)" 'BEGIN {printf "%.2f\n", b - a}' >> "$work/first"
  until tmux -L "$sock" capture-pane -p -t s | grep -q "Efficiency [0-9]"; do sleep 0.02; done
  awk -v a="$start" -v b="$(now)" 'BEGIN {printf "%.2f\n", b - a}' >> "$work/filled"
  tmux -L "$sock" kill-server
  rm -rf "$work/cache"
  start=$(now)
  STRATA_CACHE_DIR="$work/cache" ./target/release/strata report --json --quiet "$ref" > /dev/null
  awk -v a="$start" -v b="$(now)" 'BEGIN {printf "%.2f\n", b - a}' >> "$work/full"
done
first=$(median < "$work/first"); full=$(median < "$work/full"); filled=$(median < "$work/filled")
floor=$(awk -v b="$blobs" -v r="$RATE" 'BEGIN {printf "%.2f", b / r}')
{
  echo "# A registry image over a slow link"
  echo
  echo "\`scripts/bench-lazy.sh $SIZE\`: gen_image's \`$SIZE\` image ($(numfmt --to=si "$blobs")B of blobs) in Debian's"
  echo "docker-registry on 127.0.0.1, behind \`examples/throttle_proxy\`: $(numfmt --to=si "$RATE")B/s for all connections"
  echo "together, ${LATENCY} ms before each request. Empty cache, medians of $RUNS runs."
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, strata $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo
  echo "| | wall | target (issue 24) |"
  echo "| --- | ---: | ---: |"
  echo "| the link's floor: every blob's bytes at the rate | ${floor} s | |"
  echo "| explorer: first frame with the Layers panel | ${first} s | under 0.5 s |"
  echo "| explorer: every layer in, the image's figures on screen | ${filled} s | under $(awk -v f="$floor" 'BEGIN {printf "%.2f", f * 1.1}') s (floor + 10 %) |"
  echo "| \`report --json\`: download and whole analysis | ${full} s | under $(awk -v f="$floor" 'BEGIN {printf "%.2f", f * 1.1}') s (floor + 10 %) |"
} > "$OUT"
cat "$OUT"
