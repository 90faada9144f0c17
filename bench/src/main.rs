//! `tm-upload-bench FILE s3://BUCKET/KEY`: uploads one file with aws-sdk-s3-transfer-manager 0.3.1
//! (default settings), honouring `AWS_ENDPOINT_URL`, and prints bytes, seconds and MiB/s.

use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(dest)) = (args.next(), args.next()) else {
        eprintln!("usage: tm-upload-bench FILE s3://BUCKET/KEY");
        std::process::exit(2);
    };
    let rest = dest.strip_prefix("s3://").ok_or("destination must be s3://bucket/key")?;
    let (bucket, key) = rest.split_once('/').ok_or("destination must be s3://bucket/key")?;
    let sdk = aws_config::load_from_env().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build(),
    );
    let config = aws_sdk_s3_transfer_manager::Config::builder().client(s3).build();
    let tm = aws_sdk_s3_transfer_manager::Client::new(config);
    let size = std::fs::metadata(&file)?.len();
    let start = Instant::now();
    let stream = aws_sdk_s3_transfer_manager::io::InputStream::from_path(&file)?;
    let handle = tm.upload().bucket(bucket).key(key).body(stream).initiate()?;
    handle.join().await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "uploaded {size} bytes in {secs:.2} s ({:.1} MiB/s)",
        size as f64 / (1024.0 * 1024.0) / secs
    );
    Ok(())
}
