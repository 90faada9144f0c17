//! `Display` for [`Plan`]: a readable summary, like `terraform plan`.

use std::fmt;

use super::{Plan, StepId};

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Plan for pipeline {:?} in {} ({} origin): {} steps",
            self.pipeline,
            self.region,
            self.origin,
            self.steps.len()
        )?;
        for s in &self.steps {
            writeln!(f)?;
            writeln!(f, "  + {}  {}", s.id, s.action())?;
            writeln!(f, "      resource   = {}", s.resource)?;
            // Params are rendered from their JSON form, so secrets are already redacted.
            let value = serde_json::to_value(&s.params).unwrap_or(serde_json::Value::Null);
            let mut lines = Vec::new();
            flatten("", &value, &mut lines);
            for (k, v) in lines {
                writeln!(f, "      {k:<10} = {v}")?;
            }
            if !s.depends_on.is_empty() {
                let deps: Vec<String> = s.depends_on.iter().map(StepId::to_string).collect();
                writeln!(f, "      depends on : {}", deps.join(", "))?;
            }
        }
        if !self.playback.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "Playback paths (on the distribution's domain, known after apply):"
            )?;
            for p in &self.playback {
                writeln!(f, "  {:<6} {:<5} {}", p.format, p.manifest, p.path)?;
            }
        }
        if !self.warnings.is_empty() {
            writeln!(f)?;
            writeln!(f, "Warnings:")?;
            for w in &self.warnings {
                writeln!(f, "  ! {w}")?;
            }
        }
        writeln!(f)?;
        write!(
            f,
            "Values shown as ${{step.output}} are known after that step runs. Critical path: {} sequential steps.",
            self.critical_path_len()
        )
    }
}

/// Leaf values of a JSON value, keyed by their dotted path. Arrays of scalars stay on one line.
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(&key(k), v, out);
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let parts: Vec<String> = items.iter().map(scalar).collect();
            out.push((prefix.to_owned(), format!("[{}]", parts.join(", "))));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = format!("{prefix}[{i}]");
                match item {
                    // A small flat object reads best on one line: {width: 1920, height: 1080, ...}.
                    Value::Object(m) if m.values().all(|v| !v.is_object() && !v.is_array()) => {
                        let parts: Vec<String> = m
                            .iter()
                            .map(|(k, v)| format!("{k}: {}", scalar(v)))
                            .collect();
                        out.push((key, format!("{{{}}}", parts.join(", "))));
                    }
                    _ => flatten(&key, item, out),
                }
            }
        }
        other => out.push((prefix.to_owned(), scalar(other))),
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
