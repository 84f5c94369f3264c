#!/usr/bin/env bash
# Builds a few tiny noarch rpms with rpmbuild and installs them into a root directory, so the
# rpm parsers (src/analysis/packages/rpm) and their integration tests have real databases
# written by rpm itself, not by us.
#
#   scripts/rpm-fixture.sh OUTDIR
#
# OUTDIR/root/                      the installed root (var/lib/rpm/rpmdb.sqlite and the files)
# OUTDIR/rpms/                      the built packages
# OUTDIR/rpmdb.sqlite               a copy of the root's database (rpm leaves it checkpointed)
# OUTDIR/wal/rpmdb.sqlite{,-wal}    the same database and a -wal file copied before any
#                                   checkpoint: two committed transactions, the first deleting
#                                   strata-epoch, the second strata-up, live only in the -wal
# OUTDIR/Packages                   Berkeley DB hash (little endian) of the same headers,
#                                   written by db_load (Debian's rpm writes only sqlite)
# OUTDIR/Packages.be                the same, big endian (as s390x or ppc64 images have it)
# OUTDIR/fuzz-seeds/                small inputs for fuzz/corpus/packages_rpm (see below)
# OUTDIR/expected.tsv               name, [epoch:]version-release, arch, per package, as
#                                   `rpm -qa` says (the gpg-pubkey's differs each run)
#
# Needs: rpm (rpmbuild, Debian's package `rpm`), sqlite3, db5.3-util (db5.3_load), gnupg,
# python3 (only for the ndb fuzz seed).
# Every run makes the same packages; databases differ run to run (install times, ids).
set -euo pipefail

OUT="${1:?usage: rpm-fixture.sh OUTDIR}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
for tool in rpmbuild rpm sqlite3 db5.3_load gpg python3; do
    command -v "$tool" >/dev/null || { echo "rpm-fixture: $tool is missing" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
TOP="$WORK/top"
mkdir -p "$TOP"/{SPECS,BUILD,BUILDROOT,RPMS,SOURCES,SRPMS}

# One spec per package; %install writes the files so no sources are needed.
spec() { # name epoch version release license files-script [extra]
    local name="$1" epoch="$2" version="$3" release="$4" license="$5" install="$6" extra="${7:-}"
    {
        echo "Name: $name"
        [[ -n "$epoch" ]] && echo "Epoch: $epoch"
        echo "Version: $version"
        echo "Release: $release"
        echo "Summary: strata test package $name"
        echo "License: $license"
        echo "BuildArch: noarch"
        echo "%description"
        echo "A package for strata's rpm database tests."
        printf '%s\n' "$extra"
        echo "%install"
        echo "$install"
        echo "%files"
        echo "/*"
    } >"$TOP/SPECS/$name-$version.spec"
}

spec strata-epoch 3 1.2.3 4 MIT '
mkdir -p %{buildroot}/usr/bin
printf "#!/bin/sh\necho epoch\n" > %{buildroot}/usr/bin/strata-epoch'

# Enough files with long names that the header outgrows a 4096-byte sqlite page (overflow
# pages) and a Berkeley DB page (overflow chains of several pages).
TREE_INSTALL='
mkdir -p %{buildroot}/usr/share/strata-tree/a/b %{buildroot}/etc
echo c > %{buildroot}/usr/share/strata-tree/a/b/c.txt
echo d > %{buildroot}/usr/share/strata-tree/a/d.txt
echo e > %{buildroot}/usr/share/strata-tree/e.txt
echo conf > %{buildroot}/etc/strata-tree.conf
mkdir -p %{buildroot}/usr/share/strata-tree/many
for i in $(seq -w 1 120); do
  echo $i > %{buildroot}/usr/share/strata-tree/many/a-rather-long-file-name-to-make-the-header-big-$i.dat
done
mkdir -p %{buildroot}/usr/share/doc/strata-tree-doc
echo doc > %{buildroot}/usr/share/doc/strata-tree-doc/README'
# A subpackage: its source rpm is strata-tree's, not its own name.
TREE_DOC='
%package -n strata-tree-doc
Summary: documentation of strata-tree
License: CC-BY-4.0
%description -n strata-tree-doc
Documentation.
%files -n strata-tree-doc
/usr/share/doc/strata-tree-doc'
spec strata-tree "" 0.9 2 "GPL-2.0-or-later AND MIT" "$TREE_INSTALL" "$TREE_DOC"
# The main package's %files must not also claim the doc directory.
sed -i 's|^/\*$|/etc/strata-tree.conf\n/usr/share/strata-tree|' "$TOP/SPECS/strata-tree-0.9.spec"

for v in 1.0 2.0; do
    spec strata-up "" "$v" 1 "Apache-2.0" "
mkdir -p %{buildroot}/usr/lib/strata-up
echo $v > %{buildroot}/usr/lib/strata-up/v$v"
done

for s in "$TOP"/SPECS/*.spec; do
    rpmbuild --quiet -bb --nodeps --define "_topdir $TOP" \
        --define '_binary_payload w9.gzdio' "$s" >"$WORK/build.log" 2>&1 ||
        { cat "$WORK/build.log" >&2; exit 1; }
done
rm -rf "$OUT/rpms" "$OUT/root" "$OUT/wal"
mkdir -p "$OUT/rpms" "$OUT/root" "$OUT/wal"
cp "$TOP"/RPMS/noarch/*.rpm "$OUT/rpms/"

R="$OUT/root"
# Debian's rpm warns on every install that alien should be used; the warning is dropped,
# anything else rpm says is kept.
rpm_() {
    local rc=0
    rpm --root "$R" --dbpath /var/lib/rpm --define '_db_backend sqlite' "$@" 2>"$WORK/rpm.err" || rc=$?
    grep -v -e 'use Alien instead' -e 'assuming you know what you are doing' "$WORK/rpm.err" >&2 || true
    return "$rc"
}
RPM=(rpm_)
"${RPM[@]}" --initdb
"${RPM[@]}" -i --nodeps --ignoreos --ignorearch "$OUT"/rpms/strata-epoch-1.2.3-4.noarch.rpm
"${RPM[@]}" -i --nodeps --ignoreos --ignorearch \
    "$OUT"/rpms/strata-tree-0.9-2.noarch.rpm "$OUT"/rpms/strata-tree-doc-0.9-2.noarch.rpm \
    "$OUT"/rpms/strata-up-1.0-1.noarch.rpm
"${RPM[@]}" -U --nodeps --ignoreos --ignorearch "$OUT"/rpms/strata-up-2.0-1.noarch.rpm
# An imported signing key becomes a `gpg-pubkey` pseudo-package (no arch, no files), which
# syft lists like any other; a throwaway key is made for it.
export GNUPGHOME="$WORK/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'strata fixture <fixture@example.invalid>' \
    rsa2048 sign never 2>/dev/null
gpg --batch --armor --export fixture@example.invalid >"$WORK/key.asc"
gpgconf --kill all 2>/dev/null || true
"${RPM[@]}" --import "$WORK/key.asc"

DB="$R/var/lib/rpm/rpmdb.sqlite"
[[ -f "$DB" ]] || { echo "rpm-fixture: rpm wrote no $DB" >&2; exit 1; }
cp "$DB" "$OUT/rpmdb.sqlite"
"${RPM[@]}" -qa --qf '%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\n' |
    sed 's/\t(none)$/\t/' | sort >"$OUT/expected.tsv"

# WAL: the changes are committed to the -wal file (rpm's database is in WAL mode already)
# and the pair is copied by the writer itself while it still holds the database open, so no
# checkpoint (automatic ones are off, and the one on close comes after the copy) has moved
# them into the main file.
cp "$DB" "$OUT/wal/work.sqlite"
(
    cd "$OUT/wal"
    sqlite3 work.sqlite <<'SQL' >/dev/null
PRAGMA wal_autocheckpoint=0;
DELETE FROM Packages WHERE hnum = (SELECT hnum FROM Name WHERE key = 'strata-epoch');
DELETE FROM Packages WHERE hnum = (SELECT hnum FROM Name WHERE key = 'strata-up');
.shell cp work.sqlite rpmdb.sqlite && cp work.sqlite-wal rpmdb.sqlite-wal
SQL
    rm -f work.sqlite work.sqlite-wal work.sqlite-shm
)

# Berkeley DB: the same header blobs, keyed by their instance number as rpm's bdb backend
# keys them (a 4-byte integer in the file's byte order), through db_dump's text format.
bdb() { # out lorder
    local out="$1" lorder="$2"
    {
        printf 'VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n'
        sqlite3 "$DB" "SELECT hnum, hex(blob) FROM Packages ORDER BY hnum" |
            while IFS='|' read -r hnum hex; do
                if [[ "$lorder" == 1234 ]]; then
                    printf ' %02x%02x%02x%02x\n' $((hnum & 255)) $((hnum >> 8 & 255)) \
                        $((hnum >> 16 & 255)) $((hnum >> 24 & 255))
                else
                    printf ' %08x\n' "$hnum"
                fi
                printf ' %s\n' "${hex,,}"
            done
        printf 'DATA=END\n'
    } >"$WORK/dump.txt"
    rm -f "$out"
    db5.3_load -c "db_lorder=$lorder" -f "$WORK/dump.txt" "$out"
}
bdb "$OUT/Packages" 1234
bdb "$OUT/Packages.be" 4321

# Small inputs for the fuzz target (fuzz/fuzz_targets/packages_rpm.rs): 512-byte pages keep
# them a few KB, so its mutations stay fast, and headers still overflow pages. Copy them to
# fuzz/corpus/packages_rpm/.
S="$OUT/fuzz-seeds"
rm -rf "$S"
mkdir -p "$S"
(
    cd "$S"
    sqlite3 "$DB" "SELECT writefile('header-' || hnum || '.bin', blob) FROM Packages" >/dev/null
    SMALL="SELECT hnum FROM f.Packages ORDER BY length(blob) LIMIT 2"
    sqlite3 small.sqlite <<SQL >/dev/null
PRAGMA page_size=512;
CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);
ATTACH '$DB' AS f;
INSERT INTO Packages SELECT hnum, blob FROM f.Packages WHERE hnum IN ($SMALL);
SQL
    cp small.sqlite w.sqlite
    # The database and its -wal concatenated: the target splits them at the WAL magic.
    sqlite3 w.sqlite <<'SQL' >/dev/null
PRAGMA journal_mode=WAL;
PRAGMA wal_autocheckpoint=0;
DELETE FROM Packages WHERE hnum = (SELECT min(hnum) FROM Packages);
.shell cat w.sqlite w.sqlite-wal > small-with-wal.bin
SQL
    rm -f w.sqlite w.sqlite-wal w.sqlite-shm
    {
        printf 'VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=512\nHEADER=END\n'
        sqlite3 small.sqlite "SELECT hnum, hex(blob) FROM Packages" | while IFS='|' read -r hnum hex; do
            printf ' %02x000000\n %s\n' "$hnum" "${hex,,}"
        done
        printf 'DATA=END\n'
    } >dump.txt
    db5.3_load -f dump.txt small-Packages
    rm dump.txt
    # ndb as rpm's rpmpkg.c lays it out (Debian's rpm cannot write ndb): header and one
    # slot page, then each blob (16-byte blob header, blob, padded to 16 bytes) by blocks.
    python3 - small.sqlite small-Packages.db <<'PY'
import sqlite3, struct, sys, zlib
rows = sqlite3.connect(sys.argv[1]).execute("SELECT hnum, blob FROM Packages").fetchall()
slots, blobs, block = [], b"", 4096 // 16
for i, (hnum, blob) in enumerate(rows, 1):
    body = struct.pack("<4I", 0x53626C42, i, zlib.adler32(blob), len(blob)) + blob
    body += b"\0" * (-len(body) % 16)
    slots.append(struct.pack("<4I", 0x746F6C53, i, block, len(body) // 16))
    blobs += body
    block += len(body) // 16
slots += [struct.pack("<4I", 0x746F6C53, 0, 0, 0)] * (254 - len(slots))
head = struct.pack("<4I", 0x506D7052, 0, 0, 1) + b"\0" * 16
open(sys.argv[2], "wb").write(head + b"".join(slots) + blobs)
PY
)

echo "rpm-fixture: made in $OUT:"
(cd "$OUT" && ls -l rpmdb.sqlite wal/rpmdb.sqlite wal/rpmdb.sqlite-wal Packages Packages.be rpms/*.rpm fuzz-seeds/*)
echo "rpm-fixture: packages (expected.tsv):"
cat "$OUT/expected.tsv"
