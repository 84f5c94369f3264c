//! Every integration test in one binary: one link (~30 MB) instead of one per file, which
//! keeps a clean CI build's disk use and link time down. Each module is one area; nextest
//! still runs every test in a process of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod architecture;
mod arrival;
mod bad_input;
mod cache_ls;
mod ci;
mod cli_output;
mod config_fields;
mod diff;
mod diff_summary;
mod dive_live;
mod engine;
mod extract;
mod hints;
mod hostile;
mod layers;
mod oracle;
mod packages;
mod packages_hostile;
mod packages_rpm;
mod registry;
mod registry_tls;
mod report_html;
mod report_markdown;
mod report_text;
mod sbom;
mod session;
mod shell;
mod sources;
mod terminal_safety;
mod toc;
mod toc_registry;
mod trust;
mod tui_tmux;
mod ui;
mod ui_compare;
mod ui_pictures;
mod ui_polish;
