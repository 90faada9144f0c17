//! Invalidations: create (the edge cache drops matching entries), get, list.

use super::*;
use crate::rules;

fn invalidation_el(i: &Inval) -> El {
    El::new("Invalidation")
        .with_leaf("Id", &i.id)
        .with_leaf(
            "Status",
            if Instant::now() >= i.done_at {
                "Completed"
            } else {
                "InProgress"
            },
        )
        .with_leaf("CreateTime", util::iso8601(i.create_time))
        .with(i.batch.clone())
}

pub(crate) fn create_invalidation(state: &State, ctx: &Ctx, req: &Req, dist_id: &str) -> R {
    let mut inner = state.lock();
    if !inner.dists.contains_key(dist_id) {
        return Err(no_such_distribution(dist_id));
    }
    let batch = parse_body(&req.body, "InvalidationBatch")?;
    check_quantities(&batch)?;
    let caller_ref = batch.str_at("CallerReference").to_string();
    if caller_ref.is_empty() {
        return Err(inval("The parameter CallerReference is required."));
    }
    if batch.path("Paths").is_none() {
        return Err(inval("The parameter Paths is required."));
    }
    let paths = batch.item_texts("Paths");
    if paths.is_empty() {
        return Err(inval("The parameter Paths must contain at least one path."));
    }
    if paths.len() > 3000 {
        return Err(fail(
            413,
            "BatchTooLarge",
            "Invalidation batch specified is too large.",
        ));
    }
    for p in &paths {
        if !p.starts_with('/') {
            return Err(inval(format!(
                "The path {p} is not valid: paths must begin with a slash (/)."
            )));
        }
        if let Some(star) = p.find('*')
            && star != p.len() - 1
        {
            return Err(inval(format!(
                "The path {p} is not valid: the * wildcard must be the last character."
            )));
        }
    }
    let d = inner.dists.get_mut(dist_id).expect("present");
    let location = |inv: &str| {
        format!(
            "https://cloudfront.amazonaws.com/2020-05-31/distribution/{dist_id}/invalidation/{inv}"
        )
    };
    if let Some(prev) = d
        .invalidations
        .iter()
        .find(|i| i.caller_reference == caller_ref)
    {
        let mut a = prev.paths.clone();
        let mut b = paths.clone();
        a.sort();
        b.sort();
        if a == b {
            return Ok(Out::ok(invalidation_el(prev)).created(location(&prev.id)));
        }
        return Err(fail(
            400,
            "InvalidationBatchAlreadyExists",
            "The CallerReference was already used for an invalidation batch with different paths.",
        ));
    }
    // The quotas of paths in progress: those with the wildcard and those without are counted apart.
    let now = Instant::now();
    let wild = |p: &&String| p.ends_with('*');
    let (mut busy_wild, mut busy_files) = (0, 0);
    for i in d.invalidations.iter().filter(|i| i.done_at > now) {
        busy_wild += i.paths.iter().filter(wild).count();
        busy_files += i.paths.iter().filter(|p| !wild(p)).count();
    }
    let new_wild = paths.iter().filter(wild).count();
    let new_files = paths.len() - new_wild;
    if (new_wild > 0 && busy_wild + new_wild > rules::MAX_WILDCARD_INVALIDATIONS_IN_PROGRESS)
        || (new_files > 0 && busy_files + new_files > rules::MAX_FILE_INVALIDATIONS_IN_PROGRESS)
    {
        return Err(fail(
            400,
            "TooManyInvalidationsInProgress",
            format!(
                "Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations ({}) or invalidation paths ({}).",
                rules::MAX_WILDCARD_INVALIDATIONS_IN_PROGRESS,
                rules::MAX_FILE_INVALIDATIONS_IN_PROGRESS
            ),
        ));
    }
    let inv = Inval {
        id: util::letter_id("I"),
        caller_reference: caller_ref,
        paths: paths.clone(),
        batch,
        create_time: SystemTime::now(),
        done_at: Instant::now() + ctx.deploy_delay,
    };
    let out = Out::ok(invalidation_el(&inv)).created(location(&inv.id));
    d.invalidations.push(inv);
    drop(inner);
    state.edge.invalidate(dist_id, &paths);
    Ok(out)
}

pub(crate) fn get_invalidation(state: &State, dist_id: &str, inv_id: &str) -> R {
    let inner = state.lock();
    let d = inner
        .dists
        .get(dist_id)
        .ok_or_else(|| no_such_distribution(dist_id))?;
    let i = d
        .invalidations
        .iter()
        .find(|i| i.id == inv_id)
        .ok_or_else(|| {
            fail(
                404,
                "NoSuchInvalidation",
                format!("The specified invalidation does not exist: {inv_id}"),
            )
        })?;
    Ok(Out::ok(invalidation_el(i)))
}

pub(crate) fn list_invalidations(state: &State, dist_id: &str, q: &[(String, String)]) -> R {
    let (marker, max) = paging(q)?;
    let inner = state.lock();
    let d = inner
        .dists
        .get(dist_id)
        .ok_or_else(|| no_such_distribution(dist_id))?;
    // Newest first, as CloudFront lists them.
    let ids: Vec<String> = d.invalidations.iter().rev().map(|i| i.id.clone()).collect();
    let (slice, next) = page(&ids, &marker, max);
    let now = Instant::now();
    let mut out =
        El::new("InvalidationList").with_leaf("Marker", marker.clone().unwrap_or_default());
    if let Some(n) = &next {
        out.push(El::leaf("NextMarker", n));
    }
    out.push(El::leaf("MaxItems", max.to_string()));
    out.push(El::leaf("IsTruncated", next.is_some().to_string()));
    out.push(El::leaf("Quantity", slice.len().to_string()));
    if !slice.is_empty() {
        let mut items = El::new("Items");
        for id in slice {
            let i = d
                .invalidations
                .iter()
                .find(|i| &i.id == id)
                .expect("listed");
            items.push(
                El::new("InvalidationSummary")
                    .with_leaf("Id", &i.id)
                    .with_leaf("CreateTime", util::iso8601(i.create_time))
                    .with_leaf(
                        "Status",
                        if now >= i.done_at {
                            "Completed"
                        } else {
                            "InProgress"
                        },
                    ),
            );
        }
        out.push(items);
    }
    Ok(Out::ok(out))
}
