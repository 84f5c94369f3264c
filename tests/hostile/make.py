#!/usr/bin/env python3
"""Writes the hostile-image corpus of tests/hostile/inputs/ (committed; rerun only to change it).

Each input is a small file built byte by byte so it is exactly as hostile as intended. What
strata must answer for each is in tests/hostile/cases.tsv (read by tests/hostile.rs).
Deterministic: mtimes are fixed and no randomness is unseeded. Needs `zstd` and `xz` on PATH
for three inputs.
"""
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inputs")


# ---------------------------------------------------------------- raw tar headers
def header(name, size=0, kind=b"0", link=b"", mode=0o644, size_field=None, bad_sum=False):
    """One 512-byte ustar header; `name` and `link` are bytes (up to 100)."""
    h = bytearray(512)
    h[0:len(name[:100])] = name[:100]
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field if size_field is not None else b"%011o\0" % size
    h[136:148] = b"14000000000\0"
    h[156:157] = kind
    h[157:157 + len(link[:100])] = link[:100]
    h[257:265] = b"ustar\x0000"
    h[148:156] = b"        "
    checksum = sum(h) + (1 if bad_sum else 0)
    h[148:156] = b"%06o\0 " % checksum
    return bytes(h)


def pad(data):
    return data + b"\0" * (-len(data) % 512)


def entry(name, data=b"", kind=b"0", link=b"", mode=0o644):
    if isinstance(name, str):
        name = name.encode()
    return header(name, len(data), kind, link, mode) + pad(data)


def pax(records, name=b"PaxHeaders/x"):
    body = b""
    for key, value in records:
        rec = b" " + key + b"=" + value + b"\n"
        n = len(rec) + len(str(len(rec)))
        if len(str(n)) != len(str(len(rec))):
            n = len(rec) + len(str(n))
        body += str(n).encode() + rec
    return header(name, len(body), b"x") + pad(body)


def end():
    return b"\0" * 1024


def layer(*entries):
    return b"".join(entries) + end()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def tool(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


# ---------------------------------------------------------------- archives
def tar_of(files):
    """An outer archive: `files` is a list of (name, bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def config(diff_ids, extra=None):
    c = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "ADD layer"} for _ in diff_ids],
    }
    c.update(extra or {})
    return json.dumps(c).encode()


def docker(layers, raw_layers=None, manifest=None, config_bytes=None, extra=(), diff_ids=None):
    """A `docker save` archive. `layers`: uncompressed layer tars (their diff_ids go in the
    config); `raw_layers`: the bytes stored instead (compressed, tampered...)."""
    stored = raw_layers if raw_layers is not None else layers
    ids = diff_ids if diff_ids is not None else ["sha256:" + sha(l) for l in layers]
    cfg = config_bytes if config_bytes is not None else config(ids)
    cfg_name = sha(cfg) + ".json"
    names = ["%02d%s/layer.tar" % (i, "0" * 62) for i in range(len(stored))]
    man = manifest if manifest is not None else json.dumps(
        [{"Config": cfg_name, "RepoTags": ["hostile:latest"], "Layers": names}]).encode()
    files = [("manifest.json", man), (cfg_name, cfg)]
    files += list(zip(names, stored))
    files += list(extra)
    return tar_of(files)


def oci(layers_stored, diff_ids, index=None, manifest=None, config_bytes=None, extra_blobs=(),
        layer_media="application/vnd.oci.image.layer.v1.tar+gzip", platform=None,
        manifest_digest=None, config_digest=None, layer_digests=None, mislabelled=()):
    """An OCI archive. `mislabelled`: (digest hex, bytes) stored under a name that is not
    their digest."""
    cfg = config_bytes if config_bytes is not None else config(diff_ids)
    blobs = {sha(cfg): cfg}
    for l in layers_stored:
        blobs[sha(l)] = l
    man = manifest if manifest is not None else json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest or "sha256:" + sha(cfg), "size": len(cfg)},
        "layers": [{"mediaType": layer_media,
                    "digest": (layer_digests[i] if layer_digests else "sha256:" + sha(l)),
                    "size": len(l)} for i, l in enumerate(layers_stored)],
    }).encode()
    blobs[sha(man)] = man
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest or "sha256:" + sha(man), "size": len(man),
            "annotations": {"org.opencontainers.image.ref.name": "latest"}}
    if platform:
        desc["platform"] = platform
    idx = index if index is not None else json.dumps(
        {"schemaVersion": 2, "manifests": [desc]}).encode()
    for b in extra_blobs:
        blobs[sha(b)] = b
    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", idx)]
    blobs.update(dict(mislabelled))
    files += [("blobs/sha256/" + d, b) for d, b in sorted(blobs.items())]
    return tar_of(files)


def simple_layer():
    return layer(entry("etc/", kind=b"5", mode=0o755), entry("etc/hello", b"hello\n"))


def zeros_tar(size, compressor):
    """A layer holding one file of `size` zero bytes, compressed as it streams."""
    proc = subprocess.Popen(compressor, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = []
    import threading
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))
    reader.start()
    proc.stdin.write(header(b"zeros", size))
    chunk = b"\0" * (1 << 20)
    left = size
    while left:
        n = min(left, len(chunk))
        proc.stdin.write(chunk[:n])
        left -= n
    proc.stdin.write(b"\0" * (-size % 512) + end())
    proc.stdin.close()
    reader.join()
    proc.wait()
    return out[0]


# ---------------------------------------------------------------- the corpus
def cases():
    ok = simple_layer()
    ok_id = "sha256:" + sha(ok)
    rnd = random.Random(8)
    c = {}
    # Not an image at all.
    c["empty.tar"] = b""
    c["garbage.tar"] = bytes(rnd.getrandbits(8) for _ in range(4096))
    c["no-manifest.tar"] = tar_of([("hello.txt", b"hi\n")])
    c["not-a-tar.tar.gz"] = gzip.compress(b"this is not a tar\n" * 64, mtime=0)
    c["corrupt-gzip-archive.tar.gz"] = gz(docker([ok]))[:200] + b"\xff" * 300
    # docker-archive metadata.
    c["manifest-not-json.tar"] = docker([ok], manifest=b"{not json")
    c["manifest-is-an-object.tar"] = docker([ok], manifest=b'{"Config": "x.json"}')
    c["manifest-lists-no-image.tar"] = docker([ok], manifest=b"[]")
    c["manifest-two-images.tar"] = docker([ok], manifest=json.dumps([
        {"Config": "a.json", "RepoTags": ["one:1"], "Layers": []},
        {"Config": "b.json", "RepoTags": ["two:2"], "Layers": []}]).encode())
    c["missing-layer.tar"] = docker([ok], manifest=json.dumps([
        {"Config": sha(config([ok_id])) + ".json", "Layers": ["gone/layer.tar"]}]).encode())
    c["missing-config.tar"] = docker([ok], manifest=json.dumps([
        {"Config": "nope.json", "Layers": []}]).encode())
    cfg_bad = b"{config"
    c["config-not-json.tar"] = docker([ok], manifest=json.dumps([
        {"Config": "cfg.json", "Layers": []}]).encode(), extra=[("cfg.json", cfg_bad)])
    c["diff-ids-count.tar"] = docker([ok], diff_ids=[ok_id, ok_id])
    c["diff-id-mismatch.tar"] = docker([ok], diff_ids=["sha256:" + "0" * 64])
    c["diff-id-not-sha256.tar"] = docker([ok], diff_ids=["md5:" + "0" * 32])
    other = config([ok_id], {"author": "someone else"})
    c["config-digest-mismatch.tar"] = docker([ok], manifest=json.dumps([
        {"Config": "blobs/sha256/" + sha(config([ok_id])),
         "Layers": ["l/layer.tar"]}]).encode(),
        extra=[("blobs/sha256/" + sha(config([ok_id])), other), ("l/layer.tar", ok)])
    c["layer-path-traversal.tar"] = docker([ok], manifest=json.dumps([
        {"Config": sha(config([ok_id])) + ".json",
         "Layers": ["../../../../etc/passwd"]}]).encode())
    c["layer-absolute-path.tar"] = docker([ok], manifest=json.dumps([
        {"Config": sha(config([ok_id])) + ".json", "Layers": ["/etc/passwd"]}]).encode())
    c["manifest-too-big.tar"] = docker([ok], manifest=json.dumps([
        {"Config": sha(config([ok_id])) + ".json",
         "Layers": ["00" + "0" * 62 + "/layer.tar"]}]).encode() + b" " * 2048)
    c["too-many-layers.tar"] = docker([ok, ok, ok])
    c["escape-in-layer-name.tar"] = docker([ok], manifest=json.dumps([
        {"Config": sha(config([ok_id])) + ".json",
         "Layers": ["\x1b[2J\x1b]0;pwned\x07evil/layer.tar"]}]).encode())
    # Layer tars.
    junk = bytes(rnd.getrandbits(8) for _ in range(2048))
    c["layer-not-a-tar.tar"] = docker([junk])
    c["layer-truncated.tar"] = docker([header(b"big", 100000) + b"x" * 1000])
    c["layer-bad-checksum.tar"] = docker([header(b"f", 5, bad_sum=True) + pad(b"hello") + end()])
    c["layer-bad-size-field.tar"] = docker([header(b"f", size_field=b"zzzzzzzzzzz\0") + end()])
    c["layer-xz.tar"] = docker([ok], raw_layers=[tool(["xz", "-c"], ok)])
    c["layer-bzip2.tar"] = docker([ok], raw_layers=[b"BZh91AY&SY" + b"\0" * 64])
    c["layer-gzip-corrupt.tar"] = docker([ok], raw_layers=[gz(ok)[:40] + b"\x00" * 64])
    big = layer(entry("blob", b"\x5a" * (2 << 20)))
    c["layer-over-size-limit.tar"] = docker([big], raw_layers=[gz(big)])
    bomb = zeros_tar(320 << 20, ["gzip", "-9", "-n", "-c"])
    c["gzip-bomb.tar"] = docker([], raw_layers=[bomb], diff_ids=["sha256:" + "1" * 64])
    zbomb = zeros_tar(1 << 30, ["zstd", "-19", "-q", "-c"])
    c["zstd-bomb.tar"] = docker([], raw_layers=[zbomb], diff_ids=["sha256:" + "2" * 64])
    many = layer(*[entry("f%04d" % i) for i in range(200)])
    c["too-many-entries.tar"] = docker([many])
    long_name = ("d" * 200 + "/") * 25 + "file"
    c["path-too-long.tar"] = docker([layer(pax([(b"path", long_name.encode())]), entry("x", b"1"))])
    deep = "a/" * 300 + "file"
    c["path-too-deep.tar"] = docker([layer(pax([(b"path", deep.encode())]), entry("x", b"1"))])
    c["pax-header-huge.tar.gz"] = gz(docker([layer(header(b"PaxHeaders/x", 2 << 20, b"x") +
                                                   b"9 a=bcd\n" * (1 << 18) + entry("x"))]))
    c["gnu-longname-huge.tar.gz"] = gz(docker([layer(header(b"././@LongLink", 3 << 20, b"L") +
                                                     b"n" * (3 << 20) + entry("x"))]))
    # OCI layouts.
    gzl = gz(ok)
    c["oci-index-not-json.tar"] = oci([gzl], [ok_id], index=b"\x00\x01 not json")
    c["oci-index-empty.tar"] = oci([gzl], [ok_id], index=b'{"schemaVersion":2,"manifests":[]}')
    c["oci-digest-traversal.tar"] = oci([gzl], [ok_id],
                                        manifest_digest="sha256:../../../../../etc/passwd")
    c["oci-md5-digest.tar"] = oci([gzl], [ok_id], manifest_digest="md5:" + "0" * 32)
    # A blob stored under a name that is not its digest.
    ok_cfg = config([ok_id])
    c["oci-config-digest-mismatch.tar"] = oci([gzl], [ok_id], config_digest="sha256:" + "4" * 64,
                                              mislabelled=[("4" * 64, ok_cfg)])
    man = json.dumps({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + sha(ok_cfg), "size": len(ok_cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + sha(gzl), "size": len(gzl)}]}).encode()
    c["oci-manifest-digest-mismatch.tar"] = oci([gzl], [ok_id], manifest_digest="sha256:" + "3" * 64,
                                                mislabelled=[("3" * 64, man)])
    c["oci-missing-layer.tar"] = oci([gzl], [ok_id], layer_digests=["sha256:" + "5" * 64])
    tampered = bytearray(gzl)
    tampered[len(tampered) // 2] ^= 0x01
    # The manifest names the good digest; the blob stored under that name is tampered.
    good = oci([gzl], [ok_id])
    c["oci-tampered-layer.tar"] = good.replace(gzl, bytes(tampered))
    c["oci-wrong-platform.tar"] = oci([gzl], [ok_id],
                                      platform={"os": "linux", "architecture": "s390x"})
    # Nine indexes, each pointing at the next: deeper than anyone nests.
    inner = json.dumps({"schemaVersion": 2, "manifests": []}).encode()
    chain = [inner]
    for _ in range(9):
        d = {"mediaType": "application/vnd.oci.image.index.v1+json",
             "digest": "sha256:" + sha(chain[-1]), "size": len(chain[-1])}
        chain.append(json.dumps({"schemaVersion": 2, "manifests": [d]}).encode())
    c["oci-nested-indexes.tar"] = oci([gzl], [ok_id], index=chain[-1], extra_blobs=chain[:-1])
    return c


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(cases().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print("%-36s %9d bytes" % (name, len(data)), file=sys.stderr)


if __name__ == "__main__":
    main()
