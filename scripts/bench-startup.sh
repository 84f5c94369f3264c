#!/usr/bin/env bash
# Time from starting `strata IMAGE` in a real terminal (tmux) to its first explorer frame on
# screen (the explorer opens on the image's metadata), and to the explorer with every layer in
# and the image's figures shown; medians of RUNS runs. Writes bench/startup.md. Target: first
# frame < 300 ms on the demo. STRATA_BIN picks another binary (an A/B against an older build:
# there, the first frame is the loaded one).
#
#   scripts/bench-startup.sh [IMAGE...]      (default: assets/demo.tar)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
OUT=${BENCH_STARTUP_OUT:-bench/startup.md}
command -v tmux >/dev/null || { echo "bench-startup.sh: needs tmux" >&2; exit 1; }
BIN=${STRATA_BIN:-target/release/strata}
# Options before the image, e.g. STRATA_ARGS=--no-cache to read every layer for real.
ARGS=${STRATA_ARGS:-}
[ -n "${STRATA_BIN:-}" ] || cargo build --release --quiet
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(assets/demo.tar)
sock="strata-bench-$$"
cfg=$(mktemp -d)
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$cfg"' EXIT
now_ms() { date +%s%3N; }

{
  echo "# Time to first frame"
  echo
  echo "From launch to the first explorer frame on a 120x35 tmux terminal, and to the explorer with"
  echo "every layer in and the image's figures shown (the screen is polled every ~5 ms, so figures"
  echo "include up to that much polling delay). Medians of $RUNS runs${ARGS:+, with \`$ARGS\`}."
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, \`$BIN\` ($("$BIN" --version 2>/dev/null | head -1))."
  echo
  echo "| image | first frame (median) | min | max | every layer in (median) | min | max |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$OUT.tmp"

for img in "${images[@]}"; do
  times=(); fulls=()
  for ((i = 0; i < RUNS; i++)); do
    tmux -L "$sock" kill-server 2>/dev/null || true
    # A socket of its own each run: a new server on the one just killed may die with it.
    sock="strata-bench-$$-$(basename "$img")-$i"
    start=$(now_ms)
    tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 35 "env -u STRATA_CONFIG XDG_CONFIG_HOME=$cfg $BIN $ARGS $img; sleep 60"
    until tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -q "Layers ("; do
      sleep 0.005
      [ $(( $(now_ms) - start )) -lt 60000 ] || { echo "bench-startup.sh: no frame after 60 s for $img" >&2; exit 1; }
    done
    times+=($(( $(now_ms) - start )))
    until tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -q "Efficiency [0-9]"; do
      sleep 0.005
      [ $(( $(now_ms) - start )) -lt 60000 ] || { echo "bench-startup.sh: not loaded after 60 s for $img" >&2; exit 1; }
    done
    fulls+=($(( $(now_ms) - start )))
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  full=($(printf '%s\n' "${fulls[@]}" | sort -n))
  median=${sorted[$(( RUNS / 2 ))]}
  printf '| %s | %s ms | %s ms | %s ms | %s ms | %s ms | %s ms |\n' "$(basename "$img")" "$median" "${sorted[0]}" "${sorted[$((RUNS - 1))]}" \
    "${full[$(( RUNS / 2 ))]}" "${full[0]}" "${full[$((RUNS - 1))]}" >> "$OUT.tmp"
  echo "bench-startup.sh: $(basename "$img"): first frame ${median} ms (${times[*]}), loaded ${full[$(( RUNS / 2 ))]} ms (${fulls[*]})" >&2
done
mv "$OUT.tmp" "$OUT"
cat "$OUT"
