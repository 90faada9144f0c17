//! The AWS-managed cache, origin request and response headers policies, under their real ids and
//! with their documented settings (CloudFront Developer Guide, "Use managed ... policies").
use super::xml::El;

/// `(name, id)` of each policy of a list such as [`cache_policies`] returns: the name is the config's `Name`.
pub(crate) fn names_and_ids(policies: Vec<(&'static str, El)>) -> Vec<(String, &'static str)> {
    policies
        .into_iter()
        .map(|(id, config)| (config.str_at("Name").to_string(), id))
        .collect()
}

fn list(wrapper: &str, item: &str, values: &[&str]) -> El {
    let mut w = El::new(wrapper).with_leaf("Quantity", values.len().to_string());
    if !values.is_empty() {
        let mut items = El::new("Items");
        for v in values {
            items.push(El::leaf(item, *v));
        }
        w.push(items);
    }
    w
}

fn headers_config(behavior: &str, headers: &[&str]) -> El {
    El::new("HeadersConfig")
        .with_leaf("HeaderBehavior", behavior)
        .with(list("Headers", "Name", headers))
}

fn cookies_config(behavior: &str) -> El {
    El::new("CookiesConfig")
        .with_leaf("CookieBehavior", behavior)
        .with(list("Cookies", "Name", &[]))
}

fn query_strings_config(behavior: &str, names: &[&str]) -> El {
    El::new("QueryStringsConfig")
        .with_leaf("QueryStringBehavior", behavior)
        .with(list("QueryStrings", "Name", names))
}

#[allow(clippy::too_many_arguments)]
fn cache_policy(
    name: &str,
    comment: &str,
    ttl: (i64, i64, i64),
    gzip: bool,
    brotli: bool,
    headers: (&str, &[&str]),
    cookies: &str,
    qs: (&str, &[&str]),
) -> El {
    let params = El::new("ParametersInCacheKeyAndForwardedToOrigin")
        .with_leaf("EnableAcceptEncodingGzip", gzip.to_string())
        .with_leaf("EnableAcceptEncodingBrotli", brotli.to_string())
        .with(headers_config(headers.0, headers.1))
        .with(cookies_config(cookies))
        .with(query_strings_config(qs.0, qs.1));
    El::new("CachePolicyConfig")
        .with_leaf("Comment", comment)
        .with_leaf("Name", name)
        .with_leaf("DefaultTTL", ttl.1.to_string())
        .with_leaf("MaxTTL", ttl.2.to_string())
        .with_leaf("MinTTL", ttl.0.to_string())
        .with(params)
}

/// (id, CachePolicyConfig) of every managed cache policy.
pub fn cache_policies() -> Vec<(&'static str, El)> {
    const ORIGIN_CC_HEADERS: &[&str] = &[
        "Host",
        "Origin",
        "X-HTTP-Method-Override",
        "X-HTTP-Method",
        "X-Method-Override",
    ];
    vec![
        (
            "2e54312d-136d-493c-8eb9-b001f22f67d2",
            cache_policy(
                "Managed-Amplify",
                "Policy for Amplify Origin",
                (2, 2, 600),
                true,
                true,
                (
                    "whitelist",
                    &["Authorization", "CloudFront-Viewer-Country", "Host"],
                ),
                "all",
                ("all", &[]),
            ),
        ),
        (
            "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            cache_policy(
                "Managed-CachingDisabled",
                "Policy with caching disabled",
                (0, 0, 0),
                false,
                false,
                ("none", &[]),
                "none",
                ("none", &[]),
            ),
        ),
        (
            "658327ea-f89d-4fab-a63d-7e88639e58f6",
            cache_policy(
                "Managed-CachingOptimized",
                "Policy with caching enabled. Supports Gzip and Brotli compression.",
                (1, 86400, 31536000),
                true,
                true,
                ("none", &[]),
                "none",
                ("none", &[]),
            ),
        ),
        (
            "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
            cache_policy(
                "Managed-CachingOptimizedForUncompressedObjects",
                "Default policy when compression is disabled",
                (1, 86400, 31536000),
                false,
                false,
                ("none", &[]),
                "none",
                ("none", &[]),
            ),
        ),
        (
            "08627262-05a9-4f76-9ded-b50ca2e3a84f",
            cache_policy(
                "Managed-Elemental-MediaPackage",
                "Policy for Elemental MediaPackage Origin",
                (0, 86400, 31536000),
                true,
                false,
                ("whitelist", &["Origin"]),
                "none",
                ("whitelist", &["aws.manifestfilter", "start", "end", "m"]),
            ),
        ),
        (
            "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
            cache_policy(
                "Managed-UseOriginCacheControlHeaders",
                "Policy for origins that return Cache-Control headers. Query strings are not included in the cache key.",
                (0, 0, 31536000),
                true,
                true,
                ("whitelist", ORIGIN_CC_HEADERS),
                "all",
                ("none", &[]),
            ),
        ),
        (
            "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
            cache_policy(
                "Managed-UseOriginCacheControlHeaders-QueryStrings",
                "Policy for origins that return Cache-Control headers and serve different content based on values present in the query string.",
                (0, 0, 31536000),
                true,
                true,
                ("whitelist", ORIGIN_CC_HEADERS),
                "all",
                ("all", &[]),
            ),
        ),
    ]
}

fn origin_request_policy(
    name: &str,
    comment: &str,
    headers: (&str, &[&str]),
    cookies: &str,
    qs: &str,
) -> El {
    El::new("OriginRequestPolicyConfig")
        .with_leaf("Comment", comment)
        .with_leaf("Name", name)
        .with(headers_config(headers.0, headers.1))
        .with(cookies_config(cookies))
        .with(query_strings_config(qs, &[]))
}

/// (id, OriginRequestPolicyConfig) of every managed origin request policy.
pub fn origin_request_policies() -> Vec<(&'static str, El)> {
    const CF_HEADERS: &[&str] = &[
        "CloudFront-Forwarded-Proto",
        "CloudFront-Is-Android-Viewer",
        "CloudFront-Is-Desktop-Viewer",
        "CloudFront-Is-IOS-Viewer",
        "CloudFront-Is-Mobile-Viewer",
        "CloudFront-Is-SmartTV-Viewer",
        "CloudFront-Is-Tablet-Viewer",
        "CloudFront-Viewer-Address",
        "CloudFront-Viewer-ASN",
        "CloudFront-Viewer-City",
        "CloudFront-Viewer-Country",
        "CloudFront-Viewer-Country-Name",
        "CloudFront-Viewer-Country-Region",
        "CloudFront-Viewer-Country-Region-Name",
        "CloudFront-Viewer-Http-Version",
        "CloudFront-Viewer-Latitude",
        "CloudFront-Viewer-Longitude",
        "CloudFront-Viewer-Metro-Code",
        "CloudFront-Viewer-Postal-Code",
        "CloudFront-Viewer-Time-Zone",
        "CloudFront-Viewer-TLS",
    ];
    vec![
        (
            "216adef6-5c7f-47e4-b989-5492eafa07d3",
            origin_request_policy(
                "Managed-AllViewer",
                "Policy to forward all parameters in viewer requests",
                ("allViewer", &[]),
                "all",
                "all",
            ),
        ),
        (
            "33f36d7e-f396-46d9-90e0-52428a34d9dc",
            origin_request_policy(
                "Managed-AllViewerAndCloudFrontHeaders-2022-06",
                "Policy to forward all parameters in viewer requests and all CloudFront headers",
                ("allViewerAndWhitelistCloudFront", CF_HEADERS),
                "all",
                "all",
            ),
        ),
        (
            "b689b0a8-53d0-40ab-baf2-68738e2966ac",
            origin_request_policy(
                "Managed-AllViewerExceptHostHeader",
                "Policy to forward all parameters in viewer requests except for the Host header",
                ("allExcept", &["Host"]),
                "all",
                "all",
            ),
        ),
        (
            "59781a5b-3903-41f3-afcb-af62929ccde1",
            origin_request_policy(
                "Managed-CORS-CustomOrigin",
                "Policy for allowing CORS requests to custom origins",
                ("whitelist", &["Origin"]),
                "none",
                "none",
            ),
        ),
        (
            "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
            origin_request_policy(
                "Managed-CORS-S3Origin",
                "Policy for allowing CORS requests to S3 origins",
                (
                    "whitelist",
                    &[
                        "Origin",
                        "Access-Control-Request-Headers",
                        "Access-Control-Request-Method",
                    ],
                ),
                "none",
                "none",
            ),
        ),
        (
            "775133bc-15f2-49f9-abea-afb2e0bf67d2",
            origin_request_policy(
                "Managed-Elemental-MediaTailor-PersonalizedManifests",
                "Policy for Elemental MediaTailor Personalized Manifests",
                (
                    "whitelist",
                    &[
                        "Origin",
                        "Access-Control-Request-Headers",
                        "Access-Control-Request-Method",
                        "User-Agent",
                        "X-Forwarded-For",
                    ],
                ),
                "none",
                "all",
            ),
        ),
        (
            "bf0718e1-ba1e-49d1-88b1-f726733018ae",
            origin_request_policy(
                "Managed-HostHeaderOnly",
                "Policy to forward only the Host header",
                ("whitelist", &["Host"]),
                "none",
                "none",
            ),
        ),
        (
            "acba4595-bd28-49b8-b9fe-13317c0390fa",
            origin_request_policy(
                "Managed-UserAgentRefererHeaders",
                "Policy for forwarding user-agent and referer headers",
                ("whitelist", &["User-Agent", "Referer"]),
                "none",
                "all",
            ),
        ),
    ]
}

fn cors(methods: &[&str], expose: Option<&[&str]>) -> El {
    let mut c = El::new("CorsConfig")
        .with(list("AccessControlAllowOrigins", "Origin", &["*"]))
        .with(list("AccessControlAllowHeaders", "Header", &["*"]))
        .with(list("AccessControlAllowMethods", "Method", methods))
        .with_leaf("AccessControlAllowCredentials", "false");
    if let Some(expose) = expose {
        c.push(list("AccessControlExposeHeaders", "Header", expose));
    }
    c.with_leaf("OriginOverride", "false")
}

fn security() -> El {
    El::new("SecurityHeadersConfig")
        .with(
            El::new("XSSProtection")
                .with_leaf("Override", "false")
                .with_leaf("Protection", "true")
                .with_leaf("ModeBlock", "true"),
        )
        .with(
            El::new("FrameOptions")
                .with_leaf("Override", "false")
                .with_leaf("FrameOption", "SAMEORIGIN"),
        )
        .with(
            El::new("ReferrerPolicy")
                .with_leaf("Override", "false")
                .with_leaf("ReferrerPolicy", "strict-origin-when-cross-origin"),
        )
        .with(El::new("ContentTypeOptions").with_leaf("Override", "true"))
        .with(
            El::new("StrictTransportSecurity")
                .with_leaf("Override", "false")
                .with_leaf("AccessControlMaxAgeSec", "31536000"),
        )
}

fn response_headers_policy(
    name: &str,
    comment: &str,
    cors: Option<El>,
    security: Option<El>,
) -> El {
    let mut p = El::new("ResponseHeadersPolicyConfig")
        .with_leaf("Comment", comment)
        .with_leaf("Name", name);
    if let Some(c) = cors {
        p.push(c);
    }
    if let Some(s) = security {
        p.push(s);
    }
    p
}

/// (id, ResponseHeadersPolicyConfig) of every managed response headers policy.
pub fn response_headers_policies() -> Vec<(&'static str, El)> {
    const PREFLIGHT: &[&str] = &["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
    vec![
        (
            "e61eb60c-9c35-4d20-a928-2b84e02af89c",
            response_headers_policy(
                "Managed-CORS-and-SecurityHeadersPolicy",
                "Allows all origins for simple CORS requests and adds security headers",
                Some(cors(&["ALL"], None)),
                Some(security()),
            ),
        ),
        (
            "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
            response_headers_policy(
                "Managed-CORS-With-Preflight",
                "Allows all origins for CORS requests, including preflight requests",
                Some(cors(PREFLIGHT, Some(&["*"]))),
                None,
            ),
        ),
        (
            "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
            response_headers_policy(
                "Managed-CORS-with-preflight-and-SecurityHeadersPolicy",
                "Allows all origins for CORS requests, including preflight requests, and adds security headers",
                Some(cors(PREFLIGHT, Some(&["*"]))),
                Some(security()),
            ),
        ),
        (
            "67f7725c-6f97-4210-82d7-5512b31e9d03",
            response_headers_policy(
                "Managed-SecurityHeadersPolicy",
                "Adds a set of security headers to every response",
                None,
                Some(security()),
            ),
        ),
        (
            "60669652-455b-4ae9-85a4-c4c02393f86c",
            response_headers_policy(
                "Managed-SimpleCORS",
                "Allow all origins for simple CORS requests",
                Some(cors(&["ALL"], None)),
                None,
            ),
        ),
    ]
}
