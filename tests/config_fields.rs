//! Every field of an image's config (issue #23): `Volumes`, `StopSignal`, `Healthcheck`,
//! `Shell`, `OnBuild` and `ArgsEscaped` reach the JSON report, the text report, the config
//! popup and the diff; an image without them gives the same document as before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;
use crate::ui::{key, render, state_of};
use support::{file, strata, tempdir, Spec};

use serde_json::{json, Value};

/// A config with every field `docker inspect` shows.
fn full_config() -> Value {
    json!({
        "User": "app",
        "Env": ["PATH=/usr/bin"],
        "Cmd": ["serve"],
        "WorkingDir": "/srv",
        "ExposedPorts": {"8080/tcp": {}},
        "Labels": {"org.example": "yes"},
        "Volumes": {"/data": {}, "/var/log/app": {}},
        "StopSignal": "SIGQUIT",
        "Healthcheck": {
            "Test": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"],
            "Interval": 30_000_000_000u64,
            "Timeout": 5_000_000_000u64,
            "StartPeriod": 90_000_000_000u64,
            "Retries": 3
        },
        "Shell": ["/bin/bash", "-o", "pipefail", "-c"],
        "OnBuild": ["COPY . /app", "RUN make"],
        "ArgsEscaped": true
    })
}

fn image(dir: &std::path::Path, name: &str, runtime: Option<Value>) -> String {
    let mut spec = Spec::new();
    if let Some(r) = runtime {
        spec = spec.runtime_config(r);
    }
    let spec = spec.layer("base", vec![file("srv/app", b"x")]);
    let path = dir.join(name);
    spec.docker_archive(&path);
    path.to_str().unwrap().to_string()
}

fn report(path: &str) -> Value {
    support::report_json(path)
}

#[test]
fn every_config_field_is_in_the_json_report() {
    let dir = tempdir();
    let full = report(&image(dir.path(), "full.tar", Some(full_config())));
    let c = &full["image"]["config"];
    assert_eq!(c["volumes"], json!(["/data", "/var/log/app"]), "{c:#}");
    assert_eq!(c["stop_signal"], "SIGQUIT");
    assert_eq!(
        c["healthcheck"],
        json!({
            "test": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"],
            "interval": 30_000_000_000u64,
            "timeout": 5_000_000_000u64,
            "start_period": 90_000_000_000u64,
            "retries": 3
        })
    );
    assert_eq!(c["shell"], json!(["/bin/bash", "-o", "pipefail", "-c"]));
    assert_eq!(c["on_build"], json!(["COPY . /app", "RUN make"]));
    assert_eq!(c["args_escaped"], true);

    // Without them, the config object has exactly the keys it always had.
    let plain = report(&image(dir.path(), "plain.tar", None));
    let mut keys: Vec<&str> = plain["image"]["config"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "cmd",
            "entrypoint",
            "env",
            "exposed_ports",
            "labels",
            "user",
            "workdir"
        ]
    );
}

/// A field of a type no builder writes is read as absent; the image still opens.
#[test]
fn a_config_field_of_the_wrong_type_is_left_out() {
    let dir = tempdir();
    let mut odd = full_config();
    odd["Volumes"] = json!(["/data"]);
    odd["StopSignal"] = json!(15);
    odd["Healthcheck"]["Retries"] = json!("three");
    let r = report(&image(dir.path(), "odd.tar", Some(odd)));
    let c = &r["image"]["config"];
    assert!(c.get("volumes").is_none(), "{c:#}");
    assert!(c.get("stop_signal").is_none(), "{c:#}");
    assert!(c["healthcheck"].get("retries").is_none(), "{c:#}");
    assert_eq!(c["healthcheck"]["interval"], 30_000_000_000u64);
    assert_eq!(c["user"], "app");
}

#[test]
fn the_text_report_lists_the_config() {
    let dir = tempdir();
    let path = image(dir.path(), "full.tar", Some(full_config()));
    let (code, out, err) = strata(&["report", &path]);
    assert_eq!(code, 0, "{err}");
    let at = out.find("\nConfig\n").expect("a Config section") + 1;
    let section: Vec<&str> = out[at..].lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(
        section,
        [
            "Config",
            "  User         app",
            "  Workdir      /srv",
            "  Cmd          [\"serve\"]",
            "  Ports        8080/tcp",
            "  Env          PATH=/usr/bin",
            "  Label        org.example=yes",
            "  Volumes      /data, /var/log/app",
            "  StopSignal   SIGQUIT",
            "  Healthcheck  CMD-SHELL curl -f http://localhost:8080/ || exit 1 (interval 30s, \
             timeout 5s, start period 1m30s, retries 3)",
            "  Shell        [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
            "  OnBuild      COPY . /app",
            "  OnBuild      RUN make",
            "  ArgsEscaped  true",
        ]
    );
}

#[test]
fn the_config_popup_shows_every_field() {
    let dir = tempdir();
    let path = image(dir.path(), "full.tar", Some(full_config()));
    let mut s = state_of(&path, "full", 160, 48);
    key(&mut s, "i");
    let screen = render(&s);
    for row in [
        "Volumes     /data, /var/log/app",
        "StopSignal  SIGQUIT",
        "Healthcheck CMD-SHELL curl -f http://localhost:8080/ || exit 1 (interval 30s, timeout 5s, \
         start period 1m30s, retries 3)",
        "Shell       [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
        "OnBuild     COPY . /app",
        "OnBuild     RUN make",
        "ArgsEscaped true",
    ] {
        assert!(screen.contains(row), "{row:?} not in\n{screen}");
    }
}

#[test]
fn the_diff_compares_every_config_field() {
    let dir = tempdir();
    let full = image(dir.path(), "full.tar", Some(full_config()));
    let mut other = full_config();
    other["StopSignal"] = json!("SIGTERM");
    other["OnBuild"] = json!(["RUN make"]);
    other.as_object_mut().unwrap().remove("Healthcheck");
    let changed = image(dir.path(), "changed.tar", Some(other));
    let (code, out, err) = strata(&["diff", "--json", &full, &changed]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let config = v["config"].as_object().unwrap();
    let mut keys: Vec<&str> = config.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["healthcheck", "on_build", "stop_signal"],
        "{config:#?}"
    );
    assert_eq!(
        config["stop_signal"],
        json!({"a": "SIGQUIT", "b": "SIGTERM"})
    );
    assert_eq!(config["healthcheck"]["b"], Value::Null);
    assert_eq!(config["on_build"]["b"], json!(["RUN make"]));
}

/// The rows of the popup's inside, without its borders.
fn popup_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| {
            let l = l.trim_matches('"');
            let start = l.find('┃')? + '┃'.len_utf8();
            let end = l.rfind('┃')?;
            (end > start).then(|| l[start..end].trim_end().to_string())
        })
        .collect()
}

/// A long `RUN` and a long `ENV` value are wrapped, not cut: at 80x24, scrolled to the end,
/// the command's last words are on screen, and every word of both is somewhere on the way.
#[test]
fn long_commands_and_values_wrap_in_the_config_popup() {
    let dir = tempdir();
    let run = "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends \
               ca-certificates curl git openssh-client build-essential pkg-config libssl-dev \
               && curl -fsSL https://example.com/install.sh | sh -s -- --prefix /opt/tool \
               && rm -rf /var/lib/apt/lists/* /tmp/* && echo the-end-of-the-run-step";
    let env = format!("OPTS={} last-option-value", "--flag ".repeat(20));
    let path = dir.path().join("long.tar");
    Spec::new()
        .runtime_config(json!({"Env": [env.clone()], "Cmd": ["sh"]}))
        .layer(run, vec![file("srv/app", b"x")])
        .docker_archive(&path);
    let mut s = state_of(path.to_str().unwrap(), "long", 80, 24);
    key(&mut s, "i");
    let mut seen: Vec<String> = Vec::new();
    let mut previous = String::new();
    for _ in 0..100 {
        let screen = render(&s);
        if screen == previous {
            break;
        }
        let rows = popup_rows(&screen);
        assert!(
            rows.iter().all(|r| !r.contains('…')),
            "nothing is cut:\n{screen}"
        );
        // Each distinct row once, in order (the window moves one row per key).
        for r in rows {
            if !seen.contains(&r) || r.trim().is_empty() {
                seen.push(r);
            }
        }
        previous = screen;
        key(&mut s, "j");
    }
    let end = render(&s);
    assert!(end.contains("echo the-end-of-the-run-step"), "{end}");
    let text = seen.join(" ");
    let words = |t: &str| t.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    for word in words(run).iter().chain(words(&env).iter()) {
        assert!(
            text.contains(word.as_str()),
            "{word:?} never shown:\n{seen:#?}"
        );
    }
    // The command's continuation rows are indented under its first.
    let first = seen
        .iter()
        .position(|r| r.contains("/bin/sh -c apt-get"))
        .unwrap();
    let column = seen[first].find("/bin/sh").unwrap();
    assert!(
        seen[first + 1].starts_with(&" ".repeat(column)),
        "{seen:#?}"
    );
    assert!(!seen[first + 1][column..].starts_with(' '), "{seen:#?}");
}
