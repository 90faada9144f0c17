//! All integration tests of this package, in one test binary (one link, not one per file).
//! Run one area with `cargo test --test it <module>::`, e.g. `cargo test --test it apply::`.

mod common;

mod apply;
mod cli;
mod conformance;
mod converge;
mod crash;
mod faults;
mod private;
mod props;
mod publish;
mod real_aws;
mod secrets;
mod specs;
mod transcode;
mod upload;
mod validation;
