#!/usr/bin/env bash
# Runs strata's cargo-fuzz targets (fuzz/fuzz_targets/*.rs), two at a time, and prints a
# one-line summary per target. Crashing inputs land in fuzz/artifacts/<target>/.
#
#   FUZZ_SECONDS   seconds per target (default 600)
#   FUZZ_TARGETS   space-separated subset (default: every target)
#   FUZZ_JOBS      targets run at once (default 2)
#   FUZZ_SANITIZER address (default) or none, if ASan does not link
#
# Only a stable toolchain is expected: RUSTC_BOOTSTRAP=1 unlocks the nightly flags
# cargo-fuzz needs (-Zsanitizer, -Cpasses=sancov-module).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_DIR="$ROOT/fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-600}"
JOBS="${FUZZ_JOBS:-2}"
SANITIZER="${FUZZ_SANITIZER:-address}"
ORACLE="${ORACLE_DIR:-$ROOT/../shared/oracle}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz
fi

cd "$FUZZ_DIR"
if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    read -r -a TARGETS <<<"$FUZZ_TARGETS"
else
    mapfile -t TARGETS < <(cargo fuzz list)
fi

# Seed corpora with small real images when they are around (the fuzzer also works unseeded).
seed() {
    local sy="$ORACLE/dive-synthetic" ti="$ORACLE/dive-test-images"
    mkdir -p corpus/archive corpus/layer_tar corpus/decompress corpus/reference
    [[ -d "$sy" && -d "$ti" ]] || return 0
    for f in "$sy/triple.tar" "$sy/delete-file.tar" "$ti/test-oci-gzip-image.tar"; do
        [[ -f "$f" ]] && cp -f "$f" "corpus/archive/seed-$(basename "$f")"
    done
    for img in triple delete-file opaque-dir; do
        [[ -f "$sy/$img.tar" ]] || continue
        while read -r layer; do
            tar -xOf "$sy/$img.tar" "$layer" >"corpus/layer_tar/seed-$img-$(dirname "$layer").tar"
        done < <(tar -tf "$sy/$img.tar" | grep '/layer\.tar$')
    done
    for img in gzip zstd; do
        local t="$ti/test-oci-$img-image.tar" biggest
        [[ -f "$t" ]] || continue
        biggest="$(tar -tvf "$t" | sort -k3 -n | tail -n 1 | awk '{print $NF}')"
        tar -xOf "$t" "$biggest" >"corpus/decompress/seed-$img.bin"
    done
}
seed
# The hostile corpus (tests/hostile/inputs) and the demo image's metadata seed the archive and
# metadata targets; references get a few docker-style names.
mkdir -p corpus/metadata
find "$ROOT/tests/hostile/inputs" -type f -size -64k -exec cp -f {} corpus/archive/ \;
if [[ -f "$ROOT/assets/demo.tar" ]]; then
    tar -xOf "$ROOT/assets/demo.tar" manifest.json >corpus/metadata/seed-manifest.json
    cfg="$(tar -tf "$ROOT/assets/demo.tar" | grep -m1 '\.json$' | grep -v manifest || true)"
    [[ -n "$cfg" ]] && tar -xOf "$ROOT/assets/demo.tar" "$cfg" >corpus/metadata/seed-config.json
fi
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064d","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}' 0 >corpus/metadata/seed-index.json
for r in nginx:alpine ghcr.io/o/app:1.2 localhost:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef; do
    printf '%s' "$r" >"corpus/reference/seed-$(printf '%s' "$r" | tr -c 'a-z0-9' _)"
done
[[ -f corpus/reference/seed-1 ]] || printf 'docker-archive:/tmp/x.tar:name:tag' >corpus/reference/seed-1
# The TOC targets start from the blobs tests/toc.rs generates (fuzz/seeds/, checked in).
for t in toc_estargz toc_zstd_chunked; do
    mkdir -p "corpus/$t"
    cp -f "$FUZZ_DIR/seeds/$t/"* "corpus/$t/"
done

echo "building ${#TARGETS[@]} targets (sanitizer: $SANITIZER)" >&2
cargo fuzz build -O -s "$SANITIZER"

mkdir -p logs artifacts
# Only crashes from this run count; older artifacts stay where they are.
STAMP="$(mktemp)"
trap 'rm -f "$STAMP"' EXIT
# -detect_leaks=0: LeakSanitizer flags, non-reproducibly, the 32-byte glibc record that
# registers a thread-local destructor (__cxa_thread_atexit_impl) in the layer-reading worker
# threads of strata::load (std::thread::scope in src/load/layers.rs). It is not a strata leak.
run_one() {
    local t="$1" start end rc
    start=$(date +%s)
    set +e
    cargo fuzz run -O -s "$SANITIZER" "$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 \
        >"logs/$t.log" 2>&1
    rc=$?
    set -e
    end=$(date +%s)
    local execs crashes
    execs="$(grep -o 'Done [0-9]* runs' "logs/$t.log" | awk '{print $2}' | tail -n 1)"
    [[ -n "$execs" ]] || execs="$(grep -o '^#[0-9]*' "logs/$t.log" | tail -n 1 | tr -d '#')"
    crashes="$(find "artifacts/$t" -type f -newer "$STAMP" 2>/dev/null | wc -l | tr -d ' ')"
    printf '%-12s exit=%-3s execs=%-10s secs=%-5s artifacts=%s log=fuzz/logs/%s.log\n' \
        "$t" "$rc" "${execs:-?}" "$((end - start))" "$crashes" "$t"
}

status=0
pids=()
for t in "${TARGETS[@]}"; do
    run_one "$t" &
    pids+=("$!")
    if ((${#pids[@]} >= JOBS)); then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done

if find artifacts -type f -newer "$STAMP" | grep -q .; then
    echo "crashing inputs (minimize with: cargo fuzz tmin -O TARGET FILE):" >&2
    find artifacts -type f -newer "$STAMP" >&2
    exit 1
fi
exit "$status"
