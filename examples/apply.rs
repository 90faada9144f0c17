//! Applies a spec file and prints the progress events as they come, then the playback URLs. The AWS
//! configuration (credentials, and `AWS_ENDPOINT_URL` for the local emulator) comes from the
//! environment.
//!
//! ```text
//! AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!     cargo run --example apply -- ../shared/specs/s3-origin.toml
//! ```
use futures::StreamExt;
use vod_pipeline::VodPipeline;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec = std::env::args().nth(1).ok_or("usage: apply <spec.toml>")?;
    let plan = VodPipeline::from_toml_file(&spec)?.plan();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mut run = plan.apply(&config).start();
    let mut events = run.events();
    let printer = tokio::spawn(async move {
        while let Some(event) = events.next().await {
            println!("{event}");
        }
    });
    let deployment = run.join().await?;
    printer.await?;
    for p in &deployment.playback {
        println!("{} {}: {}", p.asset, p.format, p.url);
    }
    Ok(())
}
