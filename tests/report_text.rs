//! The human report, snapshot-tested on fixed images (the reference is given relative to the
//! crate so the text is the same on every machine).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;
use support::load_image;

use strata::report::{text, Report};

fn render(reference: &str) -> String {
    let session = load_image(reference);
    let analysis = session.analyse();
    let image = session.image();
    text::render(&Report::new(image, &analysis), 10)
}

#[test]
fn demo_image_report() {
    insta::assert_snapshot!(render("assets/demo.tar"));
}

#[test]
fn dive_test_image_report() {
    insta::assert_snapshot!(render(
        "../shared/oracle/dive-test-images/test-docker-image.tar"
    ));
}

#[test]
fn text_report_of_the_binary_is_the_same_as_the_library_s() {
    let cache = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .env("STRATA_CACHE_DIR", cache.path())
        .args(["report", "assets/demo.tar"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        render("assets/demo.tar")
    );
}
