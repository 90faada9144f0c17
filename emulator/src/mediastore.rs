//! MediaStore control plane (JSON 1.1, X-Amz-Target) and data plane (restJson1). Owner: core.
//!
//! Containers live in memory and in `<data_dir>/mediastore/containers.json`; object bodies are files under
//! `<data_dir>/mediastore/<region>/<container>/<path>`, their metadata (content type, cache control, ETag, time) in
//! memory and in `<data_dir>/mediastore/.meta/<region>/<container>/<path>.json`, reloaded on start.
//!
//! Data plane addressing: the container's `Endpoint` host `<id>.data.mediastore.<region>.localhost[:PORT]`, or,
//! for clients that cannot resolve `*.localhost` (the AWS CLI), the path prefix `/_mediastore/<ContainerName>`
//! on `http://127.0.0.1:PORT` (use `--endpoint-url http://127.0.0.1:PORT/_mediastore/<ContainerName>`).
use crate::SharedRef;
use crate::wire::{Req, Resp, StoredObject, join_inside, parse_range};
use crate::{cors, iam};
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// What other modules (the edge) may read of a container. CONTRACT.
#[derive(Debug, Clone)]
pub struct ContainerView {
    pub name: String,
    pub arn: String,
    /// e.g. `http://abcdefghijkl.data.mediastore.us-east-1.localhost:4566`
    pub endpoint: String,
    /// The DNS host of the endpoint without port: `abcdefghijkl.data.mediastore.us-east-1.localhost`.
    pub endpoint_host: String,
    /// CREATING, ACTIVE or DELETING.
    pub status: String,
    /// Container policy JSON document, if set.
    pub policy: Option<String>,
    /// CORS policy as the JSON array of rules PutCorsPolicy received, if set.
    pub cors_policy: Option<serde_json::Value>,
}

/// How long a new container stays `CREATING`.
pub const CREATING_DELAY: Duration = Duration::from_millis(200);
/// Containers per account and region (AWS quota).
pub const MAX_CONTAINERS: usize = 100;

#[derive(Debug, Clone)]
struct ObjMeta {
    content_type: Option<String>,
    cache_control: Option<String>,
    etag: String,
    size: u64,
    last_modified: SystemTime,
}

#[derive(Debug)]
struct Container {
    name: String,
    region: String,
    id: String,
    created: SystemTime,
    created_at: Instant,
    access_logging: bool,
    policy: Option<String>,
    cors: Option<Value>,
    lifecycle: Option<String>,
    metric: Option<Value>,
    tags: Vec<(String, String)>,
    objects: BTreeMap<String, ObjMeta>,
}

impl Container {
    fn status(&self) -> &'static str {
        if self.created_at.elapsed() >= CREATING_DELAY {
            "ACTIVE"
        } else {
            "CREATING"
        }
    }
    fn arn(&self) -> String {
        format!(
            "arn:aws:mediastore:{}:{}:container/{}",
            self.region,
            crate::wire::ACCOUNT_ID,
            self.name
        )
    }
    fn host(&self) -> String {
        format!("{}.data.mediastore.{}.localhost", self.id, self.region)
    }
    fn endpoint(&self, port: u16) -> String {
        format!("http://{}:{port}", self.host())
    }
    fn to_json(&self, port: u16, with_endpoint: bool) -> Value {
        let mut v = json!({
            "ARN": self.arn(),
            "Name": self.name,
            "Status": self.status(),
            "CreationTime": epoch(self.created),
            "AccessLoggingEnabled": self.access_logging,
        });
        if with_endpoint {
            v["Endpoint"] = json!(self.endpoint(port));
        }
        v
    }
    fn view(&self, port: u16) -> ContainerView {
        ContainerView {
            name: self.name.clone(),
            arn: self.arn(),
            endpoint: self.endpoint(port),
            endpoint_host: self.host(),
            status: self.status().to_string(),
            policy: self.policy.clone(),
            cors_policy: self.cors.clone(),
        }
    }
}

const STATE_FILE: &str = "containers.json";
const META_DIR: &str = ".meta";

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedContainer {
    name: String,
    region: String,
    id: String,
    created_ms: u64,
    access_logging: bool,
    policy: Option<String>,
    cors: Option<Value>,
    lifecycle: Option<String>,
    metric: Option<Value>,
    tags: Vec<(String, String)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedObject {
    content_type: Option<String>,
    cache_control: Option<String>,
    etag: String,
    size: u64,
    last_modified_ms: u64,
}

fn from_ms(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

fn load_containers(dir: &Path) -> Vec<Container> {
    let Some(saved) = std::fs::read(dir.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<SavedContainer>>(&b).ok())
    else {
        return Vec::new();
    };
    saved
        .into_iter()
        .filter_map(|c| {
            let mut objects = BTreeMap::new();
            // A saved container whose name or Region would lead outside the data folder is not loaded.
            if !valid_container_name(&c.name) || !crate::sigv4::valid_region(&c.region) {
                return None;
            }
            let root = join_inside(dir, &format!("{META_DIR}/{}/{}", c.region, c.name))?;
            load_object_meta(&root, &root, &mut objects);
            Some(Container {
                created: from_ms(c.created_ms),
                created_at: Instant::now()
                    .checked_sub(CREATING_DELAY)
                    .unwrap_or_else(Instant::now),
                name: c.name,
                region: c.region,
                id: c.id,
                access_logging: c.access_logging,
                policy: c.policy,
                cors: c.cors,
                lifecycle: c.lifecycle,
                metric: c.metric,
                tags: c.tags,
                objects,
            })
        })
        .collect()
}

fn load_object_meta(root: &Path, dir: &Path, out: &mut BTreeMap<String, ObjMeta>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            load_object_meta(root, &p, out);
            continue;
        }
        let Some(rel) = p
            .strip_prefix(root)
            .ok()
            .and_then(|r| r.to_str())
            .and_then(|r| r.strip_suffix(".json"))
        else {
            continue;
        };
        if let Some(o) = std::fs::read(&p)
            .ok()
            .and_then(|b| serde_json::from_slice::<SavedObject>(&b).ok())
        {
            out.insert(
                rel.replace('\\', "/"),
                ObjMeta {
                    content_type: o.content_type,
                    cache_control: o.cache_control,
                    etag: o.etag,
                    size: o.size,
                    last_modified: from_ms(o.last_modified_ms),
                },
            );
        }
    }
}

fn epoch(t: SystemTime) -> f64 {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

/// MediaStore state. CONTRACT: the methods below.
pub struct State {
    dir: PathBuf,
    port: Mutex<u16>,
    containers: Mutex<Vec<Container>>,
}

impl State {
    /// Opens the MediaStore state, keeping objects under `dir`.
    /// Containers saved by an earlier run (`containers.json`) and their objects' metadata (`.meta/`) are loaded.
    pub fn new(dir: &std::path::Path) -> std::io::Result<State> {
        std::fs::create_dir_all(dir)?;
        let containers = load_containers(dir);
        Ok(State {
            dir: dir.to_path_buf(),
            port: Mutex::new(0),
            containers: Mutex::new(containers),
        })
    }

    /// The file holding an object's metadata; `None` for a path that would leave the container's folder.
    fn meta_file(&self, region: &str, container: &str, path: &str) -> Option<PathBuf> {
        join_inside(
            &self.dir,
            &format!("{META_DIR}/{region}/{container}/{path}.json"),
        )
    }

    /// Writes the container list (not the objects) to `containers.json`.
    fn save_containers(&self) {
        let saved: Vec<SavedContainer> = self
            .lock()
            .iter()
            .map(|c| SavedContainer {
                name: c.name.clone(),
                region: c.region.clone(),
                id: c.id.clone(),
                created_ms: c
                    .created
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis() as u64,
                access_logging: c.access_logging,
                policy: c.policy.clone(),
                cors: c.cors.clone(),
                lifecycle: c.lifecycle.clone(),
                metric: c.metric.clone(),
                tags: c.tags.clone(),
            })
            .collect();
        if let Ok(json) = serde_json::to_vec_pretty(&saved) {
            let tmp = self.dir.join(".containers.json.tmp");
            if std::fs::write(&tmp, json).is_ok() {
                let _ = std::fs::rename(tmp, self.dir.join(STATE_FILE));
            }
        }
    }

    /// Sets the port used in container endpoints (the server calls this once it has bound).
    pub fn set_port(&self, port: u16) {
        *self.port.lock().unwrap_or_else(|e| e.into_inner()) = port;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Container>> {
        self.containers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn port(&self) -> u16 {
        *self.port.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The file holding an object's body; `None` for a path that would leave the container's folder (paths are
    /// validated before they get here: this is the second line of defence).
    fn object_file(&self, region: &str, container: &str, path: &str) -> Option<PathBuf> {
        join_inside(&self.dir, &format!("{region}/{container}/{path}"))
    }

    /// The folders holding a container's bodies and metadata.
    fn container_dirs(&self, region: &str, container: &str) -> Option<[PathBuf; 2]> {
        Some([
            join_inside(&self.dir, &format!("{region}/{container}"))?,
            join_inside(&self.dir, &format!("{META_DIR}/{region}/{container}"))?,
        ])
    }

    /// Looks a container up by name.
    pub fn container_by_name(&self, name: &str) -> Option<ContainerView> {
        let port = self.port();
        self.lock()
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.view(port))
    }
    /// Looks a container up by its endpoint host (as used for a CloudFront origin domain).
    pub fn container_by_host(&self, host: &str) -> Option<ContainerView> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host = host.split(':').next().unwrap_or("");
        let port = self.port();
        self.lock()
            .iter()
            .find(|c| c.host() == host)
            .map(|c| c.view(port))
    }
    /// Reads an object by container name and path (`vod/a/b.m3u8`, no leading slash).
    pub fn get_object(&self, container: &str, path: &str) -> Option<StoredObject> {
        let path = path.trim_start_matches('/');
        let (region, meta) = {
            let cs = self.lock();
            let c = cs.iter().find(|c| c.name == container)?;
            (c.region.clone(), c.objects.get(path)?.clone())
        };
        let body = std::fs::read(self.object_file(&region, container, path)?).ok()?;
        Some(StoredObject {
            body: Bytes::from(body),
            content_type: meta.content_type,
            cache_control: meta.cache_control,
            etag: meta.etag,
            last_modified: meta.last_modified,
        })
    }
}

fn with_op(mut r: Resp, op: &'static str) -> Resp {
    r.headers_mut()
        .insert(crate::wire::OPERATION_HEADER, HeaderValue::from_static(op));
    r
}

fn err(status: StatusCode, code: &str, msg: &str, rid: &str) -> Resp {
    crate::wire::json_error(status, code, msg, rid)
}

fn ok_json(v: Value, rid: &str) -> Resp {
    let mut r = crate::wire::json_ok(StatusCode::OK, &v, rid);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    r
}

/// Serves a MediaStore request (control plane when `X-Amz-Target` is present, else data plane).
pub async fn handle(shared: &SharedRef, req: Req) -> Resp {
    {
        let mut p = shared
            .mediastore
            .port
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if *p == 0 {
            *p = shared.config.port;
        }
    }
    if req.headers.contains_key("x-amz-target") {
        control(shared, req)
    } else {
        data(shared, req).await
    }
}

// ---------------------------------------------------------------------------------------------
// Control plane
// ---------------------------------------------------------------------------------------------

fn valid_container_name(name: &str) -> bool {
    (1..=255).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn new_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..12)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn control(shared: &SharedRef, req: Req) -> Resp {
    let rid = req.ctx.request_id.clone();
    let target = req
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let Some(op) = target.strip_prefix("MediaStore_20170901.") else {
        return err(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("Unknown target {target}"),
            &rid,
        );
    };
    let input: Value = if req.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return err(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    "The request body is not a JSON object",
                    &rid,
                );
            }
        }
    };
    let st = &shared.mediastore;
    let port = shared.config.port;
    let region = req.ctx.region.clone();
    let name_of = |input: &Value| {
        input
            .get("ContainerName")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let static_op: &'static str = match op {
        "CreateContainer" => "CreateContainer",
        "DescribeContainer" => "DescribeContainer",
        "ListContainers" => "ListContainers",
        "DeleteContainer" => "DeleteContainer",
        "PutContainerPolicy" => "PutContainerPolicy",
        "GetContainerPolicy" => "GetContainerPolicy",
        "DeleteContainerPolicy" => "DeleteContainerPolicy",
        "PutCorsPolicy" => "PutCorsPolicy",
        "GetCorsPolicy" => "GetCorsPolicy",
        "DeleteCorsPolicy" => "DeleteCorsPolicy",
        "PutLifecyclePolicy" => "PutLifecyclePolicy",
        "GetLifecyclePolicy" => "GetLifecyclePolicy",
        "DeleteLifecyclePolicy" => "DeleteLifecyclePolicy",
        "PutMetricPolicy" => "PutMetricPolicy",
        "GetMetricPolicy" => "GetMetricPolicy",
        "DeleteMetricPolicy" => "DeleteMetricPolicy",
        "StartAccessLogging" => "StartAccessLogging",
        "StopAccessLogging" => "StopAccessLogging",
        "TagResource" => "TagResource",
        "UntagResource" => "UntagResource",
        "ListTagsForResource" => "ListTagsForResource",
        _ => {
            return err(
                StatusCode::BAD_REQUEST,
                "UnknownOperationException",
                &format!("Unknown operation {op}"),
                &rid,
            );
        }
    };
    let r = control_op(st, static_op, &input, &region, port, &rid, name_of);
    let read_only = ["Describe", "List", "Get"]
        .iter()
        .any(|p| static_op.starts_with(p));
    if r.status().is_success() && !read_only {
        st.save_containers();
    }
    with_op(r, static_op)
}

fn not_found(name: &str, rid: &str) -> Resp {
    err(
        StatusCode::BAD_REQUEST,
        "ContainerNotFoundException",
        &format!("Container {name} does not exist"),
        rid,
    )
}

fn validation(msg: &str, rid: &str) -> Resp {
    err(StatusCode::BAD_REQUEST, "ValidationException", msg, rid)
}

fn parse_tags(v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let arr = v.as_array().ok_or("Tags must be a list")?;
    let mut out: Vec<(String, String)> = Vec::new();
    for t in arr {
        let k = t
            .get("Key")
            .and_then(Value::as_str)
            .ok_or("Each tag needs a Key")?;
        if k.is_empty() || k.len() > 128 || k.starts_with("aws:") {
            return Err(format!("Invalid tag key {k}"));
        }
        let val = t.get("Value").and_then(Value::as_str).unwrap_or("");
        if val.len() > 256 {
            return Err(format!("Invalid tag value for key {k}"));
        }
        out.retain(|(x, _)| x != k);
        out.push((k.to_string(), val.to_string()));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn control_op(
    st: &State,
    op: &'static str,
    input: &Value,
    region: &str,
    port: u16,
    rid: &str,
    name_of: impl Fn(&Value) -> Option<String>,
) -> Resp {
    let mut cs = st.lock();
    // Operations on one container by name.
    let find = |cs: &Vec<Container>, name: &str| {
        cs.iter().position(|c| c.name == name && c.region == region)
    };
    match op {
        "CreateContainer" => {
            let Some(name) = name_of(input) else {
                return validation("ContainerName is required", rid);
            };
            if !valid_container_name(&name) {
                return validation(
                    "1 validation error detected: Value at 'containerName' failed to satisfy constraint: Member must have length between 1 and 255 and contain only letters, numbers and underscores",
                    rid,
                );
            }
            if find(&cs, &name).is_some() {
                return err(
                    StatusCode::BAD_REQUEST,
                    "ContainerInUseException",
                    &format!("Container {name} already exists"),
                    rid,
                );
            }
            if cs.iter().filter(|c| c.region == region).count() >= MAX_CONTAINERS {
                return err(
                    StatusCode::BAD_REQUEST,
                    "LimitExceededException",
                    "Container limit exceeded",
                    rid,
                );
            }
            let tags = match parse_tags(input.get("Tags")) {
                Ok(t) => t,
                Err(e) => return validation(&e, rid),
            };
            let c = Container {
                name,
                region: region.to_string(),
                id: new_id(),
                created: SystemTime::now(),
                created_at: Instant::now(),
                access_logging: false,
                policy: None,
                cors: None,
                lifecycle: None,
                metric: None,
                tags,
                objects: BTreeMap::new(),
            };
            let v = json!({ "Container": c.to_json(port, false) });
            cs.push(c);
            ok_json(v, rid)
        }
        "ListContainers" => {
            let max = match input.get("MaxResults") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_u64() {
                    Some(n) if (1..=100).contains(&n) => Some(n as usize),
                    _ => return validation("MaxResults must be between 1 and 100", rid),
                },
            };
            let list: Vec<&Container> = cs.iter().filter(|c| c.region == region).collect();
            let start = match input.get("NextToken").and_then(Value::as_str) {
                None => 0,
                Some(t) => match t.strip_prefix("ms1-").and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) if n <= list.len() => n,
                    _ => return validation("Invalid NextToken", rid),
                },
            };
            let end = max
                .map(|m| (start + m).min(list.len()))
                .unwrap_or(list.len());
            let page: Vec<Value> = list[start..end]
                .iter()
                .map(|c| c.to_json(port, true))
                .collect();
            let mut v = json!({ "Containers": page });
            if end < list.len() {
                v["NextToken"] = json!(format!("ms1-{end}"));
            }
            ok_json(v, rid)
        }
        "DescribeContainer" => {
            let Some(name) = name_of(input) else {
                return validation("ContainerName is required", rid);
            };
            match find(&cs, &name) {
                Some(i) => ok_json(json!({ "Container": cs[i].to_json(port, true) }), rid),
                None => not_found(&name, rid),
            }
        }
        "TagResource" | "UntagResource" | "ListTagsForResource" => {
            let arn = input.get("Resource").and_then(Value::as_str).unwrap_or("");
            let Some(i) = cs.iter().position(|c| c.arn() == arn) else {
                return err(
                    StatusCode::BAD_REQUEST,
                    "ContainerNotFoundException",
                    &format!("Resource {arn} does not exist"),
                    rid,
                );
            };
            let c = &mut cs[i];
            match op {
                "TagResource" => {
                    let tags = match parse_tags(input.get("Tags")) {
                        Ok(t) => t,
                        Err(e) => return validation(&e, rid),
                    };
                    for (k, v) in tags {
                        c.tags.retain(|(x, _)| *x != k);
                        c.tags.push((k, v));
                    }
                    if c.tags.len() > 50 {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "LimitExceededException",
                            "A container can have at most 50 tags",
                            rid,
                        );
                    }
                    ok_json(json!({}), rid)
                }
                "UntagResource" => {
                    let keys: Vec<String> = input
                        .get("TagKeys")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|k| k.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    c.tags.retain(|(k, _)| !keys.contains(k));
                    ok_json(json!({}), rid)
                }
                _ => {
                    let tags: Vec<Value> = c
                        .tags
                        .iter()
                        .map(|(k, v)| json!({"Key": k, "Value": v}))
                        .collect();
                    ok_json(json!({ "Tags": tags }), rid)
                }
            }
        }
        _ => {
            let Some(name) = name_of(input) else {
                return validation("ContainerName is required", rid);
            };
            let Some(i) = find(&cs, &name) else {
                return not_found(&name, rid);
            };
            let creating = cs[i].status() == "CREATING";
            let in_use = || {
                err(
                    StatusCode::BAD_REQUEST,
                    "ContainerInUseException",
                    &format!("Container {name} is being created or updated"),
                    rid,
                )
            };
            let is_put = op.starts_with("Put")
                || op.starts_with("Start")
                || op.starts_with("Stop")
                || op.starts_with("Delete");
            if creating && is_put {
                return in_use();
            }
            let c = &mut cs[i];
            let policy_missing = |what: &str| {
                err(
                    StatusCode::BAD_REQUEST,
                    "PolicyNotFoundException",
                    &format!("No {what} policy found for container {name}"),
                    rid,
                )
            };
            match op {
                "DeleteContainer" => {
                    if !c.objects.is_empty() {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "ContainerInUseException",
                            &format!("Container {name} is not empty: delete its objects first"),
                            rid,
                        );
                    }
                    let dirs = st.container_dirs(&c.region, &c.name);
                    cs.remove(i);
                    for dir in dirs.into_iter().flatten() {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                    ok_json(json!({}), rid)
                }
                "PutContainerPolicy" => {
                    let Some(p) = input.get("Policy").and_then(Value::as_str) else {
                        return validation("Policy is required", rid);
                    };
                    if p.is_empty() || p.len() > 8192 || !p.is_ascii() {
                        return validation("Policy must be 1 to 8192 ASCII characters", rid);
                    }
                    match serde_json::from_str::<Value>(p) {
                        Ok(Value::Object(o)) if o.contains_key("Statement") => {}
                        _ => {
                            return validation(
                                "Policy is not a valid JSON policy document (it needs a Statement)",
                                rid,
                            );
                        }
                    }
                    c.policy = Some(p.to_string());
                    ok_json(json!({}), rid)
                }
                "GetContainerPolicy" => match &c.policy {
                    Some(p) => ok_json(json!({ "Policy": p }), rid),
                    None => policy_missing("container"),
                },
                "DeleteContainerPolicy" => {
                    if c.policy.take().is_none() {
                        return policy_missing("container");
                    }
                    ok_json(json!({}), rid)
                }
                "PutCorsPolicy" => {
                    let Some(rules) = input.get("CorsPolicy").and_then(Value::as_array) else {
                        return validation("CorsPolicy is required", rid);
                    };
                    if rules.is_empty() || rules.len() > 100 {
                        return validation("CorsPolicy must have 1 to 100 rules", rid);
                    }
                    for r in rules {
                        let origins = r.get("AllowedOrigins").and_then(Value::as_array);
                        let headers = r.get("AllowedHeaders").and_then(Value::as_array);
                        if origins.is_none_or(|o| o.is_empty()) || headers.is_none() {
                            return validation(
                                "Each CORS rule needs AllowedOrigins and AllowedHeaders",
                                rid,
                            );
                        }
                        if let Some(ms) = r.get("AllowedMethods").and_then(Value::as_array)
                            && ms.iter().any(|m| {
                                !matches!(m.as_str(), Some("PUT" | "GET" | "DELETE" | "HEAD"))
                            })
                        {
                            return validation(
                                "AllowedMethods may only contain PUT, GET, DELETE, HEAD",
                                rid,
                            );
                        }
                    }
                    c.cors = Some(Value::Array(rules.clone()));
                    ok_json(json!({}), rid)
                }
                "GetCorsPolicy" => match &c.cors {
                    Some(p) => ok_json(json!({ "CorsPolicy": p }), rid),
                    None => err(
                        StatusCode::BAD_REQUEST,
                        "CorsPolicyNotFoundException",
                        &format!("No CORS policy found for container {name}"),
                        rid,
                    ),
                },
                "DeleteCorsPolicy" => {
                    if c.cors.take().is_none() {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "CorsPolicyNotFoundException",
                            &format!("No CORS policy found for container {name}"),
                            rid,
                        );
                    }
                    ok_json(json!({}), rid)
                }
                "PutLifecyclePolicy" => {
                    let Some(p) = input.get("LifecyclePolicy").and_then(Value::as_str) else {
                        return validation("LifecyclePolicy is required", rid);
                    };
                    match serde_json::from_str::<Value>(p) {
                        Ok(Value::Object(o)) if o.get("rules").is_some_and(Value::is_array) => {}
                        _ => {
                            return validation(
                                "LifecyclePolicy must be a JSON object with a rules array",
                                rid,
                            );
                        }
                    }
                    c.lifecycle = Some(p.to_string());
                    ok_json(json!({}), rid)
                }
                "GetLifecyclePolicy" => match &c.lifecycle {
                    Some(p) => ok_json(json!({ "LifecyclePolicy": p }), rid),
                    None => policy_missing("lifecycle"),
                },
                "DeleteLifecyclePolicy" => {
                    if c.lifecycle.take().is_none() {
                        return policy_missing("lifecycle");
                    }
                    ok_json(json!({}), rid)
                }
                "PutMetricPolicy" => {
                    let Some(p) = input.get("MetricPolicy").filter(|p| p.is_object()) else {
                        return validation("MetricPolicy is required", rid);
                    };
                    if !matches!(
                        p.get("ContainerLevelMetrics").and_then(Value::as_str),
                        Some("ENABLED" | "DISABLED")
                    ) {
                        return validation(
                            "ContainerLevelMetrics must be ENABLED or DISABLED",
                            rid,
                        );
                    }
                    c.metric = Some(p.clone());
                    ok_json(json!({}), rid)
                }
                "GetMetricPolicy" => match &c.metric {
                    Some(p) => ok_json(json!({ "MetricPolicy": p }), rid),
                    None => policy_missing("metric"),
                },
                "DeleteMetricPolicy" => {
                    if c.metric.take().is_none() {
                        return policy_missing("metric");
                    }
                    ok_json(json!({}), rid)
                }
                "StartAccessLogging" => {
                    c.access_logging = true;
                    ok_json(json!({}), rid)
                }
                "StopAccessLogging" => {
                    c.access_logging = false;
                    ok_json(json!({}), rid)
                }
                _ => err(
                    StatusCode::BAD_REQUEST,
                    "UnknownOperationException",
                    "Unknown operation",
                    rid,
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Data plane
// ---------------------------------------------------------------------------------------------

/// Object size limits (MediaStore quotas): 25 MB with standard upload availability, 10 MB with streaming.
pub const MAX_STANDARD_OBJECT: usize = 25 * 1024 * 1024;
/// See [`MAX_STANDARD_OBJECT`].
pub const MAX_STREAMING_OBJECT: usize = 10 * 1024 * 1024;

/// MediaStore's ContentType pattern: `^[\w\-\/\.\+]{1,255}$`.
fn valid_content_type(ct: &str) -> bool {
    (1..=255).contains(&ct.len())
        && ct
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.' | '+'))
}

/// A file name: `[A-Za-z0-9_.\-~]+` (the API's Path pattern), and not `.` or `..`.
fn valid_file_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '~'))
}

/// A folder name: a valid file name without two adjacent periods (MediaStore user guide, "Rules for folder
/// names"), so neither `.` nor `..` can name a folder.
fn valid_folder_name(s: &str) -> bool {
    valid_file_name(s) && !s.contains("..")
}

/// An object path: up to 10 folders plus a file name, at most 900 characters (the API's Path member).
fn valid_object_path(p: &str) -> bool {
    if p.is_empty() || p.len() > 900 {
        return false;
    }
    let segs: Vec<&str> = p.split('/').collect();
    let (file, folders) = segs
        .split_last()
        .expect("split yields one segment at least");
    folders.len() <= 10 && folders.iter().all(|s| valid_folder_name(s)) && valid_file_name(file)
}

/// A ListItems path: optional slashes around up to 10 folders (and an optional last name).
fn valid_list_path(p: &str) -> bool {
    if p.len() > 900 {
        return false;
    }
    let t = p.trim_matches('/');
    t.is_empty() || (t.split('/').count() <= 11 && t.split('/').all(valid_folder_name))
}

/// What a data-plane request whose path breaks the rules above is told.
const PATH_RULE: &str = "Path must be up to 10 folders and a file name, each of [A-Za-z0-9_.-~], at most 900 characters; a name cannot be . or .., and a folder name cannot contain two adjacent periods";

fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

fn sha256_hex(data: &[u8]) -> String {
    use s3s::crypto::Checksum as _;
    let mut h = s3s::crypto::Sha256::new();
    h.update(data);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn query_param(uri: &http::Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| crate::wire::percent_decode(v))
    })
}

/// Whether the container policy lets anonymous callers perform `action` (e.g. `mediastore:GetObject`): principal
/// and action only ([`iam::Checks::PRINCIPAL_AND_ACTION`]).
fn policy_allows_anonymous(policy: Option<&str>, action: &str) -> bool {
    iam::allows(
        policy,
        action,
        "",
        &iam::Caller::anonymous(),
        iam::Checks::PRINCIPAL_AND_ACTION,
    )
}

/// Resolves the container a data-plane request addresses, and the object path (no leading slash).
fn resolve_target(st: &State, req: &Req) -> Result<(String, String, String), String> {
    let host = crate::wire::host_of(&req.headers, &req.uri);
    let raw_path = req.uri.path();
    if let Some((id, _region)) = crate::wire::mediastore_data_host(&host) {
        let cs = st.lock();
        let c = cs
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| format!("No container has endpoint host {host}"))?;
        return Ok((
            c.name.clone(),
            c.region.clone(),
            crate::wire::percent_decode(raw_path.trim_start_matches('/')),
        ));
    }
    if let Some(rest) = raw_path.strip_prefix("/_mediastore/") {
        let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
        let cs = st.lock();
        let c = cs
            .iter()
            .find(|c| c.name == name && c.region == req.ctx.region)
            .or_else(|| cs.iter().find(|c| c.name == name))
            .ok_or_else(|| format!("Container {name} does not exist"))?;
        return Ok((
            c.name.clone(),
            c.region.clone(),
            crate::wire::percent_decode(path),
        ));
    }
    Err("A MediaStore data-plane request must address a container endpoint (<id>.data.mediastore.<region>.localhost) or the path prefix /_mediastore/<ContainerName>/".into())
}

/// Adds the CORS headers of the container's first matching CORS rule ([`cors::DATA_PLANE`]) and `Vary: Origin`.
fn apply_cors(resp: &mut Resp, rules: Option<&Value>, origin: Option<&str>, method: &str) {
    let Some(origin) = origin else { return };
    let Some(headers) = cors::container_rule(rules, origin, method, None, &cors::DATA_PLANE) else {
        return;
    };
    let h = resp.headers_mut();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            h.insert(n, v);
        }
    }
    h.append(http::header::VARY, HeaderValue::from_static("Origin"));
}

async fn data(shared: &SharedRef, req: Req) -> Resp {
    let st = &shared.mediastore;
    let rid = req.ctx.request_id.clone();
    let op: &'static str = match (&req.method, req.uri.path()) {
        (&Method::OPTIONS, _) => "Preflight",
        (&Method::GET, p)
            if p == "/"
                || (p.starts_with("/_mediastore/")
                    && p.trim_end_matches('/').matches('/').count() == 2) =>
        {
            "ListItems"
        }
        (&Method::GET, _) => "GetObject",
        (&Method::PUT, _) => "PutObject",
        (&Method::HEAD, _) => "DescribeObject",
        (&Method::DELETE, _) => "DeleteObject",
        _ => {
            return with_op(
                err(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "Unsupported method for MediaStore data",
                    &rid,
                ),
                "Unknown",
            );
        }
    };
    let (name, region, path) = match resolve_target(st, &req) {
        Ok(x) => x,
        Err(e) => {
            return with_op(
                err(
                    StatusCode::NOT_FOUND,
                    "ContainerNotFoundException",
                    &e,
                    &rid,
                ),
                op,
            );
        }
    };
    let (policy, cors) = {
        let cs = st.lock();
        match cs.iter().find(|c| c.name == name && c.region == region) {
            Some(c) => (c.policy.clone(), c.cors.clone()),
            None => {
                return with_op(
                    err(
                        StatusCode::NOT_FOUND,
                        "ContainerNotFoundException",
                        "Container not found",
                        &rid,
                    ),
                    op,
                );
            }
        }
    };
    let origin = req
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if op == "Preflight" {
        let m = req
            .headers
            .get("access-control-request-method")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("GET")
            .to_string();
        let mut r = http::Response::builder()
            .status(StatusCode::OK)
            .body(Bytes::new())
            .expect("static");
        apply_cors(&mut r, cors.as_ref(), origin.as_deref(), &m);
        if !r.headers().contains_key("access-control-allow-origin") {
            *r.status_mut() = StatusCode::FORBIDDEN;
        } else if let Some(h) = req.headers.get("access-control-request-headers") {
            r.headers_mut()
                .insert("access-control-allow-headers", h.clone());
        }
        return with_op(r, op);
    }
    let signed = !req.ctx.access_key.is_empty();
    if !signed && !policy_allows_anonymous(policy.as_deref(), &format!("mediastore:{op}")) {
        return with_op(
            err(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                &format!("Anonymous {op} is not allowed by the container policy of {name}"),
                &rid,
            ),
            op,
        );
    }
    if op != "ListItems" && !valid_object_path(&path) {
        return with_op(validation(PATH_RULE, &rid), op);
    }
    let mut resp = match op {
        "PutObject" => put_object(st, &req, &name, &region, &path, &rid),
        "GetObject" | "DescribeObject" => get_object(
            st,
            &req,
            &name,
            &region,
            &path,
            op == "DescribeObject",
            &rid,
        ),
        "DeleteObject" => delete_object(st, &name, &region, &path, &rid),
        _ => list_items(st, &req, &name, &region, &rid),
    };
    apply_cors(
        &mut resp,
        cors.as_ref(),
        origin.as_deref(),
        req.method.as_str(),
    );
    with_op(resp, op)
}

fn put_object(st: &State, req: &Req, name: &str, region: &str, path: &str, rid: &str) -> Resp {
    if let Some(ct) = req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        && !valid_content_type(ct)
    {
        return validation(
            &format!(
                "ContentType {ct} does not match ^[\\w\\-\\/\\.\\+]{{1,255}}$ (no parameters such as ; charset=)"
            ),
            rid,
        );
    }
    let streaming = req
        .headers
        .get("x-amz-upload-availability")
        .and_then(|v| v.to_str().ok())
        == Some("STREAMING");
    let limit = if streaming {
        MAX_STREAMING_OBJECT
    } else {
        MAX_STANDARD_OBJECT
    };
    if req.body.len() > limit {
        return err(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ValidationException",
            &format!(
                "Object size {} exceeds the {} MB limit for {} upload availability",
                req.body.len(),
                limit >> 20,
                if streaming { "streaming" } else { "standard" }
            ),
            rid,
        );
    }
    if let Some(sc) = req
        .headers
        .get("x-amz-storage-class")
        .and_then(|v| v.to_str().ok())
        && sc != "TEMPORAL"
    {
        return validation("StorageClass must be TEMPORAL", rid);
    }
    if let Some(ua) = req
        .headers
        .get("x-amz-upload-availability")
        .and_then(|v| v.to_str().ok())
        && ua != "STANDARD"
        && ua != "STREAMING"
    {
        return validation("UploadAvailability must be STANDARD or STREAMING", rid);
    }
    // A path may not be both a folder and an object.
    {
        let cs = st.lock();
        if let Some(c) = cs.iter().find(|c| c.name == name && c.region == region) {
            let as_folder = format!("{path}/");
            let clash_folder = c
                .objects
                .range(as_folder.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&as_folder));
            let mut prefix = String::new();
            let mut clash_object = false;
            for seg in path
                .split('/')
                .take(path.split('/').count().saturating_sub(1))
            {
                prefix.push_str(seg);
                if c.objects.contains_key(&prefix) {
                    clash_object = true;
                }
                prefix.push('/');
            }
            if clash_folder || clash_object {
                return validation(
                    &format!("Path {path} conflicts with an existing folder or object"),
                    rid,
                );
            }
        }
    }
    let (Some(file), Some(meta_file)) = (
        st.object_file(region, name, path),
        st.meta_file(region, name, path),
    ) else {
        return validation(&format!("Path {path} is not a valid object path"), rid);
    };
    if let Some(parent) = file.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        return err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            &e.to_string(),
            rid,
        );
    }
    let tmp = file.with_file_name(format!(
        ".{}.tmp-{}",
        file.file_name().and_then(|f| f.to_str()).unwrap_or("o"),
        uuid::Uuid::new_v4().simple()
    ));
    if let Err(e) = std::fs::write(&tmp, &req.body).and_then(|_| std::fs::rename(&tmp, &file)) {
        let _ = std::fs::remove_file(&tmp);
        return err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            &e.to_string(),
            rid,
        );
    }
    let sha = sha256_hex(&req.body);
    let header = |n: &str| {
        req.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let meta = ObjMeta {
        content_type: header("content-type"),
        cache_control: header("cache-control"),
        etag: sha.clone(),
        size: req.body.len() as u64,
        last_modified: SystemTime::now(),
    };
    let saved = SavedObject {
        content_type: meta.content_type.clone(),
        cache_control: meta.cache_control.clone(),
        etag: meta.etag.clone(),
        size: meta.size,
        last_modified_ms: meta
            .last_modified
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64,
    };
    let written = meta_file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| serde_json::to_vec(&saved).map_err(std::io::Error::other))
        .and_then(|json| std::fs::write(&meta_file, json));
    if let Err(e) = written {
        return err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            &e.to_string(),
            rid,
        );
    }
    {
        let mut cs = st.lock();
        match cs.iter_mut().find(|c| c.name == name && c.region == region) {
            Some(c) => {
                c.objects.insert(path.to_string(), meta);
            }
            None => {
                let _ = std::fs::remove_file(&file);
                return err(
                    StatusCode::NOT_FOUND,
                    "ContainerNotFoundException",
                    "Container not found",
                    rid,
                );
            }
        }
    }
    let mut r = crate::wire::json_ok(
        StatusCode::OK,
        &json!({ "ContentSHA256": sha, "ETag": sha, "StorageClass": "TEMPORAL" }),
        rid,
    );
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn get_object(
    st: &State,
    req: &Req,
    name: &str,
    region: &str,
    path: &str,
    head: bool,
    rid: &str,
) -> Resp {
    let meta = {
        let cs = st.lock();
        cs.iter()
            .find(|c| c.name == name && c.region == region)
            .and_then(|c| c.objects.get(path).cloned())
    };
    let Some(meta) = meta else {
        return err(
            StatusCode::NOT_FOUND,
            "ObjectNotFoundException",
            &format!("Object {path} does not exist"),
            rid,
        );
    };
    let mut b = http::Response::builder()
        .header(http::header::ETAG, meta.etag.clone())
        .header(http::header::LAST_MODIFIED, http_date(meta.last_modified))
        .header(http::header::ACCEPT_RANGES, "bytes");
    if let Some(ct) = &meta.content_type {
        b = b.header(http::header::CONTENT_TYPE, ct.as_str());
    }
    if let Some(cc) = &meta.cache_control {
        b = b.header(http::header::CACHE_CONTROL, cc.as_str());
    }
    if head {
        return b
            .status(StatusCode::OK)
            .header(http::header::CONTENT_LENGTH, meta.size)
            .body(Bytes::new())
            .unwrap_or_else(|e| {
                err(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    &e.to_string(),
                    rid,
                )
            });
    }
    let read = st
        .object_file(region, name, path)
        .ok_or_else(|| std::io::Error::other(format!("Path {path} is not a valid object path")))
        .and_then(std::fs::read);
    let body = match read {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            return err(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                &e.to_string(),
                rid,
            );
        }
    };
    let len = body.len() as u64;
    if let Some(range) = req
        .headers
        .get(http::header::RANGE)
        .and_then(|v| v.to_str().ok())
    {
        return match parse_range(range, len) {
            Ok((s, e)) => b
                .status(StatusCode::PARTIAL_CONTENT)
                .header(http::header::CONTENT_RANGE, format!("bytes {s}-{e}/{len}"))
                .header(http::header::CONTENT_LENGTH, e - s + 1)
                .body(body.slice(s as usize..=e as usize))
                .unwrap_or_else(|e| {
                    err(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalServerError",
                        &e.to_string(),
                        rid,
                    )
                }),
            Err(_) => {
                let mut r = err(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "RequestedRangeNotSatisfiableException",
                    &format!(
                        "The requested range {range} is not satisfiable for an object of {len} bytes"
                    ),
                    rid,
                );
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    r.headers_mut().insert(http::header::CONTENT_RANGE, v);
                }
                r
            }
        };
    }
    b.status(StatusCode::OK)
        .header(http::header::CONTENT_LENGTH, len)
        .body(body)
        .unwrap_or_else(|e| {
            err(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                &e.to_string(),
                rid,
            )
        })
}

fn delete_object(st: &State, name: &str, region: &str, path: &str, rid: &str) -> Resp {
    let removed = {
        let mut cs = st.lock();
        cs.iter_mut()
            .find(|c| c.name == name && c.region == region)
            .and_then(|c| c.objects.remove(path))
    };
    if removed.is_none() {
        return err(
            StatusCode::NOT_FOUND,
            "ObjectNotFoundException",
            &format!("Object {path} does not exist"),
            rid,
        );
    }
    // Remove the body, its metadata, and now-empty folders (MediaStore deletes a folder with its last object).
    let (Some(file), Some(meta_file), Some([root, meta_root])) = (
        st.object_file(region, name, path),
        st.meta_file(region, name, path),
        st.container_dirs(region, name),
    ) else {
        return crate::wire::json_ok(StatusCode::OK, &json!({}), rid);
    };
    for (file, root) in [(file, root), (meta_file, meta_root)] {
        let _ = std::fs::remove_file(&file);
        let mut dir = file.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == root || !d.starts_with(&root) || std::fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }
    crate::wire::json_ok(StatusCode::OK, &json!({}), rid)
}

fn list_items(st: &State, req: &Req, name: &str, region: &str, rid: &str) -> Resp {
    let folder = query_param(&req.uri, "Path").unwrap_or_default();
    if !valid_list_path(&folder) {
        return validation("Invalid Path", rid);
    }
    let max = match query_param(&req.uri, "MaxResults") {
        None => 1000,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return validation("MaxResults must be between 1 and 1000", rid),
        },
    };
    let token = query_param(&req.uri, "NextToken");
    let trimmed = folder.trim_matches('/');
    let prefix = if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    };
    // Children, sorted by name: folders and objects directly under the prefix.
    let mut items: BTreeMap<String, Value> = BTreeMap::new();
    {
        let cs = st.lock();
        let Some(c) = cs.iter().find(|c| c.name == name && c.region == region) else {
            return err(
                StatusCode::NOT_FOUND,
                "ContainerNotFoundException",
                "Container not found",
                rid,
            );
        };
        for (k, m) in c.objects.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    items
                        .entry(dir.to_string())
                        .or_insert_with(|| json!({ "Name": dir, "Type": "FOLDER" }));
                }
                None => {
                    let mut v = json!({
                        "Name": rest,
                        "Type": "OBJECT",
                        "ETag": m.etag,
                        "LastModified": epoch(m.last_modified),
                        "ContentLength": m.size,
                    });
                    if let Some(ct) = &m.content_type {
                        v["ContentType"] = json!(ct);
                    }
                    items.insert(rest.to_string(), v);
                }
            }
        }
    }
    let start_after = token
        .as_deref()
        .and_then(|t| t.strip_prefix("msd1-"))
        .map(str::to_string);
    if token.is_some() && start_after.is_none() {
        return validation("Invalid NextToken", rid);
    }
    let mut page: Vec<Value> = Vec::new();
    let mut next = None;
    for v in items
        .iter()
        .filter(|(k, _)| start_after.as_ref().is_none_or(|s| *k > s))
        .map(|(_, v)| v)
    {
        if page.len() == max {
            next = page
                .last()
                .and_then(|p: &Value| p.get("Name"))
                .and_then(Value::as_str)
                .map(|s| format!("msd1-{s}"));
            break;
        }
        page.push(v.clone());
    }
    let mut v = json!({ "Items": page });
    if let Some(n) = next {
        v["NextToken"] = json!(n);
    }
    crate::wire::json_ok(StatusCode::OK, &v, rid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert!(valid_container_name("live_1"));
        assert!(!valid_container_name("live-1"));
        assert!(!valid_container_name(""));
        assert!(valid_object_path("a/b/c.m3u8"));
        assert!(!valid_object_path("/a"));
        assert!(!valid_object_path("a//b"));
        assert!(!valid_object_path(
            &"a/".repeat(11).to_string().add_str("x")
        ));
        assert_eq!(parse_range("bytes=0-3", 10), Ok((0, 3)));
        assert_eq!(parse_range("bytes=-3", 10), Ok((7, 9)));
        assert_eq!(parse_range("bytes=5-", 10), Ok((5, 9)));
        assert!(parse_range("bytes=10-", 10).is_err());
    }

    trait AddStr {
        fn add_str(self, s: &str) -> String;
    }
    impl AddStr for String {
        fn add_str(mut self, s: &str) -> String {
            self.push_str(s);
            self
        }
    }

    #[test]
    fn anonymous_policy() {
        let p = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":"*","Action":["mediastore:GetObject","mediastore:DescribeObject"],"Resource":"*"}]}"#;
        assert!(policy_allows_anonymous(Some(p), "mediastore:GetObject"));
        assert!(!policy_allows_anonymous(Some(p), "mediastore:PutObject"));
        assert!(!policy_allows_anonymous(None, "mediastore:GetObject"));
    }
}
