//! Job templates: create, get, delete, list.

use super::*;

pub(super) fn template_json(t: &Template, ctx: &crate::wire::RequestCtx) -> Value {
    let region = &ctx.region;
    let mut o = t.body.clone();
    o.remove("tags");
    o.insert("name".into(), json!(t.name));
    o.insert(
        "arn".into(),
        json!(format!(
            "arn:aws:mediaconvert:{region}:{}:jobTemplates/{}",
            ctx.account_id, t.name
        )),
    );
    o.insert("createdAt".into(), json!(t.created));
    o.insert("lastUpdated".into(), json!(t.created));
    o.insert("type".into(), json!("CUSTOM"));
    o.entry("priority").or_insert(json!(0));
    o.entry("statusUpdateInterval")
        .or_insert(json!("SECONDS_60"));
    if let Some(q) = o.get("queue").and_then(Value::as_str).map(str::to_string) {
        let name = q
            .rsplit_once(":queues/")
            .map(|(_, n)| n.to_string())
            .unwrap_or(q);
        o.insert("queue".into(), json!(queue_arn(ctx, &name)));
    } else {
        o.insert("queue".into(), json!(queue_arn(ctx, "Default")));
    }
    Value::Object(o)
}

pub(super) fn create_template(shared: &SharedRef, req: &Req) -> ApiResult {
    let body = body_object(req)?;
    let name = match body.get("name") {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        Some(_) => {
            return Err(err(
                ErrorKind::BadRequest,
                "/name: Should be a non-empty string",
            ));
        }
        None => return Err(err(ErrorKind::BadRequest, "/name: Required")),
    };
    if !body.get("settings").is_some_and(Value::is_object) {
        return Err(err(ErrorKind::BadRequest, "/settings: Required"));
    }
    if let Some(q) = body.get("queue").and_then(Value::as_str) {
        resolve_queue(q)?;
    }
    // Validate the template's output groups the way a job would use them (inputs come from the job).
    let settings = &body["settings"];
    if let Some(groups) = settings
        .get("outputGroups")
        .filter(|g| g.as_array().is_some_and(|a| !a.is_empty()))
    {
        let probe = json!({ "inputs": [{ "fileInput": "s3://template-validation/input.mp4" }], "outputGroups": groups });
        if let Err(plan::PlanError::BadRequest(m)) = plan::plan_job(&probe) {
            return Err(err(ErrorKind::BadRequest, m));
        }
    }
    let mut g = shared.mediaconvert.lock();
    if g.templates.contains_key(&name) {
        return Err(err(
            ErrorKind::Conflict,
            format!("A job template with the name [{name}] already exists"),
        ));
    }
    let t = Template {
        name: name.clone(),
        created: now_secs(),
        created_ms: now_ms(),
        body,
    };
    let out = json!({ "jobTemplate": template_json(&t, &req.ctx) });
    g.templates.insert(name, t);
    Ok((StatusCode::CREATED, out))
}

pub(super) fn get_template(shared: &SharedRef, req: &Req, name: &str) -> ApiResult {
    let g = shared.mediaconvert.lock();
    match g.templates.get(name) {
        Some(t) => Ok((
            StatusCode::OK,
            json!({ "jobTemplate": template_json(t, &req.ctx) }),
        )),
        None => Err(err(
            ErrorKind::NotFound,
            format!("The job template [{name}] does not exist"),
        )),
    }
}

pub(super) fn delete_template(shared: &SharedRef, name: &str) -> ApiResult {
    let mut g = shared.mediaconvert.lock();
    match g.templates.remove(name) {
        Some(_) => Ok((StatusCode::ACCEPTED, json!({}))),
        None => Err(err(
            ErrorKind::NotFound,
            format!("The job template [{name}] does not exist"),
        )),
    }
}

pub(super) fn list_templates(shared: &SharedRef, req: &Req) -> ApiResult {
    let q = query(req);
    let max = parse_max_results(&q)?;
    let desc = parse_order(&q, false)?;
    let list_by = q.get("listBy").map(String::as_str).unwrap_or("NAME");
    if !["NAME", "CREATION_DATE", "SYSTEM"].contains(&list_by) {
        return Err(err(
            ErrorKind::BadRequest,
            format!("/listBy: [{list_by}] should be one of [NAME, CREATION_DATE, SYSTEM]"),
        ));
    }
    let g = shared.mediaconvert.lock();
    let mut ts: Vec<&Template> = if list_by == "SYSTEM" {
        Vec::new()
    } else {
        g.templates.values().collect()
    };
    if let Some(c) = q.get("category") {
        ts.retain(|t| t.body.get("category").and_then(Value::as_str) == Some(c.as_str()));
    }
    if list_by == "CREATION_DATE" {
        ts.sort_by_key(|t| t.created_ms);
    }
    if desc {
        ts.reverse();
    }
    let items: Vec<Value> = ts.iter().map(|t| template_json(t, &req.ctx)).collect();
    let (page, next) = paginate(items, &q, max)?;
    let mut out = json!({ "jobTemplates": page });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok((StatusCode::OK, out))
}
