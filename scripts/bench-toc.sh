#!/usr/bin/env bash
# A big zstd:chunked layer over a slow link (issue "Open a registry image before it has
# downloaded", point 3). gen_image writes a one-layer image (BYTES of content in FILES files,
# 500 MB and 20,000 by default), Debian's skopeo pushes it to docker-registry on loopback as
# zstd:chunked, and examples/throttle_proxy stands in front (RATE bytes/s for all connections,
# LATENCY ms before each request). With an empty cache each run measures, in tmux, polling
# every 20 ms:
#   - the first frame with the Layers panel;
#   - the layer's file tree on screen (listed from its table of contents by HTTP Range);
#   - one file's content in the viewer (the last row of the tree, `End` then `Enter`), from
#     the moment Enter is sent, read from its chunks by range while the layer downloads;
#   - every layer in and the image's figures on screen;
# and the link's floor, the blob's bytes at RATE. Medians of RUNS runs; writes
# bench/lazy-toc.md.
#
#   scripts/bench-toc.sh            RUNS=3 RATE=20000000 LATENCY=30 BYTES=500000000 FILES=20000
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
RATE=${RATE:-20000000}
LATENCY=${LATENCY:-30}
BYTES=${BYTES:-500000000}
FILES=${FILES:-20000}
OUT=${BENCH_TOC_OUT:-bench/lazy-toc.md}
for tool in docker-registry skopeo tmux; do
  command -v "$tool" >/dev/null || { echo "bench-toc.sh: needs $tool (apt-get install docker-registry skopeo tmux)" >&2; exit 1; }
done
cargo build --release --quiet --bin strata --example gen_image --example throttle_proxy
work=$(mktemp -d /tmp/strata-bench-toc.XXXXXX)
port=$((20000 + RANDOM % 20000))
sock="strata-bench-toc-$$"
. scripts/lib-registry.sh
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  stop_all
}
trap cleanup EXIT

./target/release/examples/gen_image custom "$work/img" oci-gzip 1 "$FILES" "$BYTES" >/dev/null
archive=$(ls "$work"/img/*.tar | head -1)
start_registry
skopeo copy --quiet --dest-tls-verify=false --dest-compress-format zstd:chunked \
  "oci-archive:$archive" "docker://127.0.0.1:$port/bench/toc:v1"
manifest=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$port/bench/toc:v1")
echo "$manifest" | grep -q "zstd-chunked.manifest-position" \
  || { echo "bench-toc.sh: skopeo wrote no zstd:chunked layer" >&2; exit 1; }
blobs=$(echo "$manifest" | python3 -c 'import json,sys; m=json.load(sys.stdin); print(sum(l["size"] for l in m["layers"]) + m["config"]["size"])')
start_throttle "$RATE" "$LATENCY"
ref="127.0.0.1:$proxy_port/bench/toc:v1"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f\n", b - a}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
screen() { tmux -L "$sock" capture-pane -p -t s; }
: > "$work/first"; : > "$work/tree"; : > "$work/file"; : > "$work/filled"
for _ in $(seq 1 "$RUNS"); do
  rm -rf "$work/cache"
  start=$(now)
  tmux -L "$sock" -f /dev/null new-session -d -s s -x 160 -y 48 \
    "env TERM=xterm-256color STRATA_CACHE_DIR=$work/cache ./target/release/strata $ref; sleep 600"
  until screen | grep -q "Layers ("; do sleep 0.02; done
  since "$start" >> "$work/first"
  # The header row of the Files panel shows only over a tree.
  until screen | grep -q "Permission"; do sleep 0.02; done
  since "$start" >> "$work/tree"
  screen | grep -q "loading:" || echo "bench-toc.sh: the layer was in before its tree showed" >&2
  tmux -L "$sock" send-keys -t s Tab End Enter
  asked=$(now)
  until screen | grep -q "(Esc closes)" && ! screen | grep -q "reading…"; do sleep 0.02; done
  since "$asked" >> "$work/file"
  screen | grep -q "loading:" || echo "bench-toc.sh: the layer was in before the file showed" >&2
  tmux -L "$sock" send-keys -t s Escape
  until screen | grep -q "Efficiency [0-9]"; do sleep 0.02; done
  since "$start" >> "$work/filled"
  tmux -L "$sock" kill-server
done
floor=$(awk -v b="$blobs" -v r="$RATE" 'BEGIN {printf "%.2f", b / r}')
{
  echo "# A big zstd:chunked layer over a slow link"
  echo
  echo "\`scripts/bench-toc.sh\`: gen_image's one-layer image ($(numfmt --to=si "$BYTES")B in $FILES files),"
  echo "pushed by skopeo $(skopeo --version | awk '{print $3}') as zstd:chunked ($(numfmt --to=si "$blobs")B of blobs) to Debian's docker-registry on"
  echo "127.0.0.1, behind \`examples/throttle_proxy\`: $(numfmt --to=si "$RATE")B/s for all connections together,"
  echo "${LATENCY} ms before each request. Empty cache, medians of $RUNS runs."
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, strata $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo
  echo "| | wall | target (issue 24) |"
  echo "| --- | ---: | ---: |"
  echo "| the link's floor: the blobs' bytes at the rate | ${floor} s | |"
  echo "| first frame with the Layers panel | $(median < "$work/first") s | under 0.5 s |"
  echo "| the layer's file tree on screen (from its table of contents) | $(median < "$work/tree") s | under 2 s |"
  echo "| one file's content in the viewer, from Enter (its chunks by range) | $(median < "$work/file") s | under 1 s |"
  echo "| every layer in, the image's figures on screen | $(median < "$work/filled") s | under $(awk -v f="$floor" 'BEGIN {printf "%.2f", f * 1.1}') s (floor + 10 %) |"
} > "$OUT"
cat "$OUT"
