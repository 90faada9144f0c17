//! Tags on distributions and the other taggable resources: TagResource, UntagResource, ListTagsForResource.

use super::*;

pub(super) fn parse_tags(tags: &El) -> Result<Vec<(String, String)>, Fail> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in tags.items("") {
        let k = t.str_at("Key").to_string();
        if k.is_empty() || k.len() > 128 || k.starts_with("aws:") {
            return Err(fail(
                400,
                "InvalidTagging",
                format!("Invalid tag key: {k:?}"),
            ));
        }
        let v = t.str_at("Value").to_string();
        if v.len() > 256 {
            return Err(fail(
                400,
                "InvalidTagging",
                format!("Invalid tag value for {k}"),
            ));
        }
        out.retain(|(ek, _)| ek != &k);
        out.push((k, v));
    }
    Ok(out)
}

fn resource_arn<'a>(inner: &Inner, q: &'a [(String, String)]) -> Result<&'a str, Fail> {
    let arn = wire::query_get(q, "Resource")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| inval("The parameter Resource is required."))?;
    let Some(rest) = arn
        .strip_prefix("arn:aws:cloudfront::")
        .and_then(|r| r.split_once(':'))
        .filter(|(account, _)| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .map(|(_, rest)| rest)
    else {
        return Err(inval(format!("Invalid resource ARN: {arn}")));
    };
    let Some(id) = rest.strip_prefix("distribution/") else {
        return Err(inval(format!(
            "Tagging is supported for distributions only here: {arn}"
        )));
    };
    if inner.dists.get(id).is_none_or(|d| d.arn != arn) {
        return Err(fail(
            404,
            "NoSuchResource",
            format!("The specified resource does not exist: {arn}"),
        ));
    }
    Ok(arn)
}

pub(crate) fn tag(state: &State, req: &Req, q: &[(String, String)]) -> R {
    let mut inner = state.lock();
    let arn = resource_arn(&inner, q)?.to_string();
    let tags = parse_body(&req.body, "Tags")?;
    let new = parse_tags(&tags)?;
    let entry = inner.tags.entry(arn).or_default();
    for (k, v) in new {
        entry.retain(|(ek, _)| ek != &k);
        entry.push((k, v));
    }
    if entry.len() > 50 {
        return Err(fail(
            400,
            "InvalidTagging",
            "A resource can have at most 50 tags.",
        ));
    }
    Ok(Out::no_content())
}

pub(crate) fn untag(state: &State, req: &Req, q: &[(String, String)]) -> R {
    let mut inner = state.lock();
    let arn = resource_arn(&inner, q)?.to_string();
    let keys = parse_body(&req.body, "TagKeys")?;
    let keys = keys.item_texts("");
    if let Some(entry) = inner.tags.get_mut(&arn) {
        entry.retain(|(k, _)| !keys.contains(k));
    }
    Ok(Out::no_content())
}

pub(crate) fn list_tags(state: &State, q: &[(String, String)]) -> R {
    let inner = state.lock();
    let arn = resource_arn(&inner, q)?;
    let mut items = El::new("Items");
    for (k, v) in inner.tags.get(arn).map(|v| v.as_slice()).unwrap_or(&[]) {
        items.push(El::new("Tag").with_leaf("Key", k).with_leaf("Value", v));
    }
    Ok(Out::ok(El::new("Tags").with(items)))
}
