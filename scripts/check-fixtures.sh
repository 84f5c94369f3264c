#!/usr/bin/env bash
# Checks by hand on the large fixture images (kept out of the test suite for their size):
# for each docker archive, strata's dive_compat must equal dive 0.13.1's JSON, and strata's
# merged view must equal the rootfs `umoci unpack` builds (paths, kinds, file sizes); then
# every image's package set and installing layers must equal syft 1.18.1's
# (tests/packages.rs, `fixture_images_match_syft`); and `strata diff` must tell the py-app
# v1 -> v2 story (requests upgraded, the chown step's copy-up, the metadata-only rows, the
# efficiency delta in points) and keep node-app vs debian-bookworm's markdown within one
# GitHub comment (tests/diff_summary.rs, `fixture_pairs_tell_the_story`); node-app's report
# and ci markdown must fit one comment too (tests/report_markdown.rs,
# `fixture_markdown_fits_one_comment`); and the explorer is walked at 80x24 on node-app in a
# real terminal (tests/tui_tmux.rs).
#
#   scripts/check-fixtures.sh [FIXTURES_DIR]     (default /tmp/fixtures-out)
set -euo pipefail
cd "$(dirname "$0")/.."
FIXTURES=${1:-${FIXTURES_DIR:-/tmp/fixtures-out}}
cargo build --release --quiet --example listing
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for archive in "$FIXTURES"/docker-archive/*.tar; do
  name=$(basename "$archive" .tar)
  target/release/strata report --json "$archive" > "$work/strata.json"
  rm -f "$work/dive.json"  # dive overwrites without truncating
  dive --source docker-archive "$archive" --json "$work/dive.json" > /dev/null
  dive_ok=$(python3 - "$work/strata.json" "$work/dive.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["dive_compat"]; d = json.load(open(sys.argv[2]))
img = d["image"]
same = (s["size_bytes"] == img["sizeBytes"] and s["wasted_bytes"] == img["inefficientBytes"]
        and s["efficiency"] == img["efficiencyScore"]
        and s["layer_sizes"] == [l["sizeBytes"] for l in d["layer"]]
        and [(f["path"], f["count"], f["size_bytes"]) for f in s["inefficient_files"]]
            == [(f["file"], f["count"], f["sizeBytes"]) for f in (img["fileReference"] or [])])
print("same" if same else "DIFFERENT")
PY
)
  skopeo copy --quiet "docker-archive:$archive" "oci:$work/layout:t"
  umoci unpack --image "$work/layout:t" "$work/bundle" > /dev/null
  (cd "$work/bundle/rootfs" && find . -mindepth 1 -printf '%y %s %P\n') | python3 -c '
import sys
kinds = {"f": "file", "d": "dir", "l": "symlink", "p": "fifo", "c": "char_device", "b": "block_device"}
for line in sys.stdin:
    k, size, path = line.rstrip("\n").split(" ", 2)
    print(kinds[k], size if k == "f" else 0, path)' | LC_ALL=C sort > "$work/umoci.txt"
  target/release/examples/listing "$archive" | LC_ALL=C sort > "$work/strata.txt"
  if cmp -s "$work/umoci.txt" "$work/strata.txt"; then view_ok=same; else view_ok=DIFFERENT; status=1; fi
  [ "$dive_ok" = same ] || status=1
  printf '%-20s paths %7s  dive_compat vs dive: %-9s  merged view vs umoci: %s\n' "$name" "$(wc -l < "$work/strata.txt")" "$dive_ok" "$view_ok"
  [ "$view_ok" = same ] || diff "$work/umoci.txt" "$work/strata.txt" | head -10
  rm -rf "$work/layout" "$work/bundle"
done
STRATA_FIXTURES="$FIXTURES" cargo nextest run --all-targets --run-ignored only \
  -E 'test(fixture_images_match_syft)' --no-capture || status=1
FIXTURES_DIR="$FIXTURES" cargo nextest run --all-targets --run-ignored only \
  -E 'test(fixture_pairs_tell_the_story)' --no-capture || status=1
FIXTURES_DIR="$FIXTURES" cargo nextest run --all-targets --run-ignored only \
  -E 'test(the_explorer_is_usable_at_80x24_on_node_app)' --no-capture || status=1
FIXTURES_DIR="$FIXTURES" cargo nextest run --all-targets --run-ignored only \
  -E 'test(fixture_markdown_fits_one_comment)' --no-capture || status=1
FIXTURES_DIR="$FIXTURES" cargo nextest run --all-targets --run-ignored only \
  -E 'test(node_app_fixture_page_has_its_top_directories_and_zooms)' --no-capture || status=1
exit $status
