//! MediaStore control plane (JSON 1.1, X-Amz-Target) and data plane (restJson1). Owner: core.
//!
//! Containers are kept apart per account and Region, as AWS does: a name is unique only within one account and
//! Region. They live in memory and in `<data_dir>/mediastore/containers.json`; object bodies are files under
//! `<data_dir>/mediastore/<account>/<region>/<container>/<path>`, their metadata (content type, cache control,
//! ETag, time) in memory and in `<data_dir>/mediastore/.meta/<account>/<region>/<container>/<path>.json`,
//! reloaded on start (state written before accounts were kept, under `<region>/<container>`, is moved there).
//!
//! Data plane addressing. `DescribeContainer` and `ListContainers` give the path-style endpoint
//! `http://127.0.0.1:PORT/_mediastore/<host>`, where `<host>` is the container's endpoint host
//! `<id>.data.mediastore.<region>.localhost`: every client reaches it with no DNS setup (Python's resolver, used by
//! boto3 and the AWS CLI, does not resolve `*.localhost`). The host itself keeps working
//! (`Host: <id>.data.mediastore.<region>.localhost[:PORT]`), as does the older path prefix
//! `/_mediastore/<ContainerName>` (the caller's account and Region). As a CloudFront origin, the path-style
//! endpoint is domain `127.0.0.1` with the origin path `/_mediastore/<host>` before the distribution's own.
mod control;
mod data;
mod objects;
mod persist;

pub use objects::{MAX_STANDARD_OBJECT, MAX_STREAMING_OBJECT};

use persist::{META_DIR, STATE_FILE, SavedContainer, load_containers};

use crate::SharedRef;
use crate::wire::{Req, Resp, StoredObject, join_inside};
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
    /// The account that owns it.
    pub account: String,
    /// Its Region.
    pub region: String,
    /// The path-style endpoint `DescribeContainer` gives, e.g.
    /// `http://127.0.0.1:4566/_mediastore/abcdefghijkl.data.mediastore.us-east-1.localhost`.
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

/// The path prefix of path-style data-plane requests: `/_mediastore/<endpoint host or container name>/<path>`.
pub const PATH_PREFIX: &str = "/_mediastore/";

/// A container's identity: names are unique only within one account and Region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ContainerKey {
    pub(super) account: String,
    pub(super) region: String,
    pub(super) name: String,
}

impl ContainerKey {
    /// The container's folder under the data folder: `<account>/<region>/<name>`.
    fn folder(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.name)
    }
}

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
    /// The account that created it (its ARN's).
    account: String,
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
    pub(super) fn key(&self) -> ContainerKey {
        ContainerKey {
            account: self.account.clone(),
            region: self.region.clone(),
            name: self.name.clone(),
        }
    }
    /// Whether this is the container `k` names.
    pub(super) fn is(&self, k: &ContainerKey) -> bool {
        self.name == k.name && self.region == k.region && self.account == k.account
    }
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
            self.region, self.account, self.name
        )
    }
    fn host(&self) -> String {
        format!("{}.data.mediastore.{}.localhost", self.id, self.region)
    }
    /// The path-style endpoint on 127.0.0.1 (see the module's documentation).
    fn endpoint(&self, port: u16) -> String {
        format!("http://127.0.0.1:{port}{PATH_PREFIX}{}", self.host())
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
            account: self.account.clone(),
            region: self.region.clone(),
            arn: self.arn(),
            endpoint: self.endpoint(port),
            endpoint_host: self.host(),
            status: self.status().to_string(),
            policy: self.policy.clone(),
            cors_policy: self.cors.clone(),
        }
    }
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
    fn meta_file(&self, k: &ContainerKey, path: &str) -> Option<PathBuf> {
        join_inside(&self.dir, &format!("{META_DIR}/{}/{path}.json", k.folder()))
    }

    /// Writes the container list (not the objects) to `containers.json`.
    fn save_containers(&self) {
        let saved: Vec<SavedContainer> = self
            .lock()
            .iter()
            .map(|c| SavedContainer {
                name: c.name.clone(),
                region: c.region.clone(),
                account: c.account.clone(),
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
    fn object_file(&self, k: &ContainerKey, path: &str) -> Option<PathBuf> {
        join_inside(&self.dir, &format!("{}/{path}", k.folder()))
    }

    /// The folders holding a container's bodies and metadata.
    fn container_dirs(&self, k: &ContainerKey) -> Option<[PathBuf; 2]> {
        Some([
            join_inside(&self.dir, &k.folder())?,
            join_inside(&self.dir, &format!("{META_DIR}/{}", k.folder()))?,
        ])
    }

    /// Looks a container up by name, in any account and Region (the first one created).
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
    /// The container a CloudFront origin addresses, and the object path inside it (no leading slash), for a
    /// request path `full` (the origin path, then the viewer's path): the endpoint host as the origin domain, or
    /// the path-style endpoint (domain `127.0.0.1` or `localhost`, path `/_mediastore/<endpoint host>/...`).
    pub fn container_for_origin(
        &self,
        domain: &str,
        full: &str,
    ) -> Option<(ContainerView, String)> {
        if let Some(c) = self.container_by_host(domain) {
            return Some((c, full.trim_start_matches('/').to_string()));
        }
        let (host, rest) = path_style_endpoint(domain, full)?;
        let c = self.container_by_host(host)?;
        Some((c, rest.trim_start_matches('/').to_string()))
    }
    /// Reads an object of a container (as [`ContainerView`] names it) by path (`vod/a/b.m3u8`, no leading slash).
    pub fn get_object(&self, container: &ContainerView, path: &str) -> Option<StoredObject> {
        let path = path.trim_start_matches('/');
        let key = ContainerKey {
            account: container.account.clone(),
            region: container.region.clone(),
            name: container.name.clone(),
        };
        let meta = {
            let cs = self.lock();
            let c = cs.iter().find(|c| c.is(&key))?;
            c.objects.get(path)?.clone()
        };
        let body = std::fs::read(self.object_file(&key, path)?).ok()?;
        Some(StoredObject {
            body: Bytes::from(body),
            content_type: meta.content_type,
            cache_control: meta.cache_control,
            etag: meta.etag,
            last_modified: meta.last_modified,
            extra: Default::default(),
        })
    }
}

/// For a path-style endpoint origin (domain `127.0.0.1` or `localhost`, path `/_mediastore/<endpoint host>/...`),
/// the endpoint host and the rest of the path.
pub fn path_style_endpoint<'a>(domain: &str, full: &'a str) -> Option<(&'a str, &'a str)> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    if domain != "127.0.0.1" && domain != "localhost" {
        return None;
    }
    let rest = full.strip_prefix(PATH_PREFIX)?;
    let host = rest.split('/').next().unwrap_or(rest);
    crate::wire::mediastore_data_host(host)?;
    Some((host, &rest[host.len()..]))
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
        control::control(shared, req)
    } else {
        data::data(shared, req).await
    }
}

fn valid_container_name(name: &str) -> bool {
    (1..=255).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn validation(msg: &str, rid: &str) -> Resp {
    err(StatusCode::BAD_REQUEST, "ValidationException", msg, rid)
}

fn epoch(t: SystemTime) -> f64 {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}
