//! vod-emulator: AWS's wire protocols for S3, MediaConvert, MediaStore and CloudFront on 127.0.0.1.
//!
//! Module layout (one line per module; data flows from `server` through `router` to one service; no module imports
//! one that imports it back):
//! - `server`: the builder, the listener and the data directory; `Emulator`, `EmulatorBuilder`, `EmulatorHandle`
//! - `router`: routing by Host and SigV4 credential scope, knobs, the request log, `/_emulator/` control endpoints
//! - `wire/`: request and response types, AWS errors, Host parsing, percent-decoding, `Range`, wildcard matching
//! - `sigv4`: SigV4 credential-scope parsing
//! - `iam`: the one resource-policy evaluator (S3 bucket and MediaStore container policies)
//! - `cors`: the one MediaStore CORS-rule matcher
//! - `rules`: the emulator's copies of AWS rules the main crate checks for drift
//! - `knobs`: latency and fault injection, per service
//! - `log`: the request log
//! - `s3/`: S3 on s3s + s3s-fs (buckets, objects, multipart, checks, keys, list, store, request)
//! - `mediastore/`: MediaStore control plane, data plane, object operations, persistence
//! - `mediaconvert/`: MediaConvert API (jobs, templates, queues), job planning (`plan/`), manifests, ffmpeg
//!   transcoding (`transcode/`)
//! - `cloudfront/`: CloudFront control plane (distributions in `dist/`, policies and other resources, managed
//!   policies, XML) and the viewer edge (`edge/`: cache, origin fetch, response headers), re-exported as `edge`

pub mod cloudfront;
mod cors;
mod iam;
pub mod knobs;
pub mod log;
pub mod mediaconvert;
pub mod mediastore;
pub mod models;
pub mod router;
pub mod rules;
pub mod s3;
pub mod server;
pub mod sigv4;
pub mod wire;

/// The viewer edge, at its former path (it is part of CloudFront).
pub use cloudfront::edge;
pub use server::{Emulator, EmulatorBuilder, EmulatorHandle};

use std::sync::Arc;

/// Everything the services share. Built once by the server; each service owns its own state type.
pub struct Shared {
    /// Emulator-wide settings (data dir, deploy delay, ...).
    pub config: server::Config,
    /// S3 (s3s-fs) plus the in-process object API the other services use.
    pub s3: s3::Store,
    /// MediaStore containers, policies and objects.
    pub mediastore: mediastore::State,
    /// MediaConvert jobs, templates and queues.
    pub mediaconvert: mediaconvert::State,
    /// CloudFront distributions, policies, OACs.
    pub cloudfront: cloudfront::State,
    /// Latency and fault injection, per service.
    pub knobs: knobs::Knobs,
    /// Request log.
    pub log: log::RequestLog,
    /// AWS's service models every request is checked against, when given ([`models`]).
    pub models: Option<models::ServiceModels>,
}

/// Shared handle type passed to every service.
pub type SharedRef = Arc<Shared>;
