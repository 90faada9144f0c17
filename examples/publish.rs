//! Publish from your service: build the client once at start-up, then publish each video as it
//! arrives (a local file, or an object already in S3) and print its playback URLs. The pipeline's
//! infrastructure must be deployed first (`vod apply <spec>`, with or without `files`).
//!
//! ```text
//! AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!     cargo run --example publish -- ../shared/specs/s3-origin.toml ../shared/specs/sample.mp4
//! ```
use futures::StreamExt;
use vod_pipeline::{AssetSource, Event, VodPipeline};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(spec), Some(source)) = (args.next(), args.next()) else {
        return Err("usage: publish <spec.toml> <file-or-s3://bucket/key> [asset-id]".into());
    };

    // Once, at start-up: the client is cheap to clone and reuses its SDK clients.
    let pipeline = VodPipeline::from_toml_file(&spec)?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let vod = pipeline.client(&config);

    // Per video: publish, show progress, print the URLs.
    let mut publish = vod.publish(AssetSource::parse(&source)?);
    if let Some(id) = args.next() {
        publish = publish.id(id.parse()?);
    }
    let mut handle = publish.start();
    let mut events = handle.events();
    let progress = tokio::spawn(async move {
        while let Some(event) = events.next().await {
            if let Event::JobProgress { percent, .. } = &event {
                eprintln!("transcoding: {}%", percent.unwrap_or(0));
            }
        }
    });
    let asset = handle.join().await?;
    progress.await?;
    println!("{} (job {}, {})", asset.id, asset.job_id, asset.change);
    for url in &asset.playback {
        println!("  {} {}", url.format, url.url);
    }
    Ok(())
}
