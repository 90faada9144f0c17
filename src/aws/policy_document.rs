//! Resource policies (bucket and container policies) compare as JSON documents: whitespace and key
//! order do not matter.

use crate::apply::event::Change;

/// What applying `want` over `live` would do. `want` is `None` while it names a resource that apply
/// has not created yet (refresh).
pub(crate) fn policy_change(live: Option<&str>, want: Option<&str>) -> Change {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    match (live, want) {
        (None, _) => Change::Create,
        (Some(_), None) => Change::Update {
            diff: vec!["policy: names a resource that apply has not created yet".into()],
        },
        (Some(l), Some(w)) if parse(l).is_some() && parse(l) == parse(w) => Change::NoOp,
        (Some(_), Some(_)) => Change::Update {
            diff: vec!["policy document differs".into()],
        },
    }
}

/// The difference between a live document and the wanted one; empty when they match.
pub(crate) fn policy_diff(live: &str, want: Option<&str>) -> Vec<String> {
    match policy_change(Some(live), want) {
        Change::Update { diff } => diff,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_as_json() {
        assert_eq!(policy_change(None, Some("{}")), Change::Create);
        assert_eq!(
            policy_change(Some("{\"a\": 1, \"b\": [2]}"), Some("{\"b\":[2],\"a\":1}")),
            Change::NoOp
        );
        assert!(matches!(
            policy_change(Some("{\"a\": 1}"), Some("{\"a\": 2}")),
            Change::Update { .. }
        ));
        assert!(matches!(
            policy_change(Some("{}"), None),
            Change::Update { .. }
        ));
    }
}
