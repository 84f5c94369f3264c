//! Placeholder: being written (the CI gate). See the helper's brief.

use super::Report;

/// Output formats of `strata ci`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Junit,
    Github,
}

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleResult {
    pub rule: String,
    pub status: Status,
    pub message: String,
}

/// All rules' outcomes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    pub results: Vec<RuleResult>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.status != Status::Fail)
    }
}

/// The rules to apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {}

/// Parses a rules file (`.dive-ci` YAML, strata's keys too). `None`: the defaults.
pub fn parse_rules(_text: Option<&str>) -> Result<Rules, String> {
    Ok(Rules {})
}

pub fn evaluate(_rules: &Rules, _report: &Report) -> Verdict {
    Verdict {
        results: Vec::new(),
    }
}

pub fn render(_verdict: &Verdict, _report: &Report, _format: Format) -> String {
    String::new()
}
