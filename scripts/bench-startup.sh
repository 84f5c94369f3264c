#!/usr/bin/env bash
# Time from starting `strata IMAGE` in a real terminal (tmux) to its first full explorer
# frame on screen, median of RUNS runs. Writes bench/startup.md. Target: < 300 ms on the demo.
#
#   scripts/bench-startup.sh [IMAGE...]      (default: assets/demo.tar)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
OUT=${BENCH_STARTUP_OUT:-bench/startup.md}
command -v tmux >/dev/null || { echo "bench-startup.sh: needs tmux" >&2; exit 1; }
cargo build --release --quiet
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(assets/demo.tar)
sock="strata-bench-$$"
cfg=$(mktemp -d)
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$cfg"' EXIT
now_ms() { date +%s%3N; }

{
  echo "# Time to first frame"
  echo
  echo "From launch to the first full explorer frame on a 120x35 tmux terminal (the screen is"
  echo "polled every ~5 ms, so figures include up to that much polling delay). Median of $RUNS runs."
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, strata $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo
  echo "| image | first frame (median) | min | max |"
  echo "| --- | ---: | ---: | ---: |"
} > "$OUT.tmp"

for img in "${images[@]}"; do
  times=()
  for ((i = 0; i < RUNS; i++)); do
    tmux -L "$sock" kill-server 2>/dev/null || true
    start=$(now_ms)
    tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 35 "env STRATA_CONFIG=$cfg/none.toml target/release/strata $img; sleep 30"
    until tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -q "Layers ("; do
      sleep 0.005
      [ $(( $(now_ms) - start )) -lt 30000 ] || { echo "bench-startup.sh: no frame after 30 s for $img" >&2; exit 1; }
    done
    times+=($(( $(now_ms) - start )))
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  median=${sorted[$(( RUNS / 2 ))]}
  printf '| %s | %s ms | %s ms | %s ms |\n' "$(basename "$img")" "$median" "${sorted[0]}" "${sorted[$((RUNS - 1))]}" >> "$OUT.tmp"
  echo "bench-startup.sh: $(basename "$img"): median ${median} ms (${times[*]})" >&2
done
mv "$OUT.tmp" "$OUT"
cat "$OUT"
