//! The CloudFront REST API: each method and path to its operation, and the answer in CloudFront's XML.

use super::*;

/// Serves a CloudFront API request.
pub async fn handle(shared: &SharedRef, req: Req) -> Resp {
    let ctx = Ctx {
        base_url: req.ctx.base_url.clone(),
        deploy_delay: shared.config.deploy_delay,
        list_delay: shared.knobs.list_delay(),
        policy_quota: shared.config.policy_quota,
    };
    let request_id = req.ctx.request_id.clone();
    let (op, r) = route(shared, &ctx, &req);
    finish(&op, &request_id, r)
}

fn route(shared: &SharedRef, ctx: &Ctx, req: &Req) -> (String, R) {
    let state = &shared.cloudfront;
    let path = req.uri.path().to_string();
    let q = wire::parse_query(req.uri.query());
    let segs: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(wire::percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = req.method.as_str();
    let Some((&"2020-05-31", rest)) = segs.split_first() else {
        return (
            "Unknown".into(),
            Err(fail(
                404,
                "InvalidURI",
                format!("Unknown CloudFront API path {path}"),
            )),
        );
    };
    let op = |s: &str| s.to_string();
    match (rest, method) {
        (["distribution"], "POST") => {
            if wire::query_get(&q, "WithTags").is_some() {
                (
                    op("CreateDistributionWithTags"),
                    dist::create(state, ctx, req, true),
                )
            } else {
                (
                    op("CreateDistribution"),
                    dist::create(state, ctx, req, false),
                )
            }
        }
        (["distribution"], "GET") => (op("ListDistributions"), dist::list(state, ctx, &q)),
        (["distribution", id], "GET") => (op("GetDistribution"), dist::get(state, id, false)),
        (["distribution", id], "DELETE") => {
            (op("DeleteDistribution"), dist::delete(state, req, id))
        }
        (["distribution", id, "config"], "GET") => {
            (op("GetDistributionConfig"), dist::get(state, id, true))
        }
        (["distribution", id, "config"], "PUT") => {
            (op("UpdateDistribution"), dist::update(state, ctx, req, id))
        }
        (["distribution", id, "invalidation"], "POST") => (
            op("CreateInvalidation"),
            dist::create_invalidation(state, ctx, req, id),
        ),
        (["distribution", id, "invalidation"], "GET") => (
            op("ListInvalidations"),
            dist::list_invalidations(state, id, &q),
        ),
        (["distribution", id, "invalidation", inv], "GET") => (
            op("GetInvalidation"),
            dist::get_invalidation(state, id, inv),
        ),
        (["distributionsByCachePolicyId", id], "GET") => (
            op("ListDistributionsByCachePolicyId"),
            dist::list_by(state, Kind::CachePolicy, id, &q),
        ),
        (["distributionsByOriginRequestPolicyId", id], "GET") => (
            op("ListDistributionsByOriginRequestPolicyId"),
            dist::list_by(state, Kind::OriginRequestPolicy, id, &q),
        ),
        (["distributionsByResponseHeadersPolicyId", id], "GET") => (
            op("ListDistributionsByResponseHeadersPolicyId"),
            dist::list_by(state, Kind::ResponseHeadersPolicy, id, &q),
        ),
        (["distributionsByKeyGroupId", id], "GET") => (
            op("ListDistributionsByKeyGroup"),
            dist::list_by(state, Kind::KeyGroup, id, &q),
        ),
        (["tagging"], "GET") => (op("ListTagsForResource"), dist::list_tags(state, &q)),
        (["tagging"], "POST") => match wire::query_get(&q, "Operation") {
            Some("Tag") => (op("TagResource"), dist::tag(state, req, &q)),
            Some("Untag") => (op("UntagResource"), dist::untag(state, req, &q)),
            _ => (
                op("Unknown"),
                Err(fail(
                    400,
                    "InvalidArgument",
                    "Operation must be Tag or Untag",
                )),
            ),
        },
        ([seg, rest @ ..], _) if Kind::from_segment(seg).is_some() => {
            let kind = Kind::from_segment(seg).expect("checked");
            let noun = kind.noun();
            match (rest, method) {
                ([], "POST") => (
                    format!("Create{noun}"),
                    resources::create(state, ctx, req, kind),
                ),
                ([], "GET") => (kind.list_op().to_string(), resources::list(state, kind, &q)),
                ([id], "GET") => (format!("Get{noun}"), resources::get(state, kind, id, false)),
                ([id, "config"], "GET") => (
                    format!("Get{noun}Config"),
                    resources::get(state, kind, id, true),
                ),
                ([id], "PUT") | ([id, "config"], "PUT") => (
                    format!("Update{noun}"),
                    resources::update(state, req, kind, id),
                ),
                ([id], "DELETE") => (
                    format!("Delete{noun}"),
                    resources::delete(state, req, kind, id),
                ),
                _ => (
                    op("Unknown"),
                    Err(fail(
                        404,
                        "InvalidURI",
                        format!("Unsupported {method} {path}"),
                    )),
                ),
            }
        }
        _ => (
            op("Unknown"),
            Err(fail(
                404,
                "InvalidURI",
                format!("Unsupported CloudFront operation {method} {path}"),
            )),
        ),
    }
}
