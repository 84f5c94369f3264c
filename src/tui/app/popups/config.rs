//! The image config popup's view model: the image's names and runtime config as label/value
//! rows, then every history step as recorded. Built from the loaded image, once per opening.

use crate::load::Image;

/// The popup's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigView {
    /// (label, value): one row each, in order.
    pub fields: Vec<(&'static str, String)>,
    pub history: Vec<HistoryLine>,
}

/// One history step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub layer: Option<usize>,
    pub created: String,
    pub created_by: String,
    /// The step made no layer (dimmed).
    pub empty: bool,
}

impl ConfigView {
    pub fn of(image: &Image) -> ConfigView {
        let meta = &image.meta;
        let rc = meta.config.config.clone().unwrap_or_default();
        let mut fields = vec![
            ("Image", meta.reference.clone()),
            ("ID", meta.config_digest.to_string()),
        ];
        if let Some(d) = &meta.manifest_digest {
            fields.push(("Digest", d.to_string()));
        }
        fields.push(("Platform", meta.config.platform()));
        fields.push(("Created", meta.config.created.clone().unwrap_or_default()));
        fields.push((
            "User",
            rc.user
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "(root)".into()),
        ));
        fields.push((
            "Workdir",
            rc.working_dir.filter(|w| !w.is_empty()).unwrap_or_default(),
        ));
        let list = |v: Option<Vec<String>>| v.map(|e| format!("{e:?}")).unwrap_or_default();
        fields.push(("Entrypoint", list(rc.entrypoint)));
        fields.push(("Cmd", list(rc.cmd)));
        let ports: Vec<String> = rc.exposed_ports.unwrap_or_default().into_keys().collect();
        fields.push(("Ports", ports.join(", ")));
        for e in rc.env.unwrap_or_default() {
            fields.push(("Env", e));
        }
        for (k, v) in rc.labels.unwrap_or_default() {
            fields.push(("Label", format!("{k}={v}")));
        }
        let history = image
            .history
            .iter()
            .map(|h| HistoryLine {
                layer: h.layer,
                created: h.created.clone().unwrap_or_default(),
                created_by: h.created_by.clone(),
                empty: h.empty_layer,
            })
            .collect();
        ConfigView { fields, history }
    }

    /// Rows the popup shows: the fields, a blank line, the history's heading and steps.
    pub fn len(&self) -> usize {
        self.fields.len() + 2 + self.history.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}
