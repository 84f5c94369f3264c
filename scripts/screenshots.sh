#!/usr/bin/env bash
# Regenerates screenshots/*.png: every view of the explorer on assets/demo.tar, drawn by the
# real UI code at 120x36 (examples/screenshots.rs writes one SVG per view from the rendered
# cell buffer), then rasterised with rsvg-convert and reduced to a 256-colour palette with
# pngquant (no dithering: the text looks the same, the files are a quarter of the size).
# Installs librsvg2-bin, fonts-dejavu-core and pngquant (apt) when they are missing. The explorer's PNGs in
# screenshots/ that this run did not produce are removed.
set -euo pipefail
cd "$(dirname "$0")/.."

font_present() {
  if command -v fc-list >/dev/null 2>&1; then
    fc-list 2>/dev/null | grep -q "DejaVu Sans Mono"
  else
    [ -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]
  fi
}

need_apt=()
command -v rsvg-convert >/dev/null || need_apt+=(librsvg2-bin)
font_present || need_apt+=(fonts-dejavu-core)
command -v pngquant >/dev/null || need_apt+=(pngquant)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "screenshots.sh: installing ${need_apt[*]} (apt)" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
  command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1 || true
fi
command -v rsvg-convert >/dev/null || { echo "screenshots.sh: rsvg-convert is required" >&2; exit 1; }
font_present || { echo "screenshots.sh: the DejaVu Sans Mono font is required" >&2; exit 1; }
command -v pngquant >/dev/null || { echo "screenshots.sh: pngquant is required" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo run --quiet --release --example screenshots -- "$tmp"

mkdir -p screenshots
shopt -s nullglob
made=()
for svg in "$tmp"/*.svg; do
  name=$(basename "$svg" .svg)
  rsvg-convert --format png --output "$tmp/$name.png" "$svg"
  pngquant --force --strip --speed 1 --nofs --output "screenshots/$name.png" 256 "$tmp/$name.png"
  made+=("$name.png")
done
[ ${#made[@]} -gt 0 ] || { echo "screenshots.sh: the example wrote no SVG" >&2; exit 1; }

# Only the explorer's views (NN-name.png) are this script's; other pictures in screenshots/
# (the HTML report's) are made elsewhere and kept.
for png in screenshots/[0-9][0-9]-*.png; do
  keep=0
  for m in "${made[@]}"; do
    [ "$(basename "$png")" = "$m" ] && keep=1 && break
  done
  if [ "$keep" -eq 0 ]; then
    echo "screenshots.sh: removing stale $png" >&2
    rm -f -- "$png"
  fi
done

for m in "${made[@]}"; do
  printf '%8d  screenshots/%s\n' "$(stat -c %s "screenshots/$m")" "$m"
done
