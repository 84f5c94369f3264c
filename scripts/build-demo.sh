#!/usr/bin/env bash
# Build the strata demo image and write it to assets/demo.tar (docker-archive,
# i.e. `docker save` layout with manifest.json).
#
# The recipe is assets/demo/Dockerfile. This script:
#   * installs buildah, skopeo and busybox-static (Debian) when missing,
#   * assembles a build context in a temp dir: the files of assets/demo/,
#     /bin/busybox from busybox-static, and deterministic incompressible
#     payload files (xorshift32 with fixed seeds; no /dev/urandom),
#   * builds with buildah (overlay storage driver, so removed-and-recreated
#     directories get real `.wh..wh..opq` opaque markers) into a private
#     storage root/runroot under the temp dir, removed at the end,
#   * copies it (skopeo) to docker-archive in the temp dir, checks it
#     (size, manifest.json, an opaque marker), then renames it
#     over assets/demo.tar. Nothing else in the repo is touched.
#
# Reproducible: --timestamp 0, --format oci (the docker format records a random
# container id and hostname in the config), no buildah version label,
# normalized modes and mtimes in the context, fixed payload bytes. With the
# same busybox-static, buildah and skopeo versions two runs give a
# byte-identical archive.
#
# Runs as root. Usage: scripts/build-demo.sh
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=$REPO/assets/demo
OUT=$REPO/assets/demo.tar
IMAGE=localhost/strata-demo:latest
ARCHIVE_REF=strata-demo:latest
MAX_BYTES=$((3 * 1000 * 1000))

log() { printf '[build-demo] %s\n' "$*" >&2; }
die() { printf '[build-demo] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (buildah with a private storage root)"
[ -f "$SRC/Dockerfile" ] || die "missing $SRC/Dockerfile"

# ---------------------------------------------------------------- packages --
apt_install() {
    log "installing: $*"
    export DEBIAN_FRONTEND=noninteractive
    # Another apt/dpkg may be running: wait for its lock instead of failing.
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "$@" >&2
}

missing=()
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' \
    || missing+=(busybox-static)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found after installing busybox-static"
command -v basenc >/dev/null 2>&1 || die "basenc (coreutils >= 8.31) is required"

# ---------------------------------------------------------------- temp dir --
# buildah/skopeo keep a blob-info cache in /var/lib/containers/cache (for root)
# whatever the storage root is; remember whether it was there, so a machine
# that had none is left without one.
SYS_CACHE=/var/lib/containers/cache/blob-info-cache-v1.boltdb
HAD_SYS_DIR=0; [ ! -e /var/lib/containers ] || HAD_SYS_DIR=1
HAD_SYS_CACHE=0; [ ! -e "$SYS_CACHE" ] || HAD_SYS_CACHE=1

TMP=$(mktemp -d /tmp/strata-demo.XXXXXX)
STORE_ROOT=$TMP/storage
STORE_RUN=$TMP/runroot
PARTIAL=

cleanup() {
    local rc=$?
    set +e
    if [ -n "${BUILDAH_ARGS+x}" ]; then
        buildah "${BUILDAH_ARGS[@]}" rm --all >/dev/null 2>&1
        buildah "${BUILDAH_ARGS[@]}" rmi --all --force >/dev/null 2>&1
    fi
    # Unmount anything the storage driver left mounted below $TMP (deepest first).
    awk -v t="$TMP" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo \
        | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$TMP"
    [ -z "$PARTIAL" ] || rm -f "$PARTIAL"
    if [ "$HAD_SYS_DIR" -eq 0 ]; then
        rm -rf /var/lib/containers
    elif [ "$HAD_SYS_CACHE" -eq 0 ]; then
        rm -f "$SYS_CACHE"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ----------------------------------------------------- storage driver setup --
# Native kernel overlay if this machine allows it, else fuse-overlayfs. Both
# go through buildah's overlay driver, which records opaque directories.
# BUILD_DEMO_FUSE=1 forces fuse-overlayfs (to test that path).
STORAGE_OPTS=()
MOUNT_PROGRAM=
probe=$TMP/overlay-probe
mkdir -p "$probe"/{lower,upper,work,merged}
if [ "${BUILD_DEMO_FUSE:-0}" != 1 ] && mount -t overlay overlay \
        -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
        "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"
    log "storage: overlay (native kernel overlayfs)"
else
    command -v fuse-overlayfs >/dev/null 2>&1 || apt_install fuse-overlayfs
    MOUNT_PROGRAM=$(command -v fuse-overlayfs)
    STORAGE_OPTS+=(--storage-opt "overlay.mount_program=$MOUNT_PROGRAM")
    log "storage: overlay via fuse-overlayfs (native overlay mount not permitted)"
fi
rm -rf "$probe"

# A private storage.conf so the machine's own containers config is not used.
cat > "$TMP/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$STORE_RUN"
graphroot = "$STORE_ROOT"
EOF
if [ -n "$MOUNT_PROGRAM" ]; then
    printf '[storage.options.overlay]\nmount_program = "%s"\n' "$MOUNT_PROGRAM" >> "$TMP/storage.conf"
fi
export CONTAINERS_STORAGE_CONF=$TMP/storage.conf
BUILDAH_ARGS=(--storage-driver overlay --root "$STORE_ROOT" --runroot "$STORE_RUN" "${STORAGE_OPTS[@]}")

# ------------------------------------------------------------ build context --
CTX=$TMP/context
mkdir -p "$CTX"
cp -R "$SRC/." "$CTX/"
cp "$BUSYBOX" "$CTX/busybox"

# gen SEED BYTES FILE: deterministic, incompressible bytes (xorshift32).
gen() {
    local seed=$1 n=$2 out=$3 x i w hex=''
    x=$(( (seed * 2654435761 + 12345) & 0xFFFFFFFF ))
    [ "$x" -ne 0 ] || x=1
    for (( i = 0; i < (n + 3) / 4; i++ )); do
        x=$(( x ^ ((x << 13) & 0xFFFFFFFF) ))
        x=$(( x ^ (x >> 17) ))
        x=$(( x ^ ((x << 5) & 0xFFFFFFFF) ))
        printf -v w '%08X' "$x"
        hex+=$w
    done
    mkdir -p "$(dirname "$out")"
    printf '%s' "$hex" | basenc --base16 -d | head -c "$n" > "$out"
}

P=$CTX/payload
KiB=1024
gen 1  $((96 * KiB)) "$P/dataset.bin"                      # chmod-only copy-up
gen 2  $((16 * KiB)) "$P/tmp/build/main.o"                 # deleted later (dir)
gen 3  $((16 * KiB)) "$P/tmp/build/util.o"
gen 4  $((24 * KiB)) "$P/tmp/build/libdemo.a"
gen 5  $((32 * KiB)) "$P/tmp/core.1234"                    # deleted later (file)
gen 6  $((32 * KiB)) "$P/logo.png"                         # duplicated 3x
gen 7  $((24 * KiB)) "$P/pkg/demo-tools-1.0-r0.apk"        # apk cache
gen 8  $((16 * KiB)) "$P/pkg/libdemo-2.3-r1.apk"
gen 9  $((12 * KiB)) "$P/pkg/http-7a3f"                    # pip http cache
gen 10 $((20 * KiB)) "$P/pkg/demo_tools-1.0-py3-none-any.whl"
gen 11 $((24 * KiB)) "$P/www/assets/hero.jpg"              # opaque dir
gen 12 $((16 * KiB)) "$P/www/assets/app.js.gz"
printf '<!doctype html>\n<h1>strata demo v1</h1>\n<img src="assets/hero.jpg">\n' > "$P/www/index.html"
gen 13 $((32 * KiB)) "$P/model-v1.bin"                     # overwritten
gen 14 $((32 * KiB)) "$P/model-v2.bin"

# Normalize modes and mtimes so the checkout's umask and clock do not matter.
find "$CTX" -type d -exec chmod 0755 {} +
find "$CTX" -type f -exec chmod 0644 {} +
chmod 0755 "$CTX/busybox" "$CTX/rootfs/opt/app/bin/run.sh"
find "$CTX" -exec touch -h -d @0 {} +

# ------------------------------------------------------------------- build --
log "building $IMAGE with $(buildah --version)"
buildah "${BUILDAH_ARGS[@]}" bud \
    --layers --isolation chroot --timestamp 0 --format oci --identity-label=false \
    -f "$CTX/Dockerfile" -t "$IMAGE" "$CTX" >&2

# skopeo rather than `buildah push`: buildah adds the local name as a second
# RepoTag; skopeo writes just the one asked for.
ARCHIVE=$TMP/demo.tar
STORE_SPEC="overlay@$STORE_ROOT+$STORE_RUN"
[ -z "$MOUNT_PROGRAM" ] || STORE_SPEC+=":overlay.mount_program=$MOUNT_PROGRAM"
skopeo copy --quiet "containers-storage:[$STORE_SPEC]$IMAGE" \
    "docker-archive:$ARCHIVE:$ARCHIVE_REF" >&2

# ------------------------------------------------------------------- check --
size=$(stat -c %s "$ARCHIVE")
[ "$size" -lt "$MAX_BYTES" ] || die "archive is $size bytes (limit $MAX_BYTES)"
tar -xOf "$ARCHIVE" manifest.json >/dev/null || die "archive has no manifest.json"
opq=0
for layer in $(tar -xOf "$ARCHIVE" manifest.json | grep -o '"[^"]*\.tar"' | tr -d '"'); do
    if tar -xOf "$ARCHIVE" "$layer" | tar -t | grep '\.wh\.\.wh\.\.opq$' >/dev/null; then
        opq=$((opq + 1))
    fi
done
# (fuse-overlayfs 1.10 writes per-file .wh.NAME whiteouts instead, so the
# opaque-directory layer needs the native kernel overlay.)
[ "$opq" -gt 0 ] || die "no layer has a .wh..wh..opq opaque marker${MOUNT_PROGRAM:+ (fuse-overlayfs does not write them; native overlay is needed)}"

PARTIAL=$(mktemp "$REPO/assets/.demo.tar.XXXXXX")
cp "$ARCHIVE" "$PARTIAL"
chmod 0644 "$PARTIAL"
mv -f "$PARTIAL" "$OUT"
PARTIAL=
log "wrote $OUT ($size bytes, $opq layer(s) with an opaque marker)"
