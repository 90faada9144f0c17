//! MediaStore CORS policy rules: the one matcher that finds the rule a cross-origin request matches and the
//! `Access-Control-*` headers it earns.
//!
//! Two readings of the same rules exist in the emulator today and the matcher takes one as a parameter
//! ([`Reading`]): the MediaStore data plane's ([`DATA_PLANE`]) and the edge's, which models the answer a
//! MediaStore origin gives CloudFront ([`EDGE`]). They differ where the comments on [`Reading`] say.

use crate::iam::as_list;
use crate::wire::glob;
use serde_json::Value;

/// How `AllowedOrigins` patterns read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OriginWildcards {
    /// `*` and `?` anywhere, case-sensitive.
    Glob,
    /// `*` alone, or one `*` between a prefix and a suffix (MediaStore's documented form).
    OneStar,
}

/// The points where the two readings of a MediaStore CORS policy differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    /// The methods a rule allows when its `AllowedMethods` is not an array; `None`: read it as a list whatever its
    /// JSON type (a missing one allows nothing).
    pub default_methods: Option<&'static [&'static str]>,
    /// How `AllowedOrigins` patterns match.
    pub origins: OriginWildcards,
    /// Compare the method with `AllowedMethods` ignoring ASCII case.
    pub method_ignore_case: bool,
    /// `Access-Control-Allow-Origin: *` when the rule lists `*` among its origins (true), or only when the
    /// origin pattern that matched is `*` (false); otherwise the request's origin.
    pub star_if_listed: bool,
    /// Send `Access-Control-Expose-Headers` whenever `ExposeHeaders` is an array, even an empty one (true), or
    /// whenever it names at least one header, whatever its JSON type (false).
    pub expose_any_array: bool,
    /// Read `MaxAgeSeconds` as unsigned (true: a negative one is ignored) or signed (false).
    pub max_age_unsigned: bool,
}

/// The MediaStore data plane's reading (requests to a container endpoint).
pub(crate) const DATA_PLANE: Reading = Reading {
    default_methods: Some(&["GET", "HEAD"]),
    origins: OriginWildcards::OneStar,
    method_ignore_case: false,
    star_if_listed: true,
    expose_any_array: true,
    max_age_unsigned: true,
};

/// The edge's reading (the answer of a MediaStore origin to CloudFront).
pub(crate) const EDGE: Reading = Reading {
    default_methods: None,
    origins: OriginWildcards::Glob,
    method_ignore_case: true,
    star_if_listed: false,
    expose_any_array: false,
    max_age_unsigned: false,
};

fn origin_matches(pattern: &str, origin: &str, wildcards: OriginWildcards) -> bool {
    match wildcards {
        OriginWildcards::Glob => glob(pattern.as_bytes(), origin.as_bytes(), false),
        OriginWildcards::OneStar => {
            pattern == "*"
                || pattern == origin
                || pattern
                    .split_once('*')
                    .is_some_and(|(a, b)| origin.starts_with(a) && origin.ends_with(b))
        }
    }
}

/// The CORS headers (lowercase names) of the first rule of `rules` (a MediaStore CORS policy: a JSON array of
/// rules) that allows `origin`, `method` and, when given, every header of `request_headers` (a preflight's
/// `Access-Control-Request-Headers`, then echoed as `Access-Control-Allow-Headers`); `None` when no rule does.
pub(crate) fn container_rule(
    rules: Option<&Value>,
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
    reading: &Reading,
) -> Option<Vec<(String, String)>> {
    let rules = rules?.as_array()?;
    for r in rules {
        let list = |k: &str| r.get(k).map(as_list).unwrap_or_default();
        let origins = list("AllowedOrigins");
        let Some(matched) = origins
            .iter()
            .find(|o| origin_matches(o, origin, reading.origins))
        else {
            continue;
        };
        let methods = match (r.get("AllowedMethods"), reading.default_methods) {
            (Some(Value::Array(_)), _) | (_, None) => list("AllowedMethods"),
            (_, Some(default)) => default.iter().map(|m| m.to_string()).collect(),
        };
        let method_ok = methods.iter().any(|m| {
            if reading.method_ignore_case {
                m.eq_ignore_ascii_case(method)
            } else {
                m == method
            }
        });
        if !method_ok {
            continue;
        }
        if let Some(rh) = request_headers {
            let allowed = list("AllowedHeaders");
            let ok = rh
                .split(',')
                .map(|h| h.trim())
                .filter(|h| !h.is_empty())
                .all(|h| {
                    allowed.iter().any(|a| {
                        glob(
                            a.to_ascii_lowercase().as_bytes(),
                            h.to_ascii_lowercase().as_bytes(),
                            false,
                        )
                    })
                });
            if !ok {
                continue;
            }
        }
        let star = if reading.star_if_listed {
            origins.iter().any(|o| o == "*")
        } else {
            matched == "*"
        };
        let mut out = vec![
            (
                "access-control-allow-origin".to_string(),
                if star {
                    "*".to_string()
                } else {
                    origin.to_string()
                },
            ),
            (
                "access-control-allow-methods".to_string(),
                methods.join(", "),
            ),
        ];
        if let Some(rh) = request_headers {
            out.push(("access-control-allow-headers".into(), rh.to_string()));
        }
        let max_age = if reading.max_age_unsigned {
            r.get("MaxAgeSeconds")
                .and_then(Value::as_u64)
                .map(|a| a.to_string())
        } else {
            r.get("MaxAgeSeconds")
                .and_then(Value::as_i64)
                .map(|a| a.to_string())
        };
        if let Some(age) = max_age {
            out.push(("access-control-max-age".into(), age));
        }
        let expose = if reading.expose_any_array {
            r.get("ExposeHeaders").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        } else {
            Some(list("ExposeHeaders"))
                .filter(|e| !e.is_empty())
                .map(|e| e.join(", "))
        };
        if let Some(expose) = expose {
            out.push(("access-control-expose-headers".into(), expose));
        }
        return Some(out);
    }
    None
}
