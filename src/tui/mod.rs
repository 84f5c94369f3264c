//! The terminal program: `app` (the state machine: state, messages, `update`), `ui` (drawing
//! from `&State` only) and `runtime` (the terminal, events and background tasks). The only
//! folder that knows ratatui and crossterm.

pub mod app;
pub mod config;
pub mod runtime;
pub mod ui;
