//! MediaConvert control plane (restJson1, `/2017-08-29/`) and ffmpeg transcoding. Owner: mediaconvert.
//!
//! Operations: CreateJob, GetJob, ListJobs, CancelJob, CreateJobTemplate, GetJobTemplate, ListJobTemplates,
//! DeleteJobTemplate, GetQueue, ListQueues, DescribeEndpoints. Jobs run in background tokio tasks (at most
//! [`DEFAULT_CONCURRENCY`] at a time). Each decodes its input once, encodes each distinct rendition once,
//! and copies the encoded streams into every output; its ffmpeg processes run at most
//! `VOD_EMULATOR_FFMPEG_PROCESSES_PER_JOB` at a time, and the emulator's at most
//! `VOD_EMULATOR_FFMPEG_PROCESSES` (both default to the number of cores; see [`State::set_ffmpeg_limits`]).
//! See `docs/mediaconvert.md`.
mod manifest;
mod plan;
mod transcode;

mod jobs;
mod queues;
mod templates;

use jobs::*;
use queues::*;
use templates::*;

use crate::SharedRef;
use crate::wire::{Req, Resp, percent_decode};
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Semaphore, watch};

/// How many jobs transcode at the same time.
pub const DEFAULT_CONCURRENCY: usize = 2;
/// A `clientRequestToken` reused within this window returns the original job (as MediaConvert documents).
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(60);
const API_PREFIX: &str = "2017-08-29";

/// One job as the API shows it.
#[derive(Debug, Clone)]
struct Job {
    id: String,
    arn: String,
    created_ms: u128,
    status: &'static str,
    phase: Option<&'static str>,
    percent: Option<u32>,
    submit: u64,
    /// Epoch seconds, to the millisecond (the wire format allows fractions; benchmarks time jobs by it).
    start: Option<f64>,
    finish: Option<f64>,
    error_code: Option<i64>,
    error_message: Option<String>,
    /// Everything echoed back from the request (role, settings, userMetadata, queue, ...), camelCase.
    echo: Map<String, Value>,
    queue_name: String,
    output_group_details: Option<Value>,
    warnings: Vec<String>,
}

#[derive(Debug, Clone)]
struct Template {
    name: String,
    created: u64,
    created_ms: u128,
    body: Map<String, Value>,
}

#[derive(Default)]
struct Inner {
    jobs: BTreeMap<String, Job>,
    /// Job ids in creation order.
    order: Vec<String>,
    templates: BTreeMap<String, Template>,
    /// clientRequestToken -> (job id, when).
    tokens: HashMap<String, (String, Instant)>,
    cancels: HashMap<String, watch::Sender<bool>>,
    queue_created: u64,
}

/// MediaConvert state.
pub struct State {
    inner: Mutex<Inner>,
    slots: Arc<Semaphore>,
    concurrency: usize,
    tools: Mutex<transcode::Tools>,
    /// ffmpeg processes: the emulator's slots, and how many one job may hold.
    ffmpeg_slots: Mutex<(Arc<Semaphore>, usize)>,
}

/// A positive number from the environment variable `name`, else the number of cores.
fn env_or_cores(name: &str) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|v| *v > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

impl Default for State {
    fn default() -> Self {
        let concurrency = std::env::var("VOD_EMULATOR_MEDIACONVERT_CONCURRENCY")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|v| *v > 0)
            .unwrap_or(DEFAULT_CONCURRENCY);
        Self {
            inner: Mutex::new(Inner {
                queue_created: now_secs(),
                ..Default::default()
            }),
            slots: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            ffmpeg_slots: Mutex::new((
                Arc::new(Semaphore::new(env_or_cores(
                    "VOD_EMULATOR_FFMPEG_PROCESSES",
                ))),
                env_or_cores("VOD_EMULATOR_FFMPEG_PROCESSES_PER_JOB"),
            )),
            tools: Mutex::new(transcode::Tools {
                ffmpeg: std::env::var("VOD_EMULATOR_FFMPEG").unwrap_or_else(|_| "ffmpeg".into()),
                ffprobe: std::env::var("VOD_EMULATOR_FFPROBE").unwrap_or_else(|_| "ffprobe".into()),
            }),
        }
    }
}

impl State {
    /// Overrides the ffmpeg and ffprobe executables (default: `ffmpeg`/`ffprobe` on PATH, or the
    /// `VOD_EMULATOR_FFMPEG` / `VOD_EMULATOR_FFPROBE` environment variables).
    pub fn set_tools(&self, ffmpeg: impl Into<String>, ffprobe: impl Into<String>) {
        *self.tools.lock().unwrap_or_else(|e| e.into_inner()) = transcode::Tools {
            ffmpeg: ffmpeg.into(),
            ffprobe: ffprobe.into(),
        };
    }

    /// Caps the ffmpeg processes that run at once: `per_emulator` across all jobs, `per_job` in one job
    /// (each at least 1). Jobs started before keep the limits they started with.
    pub fn set_ffmpeg_limits(&self, per_emulator: usize, per_job: usize) {
        *self.ffmpeg_slots.lock().unwrap_or_else(|e| e.into_inner()) = (
            Arc::new(Semaphore::new(per_emulator.max(1))),
            per_job.max(1),
        );
    }

    /// The limits a job starting now runs with.
    fn ffmpeg_limits(&self) -> transcode::ffmpeg::Limits {
        let (emulator, per_job) = self
            .ffmpeg_slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        transcode::ffmpeg::Limits {
            job: Arc::new(Semaphore::new(per_job)),
            emulator,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut Job)) {
        if let Some(j) = self.lock().jobs.get_mut(id) {
            f(j);
        }
    }

    /// SUBMITTED -> PROGRESSING; false when the job is no longer SUBMITTED (canceled).
    fn start(&self, id: &str) -> bool {
        let mut g = self.lock();
        match g.jobs.get_mut(id) {
            Some(j) if j.status == "SUBMITTED" => {
                j.status = "PROGRESSING";
                j.start = Some(now_secs_ms());
                j.phase = Some("PROBING");
                j.percent = Some(0);
                true
            }
            _ => false,
        }
    }

    fn finish(&self, id: &str, result: Result<transcode::Outcome, transcode::Failure>) {
        let mut g = self.lock();
        g.cancels.remove(id);
        let Some(j) = g.jobs.get_mut(id) else { return };
        if j.status != "PROGRESSING" {
            return;
        }
        j.finish = Some(now_secs_ms());
        j.phase = None;
        j.percent = None;
        match result {
            Ok(outcome) => {
                j.status = "COMPLETE";
                j.output_group_details = Some(outcome.output_group_details);
                j.warnings.extend(outcome.warnings);
            }
            Err(transcode::Failure::Error(code, msg)) => {
                j.status = "ERROR";
                j.error_code = Some(code);
                j.error_message = Some(msg);
            }
            Err(transcode::Failure::Canceled) => j.status = "CANCELED",
        }
    }
}

struct JobReporter<'a> {
    state: &'a State,
    id: &'a str,
}

impl transcode::Reporter for JobReporter<'_> {
    fn phase(&self, phase: &'static str, percent: u32) {
        self.state.update(self.id, |j| {
            if j.status == "PROGRESSING" {
                j.phase = Some(phase);
                j.percent = Some(percent.min(99).max(j.percent.unwrap_or(0)));
            }
        });
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
/// Epoch seconds with milliseconds.
fn now_secs_ms() -> f64 {
    now_ms() as f64 / 1000.0
}
fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------- responses

/// The restJson1 error shapes this module answers with (TooManyRequestsException and
/// InternalServerErrorException come from the router's fault knobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    BadRequest,
    NotFound,
    Conflict,
    Forbidden,
}

impl ErrorKind {
    fn code(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "BadRequestException",
            ErrorKind::NotFound => "NotFoundException",
            ErrorKind::Conflict => "ConflictException",
            ErrorKind::Forbidden => "ForbiddenException",
        }
    }
    fn status(self) -> StatusCode {
        match self {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        }
    }
}

type ApiError = (ErrorKind, String);
type ApiResult = Result<(StatusCode, Value), ApiError>;

fn err(kind: ErrorKind, msg: impl Into<String>) -> ApiError {
    (kind, msg.into())
}

fn respond(op: &str, rid: &str, result: ApiResult) -> Resp {
    let (status, body, error) = match result {
        Ok((s, v)) => (s, v.to_string(), None),
        Err((k, m)) => (
            k.status(),
            json!({ "message": m }).to_string(),
            Some(k.code()),
        ),
    };
    let mut b = http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", rid)
        .header(crate::wire::OPERATION_HEADER, op);
    if let Some(code) = error {
        b = b.header("x-amzn-ErrorType", code);
    }
    b.body(Bytes::from(body))
        .expect("static response parts are valid")
}

fn query(req: &Req) -> HashMap<String, String> {
    req.uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------- routing

/// Serves a MediaConvert API request.
pub async fn handle(shared: &SharedRef, req: Req) -> Resp {
    let rid = req.ctx.request_id.clone();
    let path = req.uri.path().to_string();
    let segs: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = &req.method;
    let (op, result) = match (segs.as_slice(), m) {
        ([API_PREFIX, "jobs"], &Method::POST) => ("CreateJob", create_job(shared, &req)),
        ([API_PREFIX, "jobs"], &Method::GET) => ("ListJobs", list_jobs(shared, &req)),
        ([API_PREFIX, "jobs", id], &Method::GET) => ("GetJob", get_job(shared, &req, id)),
        ([API_PREFIX, "jobs", id], &Method::DELETE) => ("CancelJob", cancel_job(shared, &req, id)),
        ([API_PREFIX, "jobTemplates"], &Method::POST) => {
            ("CreateJobTemplate", create_template(shared, &req))
        }
        ([API_PREFIX, "jobTemplates"], &Method::GET) => {
            ("ListJobTemplates", list_templates(shared, &req))
        }
        ([API_PREFIX, "jobTemplates", name], &Method::GET) => {
            ("GetJobTemplate", get_template(shared, &req, name))
        }
        ([API_PREFIX, "jobTemplates", name], &Method::DELETE) => {
            ("DeleteJobTemplate", delete_template(shared, name))
        }
        ([API_PREFIX, "queues"], &Method::GET) => ("ListQueues", list_queues(shared, &req)),
        ([API_PREFIX, "queues", name], &Method::GET) => ("GetQueue", get_queue(shared, &req, name)),
        ([API_PREFIX, "endpoints"], &Method::POST) => {
            ("DescribeEndpoints", describe_endpoints(&req))
        }
        _ => (
            "Unknown",
            Err(err(
                ErrorKind::BadRequest,
                format!("vod-emulator does not emulate the MediaConvert operation {m} {path}"),
            )),
        ),
    };
    respond(op, &rid, result)
}

fn body_object(req: &Req) -> Result<Map<String, Value>, ApiError> {
    if req.body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(err(
            ErrorKind::BadRequest,
            "The request body must be a JSON object",
        )),
        Err(e) => Err(err(
            ErrorKind::BadRequest,
            format!("Unable to parse the request body as JSON: {e}"),
        )),
    }
}

/// The ARN of queue `name` in the caller's Region and account.
fn queue_arn(ctx: &crate::wire::RequestCtx, name: &str) -> String {
    format!(
        "arn:aws:mediaconvert:{}:{}:queues/{name}",
        ctx.region, ctx.account_id
    )
}

/// Resolves a queue given by name or ARN; only `Default` exists.
fn resolve_queue(q: &str) -> Result<String, ApiError> {
    let name = q.rsplit_once(":queues/").map(|(_, n)| n).unwrap_or(q);
    if name == "Default" {
        Ok(name.to_string())
    } else {
        Err(err(
            ErrorKind::NotFound,
            format!("The queue [{q}] does not exist"),
        ))
    }
}

/// The role must be an IAM role ARN of the caller's account: MediaConvert's caller needs `iam:PassRole` on it, which
/// the emulator grants for the caller's own account only.
fn check_role(role: &str, account_id: &str) -> Result<(), ApiError> {
    let Some(rest) = role.strip_prefix("arn:aws:iam::") else {
        return Err(err(
            ErrorKind::BadRequest,
            format!(
                "/role: [{role}] is not a valid IAM role ARN (arn:aws:iam::<account>:role/<name>)"
            ),
        ));
    };
    let Some((account, resource)) = rest.split_once(':') else {
        return Err(err(
            ErrorKind::BadRequest,
            format!("/role: [{role}] is not a valid IAM role ARN"),
        ));
    };
    if account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
        || !resource.starts_with("role/")
        || resource.len() <= 5
    {
        return Err(err(
            ErrorKind::BadRequest,
            format!("/role: [{role}] is not a valid IAM role ARN"),
        ));
    }
    if account != account_id {
        return Err(err(
            ErrorKind::Forbidden,
            format!(
                "User: arn:aws:iam::{account_id}:user/test is not authorized to perform: iam:PassRole on resource: {role} (the emulator acts as account {account_id}: the access key id when it is 12 digits, else its --account-id)"
            ),
        ));
    }
    Ok(())
}

/// Deep-merges `over` onto `base` (objects merge, everything else is replaced).
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(bv) => merge(bv, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The job's settings on top of its template's (inputs merge by position; outputGroups come from the job
/// when it has any, else from the template).
fn merge_template(template: &Value, job: &Value) -> Value {
    let mut out = template.clone();
    let job_inputs = job.get("inputs").and_then(Value::as_array).cloned();
    let tpl_inputs = template
        .get("inputs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let job_groups = job
        .get("outputGroups")
        .and_then(Value::as_array)
        .filter(|g| !g.is_empty())
        .cloned();
    merge(&mut out, job);
    if let Some(ji) = job_inputs {
        let merged: Vec<Value> = ji
            .iter()
            .enumerate()
            .map(|(i, inp)| {
                let mut base = tpl_inputs.get(i).cloned().unwrap_or_else(|| json!({}));
                merge(&mut base, inp);
                base
            })
            .collect();
        out["inputs"] = Value::Array(merged);
    }
    if let Some(g) = job_groups {
        out["outputGroups"] = Value::Array(g);
    } else if let Some(tg) = template.get("outputGroups") {
        out["outputGroups"] = tg.clone();
    }
    out
}

fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..6)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

// ---------------------------------------------------------------------------------------------- listing

fn parse_max_results(q: &HashMap<String, String>) -> Result<usize, ApiError> {
    match q.get("maxResults") {
        None => Ok(20),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=20).contains(&n) => Ok(n as usize),
            _ => Err(err(
                ErrorKind::BadRequest,
                format!("/maxResults: [{v}] should be between 1 and 20"),
            )),
        },
    }
}

fn parse_order(q: &HashMap<String, String>, default_desc: bool) -> Result<bool, ApiError> {
    match q.get("order").map(String::as_str) {
        None => Ok(default_desc),
        Some("ASCENDING") => Ok(false),
        Some("DESCENDING") => Ok(true),
        Some(o) => Err(err(
            ErrorKind::BadRequest,
            format!("/order: [{o}] should be one of [ASCENDING, DESCENDING]"),
        )),
    }
}

/// Page `items` with an opaque offset token.
fn paginate<T: Clone>(
    items: Vec<T>,
    q: &HashMap<String, String>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match q.get("nextToken") {
        None => 0,
        Some(t) => t
            .strip_prefix("vodemu-")
            .and_then(|n| usize::from_str_radix(n, 16).ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                err(
                    ErrorKind::BadRequest,
                    format!("/nextToken: [{t}] is not a valid token"),
                )
            })?,
    };
    let end = (start + max).min(items.len());
    let next = (end < items.len()).then(|| format!("vodemu-{end:x}"));
    Ok((items[start..end].to_vec(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_queues() {
        assert!(
            check_role(
                "arn:aws:iam::123456789012:role/MediaConvert",
                "123456789012"
            )
            .is_ok()
        );
        assert_eq!(
            check_role("arn:aws:iam::999999999999:role/X", "123456789012")
                .unwrap_err()
                .0,
            ErrorKind::Forbidden
        );
        assert_eq!(
            check_role("not-an-arn", "123456789012").unwrap_err().0,
            ErrorKind::BadRequest
        );
        assert_eq!(
            check_role("arn:aws:iam::123456789012:user/x", "123456789012")
                .unwrap_err()
                .0,
            ErrorKind::BadRequest
        );
        assert_eq!(
            resolve_queue("arn:aws:mediaconvert:us-east-1:123456789012:queues/Default").unwrap(),
            "Default"
        );
        assert_eq!(resolve_queue("Other").unwrap_err().0, ErrorKind::NotFound);
    }

    #[test]
    fn template_merge() {
        let tpl = json!({"inputs": [{"audioSelectors": {"A": {"defaultSelection": "DEFAULT"}}, "timecodeSource": "ZEROBASED"}],
                          "outputGroups": [{"name": "t"}], "timecodeConfig": {"source": "ZEROBASED"}});
        let job = json!({"inputs": [{"fileInput": "s3://b/k.mp4", "timecodeSource": "EMBEDDED"}]});
        let m = merge_template(&tpl, &job);
        assert_eq!(m["inputs"][0]["fileInput"], "s3://b/k.mp4");
        assert_eq!(m["inputs"][0]["timecodeSource"], "EMBEDDED");
        assert_eq!(
            m["inputs"][0]["audioSelectors"]["A"]["defaultSelection"],
            "DEFAULT"
        );
        assert_eq!(m["outputGroups"][0]["name"], "t");
        assert_eq!(m["timecodeConfig"]["source"], "ZEROBASED");
        let job2 =
            json!({"inputs": [{"fileInput": "s3://b/k.mp4"}], "outputGroups": [{"name": "j"}]});
        assert_eq!(merge_template(&tpl, &job2)["outputGroups"][0]["name"], "j");
    }

    #[test]
    fn pagination_tokens() {
        let q = |t: Option<&str>| {
            let mut m = HashMap::new();
            if let Some(t) = t {
                m.insert("nextToken".to_string(), t.to_string());
            }
            m
        };
        let (p, n) = paginate((0..5).collect(), &q(None), 2).unwrap();
        assert_eq!((p, n.as_deref()), (vec![0, 1], Some("vodemu-2")));
        let (p, n) = paginate((0..5).collect(), &q(Some("vodemu-4")), 2).unwrap();
        assert_eq!((p, n), (vec![4], None));
        assert_eq!(
            paginate((0..5).collect::<Vec<i32>>(), &q(Some("garbage")), 2)
                .unwrap_err()
                .0,
            ErrorKind::BadRequest
        );
    }
}
