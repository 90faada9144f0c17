//! Queues (only `Default`) and DescribeEndpoints.

use super::*;

pub(super) fn default_queue(shared: &SharedRef, ctx: &crate::wire::RequestCtx) -> Value {
    let g = shared.mediaconvert.lock();
    let count = |s: &str| {
        g.jobs
            .values()
            .filter(|j| j.status == s && j.queue_name == "Default")
            .count()
    };
    json!({
        "arn": queue_arn(ctx, "Default"),
        "name": "Default",
        "createdAt": g.queue_created,
        "lastUpdated": g.queue_created,
        "pricingPlan": "ON_DEMAND",
        "status": "ACTIVE",
        "type": "SYSTEM",
        "concurrentJobs": shared.mediaconvert.concurrency,
        "progressingJobsCount": count("PROGRESSING"),
        "submittedJobsCount": count("SUBMITTED"),
    })
}

pub(super) fn get_queue(shared: &SharedRef, req: &Req, name: &str) -> ApiResult {
    resolve_queue(name)?;
    Ok((
        StatusCode::OK,
        json!({ "queue": default_queue(shared, &req.ctx) }),
    ))
}

pub(super) fn list_queues(shared: &SharedRef, req: &Req) -> ApiResult {
    let q = query(req);
    let max = parse_max_results(&q)?;
    parse_order(&q, false)?;
    if let Some(lb) = q.get("listBy")
        && !["NAME", "CREATION_DATE"].contains(&lb.as_str())
    {
        return Err(err(
            ErrorKind::BadRequest,
            format!("/listBy: [{lb}] should be one of [NAME, CREATION_DATE]"),
        ));
    }
    let (page, next) = paginate(vec![default_queue(shared, &req.ctx)], &q, max)?;
    let mut out = json!({
        "queues": page,
        "totalConcurrentJobs": shared.mediaconvert.concurrency,
        "unallocatedConcurrentJobs": 0,
    });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok((StatusCode::OK, out))
}

pub(super) fn describe_endpoints(req: &Req) -> ApiResult {
    let body = body_object(req)?;
    if let Some(m) = body.get("mode").and_then(Value::as_str)
        && !["DEFAULT", "GET_ONLY"].contains(&m)
    {
        return Err(err(
            ErrorKind::BadRequest,
            format!("/mode: [{m}] should be one of [DEFAULT, GET_ONLY]"),
        ));
    }
    Ok((
        StatusCode::OK,
        json!({ "endpoints": [{ "url": req.ctx.base_url }] }),
    ))
}
