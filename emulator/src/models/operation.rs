//! Which operation of a model a request is: by `X-Amz-Target` for the JSON protocol, otherwise by the
//! operation's HTTP method and request URI template (`/{Bucket}/{Key+}?uploads`), the most specific match
//! winning.

use super::{ModelRequest, ServiceModel};
use serde_json::Value;

/// One operation: its name (the model's key, `CreateDistribution`), HTTP binding and input shape.
#[derive(Debug)]
pub(super) struct Operation {
    pub name: String,
    method: String,
    path: Vec<Segment>,
    /// Literal query parts of the template: `uploads` (present), `list-type=2` (this value).
    query: Vec<(String, Option<String>)>,
    pub input: Option<String>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Label(String),
    Greedy(String),
}

/// A matched operation and its URI labels, percent-decoded.
pub(super) struct Matched<'m> {
    pub operation: &'m Operation,
    pub labels: Vec<(String, String)>,
}

impl Operation {
    pub fn parse(name: &str, op: &Value) -> Operation {
        let method = op
            .pointer("/http/method")
            .and_then(Value::as_str)
            .unwrap_or("POST")
            .to_string();
        let uri = op
            .pointer("/http/requestUri")
            .and_then(Value::as_str)
            .unwrap_or("/");
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let path = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(label) => match label.strip_suffix('+') {
                        Some(greedy) => Segment::Greedy(greedy.to_string()),
                        None => Segment::Label(label.to_string()),
                    },
                    None => Segment::Literal(s.to_string()),
                },
            )
            .collect();
        let query = query
            .split('&')
            .filter(|q| !q.is_empty())
            .map(|q| match q.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (q.to_string(), None),
            })
            .collect();
        Operation {
            name: name.to_string(),
            method,
            path,
            query,
            input: op
                .pointer("/input/shape")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }

    /// The URI labels when the path fits the template.
    fn labels(&self, segments: &[&str]) -> Option<Vec<(String, String)>> {
        let mut labels = Vec::new();
        let mut i = 0;
        for (n, seg) in self.path.iter().enumerate() {
            match seg {
                Segment::Literal(l) => {
                    if segments.get(i) != Some(&l.as_str()) {
                        return None;
                    }
                    i += 1;
                }
                Segment::Label(name) => {
                    let s = segments.get(i).filter(|s| !s.is_empty())?;
                    labels.push((name.clone(), crate::wire::percent_decode(s)));
                    i += 1;
                }
                Segment::Greedy(name) => {
                    // A greedy label is last in every AWS template; it takes the rest of the path.
                    if n + 1 != self.path.len() || i >= segments.len() {
                        return None;
                    }
                    let rest = segments[i..].join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    labels.push((name.clone(), crate::wire::percent_decode(&rest)));
                    i = segments.len();
                }
            }
        }
        (i == segments.len()).then_some(labels)
    }
}

/// The operation a request is, or `None` when no operation of the model fits it.
pub(super) fn find<'m>(model: &'m ServiceModel, req: &ModelRequest<'_>) -> Option<Matched<'m>> {
    if model.protocol == "json" {
        let target = req.headers.get("x-amz-target")?.to_str().ok()?;
        let name = target.rsplit('.').next()?;
        let operation = model.operations.iter().find(|o| o.name == name)?;
        return Some(Matched {
            operation,
            labels: Vec::new(),
        });
    }
    let query = crate::wire::parse_query(req.query);
    let has = |k: &str| query.iter().any(|(qk, _)| qk == k);
    let x_id = crate::wire::query_get(&query, "x-id");
    let mut segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    let mut best: Option<(usize, Matched<'m>)> = None;
    for op in model.operations.iter().filter(|o| o.method == req.method) {
        let Some(labels) = op.labels(&segments) else {
            continue;
        };
        let mut score = 4 * op
            .path
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        let mut fits = true;
        for (k, v) in &op.query {
            if k == "x-id" {
                // The SDKs add `x-id=<Operation>`; other clients (the AWS CLI) do not.
                match x_id {
                    Some(x) if Some(x) == v.as_deref() => score += 8,
                    Some(_) => fits = false,
                    None => {}
                }
                continue;
            }
            let ok = match v {
                Some(v) => crate::wire::query_get(&query, k) == Some(v.as_str()),
                None => has(k),
            };
            if ok {
                score += 2;
            } else {
                fits = false;
            }
        }
        // Required query and header members must be there: they tell UploadPart from PutObject and
        // CopyObject from PutObject.
        for (location, name) in required_bindings(model, op) {
            let present = match location {
                "querystring" => has(&name),
                _ => req.headers.contains_key(name.as_str()),
            };
            if present {
                score += 1;
            } else {
                fits = false;
            }
        }
        if fits && best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Matched {
                    operation: op,
                    labels,
                },
            ));
        }
    }
    best.map(|(_, m)| m)
}

/// The required members bound to the query string or a header: `(location, wire name)`.
fn required_bindings(model: &ServiceModel, op: &Operation) -> Vec<(&'static str, String)> {
    let Some(input) = op.input.as_deref().and_then(|i| model.shape(i)) else {
        return Vec::new();
    };
    let required: Vec<&str> = input
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(members) = input.get("members").and_then(Value::as_object) else {
        return Vec::new();
    };
    required
        .iter()
        .filter_map(|name| {
            let m = members.get(*name)?;
            let location = match m.get("location").and_then(Value::as_str)? {
                "querystring" => "querystring",
                "header" => "header",
                _ => return None,
            };
            let wire = m
                .get("locationName")
                .and_then(Value::as_str)
                .unwrap_or(name);
            // Query names keep their case; header names are case-insensitive.
            let wire = match location {
                "header" => wire.to_ascii_lowercase(),
                _ => wire.to_string(),
            };
            Some((location, wire))
        })
        .collect()
}
