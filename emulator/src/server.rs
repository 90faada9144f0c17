//! The HTTP server, its builder and its handle. Owner: core.
use crate::knobs::{KnobsConfig, ServiceKnobs};
use crate::log::LogEntry;
use crate::{Shared, SharedRef};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Emulator-wide settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seconds before a distribution goes from InProgress to Deployed.
    pub deploy_delay: std::time::Duration,
    /// Where S3 and MediaStore keep their data.
    pub data_dir: std::path::PathBuf,
    /// The port the emulator listens on.
    pub port: u16,
    /// `http://127.0.0.1:PORT` (the address it listens on).
    pub base_url: String,
    /// The account of a caller whose access key id is not an account id ([`crate::wire::account_for`]).
    pub default_account_id: String,
    /// Custom cache policies, and custom response headers policies, per account.
    pub policy_quota: usize,
}

/// Errors starting the emulator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot prepare data dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot load AWS's service models from {path}: {message}")]
    ServiceModels { path: PathBuf, message: String },
}

/// The emulator entry point.
pub struct Emulator;

impl Emulator {
    /// A builder with defaults: 127.0.0.1 on a random port, a temporary data dir, deploy delay 1 s.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Builder for [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    data_dir: Option<PathBuf>,
    deploy_delay: Duration,
    listen: SocketAddr,
    default_account_id: String,
    policy_quota: usize,
    service_models: Option<PathBuf>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            data_dir: None,
            deploy_delay: Duration::from_secs(1),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            default_account_id: crate::wire::ACCOUNT_ID.to_string(),
            policy_quota: crate::rules::DEFAULT_POLICY_QUOTA,
            service_models: None,
        }
    }
}

impl EmulatorBuilder {
    /// Where S3 and MediaStore keep their data (created if missing, kept on shutdown).
    /// Without it a temporary directory is used and removed when the handle is dropped.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
    /// How long a CloudFront distribution stays `InProgress`.
    pub fn deploy_delay(mut self, delay: Duration) -> Self {
        self.deploy_delay = delay;
        self
    }
    /// Port on 127.0.0.1 (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.listen = SocketAddr::from(([127, 0, 0, 1], port));
        self
    }
    /// The account of callers whose access key id is not a 12-digit account id (default `123456789012`). A
    /// caller whose access key id is 12 digits is that account, as in other AWS emulators.
    pub fn default_account_id(mut self, account: impl Into<String>) -> Self {
        self.default_account_id = account.into();
        self
    }
    /// Custom cache policies, and custom response headers policies, the account may have (default 20, CloudFront's
    /// default quota); CloudFront raises it on request.
    pub fn policy_quota(mut self, quota: usize) -> Self {
        self.policy_quota = quota;
        self
    }
    /// Checks every request against AWS's service models in `dir` (`<dir>/<service>/service-2.json`, as
    /// `emulator/scripts/service-models` writes them) and answers a violation with the service's validation
    /// error ([`crate::models`]). Off by default.
    pub fn service_models(mut self, dir: impl Into<PathBuf>) -> Self {
        self.service_models = Some(dir.into());
        self
    }
    /// Full listen address (default `127.0.0.1:0`).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Binds, builds the services and starts serving. Connections are accepted once this returns.
    pub async fn start(self) -> Result<EmulatorHandle, StartError> {
        let models = match &self.service_models {
            None => None,
            Some(dir) => Some(crate::models::ServiceModels::load(dir).map_err(|message| {
                StartError::ServiceModels {
                    path: dir.clone(),
                    message,
                }
            })?),
        };
        if let Some(m) = &models {
            tracing::info!(
                "checking requests against AWS's service models: {}",
                m.summary()
            );
        }
        let (data_dir, temp_dir) = match self.data_dir {
            Some(d) => (d, None),
            None => {
                let d = std::env::temp_dir()
                    .join(format!("vod-emulator-{}", uuid::Uuid::new_v4().simple()));
                (d.clone(), Some(d))
            }
        };
        let dd_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StartError::DataDir { path, source }
        };
        std::fs::create_dir_all(&data_dir).map_err(dd_err(&data_dir))?;
        let data_dir = data_dir.canonicalize().map_err(dd_err(&data_dir))?;

        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.listen,
            source,
        })?;
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        let base_url = format!("http://{host}:{}", addr.port());
        let config = Config {
            deploy_delay: self.deploy_delay,
            data_dir: data_dir.clone(),
            port: addr.port(),
            base_url: base_url.clone(),
            default_account_id: self.default_account_id.clone(),
            policy_quota: self.policy_quota,
        };
        let s3_dir = data_dir.join("s3");
        let s3 = crate::s3::Store::new(&s3_dir).map_err(dd_err(&s3_dir))?;
        let ms_dir = data_dir.join("mediastore");
        let mediastore = crate::mediastore::State::new(&ms_dir).map_err(dd_err(&ms_dir))?;
        mediastore.set_port(addr.port());
        let shared: SharedRef = Arc::new(Shared {
            config,
            s3,
            mediastore,
            mediaconvert: Default::default(),
            cloudfront: Default::default(),
            knobs: Default::default(),
            log: Default::default(),
            models,
        });

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, shared.clone(), shutdown_rx));
        Ok(EmulatorHandle {
            shared,
            addr,
            base_url,
            shutdown: shutdown_tx,
            task: Some(task),
            temp_dir,
        })
    }
}

/// Accept loop; on shutdown it stops accepting, asks every connection to finish its in-flight request,
/// and waits (at most 5 s) for them.
async fn serve(listener: TcpListener, shared: SharedRef, mut shutdown: watch::Receiver<bool>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut shutdown = shutdown.clone();
                conns.spawn(async move {
                    let svc = service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(crate::wire::PeerAddr(peer));
                        let shared = shared.clone();
                        async move { crate::router::dispatch(&shared, req).await }
                    });
                    let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        res = conn.as_mut() => {
                            if let Err(e) = res { tracing::debug!("connection ended: {e}"); }
                        }
                        _ = shutdown.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

/// A running emulator; dropping it shuts it down (gracefully: in-flight requests finish).
pub struct EmulatorHandle {
    shared: SharedRef,
    addr: SocketAddr,
    base_url: String,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    temp_dir: Option<PathBuf>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        self.base_url.clone()
    }
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    /// The socket address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.shared.config.data_dir
    }
    /// The shared state (for in-process inspection).
    pub fn shared(&self) -> &SharedRef {
        &self.shared
    }
    /// Every request served since start (or the last reset), oldest first.
    pub fn requests(&self) -> Vec<LogEntry> {
        self.shared.log.entries()
    }
    /// Clears the request log.
    pub fn reset_requests(&self) {
        self.shared.log.clear()
    }
    /// Replaces every knob.
    pub fn set_knobs(&self, knobs: KnobsConfig) -> Result<(), String> {
        self.shared.knobs.set(knobs)
    }
    /// Sets the knobs of one service (`s3`, `mediaconvert`, `mediastore`, `cloudfront`, `edge`, or `*`).
    pub fn set_service_knobs(&self, service: &str, knobs: ServiceKnobs) -> Result<(), String> {
        self.shared.knobs.set_service(service, knobs)
    }
    /// The current knobs.
    pub fn knobs(&self) -> KnobsConfig {
        self.shared.knobs.get()
    }
    /// Clears every knob.
    pub fn clear_knobs(&self) {
        self.shared.knobs.clear()
    }
    /// Stops accepting, lets in-flight requests finish, and waits for the server to stop.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
