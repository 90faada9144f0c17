//! Requests checked against AWS's service models (`--service-models`, issue 16): a request the official SDK
//! sends but the model forbids gets the service's own validation error naming the member; a conforming one
//! reaches the service.
//!
//! The models are not in the repository: `emulator/scripts/service-models` downloads them (CI runs it and sets
//! `VOD_EMULATOR_SERVICE_MODELS` and `VOD_REQUIRE_SERVICE_MODELS`). Without them these tests say so and
//! return, unless `VOD_REQUIRE_SERVICE_MODELS` is set, when they fail.

use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols,
};
use aws_sdk_mediaconvert::types::JobSettings;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::StorageClass;
use std::path::PathBuf;
use std::time::Duration;
use vod_emulator::{Emulator, EmulatorHandle};

/// The models' directory, or `None` (with a notice) when they have not been downloaded.
fn models_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("VOD_EMULATOR_SERVICE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/service-models"));
    if dir.join("s3/service-2.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("VOD_REQUIRE_SERVICE_MODELS").is_none(),
        "VOD_REQUIRE_SERVICE_MODELS is set but {} has no models: run emulator/scripts/service-models",
        dir.display()
    );
    eprintln!(
        "NOT RUN: no AWS service models in {} (run emulator/scripts/service-models)",
        dir.display()
    );
    None
}

async fn start_with_models() -> Option<EmulatorHandle> {
    let dir = models_dir()?;
    Some(
        Emulator::builder()
            .deploy_delay(Duration::from_millis(200))
            .service_models(dir)
            .start()
            .await
            .expect("emulator starts with the models"),
    )
}

/// The code and message of an SDK error.
fn code_and_message<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let meta = err.as_service_error().map(|e| {
        (
            e.code().unwrap_or("").to_string(),
            e.message().unwrap_or("").to_string(),
        )
    });
    meta.unwrap_or_else(|| (String::new(), format!("{err:?}")))
}

fn assert_refused(what: &str, got: (String, String), code: &str, member: &str, rule: &str) {
    let (c, m) = got;
    assert_eq!(c, code, "{what}: {m}");
    assert!(
        m.contains("(AWS service model)")
            && m.contains(&format!("Value at '{member}'"))
            && m.contains(rule),
        "{what}: the message must name {member} and {rule}: {m}"
    );
}

#[tokio::test]
async fn requests_that_break_the_models_get_each_services_error() {
    let Some(emu) = start_with_models().await else {
        return;
    };
    let conf = crate::common::sdk_config(&emu.endpoint_url()).await;

    // S3 (restXml, header binding): a storage class outside the model's enum.
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket()
        .bucket("models-bucket")
        .send()
        .await
        .unwrap();
    let err = s3
        .put_object()
        .bucket("models-bucket")
        .key("a.txt")
        .storage_class(StorageClass::from("BOGUS"))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        "S3 PutObject",
        code_and_message(&err),
        "InvalidArgument",
        "StorageClass",
        "enum value set",
    );

    // MediaConvert (restJson, body member by locationName): priority above the model's 50.
    let mc = aws_sdk_mediaconvert::Client::new(&conf);
    let err = mc
        .create_job()
        .role("arn:aws:iam::123456789012:role/MediaConvert")
        .settings(JobSettings::builder().build())
        .priority(99)
        .send()
        .await
        .unwrap_err();
    assert_refused(
        "MediaConvert CreateJob",
        code_and_message(&err),
        "BadRequestException",
        "Priority",
        "less than or equal to 50",
    );

    // MediaStore control plane (awsJson, by X-Amz-Target).
    let ms = crate::mediastore::control(&emu).await;
    let err = ms
        .list_containers()
        .max_results(0)
        .send()
        .await
        .unwrap_err();
    assert_refused(
        "MediaStore ListContainers",
        code_and_message(&err),
        "ValidationException",
        "MaxResults",
        "greater than or equal to 1",
    );

    // MediaStore data plane, through the path-style endpoint DescribeContainer gives.
    let endpoint = crate::mediastore::active_container(&ms, "models_container").await;
    let data = aws_sdk_mediastoredata::Client::new(&crate::common::sdk_config(&endpoint).await);
    let err = data
        .list_items()
        .max_results(1001)
        .send()
        .await
        .unwrap_err();
    assert_refused(
        "MediaStore ListItems",
        code_and_message(&err),
        "ValidationException",
        "MaxResults",
        "less than or equal to 1000",
    );

    // CloudFront (restXml payload): an origin type outside the enum.
    let cf = aws_sdk_cloudfront::Client::new(&conf);
    let oac = |origin_type: OriginAccessControlOriginTypes| {
        OriginAccessControlConfig::builder()
            .name("models-oac")
            .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
            .signing_behavior(OriginAccessControlSigningBehaviors::Always)
            .origin_access_control_origin_type(origin_type)
            .build()
            .unwrap()
    };
    let err = cf
        .create_origin_access_control()
        .origin_access_control_config(oac(OriginAccessControlOriginTypes::from("ftp")))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        "CloudFront CreateOriginAccessControl",
        code_and_message(&err),
        "InvalidArgument",
        "OriginAccessControlConfig.OriginAccessControlOriginType",
        "enum value set",
    );

    // The refusals are logged under their operations, before any service saw them.
    let log = emu.requests();
    for op in [
        "PutObject",
        "CreateJob",
        "ListContainers",
        "ListItems",
        "CreateOriginAccessControl",
    ] {
        assert!(
            log.iter().any(|e| e.operation == op && e.status == 400),
            "{op} refused in the log: {log:?}"
        );
    }

    // Conforming requests reach the services.
    s3.put_object()
        .bucket("models-bucket")
        .key("a.txt")
        .storage_class(StorageClass::Standard)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("models-bucket")
        .key("a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"x"
    );
    ms.list_containers().max_results(10).send().await.unwrap();
    data.list_items().max_results(10).send().await.unwrap();
    cf.create_origin_access_control()
        .origin_access_control_config(oac(OriginAccessControlOriginTypes::S3))
        .send()
        .await
        .unwrap();
    mc.list_jobs().max_results(5).send().await.unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn a_missing_models_directory_stops_the_start() {
    let dir = std::env::temp_dir().join(format!("no-models-{}", std::process::id()));
    let err = match Emulator::builder().service_models(&dir).start().await {
        Ok(_) => panic!("the emulator started without its models"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("cannot load AWS's service models"), "{err}");
    assert!(err.contains("emulator/scripts/service-models"), "{err}");
}
