//! vod-emulator: AWS's wire protocols for S3, MediaConvert, MediaStore and CloudFront on 127.0.0.1.
//!
//! Module ownership during development (one owner per file):
//! - `wire`, `server`, `router`, `sigv4`, `knobs`, `log`, `s3`, `mediastore`, `main.rs`: core
//! - `cloudfront`, `edge`: CloudFront control plane and viewer edge
//! - `mediaconvert`: MediaConvert control plane and ffmpeg transcoding

pub mod cloudfront;
mod cors;
pub use cloudfront::edge;
mod iam;
pub mod knobs;
pub mod log;
pub mod mediaconvert;
pub mod mediastore;
pub mod router;
pub mod s3;
pub mod server;
pub mod sigv4;
pub mod wire;

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
}

/// Shared handle type passed to every service.
pub type SharedRef = Arc<Shared>;
