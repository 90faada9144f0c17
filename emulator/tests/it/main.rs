//! All integration tests of this package, in one test binary (one link, not one per file).
//! Run one area with `cargo test --test it <module>::`, e.g. `cargo test --test it cloudfront::`.

mod common;

mod cloudfront;
mod edge;
mod edge_http;
mod keys;
mod mediaconvert;
mod mediastore;
mod models;
mod packaging;
mod s3;
mod server;
