//! The constraints of a model's shapes, checked on a decoded input: `required`, `enum`, `min` / `max` (a
//! string's length in characters, a list's or map's entries, a number's value) and `pattern`. Values are never
//! repeated in messages: a string may be a secret (an origin custom header's value).

use super::ServiceModel;
use serde_json::Value;

/// One broken rule: the member's path (`Settings.OutputGroups[0].Name`) and the rule, AWS-style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub path: String,
    pub rule: String,
}

impl Violation {
    pub fn new(path: &str, rule: &str) -> Violation {
        Violation {
            path: path.to_string(),
            rule: rule.to_string(),
        }
    }
}

/// Checks `value` against shape `name`, appending each violation.
pub(super) fn shape(
    model: &ServiceModel,
    name: &str,
    value: &Value,
    path: &str,
    out: &mut Vec<Violation>,
) {
    let Some(def) = model.shape(name) else { return };
    let min = def.get("min").and_then(Value::as_f64);
    let max = def.get("max").and_then(Value::as_f64);
    let join = |p: &str, m: &str| {
        if p.is_empty() {
            m.to_string()
        } else {
            format!("{p}.{m}")
        }
    };
    match (def.get("type").and_then(Value::as_str).unwrap_or(""), value) {
        ("structure", Value::Object(o)) => {
            let members = def.get("members").and_then(Value::as_object);
            for required in def
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if o.get(required).is_none_or(Value::is_null) {
                    out.push(Violation::new(
                        &join(path, required),
                        "Member must not be null",
                    ));
                }
            }
            for (member, v) in o {
                if let Some(target) = members
                    .and_then(|m| m.get(member))
                    .and_then(|m| m.get("shape"))
                    .and_then(Value::as_str)
                {
                    shape(model, target, v, &join(path, member), out);
                }
            }
        }
        ("list", Value::Array(items)) => {
            count(items.len(), min, max, "length", path, out);
            let item = def
                .get("member")
                .and_then(|m| m.get("shape"))
                .and_then(Value::as_str)
                .unwrap_or("");
            for (i, v) in items.iter().enumerate() {
                shape(model, item, v, &format!("{path}[{i}]"), out);
            }
        }
        ("map", Value::Object(entries)) => {
            count(entries.len(), min, max, "length", path, out);
            let item = def
                .get("value")
                .and_then(|m| m.get("shape"))
                .and_then(Value::as_str)
                .unwrap_or("");
            for (k, v) in entries {
                shape(model, item, v, &format!("{path}[{k}]"), out);
            }
        }
        ("string", Value::String(s)) => {
            if let Some(allowed) = def.get("enum").and_then(Value::as_array)
                && !allowed.iter().any(|a| a.as_str() == Some(s))
            {
                let list: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                let shown = if list.len() > 12 {
                    format!("{}, ... ({} values)", list[..12].join(", "), list.len())
                } else {
                    list.join(", ")
                };
                out.push(Violation::new(
                    path,
                    &format!("Member must satisfy enum value set: [{shown}]"),
                ));
            }
            count(s.chars().count(), min, max, "length", path, out);
            if let Some(p) = def.get("pattern").and_then(Value::as_str)
                && let Some(Some(re)) = model.patterns.get(p)
                && !re.is_match(s)
            {
                out.push(Violation::new(
                    path,
                    &format!("Member must satisfy regular expression pattern: {p}"),
                ));
            }
        }
        ("integer" | "long" | "float" | "double", Value::Number(n)) => {
            if let Some(n) = n.as_f64() {
                bounds(n, min, max, "value", path, out);
            }
        }
        _ => {}
    }
}

/// A count of characters or entries against `min` / `max`.
fn count(
    n: usize,
    min: Option<f64>,
    max: Option<f64>,
    what: &str,
    path: &str,
    out: &mut Vec<Violation>,
) {
    bounds(n as f64, min, max, what, path, out);
}

/// `n` (a `length` or a `value`) against `min` / `max`.
fn bounds(
    n: f64,
    min: Option<f64>,
    max: Option<f64>,
    what: &str,
    path: &str,
    out: &mut Vec<Violation>,
) {
    if let Some(min) = min.filter(|m| n < *m) {
        out.push(Violation::new(
            path,
            &format!("Member must have {what} greater than or equal to {min}"),
        ));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        out.push(Violation::new(
            path,
            &format!("Member must have {what} less than or equal to {max}"),
        ));
    }
}
