//! Loads a spec file, validates it, and prints the plan of AWS calls (text, then JSON). No AWS call is
//! made.
//!
//! ```text
//! cargo run --example plan -- ../shared/specs/s3-origin.toml
//! ```
use vod_pipeline::VodPipeline;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec = std::env::args().nth(1).ok_or("usage: plan <spec.toml>")?;
    // Every problem of the spec at once, each with its field path, value and rule.
    let pipeline = VodPipeline::from_toml_file(&spec)?;
    let plan = pipeline.plan();
    println!("{plan}");
    println!("{}", plan.to_json());
    Ok(())
}
