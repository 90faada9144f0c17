//! A bucket's CORS configuration applied to requests, as S3 evaluates it
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html>, "How does Amazon S3 evaluate the CORS
//! configuration on a bucket?"): the first rule whose `AllowedOrigin`, `AllowedMethod` and, for a preflight, every
//! `AllowedHeader` match the request is the one that answers. Used by S3 requests and by the CloudFront edge when
//! a viewer's `Origin` reaches an S3 origin.

use super::CorsRuleView;
use crate::cors::{OriginWildcards, Reading, container_rule};
use serde_json::{Value, json};

/// S3's reading of its rules: one `*` wildcard in an origin, methods case-sensitive (the configuration holds them
/// in upper case), `*` as the allowed origin only when the matching origin pattern is `*`.
const S3: Reading = Reading {
    default_methods: None,
    origins: OriginWildcards::OneStar,
    method_ignore_case: false,
    star_if_listed: false,
    expose_any_array: false,
    max_age_unsigned: false,
};

/// The message of S3's 403 to a preflight on a bucket without a CORS configuration.
pub(crate) const NOT_ENABLED: &str = "CORSResponse: CORS is not enabled for this bucket.";
/// The message of S3's 403 to a preflight no rule allows.
pub(crate) const NOT_ALLOWED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

/// The `Access-Control-*` headers (lowercase names) of the first rule that allows `origin` with `method` (for a
/// preflight, the `Access-Control-Request-Method`) and every header of `request_headers`; `None` when no rule does.
/// S3 adds `Access-Control-Allow-Credentials: true` whenever the allowed origin is not `*`, and `Vary` on the
/// request headers the answer depends on.
pub(crate) fn rule_headers(
    rules: &[CorsRuleView],
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
) -> Option<Vec<(String, String)>> {
    let rules = Value::Array(
        rules
            .iter()
            .map(|r| {
                json!({
                    "AllowedOrigins": r.allowed_origins,
                    "AllowedMethods": r.allowed_methods,
                    "AllowedHeaders": r.allowed_headers,
                    "ExposeHeaders": r.expose_headers,
                    "MaxAgeSeconds": r.max_age_seconds,
                })
            })
            .collect(),
    );
    let mut out = container_rule(Some(&rules), origin, method, request_headers, &S3)?;
    if out
        .iter()
        .any(|(k, v)| k == "access-control-allow-origin" && v != "*")
    {
        out.push(("access-control-allow-credentials".into(), "true".into()));
    }
    out.push((
        "vary".into(),
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".into(),
    ));
    Some(out)
}

/// The headers of an answer to an actual (not preflight) request: a preflight's `Allow-Headers` and `Max-Age`
/// are left out.
pub(crate) fn for_actual_request(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .filter(|(k, _)| k != "access-control-allow-headers" && k != "access-control-max-age")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRuleView {
        CorsRuleView {
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            allowed_methods: methods.iter().map(|s| s.to_string()).collect(),
            allowed_headers: headers.iter().map(|s| s.to_string()).collect(),
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(3000),
            ..Default::default()
        }
    }

    fn get<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
        h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_first_matching_rule_answers() {
        let rules = [
            rule(&["https://*.example.com"], &["GET", "HEAD"], &["Range"]),
            rule(&["*"], &["GET"], &[]),
        ];
        let h = rule_headers(&rules, "https://app.example.com", "GET", Some("range")).unwrap();
        assert_eq!(
            get(&h, "access-control-allow-origin"),
            Some("https://app.example.com")
        );
        assert_eq!(get(&h, "access-control-allow-methods"), Some("GET, HEAD"));
        assert_eq!(get(&h, "access-control-allow-headers"), Some("range"));
        assert_eq!(get(&h, "access-control-max-age"), Some("3000"));
        assert_eq!(get(&h, "access-control-expose-headers"), Some("ETag"));
        assert_eq!(get(&h, "access-control-allow-credentials"), Some("true"));
        // Another origin falls to the `*` rule: `*` and no credentials.
        let h = rule_headers(&rules, "https://other.test", "GET", None).unwrap();
        assert_eq!(get(&h, "access-control-allow-origin"), Some("*"));
        assert_eq!(get(&h, "access-control-allow-credentials"), None);
        // A header no rule allows, or a method no rule allows: no answer.
        assert!(rule_headers(&rules, "https://other.test", "GET", Some("x-custom")).is_none());
        assert!(rule_headers(&rules, "https://app.example.com", "PUT", None).is_none());
        assert!(rule_headers(&rules, "https://app.example.com", "get", None).is_none());
        let actual = for_actual_request(
            rule_headers(&rules, "https://app.example.com", "GET", Some("range")).unwrap(),
        );
        assert_eq!(get(&actual, "access-control-max-age"), None);
        assert_eq!(get(&actual, "access-control-allow-headers"), None);
    }
}
