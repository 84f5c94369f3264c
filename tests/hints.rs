//! Hints (DESIGN.md section 4, `hints[]`): for every hint id an image built to trigger it, read
//! back through `strata report --json`, with the layer, the bytes and the paths checked
//! exactly; a clean image gets no hint at all, and no secret content ever reaches the output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::*;

/// A small base layer, like a distroless/alpine root filesystem.
fn base() -> Vec<Item> {
    vec![
        Item::Dir("etc"),
        file(
            "etc/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
        ),
        Item::DirMode("tmp", 0o1777),
        Item::FileMode("bin/sh", noise(1, 120_000), 0o755),
    ]
}

const BASE: &str = "ADD file:4f1d9bb8d4e3a0c1 in /";

/// The parsed report and its raw text.
fn report_of(archive: &Path) -> (Value, String) {
    let (code, out, err) = strata(&["report", "--json", archive.to_str().unwrap()]);
    assert_eq!(code, 0, "strata report --json failed: {err}");
    (serde_json::from_str(&out).unwrap(), out)
}

fn report(spec: &Spec) -> (Value, String) {
    let dir = tempdir();
    let archive = dir.path().join("image.tar");
    spec.docker_archive(&archive);
    report_of(&archive)
}

fn hints(report: &Value) -> &Vec<Value> {
    report["hints"].as_array().expect("hints[] in the report")
}

fn ids(report: &Value) -> Vec<&str> {
    hints(report)
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect()
}

/// The one hint with this id.
fn only<'a>(report: &'a Value, id: &str) -> &'a Value {
    let found: Vec<&Value> = hints(report).iter().filter(|h| h["id"] == id).collect();
    assert_eq!(
        found.len(),
        1,
        "one {id} hint expected in {:#?}",
        hints(report)
    );
    found[0]
}

fn paths(hint: &Value) -> Vec<&str> {
    hint["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect()
}

fn message(hint: &Value) -> &str {
    hint["message"].as_str().unwrap()
}

fn assert_mentions(hint: &Value, needles: &[&str]) {
    for n in needles {
        assert!(
            message(hint).contains(n),
            "message of {} should mention {n:?}: {}",
            hint["id"],
            message(hint)
        );
    }
}

#[test]
fn deleted_later_names_the_storing_layer_and_the_rm() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "RUN curl -fsSL -o /tmp/sdk.tar.gz https://example.com/sdk.tar.gz && mkdir /tmp/build",
            vec![
                file("tmp/sdk.tar.gz", &noise(2, 1_500_000)),
                Item::Dir("tmp/build"),
                file("tmp/build/libsdk.a", &noise(3, 400_000)),
                file("tmp/build/include/sdk.h", &noise(4, 20_000)),
            ],
        )
        .layer(
            "RUN rm -rf /tmp/sdk.tar.gz /tmp/build",
            vec![
                Item::Whiteout("tmp/sdk.tar.gz"),
                Item::Whiteout("tmp/build"),
            ],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["deleted-later"]);
    let h = only(&r, "deleted-later");
    assert_eq!(h["severity"], "warning");
    assert_eq!(h["layer"], 1);
    assert_eq!(h["bytes"], 1_920_000);
    assert_eq!(
        paths(h),
        [
            "/tmp/sdk.tar.gz",
            "/tmp/build/libsdk.a",
            "/tmp/build/include/sdk.h"
        ]
    );
    assert_mentions(
        h,
        &[
            "`RUN rm -rf /tmp/sdk.tar.gz /tmp/build` in layer 2",
            "1.92 MB still ship in layer 1",
            "same RUN that creates the files",
            "multi-stage build",
        ],
    );
}

#[test]
fn more_paths_than_listed_are_counted_in_full() {
    // 30 files deleted later: the hint lists 20 paths, the message names 3 and counts the
    // other 27 (not the 17 left of the cut-down list).
    let files: Vec<Item> = (0..30)
        .map(|i| {
            Item::Raw(
                format!("tmp/junk/f{i:02}"),
                tar::EntryType::Regular,
                noise(500 + i, 1_000 + i as usize),
            )
        })
        .collect();
    let spec = Spec::new()
        .layer(BASE, base())
        .layer("RUN make junk", files)
        .layer("RUN rm -rf /tmp/junk", vec![Item::Whiteout("tmp/junk")]);
    let dir = tempdir();
    let archive = dir.path().join("image.tar");
    spec.docker_archive(&archive);
    let (r, _) = report_of(&archive);
    let h = only(&r, "deleted-later");
    assert_eq!(h["layer"], 1);
    assert_eq!(paths(h).len(), 20);
    assert_eq!(paths(h)[0], "/tmp/junk/f29");
    assert_mentions(
        h,
        &["/tmp/junk/f29, /tmp/junk/f28, /tmp/junk/f27 and 27 more"],
    );
    // The text report lists three paths under the hint and counts the rest in full.
    let (code, text, err) = strata(&["report", archive.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let at = text
        .find("] deleted-later")
        .expect("the hint in the text report");
    let lines: Vec<&str> = text[at..].lines().take(5).collect();
    assert_eq!(
        lines[1..].iter().map(|l| l.trim()).collect::<Vec<_>>(),
        [
            "/tmp/junk/f29",
            "/tmp/junk/f28",
            "/tmp/junk/f27",
            "… 27 more"
        ],
        "{text}"
    );
}

#[test]
fn chmod_of_copied_files_is_a_metadata_copy_up() {
    let server = noise(10, 60_000);
    let db = noise(11, 25_000);
    let readme = noise(12, 3_000);
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "COPY dir:9c1e77aa in /app",
            vec![
                Item::Dir("app"),
                Item::File("app/server.js", server.clone()),
                Item::File("app/lib/db.js", db.clone()),
                Item::File("app/README.md", readme.clone()),
            ],
        )
        .layer(
            "RUN chmod -R 755 /app",
            vec![
                Item::DirMode("app", 0o755),
                Item::FileMode("app/server.js", server, 0o755),
                Item::FileMode("app/lib/db.js", db, 0o755),
                Item::FileMode("app/README.md", readme, 0o755),
            ],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["metadata-copy-up"]);
    let h = only(&r, "metadata-copy-up");
    assert_eq!(h["severity"], "info");
    assert_eq!(h["layer"], 2);
    assert_eq!(h["bytes"], 88_000);
    assert_eq!(
        paths(h),
        ["/app/server.js", "/app/lib/db.js", "/app/README.md"]
    );
    assert_mentions(
        h,
        &[
            "`RUN chmod -R 755 /app` in layer 2 changed only the mode of 3 files",
            "88 kB",
            "copy-up",
            "COPY --chmod",
        ],
    );
}

#[test]
fn apt_lists_and_pip_cache_get_their_own_cleanup() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "RUN apt-get update && apt-get install -y --no-install-recommends curl",
            vec![
                Item::FileMode("usr/bin/curl", noise(20, 30_000), 0o755),
                file(
                    "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
                    &noise(21, 45_000),
                ),
                file(
                    "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
                    &noise(22, 15_000),
                ),
                file("var/lib/apt/lists/lock", b""),
                file("var/cache/apt/pkgcache.bin", &noise(23, 25_000)),
            ],
        )
        .layer(
            "RUN pip install flask",
            vec![
                file(
                    "usr/local/lib/python3.12/site-packages/flask/app.py",
                    &noise(24, 20_000),
                ),
                file(
                    "root/.cache/pip/http-v2/a/b/c/d/e/0f1e2d3c4b5a",
                    &noise(25, 12_000),
                ),
            ],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["package-cache", "package-cache"]);
    let apt = &hints(&r)[0];
    assert_eq!(apt["severity"], "info");
    assert_eq!(apt["layer"], 1);
    assert_eq!(apt["bytes"], 85_000);
    assert_eq!(
        paths(apt),
        [
            "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
            "/var/cache/apt/pkgcache.bin",
            "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
        ]
    );
    assert_mentions(apt, &["apt", "rm -rf /var/lib/apt/lists/*", "same RUN"]);
    let pip = &hints(&r)[1];
    assert_eq!(pip["layer"], 2);
    assert_eq!(pip["bytes"], 12_000);
    assert_eq!(
        paths(pip),
        ["/root/.cache/pip/http-v2/a/b/c/d/e/0f1e2d3c4b5a"]
    );
    assert_mentions(pip, &["pip", "pip install --no-cache-dir"]);
}

#[test]
fn every_package_manager_gets_its_cleanup_flag() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "RUN apk update && apk add nodejs npm",
            vec![file(
                "var/cache/apk/APKINDEX.66df3fcf.tar.gz",
                &noise(30, 21_000),
            )],
        )
        .layer(
            "RUN npm install -g pnpm",
            vec![file(
                "root/.npm/_cacache/content-v2/sha512/ab/cd/0123456789abcdef",
                &noise(31, 32_000),
            )],
        )
        .layer(
            "RUN yarn global add serve",
            vec![
                file(
                    "usr/local/share/.cache/yarn/v6/npm-serve-14.2.1/node_modules/serve/build/main.js",
                    &noise(32, 43_000),
                ),
                // Big enough that the four RUN layers are not all tiny.
                file(
                    "usr/local/share/.config/yarn/global/node_modules/serve/build/main.js",
                    &noise(34, 70_000),
                ),
            ],
        )
        .layer(
            "RUN dnf install -y jq",
            vec![file(
                "var/cache/dnf/fedora-2d95c80a1fa0a67d/repodata/primary.xml.zck",
                &noise(33, 54_000),
            )],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["package-cache"; 4]);
    let expect = [
        (4, 54_000, "dnf clean all"),
        (3, 43_000, "yarn cache clean"),
        (2, 32_000, "npm cache clean --force"),
        (1, 21_000, "apk add --no-cache"),
    ];
    for (h, (layer, bytes, fix)) in hints(&r).iter().zip(expect) {
        assert_eq!(h["layer"], layer);
        assert_eq!(h["bytes"], bytes);
        assert_eq!(paths(h).len(), 1);
        assert_mentions(h, &[fix]);
    }
}

#[test]
fn compilers_and_headers_suggest_a_multi_stage_build() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "RUN apt-get install -y build-essential",
            vec![
                Item::FileMode(
                    "usr/lib/gcc/x86_64-linux-gnu/12/cc1",
                    noise(40, 900_000),
                    0o755,
                ),
                Item::FileMode("usr/bin/gcc-12", noise(41, 200_000), 0o755),
                Item::Symlink("usr/bin/gcc", "gcc-12"),
                file("usr/include/stdio.h", &noise(42, 30_000)),
                file(
                    "usr/include/x86_64-linux-gnu/bits/types.h",
                    &noise(43, 5_000),
                ),
            ],
        )
        .layer(
            "RUN make -C /src && cp /src/server /usr/local/bin/server",
            vec![Item::FileMode(
                "usr/local/bin/server",
                noise(44, 150_000),
                0o755,
            )],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["build-toolchain"]);
    let h = only(&r, "build-toolchain");
    assert_eq!(h["severity"], "warning");
    assert_eq!(h["layer"], 1);
    assert_eq!(h["bytes"], 1_135_000);
    assert_eq!(
        paths(h),
        [
            "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
            "/usr/bin/gcc-12",
            "/usr/include/stdio.h",
            "/usr/include/x86_64-linux-gnu/bits/types.h",
        ]
    );
    assert_mentions(h, &["gcc", "C headers", "multi-stage build"]);
}

#[test]
fn copy_everything_before_npm_ci_busts_the_cache() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "COPY . . # buildkit",
            vec![
                Item::Dir("app"),
                file("app/package.json", &noise(50, 1_200)),
                file("app/package-lock.json", &noise(51, 48_000)),
                file("app/src/index.js", &noise(52, 9_000)),
            ],
        )
        .layer(
            "RUN /bin/sh -c npm ci --omit=dev # buildkit",
            vec![
                file(
                    "app/node_modules/express/lib/router/index.js",
                    &noise(53, 300_000),
                ),
                file("app/node_modules/express/package.json", &noise(54, 2_000)),
            ],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["cache-busting-order"]);
    let h = only(&r, "cache-busting-order");
    assert_eq!(h["severity"], "info");
    assert_eq!(h["layer"], 2);
    assert_eq!(h["bytes"], 302_000);
    assert_eq!(paths(h), ["/app/package-lock.json", "/app/package.json"]);
    assert_mentions(
        h,
        &[
            "`COPY . .` in layer 1",
            "`RUN npm ci --omit=dev` in layer 2",
            "copy the dependency manifests first",
            "package.json",
            "then COPY the rest",
        ],
    );
}

/// BuildKit writes a RUN with build args as `RUN |N K=V ... /bin/sh -c x # buildkit`; its
/// install is found as the classic builder's `|N ...` always was (it used to be missed).
#[test]
fn install_behind_buildkit_build_args_busts_the_cache_too() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "COPY . . # buildkit",
            vec![
                file("app/package.json", &noise(55, 1_200)),
                file("app/src/index.js", &noise(56, 9_000)),
            ],
        )
        .layer(
            "RUN |1 NODE_ENV=production /bin/sh -c npm ci # buildkit",
            vec![file("app/node_modules/x/index.js", &noise(57, 20_000))],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["cache-busting-order"]);
    let h = only(&r, "cache-busting-order");
    assert_eq!(h["layer"], 2);
    assert_eq!(h["bytes"], 20_000);
    assert_eq!(paths(h), ["/app/package.json"]);
    assert_mentions(
        h,
        &[
            "`COPY . .` in layer 1",
            // The quoted command is the cleaned one, build args and all, as before.
            "`RUN |1 NODE_ENV=production /bin/sh -c npm ci` in layer 2 (npm install)",
        ],
    );
}

#[test]
fn classic_builder_dir_copy_before_pip_install_busts_the_cache() {
    let app = |seed| {
        vec![
            file("srv/app/requirements.txt", &noise(seed, 900)),
            file("srv/app/main.py", &noise(seed + 1, 14_000)),
        ]
    };
    let deps = || {
        vec![file(
            "usr/local/lib/python3.12/site-packages/django/__init__.py",
            &noise(62, 1_200_000),
        )]
    };
    let install = "/bin/sh -c pip install --no-cache-dir -r requirements.txt";
    let bad = Spec::new()
        .layer(BASE, base())
        .layer("/bin/sh -c #(nop) COPY dir:3b1f0c9d in /srv/app ", app(60))
        .layer(install, deps());
    let (r, _) = report(&bad);
    assert_eq!(ids(&r), ["cache-busting-order"]);
    let h = only(&r, "cache-busting-order");
    assert_eq!(h["severity"], "warning");
    assert_eq!(h["layer"], 2);
    assert_eq!(h["bytes"], 1_200_000);
    assert_eq!(paths(h), ["/srv/app/requirements.txt"]);
    assert_mentions(h, &["pip install -r", "requirements.txt"]);

    // The right order: the manifest alone, the install, then the sources.
    let good = Spec::new()
        .layer(BASE, base())
        .layer(
            "/bin/sh -c #(nop) COPY file:77a0e1 in /srv/app/ ",
            vec![file("srv/app/requirements.txt", &noise(60, 900))],
        )
        .layer(install, deps())
        .layer(
            "/bin/sh -c #(nop) COPY dir:3b1f0c9d in /srv/app ",
            vec![file("srv/app/main.py", &noise(61, 14_000))],
        );
    let (r, _) = report(&good);
    assert!(hints(&r).is_empty(), "{:#?}", hints(&r));
}

/// The archive of `spec` with the config's `User` replaced (`None` removes it).
fn with_user(spec: &Spec, dir: &Path, user: Option<&str>) -> PathBuf {
    let original = dir.join("original.tar");
    spec.docker_archive(&original);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut ar = tar::Archive::new(std::fs::File::open(&original).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        files.push((name, data));
    }
    let mi = files.iter().position(|f| f.0 == "manifest.json").unwrap();
    let mut manifest: Value = serde_json::from_slice(&files[mi].1).unwrap();
    let config_name = manifest[0]["Config"].as_str().unwrap().to_string();
    let ci = files.iter().position(|f| f.0 == config_name).unwrap();
    let mut config: Value = serde_json::from_slice(&files[ci].1).unwrap();
    let c = config["config"].as_object_mut().unwrap();
    match user {
        Some(u) => c.insert("User".into(), Value::from(u)),
        None => c.remove("User"),
    };
    let bytes = serde_json::to_vec(&config).unwrap();
    let new_name = format!("{}.json", &sha(&bytes)[7..]);
    files[ci] = (new_name.clone(), bytes);
    manifest[0]["Config"] = Value::from(new_name);
    files[mi].1 = serde_json::to_vec(&manifest).unwrap();
    let out = dir.join(format!(
        "user-{}.tar",
        user.unwrap_or("unset").replace(':', "-")
    ));
    write_tar(&out, &files);
    out
}

#[test]
fn root_user_is_reported_whatever_its_spelling() {
    let spec = Spec::new().layer(BASE, base()).layer(
        "COPY server /usr/local/bin/server",
        vec![Item::FileMode(
            "usr/local/bin/server",
            noise(70, 90_000),
            0o755,
        )],
    );
    let dir = tempdir();
    for user in [
        None,
        Some(""),
        Some("root"),
        Some("0"),
        Some("0:0"),
        Some("root:root"),
    ] {
        let (r, _) = report_of(&with_user(&spec, dir.path(), user));
        assert_eq!(r["image"]["config"]["user"], Value::from(user), "{user:?}");
        assert_eq!(ids(&r), ["root-user"], "{user:?}");
        let h = only(&r, "root-user");
        assert_eq!(h["severity"], "warning");
        assert_eq!(h["bytes"], 0);
        assert_eq!(h["layer"], Value::Null);
        assert!(paths(h).is_empty());
        assert_mentions(h, &["runs as root", "add a USER"]);
    }
    for user in ["1000", "app", "65532:65532"] {
        let (r, _) = report_of(&with_user(&spec, dir.path(), Some(user)));
        assert!(hints(&r).is_empty(), "{user}: {:#?}", hints(&r));
    }
}

const KEY_BODY: &str =
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBzdHJhdGE";

#[test]
fn ssh_key_deleted_later_is_still_a_secret() {
    let key = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
    );
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "COPY id_rsa /root/.ssh/id_rsa # buildkit",
            vec![
                Item::DirMode("root/.ssh", 0o700),
                Item::FileMode("root/.ssh/id_rsa", key.clone().into_bytes(), 0o600),
            ],
        )
        .layer(
            "RUN git clone git@github.com:acme/app.git /src && rm /root/.ssh/id_rsa",
            vec![
                file("src/main.go", &noise(80, 20_000)),
                Item::Whiteout("root/.ssh/id_rsa"),
            ],
        );
    let (r, raw) = report(&spec);
    assert!(
        !raw.contains(KEY_BODY),
        "the key material leaked into the report"
    );
    assert!(
        !raw.contains("BEGIN OPENSSH"),
        "the key material leaked into the report"
    );
    assert_eq!(ids(&r), ["secret-removed"]);
    let h = only(&r, "secret-removed");
    assert_eq!(h["severity"], "error");
    assert_eq!(h["layer"], 1);
    assert_eq!(h["bytes"], key.len());
    assert_eq!(paths(h), ["/root/.ssh/id_rsa"]);
    assert_mentions(
        h,
        &[
            "SSH private key",
            "/root/.ssh/id_rsa",
            "stored in layer 1",
            "in layer 2",
            "RUN --mount=type=secret",
            "rotate",
        ],
    );
}

#[test]
fn env_file_and_npm_token_in_the_final_view_are_secrets() {
    let env = b"DATABASE_URL=postgres://app:hunter2@db:5432/app\n";
    let npmrc = b"//registry.npmjs.org/:_authToken=npm_0123456789abcdefSECRET\n";
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "COPY . . # buildkit",
            vec![
                file("app/.env", env),
                file("app/.env.example", b"DATABASE_URL=\n"),
                file("app/main.py", &noise(90, 8_000)),
            ],
        )
        .layer(
            "COPY .npmrc /root/.npmrc # buildkit",
            vec![
                file("root/.npmrc", npmrc),
                file(
                    "home/app/.npmrc",
                    b"registry=https://registry.example.com/\n",
                ),
            ],
        );
    let (r, raw) = report(&spec);
    for leaked in ["hunter2", "npm_0123456789abcdefSECRET"] {
        assert!(!raw.contains(leaked), "{leaked} leaked into the report");
    }
    assert_eq!(ids(&r), ["secret", "secret"]);
    let by_path = |p: &str| {
        hints(&r)
            .iter()
            .find(|h| paths(h) == [p])
            .unwrap_or_else(|| panic!("no secret hint for {p}: {:#?}", hints(&r)))
    };
    let env_hint = by_path("/app/.env");
    assert_eq!(env_hint["severity"], "error");
    assert_eq!(env_hint["layer"], 1);
    assert_eq!(env_hint["bytes"], env.len());
    assert_eq!(paths(env_hint), ["/app/.env"]);
    assert_mentions(
        env_hint,
        &["environment file", "/app/.env", "layer 1", "remove it"],
    );
    let npm_hint = by_path("/root/.npmrc");
    assert_eq!(npm_hint["severity"], "error");
    assert_eq!(npm_hint["layer"], 2);
    assert_eq!(npm_hint["bytes"], npmrc.len());
    assert_eq!(paths(npm_hint), ["/root/.npmrc"]);
    assert_mentions(npm_hint, &["token", "/root/.npmrc", "layer 2"]);
}

#[test]
fn certificate_without_private_key_is_not_a_secret() {
    let cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVPbmx5\n-----END CERTIFICATE-----\n";
    let spec = Spec::new().layer(BASE, base()).layer(
        "COPY acme-root-ca.pem /usr/local/share/ca-certificates/acme-root-ca.pem",
        vec![
            file(
                "usr/local/share/ca-certificates/acme-root-ca.pem",
                cert.as_bytes(),
            ),
            file("etc/ssl/certs/acme-root-ca.pem", cert.as_bytes()),
        ],
    );
    let (r, _) = report(&spec);
    assert!(hints(&r).is_empty(), "{:#?}", hints(&r));
}

#[test]
fn same_assets_copied_twice_are_duplicates() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "COPY assets /srv/static",
            vec![
                file("srv/static/hero.jpg", &noise(100, 400_000)),
                file("srv/static/logo.svg", &noise(101, 150_000)),
                file("srv/static/favicon.ico", &noise(102, 5_000)),
            ],
        )
        .layer(
            "COPY assets /srv/public",
            vec![
                file("srv/public/hero.jpg", &noise(100, 400_000)),
                file("srv/public/logo.svg", &noise(101, 150_000)),
                file("srv/public/favicon.ico", &noise(102, 5_000)),
                Item::Hardlink("srv/static/hero-link.jpg", "srv/static/hero.jpg"),
            ],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["duplicate-content"]);
    let h = only(&r, "duplicate-content");
    assert_eq!(h["severity"], "info");
    assert_eq!(h["layer"], 2);
    assert_eq!(h["bytes"], 550_000);
    assert_eq!(
        paths(h),
        [
            "/srv/static/hero.jpg",
            "/srv/public/hero.jpg",
            "/srv/static/logo.svg",
            "/srv/public/logo.svg",
        ]
    );
    assert_mentions(h, &["2 groups", "550 kB", "symlink or hardlink"]);
}

#[test]
fn setuid_and_world_writable_paths_the_image_adds() {
    let spec = Spec::new()
        .layer(
            BASE,
            vec![
                Item::DirMode("tmp", 0o1777),
                Item::FileMode("usr/bin/passwd", noise(110, 60_000), 0o4755),
                Item::FileMode("usr/bin/chage", noise(111, 70_000), 0o2755),
            ],
        )
        .layer(
            "RUN install -m 4755 helper /usr/local/bin/helper && mkdir -m 777 /app/data",
            vec![
                Item::FileMode("usr/local/bin/helper", noise(112, 8_000), 0o4755),
                Item::FileMode("usr/local/bin/report", noise(113, 6_000), 0o2755),
                Item::Dir("app"),
                Item::DirMode("app/data", 0o777),
                Item::FileMode("app/data/app.log", noise(114, 1_000), 0o666),
                Item::DirMode("app/cache", 0o1777),
                Item::Symlink("app/current", "data"),
            ],
        );
    let (r, _) = report(&spec);
    // The base's own setuid programs are the base's hint, after the image's.
    assert_eq!(ids(&r), ["setuid", "world-writable", "setuid"]);
    assert_eq!(from_base(&r), [false, false, true]);
    let base = &hints(&r)[2];
    assert_eq!(base["layer"], 0);
    assert_eq!(paths(base), ["/usr/bin/chage", "/usr/bin/passwd"]);
    let s = &hints(&r)[0];
    assert_eq!(s["severity"], "warning");
    assert_eq!(s["layer"], 1);
    assert_eq!(s["bytes"], 14_000);
    assert_eq!(paths(s), ["/usr/local/bin/helper", "/usr/local/bin/report"]);
    assert_mentions(s, &["2 setuid/setgid files", "chmod u-s,g-s"]);
    let w = only(&r, "world-writable");
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["layer"], 1);
    assert_eq!(w["bytes"], 1_000);
    assert_eq!(paths(w), ["/app/data/app.log", "/app/data"]);
    assert_mentions(w, &["2 world-writable paths", "chmod o-w"]);
}

#[test]
fn a_layer_writing_below_a_lower_file_cannot_be_unpacked() {
    let mut lower = base();
    lower.extend([
        file("opt/tool", b"a file, not a directory"),
        Item::Fifo("run/pipe"),
        file("srv/www", b"replaced by a directory entry"),
        file("var/x", b"deleted first"),
    ]);
    let spec = Spec::new().layer(BASE, lower).layer(
        "RUN unpack-by-hand",
        vec![
            file("opt/tool/config", b"below a file"),
            file("opt/tool/data", b"below it too"),
            file("run/pipe/x", b"below a fifo"),
            // Listing the directory before its contents, or deleting the path first, is how
            // a runtime can unpack it: no hint for these.
            Item::Dir("srv/www"),
            file("srv/www/index.html", b"fine"),
            Item::Whiteout("var/x"),
            file("var/x/y", b"fine too"),
        ],
    );
    let (r, _) = report(&spec);
    let h = only(&r, "written-below-non-directory");
    assert_eq!(h["severity"], "error");
    assert_eq!(h["layer"], 1);
    assert_eq!(h["bytes"], 0);
    assert_eq!(paths(h), ["/opt/tool", "/run/pipe"]);
    assert_mentions(
        h,
        &[
            "`RUN unpack-by-hand` in layer 1 writes below 2 paths",
            "/opt/tool, a file from layer 0; /run/pipe, a fifo from layer 0",
            "not a directory",
        ],
    );
}

#[test]
fn many_small_run_steps_could_be_one() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "RUN mkdir -p /app/logs /app/tmp",
            vec![
                Item::Dir("app"),
                Item::Dir("app/logs"),
                Item::Dir("app/tmp"),
            ],
        )
        .layer(
            "RUN groupadd -r app && useradd -r -g app app",
            vec![
                file("etc/passwd", &noise(120, 1_100)),
                file("etc/group", &noise(121, 600)),
            ],
        )
        .layer(
            "RUN echo Europe/Paris > /etc/timezone",
            vec![file("etc/timezone", b"Europe/Paris\n")],
        )
        .layer(
            "RUN chmod 750 /app/logs",
            vec![Item::DirMode("app/logs", 0o750)],
        )
        .layer("RUN touch /app/ready", vec![file("app/ready", b"")])
        .layer(
            "COPY server /app/server",
            vec![Item::FileMode("app/server", noise(122, 200_000), 0o755)],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["tiny-layers"]);
    let h = only(&r, "tiny-layers");
    assert_eq!(h["severity"], "info");
    assert_eq!(h["layer"], 1);
    assert_eq!(h["bytes"], 1_713);
    assert_eq!(
        paths(h),
        ["/etc/passwd", "/etc/group", "/etc/timezone", "/app/ready"]
    );
    assert_mentions(h, &["5 RUN steps in layers 1..5 could be one RUN", "&&"]);
}

#[test]
fn clean_multi_stage_image_has_no_hints() {
    let spec = Spec::new()
        .layer(
            BASE,
            vec![
                Item::Dir("etc"),
                file(
                    "etc/passwd",
                    b"root:x:0:0:root:/root:/sbin/nologin\napp:x:1000:1000::/app:/sbin/nologin\n",
                ),
                file("etc/group", b"root:x:0:\napp:x:1000:\n"),
                file("etc/ssl/certs/ca-certificates.crt", &noise(130, 210_000)),
                Item::DirMode("tmp", 0o1777),
            ],
        )
        .layer(
            "COPY --from=build /out/server /app/server # buildkit",
            vec![
                Item::Dir("app"),
                Item::FileMode("app/server", noise(131, 2_500_000), 0o755),
            ],
        )
        .layer(
            "COPY config.toml /app/config.toml # buildkit",
            vec![file("app/config.toml", b"listen = \"0.0.0.0:8080\"\n")],
        );
    let (r, _) = report(&spec);
    assert_eq!(r["image"]["config"]["user"], "1000:1000");
    assert!(hints(&r).is_empty(), "{:#?}", hints(&r));
}

// ---------------------------------------------------------------------------------------------
// Findings in layers the user did not write (issue #23, item 14): the same base layer gets
// the same hints in every image built on it, marked `from_base` and listed after the user's.

/// A Debian-like root filesystem: two setuid programs and a changelog shipped twice.
fn debian_rootfs() -> Vec<Item> {
    let changelog = noise(200, 150_000);
    vec![
        Item::Dir("etc"),
        file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
        Item::DirMode("tmp", 0o1777),
        Item::FileMode("bin/sh", noise(201, 120_000), 0o755),
        Item::FileMode("usr/bin/passwd", noise(202, 60_000), 0o4755),
        Item::FileMode("usr/bin/su", noise(203, 70_000), 0o4755),
        Item::File("usr/share/doc/libc6/changelog.gz", changelog.clone()),
        Item::File("usr/share/doc/libc-bin/changelog.gz", changelog),
    ]
}

/// debian:bookworm as the classic builder records it: the root filesystem, then its CMD.
fn debian() -> Spec {
    Spec::new()
        .layer(
            "/bin/sh -c #(nop) ADD file:f487632a30525707e9e43c5cf528 in / ",
            debian_rootfs(),
        )
        .empty_step("/bin/sh -c #(nop)  CMD [\"bash\"]")
}

/// A web server on debian: a deletion that does not shrink the image and a picture stored
/// twice, both the user's doing.
fn web_on_debian() -> Spec {
    debian()
        .layer(
            "/bin/sh -c apt-get update && apt-get install -y nginx",
            vec![
                Item::FileMode("usr/sbin/nginx", noise(210, 900_000), 0o755),
                file("tmp/nginx.deb", &noise(211, 300_000)),
            ],
        )
        .layer(
            "/bin/sh -c #(nop) COPY dir:02890ae628089e27 in /var/www/html/ ",
            vec![
                file("var/www/html/hero.jpg", &noise(212, 200_000)),
                file("var/www/html/img/hero.jpg", &noise(212, 200_000)),
            ],
        )
        .layer(
            "/bin/sh -c rm /tmp/nginx.deb",
            vec![Item::Whiteout("tmp/nginx.deb")],
        )
        .empty_step("/bin/sh -c #(nop)  CMD [\"nginx\", \"-g\", \"daemon off;\"]")
}

fn from_base(report: &Value) -> Vec<bool> {
    hints(report)
        .iter()
        .map(|h| {
            h["from_base"]
                .as_bool()
                .unwrap_or_else(|| panic!("from_base in {h:#}"))
        })
        .collect()
}

#[test]
fn the_base_layer_gets_the_same_hints_in_every_image_built_on_it() {
    let (alone, _) = report(&debian());
    let (web, _) = report(&web_on_debian());
    // The base image on its own: all of it is the base.
    assert_eq!(ids(&alone), ["setuid", "duplicate-content"]);
    assert_eq!(from_base(&alone), [true, true]);
    let setuid = only(&alone, "setuid");
    assert_eq!(setuid["layer"], 0);
    assert_eq!(paths(setuid), ["/usr/bin/su", "/usr/bin/passwd"]);
    let dup = only(&alone, "duplicate-content");
    assert_eq!(dup["bytes"], 150_000);
    assert_eq!(
        paths(dup),
        [
            "/usr/share/doc/libc-bin/changelog.gz",
            "/usr/share/doc/libc6/changelog.gz"
        ]
    );
    // The same layer at the bottom of another image: the very same hints, word for word.
    let web_base: Vec<&Value> = hints(&web)
        .iter()
        .filter(|h| h["from_base"] == true)
        .collect();
    assert_eq!(
        web_base,
        hints(&alone).iter().collect::<Vec<_>>(),
        "{:#?}",
        hints(&web)
    );
    assert_eq!(web["hints_base"]["layers"], 1);
    assert_eq!(web["hints_base"]["by"], "history");
}

#[test]
fn base_findings_come_after_the_users_own_and_stay_out_of_them() {
    let dir = tempdir();
    let archive = dir.path().join("web.tar");
    web_on_debian().docker_archive(&archive);
    let (r, _) = report_of(&archive);
    // The user's hints first (an info before a base warning), then the base's.
    assert_eq!(
        ids(&r),
        [
            "deleted-later",
            "duplicate-content",
            "setuid",
            "duplicate-content"
        ],
        "{:#?}",
        hints(&r)
    );
    assert_eq!(from_base(&r), [false, false, true, true]);
    // The user's duplicate names only the user's files; Debian's changelogs are the base's.
    let mine = &hints(&r)[1];
    assert_eq!(mine["layer"], 2);
    assert_eq!(mine["bytes"], 200_000);
    assert_eq!(
        paths(mine),
        ["/var/www/html/hero.jpg", "/var/www/html/img/hero.jpg"]
    );
    assert!(!message(mine).contains("changelog"), "{}", message(mine));
    assert_mentions(mine, &["1 group of identical files waste 200 kB"]);

    // The text report prints the base's under their own heading, after the user's.
    let (code, text, err) = strata(&["report", archive.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let line = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} in the text report:\n{text}"))
    };
    let heading = line("From the base image");
    assert!(line("] deleted-later") < heading, "{text}");
    assert!(line("] setuid") > heading, "{text}");
    assert!(
        text.lines().nth(heading).unwrap().contains("layer 0"),
        "{text}"
    );
    let dups: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("] duplicate-content"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(dups.len(), 2, "{text}");
    assert!(dups[0] < heading && dups[1] > heading, "{text}");
}

#[test]
fn the_base_ends_at_the_last_cmd_before_the_users_steps_or_where_base_says() {
    // A base on a base (python on debian): it ends with its own CMD.
    let spec = debian()
        .layer(
            "/bin/sh -c apt-get install -y python3",
            vec![Item::FileMode("usr/bin/newgrp", noise(220, 40_000), 0o4755)],
        )
        .empty_step("/bin/sh -c #(nop)  CMD [\"python3\"]")
        .layer(
            "COPY helper /usr/local/bin/helper # buildkit",
            vec![Item::FileMode(
                "usr/local/bin/helper",
                noise(221, 9_000),
                0o4755,
            )],
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["setuid", "setuid", "setuid", "duplicate-content"]);
    let layers: Vec<&Value> = hints(&r).iter().map(|h| &h["layer"]).collect();
    assert_eq!(layers, [2, 0, 1, 0]);
    assert_eq!(from_base(&r), [false, true, true, true]);
    assert_eq!(r["hints_base"]["layers"], 2);

    // A base whose history has none of the marks: only `--base` tells.
    let dir = tempdir();
    let base_spec = || {
        Spec::new()
            .layer(
                "/bin/sh -c #(nop) COPY file:01b0553b128d in /bin/busybox ",
                vec![Item::FileMode("bin/busybox", noise(230, 200_000), 0o4755)],
            )
            .layer(
                "/bin/sh -c /bin/busybox --install -s",
                vec![Item::Symlink("bin/ls", "busybox")],
            )
    };
    let base_tar = dir.path().join("base.tar");
    base_spec().docker_archive(&base_tar);
    let image = dir.path().join("image.tar");
    base_spec()
        .layer(
            "/bin/sh -c #(nop) COPY file:77a0e1 in /usr/local/bin/tool ",
            vec![Item::FileMode(
                "usr/local/bin/tool",
                noise(231, 5_000),
                0o2755,
            )],
        )
        .docker_archive(&image);
    let (plain, _) = report_of(&image);
    assert_eq!(ids(&plain), ["setuid", "setuid"]);
    assert_eq!(from_base(&plain), [false, false]);
    assert_eq!(plain["hints_base"]["layers"], 0);
    let (code, out, err) = strata(&[
        "report",
        "--json",
        "--base",
        base_tar.to_str().unwrap(),
        image.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let based: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ids(&based), ["setuid", "setuid"]);
    let layers: Vec<&Value> = hints(&based).iter().map(|h| &h["layer"]).collect();
    assert_eq!(layers, [2, 0]);
    assert_eq!(from_base(&based), [false, true]);
    assert_eq!(based["hints_base"]["layers"], 2);
    assert_eq!(based["hints_base"]["by"], "--base");
    assert_eq!(based["base"]["layers"], 2);
}

// ---------------------------------------------------------------------------------------------
// What a copy-up changed (issue #23, item 16).

#[test]
fn apt_rewriting_its_state_in_three_layers_is_one_hint_and_not_a_chmod() {
    let templates = noise(300, 757_560);
    let config = noise(301, 120_000);
    let debconf = |mtime: u64| {
        vec![
            Item::FileMeta(
                "var/cache/debconf/templates.dat",
                templates.clone(),
                Meta::new().mtime(mtime),
            ),
            Item::FileMeta(
                "var/cache/debconf/config.dat",
                config.clone(),
                Meta::new().mtime(mtime),
            ),
        ]
    };
    let with = |mut items: Vec<Item>, more: Item| {
        items.push(more);
        items
    };
    let mut rootfs = base();
    rootfs.extend(debconf(MTIME));
    let spec = Spec::new()
        .layer(BASE, rootfs)
        .layer(
            "/bin/sh -c apt-get update && apt-get install -y curl",
            with(
                debconf(MTIME + 100),
                Item::FileMode("usr/bin/curl", noise(302, 300_000), 0o755),
            ),
        )
        .layer(
            "/bin/sh -c apt-get install -y git",
            with(
                debconf(MTIME + 200),
                Item::FileMode("usr/bin/git", noise(303, 400_000), 0o755),
            ),
        )
        .layer(
            "/bin/sh -c apt-get install -y jq",
            with(
                debconf(MTIME + 300),
                Item::FileMode("usr/bin/jq", noise(304, 200_000), 0o755),
            ),
        );
    let (r, _) = report(&spec);
    assert_eq!(ids(&r), ["metadata-copy-up"], "{:#?}", hints(&r));
    let h = only(&r, "metadata-copy-up");
    assert_eq!(h["layer"], 1);
    assert_eq!(h["from_base"], false);
    assert_eq!(h["severity"], "warning");
    assert_eq!(h["bytes"], 3 * (757_560 + 120_000));
    assert_eq!(
        paths(h),
        [
            "/var/cache/debconf/templates.dat",
            "/var/cache/debconf/config.dat"
        ]
    );
    assert_mentions(
        h,
        &[
            "`RUN apt-get update && apt-get install -y curl` in layer 1",
            "layers 2 and 3",
            "same content, mode and owner",
            "only the mtime changed",
            "2.63 MB",
            "copy-up",
            "package manager's own state",
            "one RUN",
        ],
    );
    for wrong in ["chmod", "chown", "--chmod"] {
        assert!(!message(h).contains(wrong), "{wrong}: {}", message(h));
    }
}

#[test]
fn a_chmod_says_mode_a_chown_says_owner_and_each_gets_its_flag() {
    let server = noise(310, 60_000);
    let db = noise(311, 25_000);
    let model = noise(312, 50_000);
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "COPY dir:9c1e77aa in /app",
            vec![
                Item::File("app/server.js", server.clone()),
                Item::File("app/lib/db.js", db.clone()),
            ],
        )
        .layer(
            "RUN chmod 755 /app/server.js /app/lib/db.js",
            vec![
                Item::FileMode("app/server.js", server, 0o755),
                Item::FileMode("app/lib/db.js", db, 0o755),
            ],
        )
        .layer(
            "COPY file:5f313c65 in /data/model.bin",
            vec![Item::File("data/model.bin", model.clone())],
        )
        .layer(
            "RUN chown -R 1000:1000 /data",
            vec![Item::FileMeta(
                "data/model.bin",
                model,
                Meta::new().owner(1000, 1000),
            )],
        );
    let (r, _) = report(&spec);
    assert_eq!(
        ids(&r),
        ["metadata-copy-up", "metadata-copy-up"],
        "{:#?}",
        hints(&r)
    );
    let chmod = &hints(&r)[0];
    assert_eq!(chmod["layer"], 2);
    assert_eq!(chmod["bytes"], 85_000);
    assert_eq!(paths(chmod), ["/app/server.js", "/app/lib/db.js"]);
    assert_mentions(
        chmod,
        &[
            "`RUN chmod 755 /app/server.js /app/lib/db.js` in layer 2",
            "changed only the mode",
            "copy-up",
            "COPY --chmod",
        ],
    );
    assert!(!message(chmod).contains("--chown"), "{}", message(chmod));
    let chown = &hints(&r)[1];
    assert_eq!(chown["layer"], 4);
    assert_eq!(chown["bytes"], 50_000);
    assert_eq!(paths(chown), ["/data/model.bin"]);
    assert_mentions(
        chown,
        &[
            "`RUN chown -R 1000:1000 /data` in layer 4",
            "changed only the owner",
            "copy-up",
            "COPY --chown",
        ],
    );
    assert!(!message(chown).contains("--chmod"), "{}", message(chown));
}

/// Files written under a VOLUME an earlier step declared: one hint per layer and volume,
/// naming the files and their bytes; what was written before the declaration seeds the
/// volume and is fine.
#[test]
fn files_written_under_a_declared_volume_are_a_warning() {
    let spec = Spec::new()
        .layer(BASE, base())
        .layer(
            "RUN mkdir /data && echo seed > /data/seed",
            vec![file("data/seed", b"seed\n")],
        )
        .empty_step("VOLUME [/data]")
        .layer(
            "RUN echo x > /data/cache.db && echo y > /srv/y",
            vec![
                file("data/cache.db", &noise(5, 4000)),
                file("data/sub/more.db", &noise(6, 1000)),
                file("srv/y", b"y\n"),
            ],
        );
    let (rep, _) = report(&spec);
    let found: Vec<&Value> = hints(&rep)
        .iter()
        .filter(|h| h["id"] == "written-under-volume")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", hints(&rep));
    let h = found[0];
    assert_eq!(h["layer"], 2);
    assert_eq!(h["bytes"], 5000);
    assert_eq!(h["severity"], "warning");
    assert_eq!(
        h["paths"],
        serde_json::json!(["/data/cache.db", "/data/sub/more.db"])
    );
    let message = h["message"].as_str().unwrap();
    assert!(message.contains("under /data"), "{message}");
    assert!(message.contains("VOLUME"), "{message}");
    // Without the VOLUME step, nothing.
    let spec = Spec::new().layer(BASE, base()).layer(
        "RUN echo x > /data/cache.db",
        vec![file("data/cache.db", b"x")],
    );
    let (rep, _) = report(&spec);
    assert!(!ids(&rep).contains(&"written-under-volume"));
}
