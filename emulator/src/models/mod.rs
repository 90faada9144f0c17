//! Requests checked against AWS's published service models (issue 16): each request is matched to its
//! operation, decoded into the operation's input shape, and checked for required members, enum values,
//! numeric ranges, string, list and map lengths, and string patterns. A violation is answered with the
//! service's own validation error, naming the member, before the request reaches the service.
//!
//! The models are botocore's `service-2.json` files (`s3`, `cloudfront`, `mediaconvert`, `mediastore`,
//! `mediastore-data`), loaded from a directory laid out as `<dir>/<service>/service-2.json`; they are not in the
//! repository: `emulator/scripts/service-models` downloads a pinned botocore wheel and extracts them. Without a
//! directory ([`crate::server::EmulatorBuilder::service_models`], `--service-models`) nothing is checked.
//! Owner: core.

mod check;
mod decode;
mod operation;

use check::Violation;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// The services checked, by the folder names botocore uses.
pub const SERVICES: [&str; 5] = [
    "s3",
    "cloudfront",
    "mediaconvert",
    "mediastore",
    "mediastore-data",
];

/// The most violations named in one error message; the rest are counted.
const MAX_NAMED: usize = 10;

/// The loaded models of [`SERVICES`].
#[derive(Debug)]
pub struct ServiceModels {
    services: HashMap<&'static str, ServiceModel>,
}

/// One service's model: its protocol, operations and shapes, with every pattern compiled once.
#[derive(Debug)]
pub(crate) struct ServiceModel {
    protocol: String,
    operations: Vec<operation::Operation>,
    shapes: Map<String, Value>,
    /// By pattern text; `None` where the pattern uses syntax Rust's `regex` does not have (look-around), which
    /// is then not checked.
    patterns: HashMap<String, Option<regex::Regex>>,
}

/// A request as the models see it: the parts they read, borrowed from the emulator's request.
pub struct ModelRequest<'a> {
    /// The service's model folder name ([`SERVICES`]).
    pub service: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The raw (percent-encoded) path, without an emulator addressing prefix.
    pub path: &'a str,
    /// The raw query string.
    pub query: Option<&'a str>,
    /// The request headers.
    pub headers: &'a http::HeaderMap,
    /// The request body.
    pub body: &'a [u8],
}

/// A request that breaks its operation's model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    /// The operation's name in the model (`CreateJob`).
    pub operation: String,
    /// AWS-style message: how many violations, then each with its member path and the rule.
    pub message: String,
}

impl ServiceModels {
    /// Loads `<dir>/<service>/service-2.json` for every service of [`SERVICES`]. Each must be present: a
    /// partial set would check some services and silently not others.
    pub fn load(dir: &Path) -> Result<ServiceModels, String> {
        let mut services = HashMap::new();
        for service in SERVICES {
            let path = dir.join(service).join("service-2.json");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read the {service} model {}: {e} (run emulator/scripts/service-models to download the models)", path.display()))?;
            let model = ServiceModel::parse(&text).map_err(|e| {
                format!(
                    "the {service} model {} is not a botocore service model: {e}",
                    path.display()
                )
            })?;
            services.insert(service, model);
        }
        Ok(ServiceModels { services })
    }

    /// For the start-up log: operations and patterns per service, and the patterns left unchecked.
    pub fn summary(&self) -> String {
        SERVICES
            .iter()
            .filter_map(|s| self.services.get(s).map(|m| (s, m)))
            .map(|(s, m)| {
                let skipped = m.patterns.values().filter(|p| p.is_none()).count();
                format!(
                    "{s}: {} operations, {} patterns ({skipped} not checkable with Rust's regex)",
                    m.operations.len(),
                    m.patterns.len()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Checks a request against its operation's input shape. `Ok(None)` when no operation of the model matches
    /// (the service answers that itself); `Ok(Some(operation))` when it conforms.
    pub fn check(&self, req: &ModelRequest<'_>) -> Result<Option<String>, ModelError> {
        let Some(model) = self.services.get(req.service) else {
            return Ok(None);
        };
        model.check(req)
    }
}

impl ServiceModel {
    pub(crate) fn parse(text: &str) -> Result<ServiceModel, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let protocol = doc
            .pointer("/metadata/protocol")
            .and_then(Value::as_str)
            .ok_or("no metadata.protocol")?
            .to_string();
        let shapes = doc
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or("no shapes")?
            .clone();
        let operations = doc
            .get("operations")
            .and_then(Value::as_object)
            .ok_or("no operations")?
            .iter()
            .map(|(name, op)| operation::Operation::parse(name, op))
            .collect();
        let patterns = shapes
            .values()
            .filter_map(|s| s.get("pattern").and_then(Value::as_str))
            .map(|p| (p.to_string(), regex::Regex::new(&ascii_classes(p)).ok()))
            .collect();
        Ok(ServiceModel {
            protocol,
            operations,
            shapes,
            patterns,
        })
    }

    fn shape(&self, name: &str) -> Option<&Map<String, Value>> {
        self.shapes.get(name).and_then(Value::as_object)
    }

    /// The shape's `type` (`structure`, `string`, ...), or `""` for an unknown shape.
    fn type_of(&self, name: &str) -> &str {
        self.shape(name)
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    fn check(&self, req: &ModelRequest<'_>) -> Result<Option<String>, ModelError> {
        let Some(matched) = operation::find(self, req) else {
            tracing::debug!(
                "no operation of the {} model fits {} {}",
                req.service,
                req.method,
                req.path
            );
            return Ok(None);
        };
        let op = matched.operation;
        let Some(input) = op.input.as_deref() else {
            return Ok(Some(op.name.clone()));
        };
        let mut violations = Vec::new();
        let value = decode::input(self, input, req, &matched.labels, &mut violations);
        check::shape(self, input, &value, "", &mut violations);
        if violations.is_empty() {
            return Ok(Some(op.name.clone()));
        }
        Err(ModelError {
            operation: op.name.clone(),
            message: message(&violations),
        })
    }
}

/// A model pattern for Rust's `regex`: `\w`, `\d` and their negations as the ASCII classes they are in Java, whose
/// regex syntax the models use (Unicode `\w{1,255}` would also exceed Rust's compiled-size limit). Nested classes
/// keep them valid inside brackets (`[\w-]` becomes `[[0-9A-Za-z_]-]`).
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// "2 validation errors detected: Value at 'Settings.OutputGroups[0].Name' failed to satisfy constraint: ...".
fn message(violations: &[Violation]) -> String {
    let n = violations.len();
    let mut parts: Vec<String> = violations
        .iter()
        .take(MAX_NAMED)
        .map(|v| {
            format!(
                "Value at '{}' failed to satisfy constraint: {}",
                v.path, v.rule
            )
        })
        .collect();
    if n > MAX_NAMED {
        parts.push(format!("and {} more", n - MAX_NAMED));
    }
    format!(
        "{n} validation error{} detected (AWS service model): {}",
        if n == 1 { "" } else { "s" },
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests;
