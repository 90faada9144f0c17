//! A request decoded into its operation's input shape, as a JSON value keyed by member name: URI labels,
//! query string and headers by their bindings, the body as JSON (`json`, `rest-json`) or XML (`rest-xml`).
//! Values that cannot be read as their member's type are violations; members of types the checks ignore
//! (timestamps, blobs, streams, header maps) are left out.

use super::check::Violation;
use super::{ModelRequest, ServiceModel};
use crate::cloudfront::xml::El;
use serde_json::{Map, Value};

/// The input structure `input` of `req`, with `labels` from the URI.
pub(super) fn input(
    model: &ServiceModel,
    input: &str,
    req: &ModelRequest<'_>,
    labels: &[(String, String)],
    out: &mut Vec<Violation>,
) -> Value {
    let Some(shape) = model.shape(input) else {
        return Value::Null;
    };
    let mut value = Map::new();
    let query = crate::wire::parse_query(req.query);
    for (name, member) in members(shape) {
        let target = member_shape(member);
        let wire = member
            .get("locationName")
            .and_then(Value::as_str)
            .unwrap_or(name);
        let raw: Option<Vec<String>> = match member.get("location").and_then(Value::as_str) {
            Some("uri") => labels
                .iter()
                .find(|(l, _)| l == wire)
                .map(|(_, v)| vec![v.clone()]),
            Some("querystring") => {
                let values: Vec<String> = query
                    .iter()
                    .filter(|(k, _)| k == wire)
                    .map(|(_, v)| v.clone())
                    .collect();
                (!values.is_empty()).then_some(values)
            }
            Some("header") => req
                .headers
                .get(wire)
                .and_then(|v| v.to_str().ok())
                .map(|v| vec![v.to_string()]),
            _ => continue,
        };
        let Some(raw) = raw else { continue };
        let path = name.to_string();
        let decoded = if model.type_of(target) == "list" {
            let item = model
                .shape(target)
                .and_then(|l| l.get("member"))
                .map(member_shape)
                .unwrap_or_default();
            Some(Value::Array(
                raw.iter()
                    .enumerate()
                    .filter_map(|(i, r)| scalar(model, item, r, &format!("{path}[{i}]"), out))
                    .collect(),
            ))
        } else {
            raw.first()
                .and_then(|r| scalar(model, target, r, &path, out))
        };
        if let Some(v) = decoded {
            value.insert(name.to_string(), v);
        }
    }
    body(model, shape, req, &mut value, out);
    Value::Object(value)
}

/// Adds the body's members to `value`.
fn body(
    model: &ServiceModel,
    shape: &Map<String, Value>,
    req: &ModelRequest<'_>,
    value: &mut Map<String, Value>,
    out: &mut Vec<Violation>,
) {
    let payload = shape.get("payload").and_then(Value::as_str);
    let bound = |m: &Value| m.get("location").is_some();
    // A payload that is not a structure is the body itself: a blob or stream (PutObject's) is there even when
    // empty, and its bytes are not checked; a string (PutBucketPolicy's policy) is checked as one.
    if let Some(name) = payload {
        let target = shape
            .get("members")
            .and_then(|m| m.get(name))
            .map(member_shape)
            .unwrap_or("");
        match model.type_of(target) {
            "structure" => {}
            "string" if req.body.is_empty() => return,
            "string" => {
                let text = String::from_utf8_lossy(req.body).into_owned();
                value.insert(name.to_string(), Value::String(text));
                return;
            }
            _ => {
                value.insert(name.to_string(), Value::String(String::new()));
                return;
            }
        }
    }
    match model.protocol.as_str() {
        "json" | "rest-json" => {
            if req.body.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(req.body) else {
                out.push(Violation::new("", "the body must be a JSON object"));
                return;
            };
            if let Some(name) = payload {
                // A structure payload: the whole body is that member.
                let target = shape
                    .get("members")
                    .and_then(|m| m.get(name))
                    .map(member_shape)
                    .unwrap_or("");
                if let Some(v) = from_json(model, target, &Value::Object(json), name, out) {
                    value.insert(name.to_string(), v);
                }
                return;
            }
            for (name, member) in members(shape).filter(|(_, m)| !bound(m)) {
                let wire = member
                    .get("locationName")
                    .and_then(Value::as_str)
                    .unwrap_or(name);
                if let Some(v) = json.get(wire)
                    && let Some(v) = from_json(model, member_shape(member), v, name, out)
                {
                    value.insert(name.to_string(), v);
                }
            }
        }
        "rest-xml" => {
            let Some(payload) = payload else { return };
            let Some(member) = shape.get("members").and_then(|m| m.get(payload)) else {
                return;
            };
            let target = member_shape(member);
            if req.body.is_empty() {
                return;
            }
            match crate::cloudfront::xml::parse(req.body) {
                Ok(root) => {
                    if let Some(v) = from_xml_structure(model, target, &root, payload, out) {
                        value.insert(payload.to_string(), v);
                    }
                }
                Err(e) => out.push(Violation::new(
                    payload,
                    &format!("the body is not XML: {e}"),
                )),
            }
        }
        _ => {}
    }
}

/// `(name, member)` of a structure shape.
fn members(shape: &Map<String, Value>) -> impl Iterator<Item = (&str, &Value)> {
    shape
        .get("members")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v))
}

fn member_shape(member: &Value) -> &str {
    member.get("shape").and_then(Value::as_str).unwrap_or("")
}

/// A string from a URI label, query value, header or XML text, as its shape's type.
fn scalar(
    model: &ServiceModel,
    shape: &str,
    raw: &str,
    path: &str,
    out: &mut Vec<Violation>,
) -> Option<Value> {
    match model.type_of(shape) {
        "string" => Some(Value::String(raw.to_string())),
        "integer" | "long" => match raw.trim().parse::<i64>() {
            Ok(n) => Some(Value::from(n)),
            Err(_) => {
                out.push(Violation::new(path, "Member must be an integer"));
                None
            }
        },
        "float" | "double" => match raw.trim().parse::<f64>() {
            Ok(n) => Some(Value::from(n)),
            Err(_) => {
                out.push(Violation::new(path, "Member must be a number"));
                None
            }
        },
        "boolean" => match raw.trim() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => {
                out.push(Violation::new(path, "Member must be true or false"));
                None
            }
        },
        _ => None,
    }
}

/// A JSON body value as its shape's type, structure members renamed from their wire names.
fn from_json(
    model: &ServiceModel,
    shape: &str,
    v: &Value,
    path: &str,
    out: &mut Vec<Violation>,
) -> Option<Value> {
    let def = model.shape(shape)?;
    let kind = def.get("type").and_then(Value::as_str).unwrap_or("");
    let wrong = |out: &mut Vec<Violation>, what: &str| {
        out.push(Violation::new(path, &format!("Member must be {what}")));
        None
    };
    match (kind, v) {
        (_, Value::Null) => None,
        ("structure", Value::Object(o)) => {
            let mut m = Map::new();
            for (name, member) in members(def) {
                let wire = member
                    .get("locationName")
                    .and_then(Value::as_str)
                    .unwrap_or(name);
                if let Some(x) = o.get(wire) {
                    let p = format!("{path}.{name}");
                    if let Some(x) = from_json(model, member_shape(member), x, &p, out) {
                        m.insert(name.to_string(), x);
                    }
                }
            }
            Some(Value::Object(m))
        }
        ("structure", _) => wrong(out, "an object"),
        ("list", Value::Array(a)) => {
            let item = def.get("member").map(member_shape).unwrap_or("");
            Some(Value::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| {
                        from_json(model, item, x, &format!("{path}[{i}]"), out)
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            ))
        }
        ("list", _) => wrong(out, "a list"),
        ("map", Value::Object(o)) => {
            let item = def.get("value").map(member_shape).unwrap_or("");
            let mut m = Map::new();
            for (k, x) in o {
                if let Some(x) = from_json(model, item, x, &format!("{path}[{k}]"), out) {
                    m.insert(k.clone(), x);
                }
            }
            Some(Value::Object(m))
        }
        ("map", _) => wrong(out, "a map"),
        ("string", Value::String(_)) => Some(v.clone()),
        ("string", _) => wrong(out, "a string"),
        ("integer" | "long", Value::Number(n)) if n.is_i64() || n.is_u64() => Some(v.clone()),
        ("integer" | "long", _) => wrong(out, "an integer"),
        ("float" | "double", Value::Number(_)) => Some(v.clone()),
        ("float" | "double", _) => wrong(out, "a number"),
        ("boolean", Value::Bool(_)) => Some(v.clone()),
        ("boolean", _) => wrong(out, "true or false"),
        _ => None,
    }
}

/// An XML element as a structure shape: members by element name (`locationName`), flattened lists as repeated
/// elements, wrapped lists and maps (`entry` / `key` / `value`) as children.
fn from_xml_structure(
    model: &ServiceModel,
    shape: &str,
    el: &El,
    path: &str,
    out: &mut Vec<Violation>,
) -> Option<Value> {
    let def = model.shape(shape)?;
    let mut m = Map::new();
    for (name, member) in members(def).filter(|(_, m)| m.get("location").is_none()) {
        let target = member_shape(member);
        let wire = member
            .get("locationName")
            .and_then(Value::as_str)
            .unwrap_or(name);
        let p = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        let flattened = member.get("flattened").and_then(Value::as_bool) == Some(true)
            || model
                .shape(target)
                .and_then(|s| s.get("flattened"))
                .and_then(Value::as_bool)
                == Some(true);
        let v = if model.type_of(target) == "list" && flattened {
            let item = model
                .shape(target)
                .and_then(|s| s.get("member"))
                .map(member_shape)
                .unwrap_or("");
            let items: Vec<&El> = el.children_named(wire).collect();
            (!items.is_empty()).then(|| {
                Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            from_xml(model, item, c, &format!("{p}[{i}]"), out)
                                .unwrap_or(Value::Null)
                        })
                        .collect(),
                )
            })
        } else {
            el.child(wire)
                .and_then(|c| from_xml(model, target, c, &p, out))
        };
        if let Some(v) = v {
            m.insert(name.to_string(), v);
        }
    }
    Some(Value::Object(m))
}

fn from_xml(
    model: &ServiceModel,
    shape: &str,
    el: &El,
    path: &str,
    out: &mut Vec<Violation>,
) -> Option<Value> {
    let def = model.shape(shape)?;
    match def.get("type").and_then(Value::as_str).unwrap_or("") {
        "structure" => from_xml_structure(model, shape, el, path, out),
        "list" => {
            let item = def.get("member").map(member_shape).unwrap_or("");
            Some(Value::Array(
                el.children
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        from_xml(model, item, c, &format!("{path}[{i}]"), out)
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            ))
        }
        "map" => {
            let value_shape = def.get("value").map(member_shape).unwrap_or("");
            let mut m = Map::new();
            for entry in el.children_named("entry") {
                let key = entry.text_at("key").unwrap_or_default().to_string();
                if let Some(v) = entry.child("value") {
                    let p = format!("{path}[{key}]");
                    if let Some(v) = from_xml(model, value_shape, v, &p, out) {
                        m.insert(key, v);
                    }
                }
            }
            Some(Value::Object(m))
        }
        _ => scalar(model, shape, &el.text, path, out),
    }
}
