//! Jobs: CreateJob (settings merged with a template, planned, queued, idempotent), the run that transcodes,
//! GetJob, CancelJob, ListJobs.

use super::*;

pub(super) fn create_job(shared: &SharedRef, req: &Req) -> ApiResult {
    let body = body_object(req)?;
    let state = &shared.mediaconvert;
    let region = req.ctx.region.clone();
    let token = body
        .get("clientRequestToken")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(t) = &token {
        if t.len() > 64 || !t.is_ascii() {
            return Err(err(
                ErrorKind::BadRequest,
                "/clientRequestToken: must be up to 64 ASCII characters",
            ));
        }
        let g = state.lock();
        if let Some((id, at)) = g.tokens.get(t)
            && at.elapsed() < IDEMPOTENCY_WINDOW
            && let Some(job) = g.jobs.get(id).filter(|j| visible_to(j, req))
        {
            return Ok((StatusCode::CREATED, json!({ "job": job_json(job) })));
        }
    }
    let role = match body.get("role") {
        Some(Value::String(r)) => r.clone(),
        Some(_) => return Err(err(ErrorKind::BadRequest, "/role: Should be a string")),
        None => return Err(err(ErrorKind::BadRequest, "/role: Required")),
    };
    check_role(&role, &req.ctx.account_id)?;
    let mut settings = match body.get("settings") {
        Some(Value::Object(_)) => body["settings"].clone(),
        Some(_) => return Err(err(ErrorKind::BadRequest, "/settings: Should be an object")),
        None => return Err(err(ErrorKind::BadRequest, "/settings: Required")),
    };
    let mut echo = body.clone();
    echo.remove("tags");
    let template_name = body
        .get("jobTemplate")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut queue = body
        .get("queue")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(tn) = &template_name {
        let name = tn
            .rsplit_once(":jobTemplates/")
            .map(|(_, n)| n)
            .unwrap_or(tn);
        let g = state.lock();
        let Some(t) = g.templates.get(name) else {
            return Err(err(
                ErrorKind::NotFound,
                format!("The job template [{tn}] does not exist"),
            ));
        };
        let tpl_settings = t.body.get("settings").cloned().unwrap_or_else(|| json!({}));
        settings = merge_template(&tpl_settings, &settings);
        if queue.is_none() {
            queue = t
                .body
                .get("queue")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        for k in [
            "priority",
            "accelerationSettings",
            "statusUpdateInterval",
            "hopDestinations",
        ] {
            if !echo.contains_key(k)
                && let Some(v) = t.body.get(k)
            {
                echo.insert(k.to_string(), v.clone());
            }
        }
    }
    if let Some(p) = body.get("priority").and_then(Value::as_i64)
        && !(-50..=50).contains(&p)
    {
        return Err(err(
            ErrorKind::BadRequest,
            "/priority: Should be between -50 and 50",
        ));
    }
    if let Some(um) = body.get("userMetadata")
        && !um
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string))
    {
        return Err(err(
            ErrorKind::BadRequest,
            "/userMetadata: Should be a map of strings",
        ));
    }
    let queue_name = resolve_queue(queue.as_deref().unwrap_or("Default"))?;
    let plan = match plan::plan_job(&settings) {
        Ok(p) => Ok(p),
        Err(plan::PlanError::BadRequest(m)) => return Err(err(ErrorKind::BadRequest, m)),
        Err(plan::PlanError::Unsupported(m)) => Err(m),
    };

    let created_ms = now_ms();
    let id = format!("{created_ms}-{}", random_suffix());
    echo.insert("settings".into(), settings);
    echo.insert(
        "queue".into(),
        Value::String(queue_arn(&req.ctx, &queue_name)),
    );
    let job = Job {
        arn: format!(
            "arn:aws:mediaconvert:{region}:{}:jobs/{id}",
            req.ctx.account_id
        ),
        id: id.clone(),
        created_ms,
        status: "SUBMITTED",
        phase: None,
        percent: None,
        submit: (created_ms / 1000) as u64,
        start: None,
        finish: None,
        error_code: None,
        error_message: None,
        echo,
        queue_name,
        output_group_details: None,
        warnings: Vec::new(),
    };
    let (tx, rx) = watch::channel(false);
    let out = json!({ "job": job_json(&job) });
    {
        let mut g = state.lock();
        if let Some(t) = token {
            g.tokens
                .retain(|_, (_, at)| at.elapsed() < IDEMPOTENCY_WINDOW);
            g.tokens.insert(t, (id.clone(), Instant::now()));
        }
        g.jobs.insert(id.clone(), job);
        g.order.push(id.clone());
        g.cancels.insert(id.clone(), tx);
    }
    let shared = shared.clone();
    tokio::spawn(async move { run_job(shared, id, plan, rx).await });
    Ok((StatusCode::CREATED, out))
}

pub(super) async fn run_job(
    shared: SharedRef,
    id: String,
    plan: Result<plan::JobPlan, String>,
    mut cancel: watch::Receiver<bool>,
) {
    let state = &shared.mediaconvert;
    let slots = state.slots.clone();
    let permit = tokio::select! {
        p = slots.acquire_owned() => p,
        _ = async { while cancel.changed().await.is_ok() { if *cancel.borrow() { break; } } } => return,
    };
    let Ok(_permit) = permit else { return };
    if !state.start(&id) {
        return;
    }
    let reporter = JobReporter { state, id: &id };
    let result = match plan {
        Err(msg) => Err(transcode::Failure::Error(
            transcode::codes::SETTINGS,
            format!("Unsupported setting: {msg}"),
        )),
        Ok(plan) => {
            let tools = state
                .tools
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let workdir = shared.config.data_dir.join("mediaconvert-work").join(&id);
            let limits = state.ffmpeg_limits();
            let r = Box::pin(transcode::execute(
                &shared, &plan, &tools, &limits, &workdir, cancel, &reporter,
            ))
            .await;
            let _ = tokio::fs::remove_dir_all(&workdir).await;
            r
        }
    };
    if let Err(transcode::Failure::Error(code, msg)) = &result {
        tracing::info!(job = %id, code, "mediaconvert job failed: {msg}");
    }
    state.finish(&id, result);
}

pub(super) fn job_json(j: &Job) -> Value {
    let mut o = Map::new();
    for (k, v) in &j.echo {
        if k != "clientRequestToken" || !v.is_null() {
            o.insert(k.clone(), v.clone());
        }
    }
    o.insert("id".into(), json!(j.id));
    o.insert("arn".into(), json!(j.arn));
    o.insert("createdAt".into(), json!(j.submit));
    o.insert("status".into(), json!(j.status));
    o.entry("accelerationStatus")
        .or_insert(json!("NOT_APPLICABLE"));
    o.entry("billingTagsSource").or_insert(json!("JOB"));
    o.entry("priority").or_insert(json!(0));
    o.entry("statusUpdateInterval")
        .or_insert(json!("SECONDS_60"));
    o.entry("simulateReservedQueue")
        .or_insert(json!("DISABLED"));
    o.entry("userMetadata").or_insert(json!({}));
    o.insert("retryCount".into(), json!(0));
    let mut timing = json!({ "submitTime": j.submit });
    if let Some(s) = j.start {
        timing["startTime"] = json!(s);
    }
    if let Some(f) = j.finish {
        timing["finishTime"] = json!(f);
    }
    o.insert("timing".into(), timing);
    if let Some(p) = j.phase {
        o.insert("currentPhase".into(), json!(p));
    }
    if let Some(p) = j.percent {
        o.insert("jobPercentComplete".into(), json!(p));
    }
    if let Some(c) = j.error_code {
        o.insert("errorCode".into(), json!(c));
    }
    if let Some(m) = &j.error_message {
        o.insert("errorMessage".into(), json!(m));
    }
    if let Some(d) = &j.output_group_details {
        o.insert("outputGroupDetails".into(), d.clone());
    }
    o.insert(
        "messages".into(),
        json!({ "info": [], "warning": j.warnings }),
    );
    Value::Object(o)
}

/// Whether the job belongs to the caller's Region and account: MediaConvert jobs are regional, and one account
/// never sees another's (its ARN names both).
fn visible_to(j: &Job, req: &Req) -> bool {
    j.arn.starts_with(&format!(
        "arn:aws:mediaconvert:{}:{}:jobs/",
        req.ctx.region, req.ctx.account_id
    ))
}

pub(super) fn get_job(shared: &SharedRef, req: &Req, id: &str) -> ApiResult {
    let g = shared.mediaconvert.lock();
    match g.jobs.get(id).filter(|j| visible_to(j, req)) {
        Some(j) => Ok((StatusCode::OK, json!({ "job": job_json(j) }))),
        None => Err(err(
            ErrorKind::NotFound,
            format!("The job [{id}] does not exist"),
        )),
    }
}

pub(super) fn cancel_job(shared: &SharedRef, req: &Req, id: &str) -> ApiResult {
    let mut g = shared.mediaconvert.lock();
    let Some(j) = g.jobs.get_mut(id).filter(|j| visible_to(j, req)) else {
        return Err(err(
            ErrorKind::NotFound,
            format!("The job [{id}] does not exist"),
        ));
    };
    if !matches!(j.status, "SUBMITTED" | "PROGRESSING") {
        return Err(err(
            ErrorKind::Conflict,
            format!(
                "The job [{id}] cannot be canceled because it is in status {}",
                j.status
            ),
        ));
    }
    j.status = "CANCELED";
    j.phase = None;
    j.percent = None;
    j.finish = Some(now_secs_ms());
    if let Some(tx) = g.cancels.remove(id) {
        let _ = tx.send(true);
    }
    Ok((StatusCode::ACCEPTED, json!({})))
}

pub(super) fn list_jobs(shared: &SharedRef, req: &Req) -> ApiResult {
    let q = query(req);
    let max = parse_max_results(&q)?;
    let desc = parse_order(&q, true)?;
    let status = q.get("status").cloned();
    if let Some(s) = &status
        && !["SUBMITTED", "PROGRESSING", "COMPLETE", "CANCELED", "ERROR"].contains(&s.as_str())
    {
        return Err(err(
            ErrorKind::BadRequest,
            format!(
                "/status: [{s}] should be one of [SUBMITTED, PROGRESSING, COMPLETE, CANCELED, ERROR]"
            ),
        ));
    }
    let queue = match q.get("queue") {
        Some(qn) => Some(resolve_queue(qn)?),
        None => None,
    };
    let g = shared.mediaconvert.lock();
    let mut jobs: Vec<&Job> = g.order.iter().filter_map(|id| g.jobs.get(id)).collect();
    jobs.sort_by_key(|j| j.created_ms);
    if desc {
        jobs.reverse();
    }
    let jobs: Vec<Value> = jobs
        .into_iter()
        .filter(|j| visible_to(j, req))
        .filter(|j| status.as_deref().is_none_or(|s| j.status == s))
        .filter(|j| queue.as_deref().is_none_or(|qn| j.queue_name == qn))
        .map(job_json)
        .collect();
    let (page, next) = paginate(jobs, &q, max)?;
    let mut out = json!({ "jobs": page });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok((StatusCode::OK, out))
}
