//! S3 through the official aws-sdk-s3 client.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
};

#[tokio::test]
async fn put_get_head_list_delete() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("media").send().await.unwrap();
    let put = s3
        .put_object()
        .bucket("media")
        .key("vod/a/index.m3u8")
        .content_type("application/vnd.apple.mpegurl")
        .cache_control("max-age=2")
        .body(ByteStream::from_static(b"#EXTM3U\n"))
        .send()
        .await
        .unwrap();
    assert!(put.e_tag().is_some());
    let got = s3
        .get_object()
        .bucket("media")
        .key("vod/a/index.m3u8")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/vnd.apple.mpegurl"));
    assert_eq!(got.cache_control(), Some("max-age=2"));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"#EXTM3U\n");
    let head = s3
        .head_object()
        .bucket("media")
        .key("vod/a/index.m3u8")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(8));
    let list = s3
        .list_objects_v2()
        .bucket("media")
        .prefix("vod/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, vec!["vod/a/index.m3u8"]);
    s3.delete_object()
        .bucket("media")
        .key("vod/a/index.m3u8")
        .send()
        .await
        .unwrap();
    let err = s3
        .get_object()
        .bucket("media")
        .key("vod/a/index.m3u8")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_no_such_key());
}

#[tokio::test]
async fn multipart_crc64nvme_full_object() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("big").send().await.unwrap();
    let part1 = vec![7u8; 5 * 1024 * 1024];
    let part2 = b"tail".to_vec();
    let create = s3
        .create_multipart_upload()
        .bucket("big")
        .key("x.bin")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap();
    let id = create.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, data) in [(1, part1.clone()), (2, part2.clone())] {
        let r = s3
            .upload_part()
            .bucket("big")
            .key("x.bin")
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .body(ByteStream::from(data))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .set_checksum_crc64_nvme(r.checksum_crc64_nvme().map(str::to_string))
                .build(),
        );
    }
    let mut all = part1.clone();
    all.extend_from_slice(&part2);
    let full = full_crc64(&all);
    let done = s3
        .complete_multipart_upload()
        .bucket("big")
        .key("x.bin")
        .upload_id(id)
        .checksum_crc64_nvme(&full)
        .checksum_type(ChecksumType::FullObject)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(done.checksum_crc64_nvme(), Some(full.as_str()));
    let got = s3
        .get_object()
        .bucket("big")
        .key("x.bin")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc64_nvme(), Some(full.as_str()));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len(), all.len());
}

fn full_crc64(data: &[u8]) -> String {
    let mut h = s3s::checksum::ChecksumHasher {
        crc64nvme: Some(Default::default()),
        ..Default::default()
    };
    h.update(data);
    h.finalize().checksum_crc64nvme.unwrap()
}

#[tokio::test]
async fn bucket_crud_and_errors() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("bkt1").send().await.unwrap();
    // us-east-1: re-creating your own bucket succeeds (AWS legacy behaviour).
    s3.create_bucket().bucket("bkt1").send().await.unwrap();
    s3.head_bucket().bucket("bkt1").send().await.unwrap();
    let e = s3.head_bucket().bucket("missing").send().await.unwrap_err();
    assert!(e.into_service_error().is_not_found());
    let e = s3
        .list_objects_v2()
        .bucket("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("NoSuchBucket")
    );
    let e = s3
        .put_object()
        .bucket("missing")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("NoSuchBucket")
    );
    assert!(
        !emu.data_dir().join("s3/missing").exists(),
        "a failed put creates no bucket"
    );
    let e = s3
        .get_object()
        .bucket("missing")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("NoSuchBucket")
    );
    let e = s3
        .create_bucket()
        .bucket("Bad_Name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("InvalidBucketName")
    );

    // Elsewhere it is BucketAlreadyOwnedByYou.
    let conf = crate::common::sdk_config_region(&emu.endpoint_url(), "eu-west-1").await;
    let eu = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let eu_conf = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
        .build();
    let e = eu
        .create_bucket()
        .bucket("bkt1")
        .create_bucket_configuration(eu_conf.clone())
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_bucket_already_owned_by_you());
    // LocationConstraint rules.
    let e = eu
        .create_bucket()
        .bucket("eu-bucket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("IllegalLocationConstraintException")
    );
    eu.create_bucket()
        .bucket("eu-bucket")
        .create_bucket_configuration(eu_conf)
        .send()
        .await
        .unwrap();
    let loc = eu
        .get_bucket_location()
        .bucket("eu-bucket")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loc.location_constraint(),
        Some(&aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
    );
    let loc = s3
        .get_bucket_location()
        .bucket("bkt1")
        .send()
        .await
        .unwrap();
    assert!(
        loc.location_constraint()
            .is_none_or(|c| c.as_str().is_empty()),
        "{loc:?}"
    );
    eu.delete_bucket().bucket("eu-bucket").send().await.unwrap();

    s3.create_bucket().bucket("bkt2").send().await.unwrap();
    let names: Vec<_> = s3
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect();
    assert_eq!(names, vec!["bkt1", "bkt2"]);

    s3.put_object()
        .bucket("bkt2")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let e = s3.delete_bucket().bucket("bkt2").send().await.unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("BucketNotEmpty")
    );
    s3.delete_object()
        .bucket("bkt2")
        .key("k")
        .send()
        .await
        .unwrap();
    // Deleting the last key under a "folder" leaves nothing behind (S3 has no folders).
    s3.put_object()
        .bucket("bkt2")
        .key("deep/er/k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket("bkt2")
        .key("deep/er/k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3.list_objects_v2()
            .bucket("bkt2")
            .send()
            .await
            .unwrap()
            .key_count(),
        Some(0)
    );
    s3.delete_bucket().bucket("bkt2").send().await.unwrap();
    let e = s3.delete_bucket().bucket("bkt2").send().await.unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("NoSuchBucket")
    );
}

#[tokio::test]
async fn bucket_policy_and_tagging() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("pol").send().await.unwrap();
    let e = s3
        .get_bucket_policy()
        .bucket("pol")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("NoSuchBucketPolicy")
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFront","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}"#;
    s3.put_bucket_policy()
        .bucket("pol")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let got = s3.get_bucket_policy().bucket("pol").send().await.unwrap();
    assert_eq!(got.policy(), Some(policy));
    assert_eq!(
        emu.shared().s3.bucket_policy("pol").await.as_deref(),
        Some(policy)
    );
    let e = s3
        .put_bucket_policy()
        .bucket("pol")
        .policy("not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("MalformedPolicy")
    );
    let e = s3
        .put_bucket_policy()
        .bucket("nope")
        .policy(policy)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("NoSuchBucket")
    );
    s3.delete_bucket_policy()
        .bucket("pol")
        .send()
        .await
        .unwrap();
    assert!(s3.get_bucket_policy().bucket("pol").send().await.is_err());

    use aws_sdk_s3::types::{Tag, Tagging};
    let e = s3
        .get_bucket_tagging()
        .bucket("pol")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("NoSuchTagSet")
    );
    s3.put_bucket_tagging()
        .bucket("pol")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("env").value("test").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let t = s3.get_bucket_tagging().bucket("pol").send().await.unwrap();
    assert_eq!(t.tag_set()[0].key(), "env");
    s3.delete_bucket_tagging()
        .bucket("pol")
        .send()
        .await
        .unwrap();
    assert!(s3.get_bucket_tagging().bucket("pol").send().await.is_err());
}

#[tokio::test]
async fn checksums_streaming_bodies_and_bad_digests() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("cksum").send().await.unwrap();
    // A file body: the SDK streams it with aws-chunked encoding and a trailing checksum.
    let dir = emu.data_dir().join("upload-src");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f.bin");
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha256,
    ] {
        let put = s3
            .put_object()
            .bucket("cksum")
            .key("f.bin")
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from_path(&file).await.unwrap())
            .send()
            .await
            .unwrap();
        let got = s3
            .get_object()
            .bucket("cksum")
            .key("f.bin")
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        match alg {
            ChecksumAlgorithm::Crc32 => assert_eq!(got.checksum_crc32(), put.checksum_crc32()),
            ChecksumAlgorithm::Crc32C => assert_eq!(got.checksum_crc32_c(), put.checksum_crc32_c()),
            ChecksumAlgorithm::Crc64Nvme => {
                assert_eq!(got.checksum_crc64_nvme(), put.checksum_crc64_nvme())
            }
            _ => assert!(got.checksum_sha256().is_some()),
        }
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().len(),
            content.len()
        );
    }
    // A wrong checksum is refused.
    let e = s3
        .put_object()
        .bucket("cksum")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("BadDigest")
    );
    // Ranged GET.
    let got = s3
        .get_object()
        .bucket("cksum")
        .key("f.bin")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_range(), Some("bytes 10-19/200000"));
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        &content[10..20]
    );
}

#[tokio::test]
async fn multipart_composite_and_errors() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("multi").send().await.unwrap();
    let create = s3
        .create_multipart_upload()
        .bucket("multi")
        .key("c.bin")
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap();
    assert_eq!(create.checksum_type(), Some(&ChecksumType::Composite));
    let id = create.upload_id().unwrap().to_string();
    let p1 = s3
        .upload_part()
        .bucket("multi")
        .key("c.bin")
        .upload_id(&id)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .body(ByteStream::from(vec![1u8; 5 * 1024 * 1024]))
        .send()
        .await
        .unwrap();
    assert!(p1.checksum_crc32_c().is_some());
    // A wrong part checksum is refused.
    let e = s3
        .upload_part()
        .bucket("multi")
        .key("c.bin")
        .upload_id(&id)
        .part_number(2)
        .checksum_crc32_c("AAAAAA==")
        .body(ByteStream::from_static(b"tail"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("BadDigest")
    );
    let p2 = s3
        .upload_part()
        .bucket("multi")
        .key("c.bin")
        .upload_id(&id)
        .part_number(2)
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .body(ByteStream::from_static(b"tail"))
        .send()
        .await
        .unwrap();
    let parts = s3
        .list_parts()
        .bucket("multi")
        .key("c.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(parts.parts().len(), 2);
    let done = s3
        .complete_multipart_upload()
        .bucket("multi")
        .key("c.bin")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(p1.e_tag().unwrap())
                        .build(),
                )
                .parts(
                    CompletedPart::builder()
                        .part_number(2)
                        .e_tag(p2.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        done.e_tag().unwrap().ends_with("-2\""),
        "{:?}",
        done.e_tag()
    );
    let head = s3
        .head_object()
        .bucket("multi")
        .key("c.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(5 * 1024 * 1024 + 4));

    let e = s3
        .upload_part()
        .bucket("multi")
        .key("c.bin")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert!(
        e.raw_response()
            .is_some_and(|r| r.status().is_client_error())
    );
    let e = s3
        .abort_multipart_upload()
        .bucket("multi")
        .key("c.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_no_such_upload());

    // A wrong full-object checksum is refused.
    let create = s3
        .create_multipart_upload()
        .bucket("multi")
        .key("f.bin")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .send()
        .await
        .unwrap();
    assert_eq!(create.checksum_type(), Some(&ChecksumType::FullObject));
    let id = create.upload_id().unwrap();
    let p = s3
        .upload_part()
        .bucket("multi")
        .key("f.bin")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap();
    let e = s3
        .complete_multipart_upload()
        .bucket("multi")
        .key("f.bin")
        .upload_id(id)
        .checksum_crc64_nvme("AAAAAAAAAAA=")
        .checksum_type(ChecksumType::FullObject)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(p.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("BadDigest")
    );
}

#[tokio::test]
async fn copy_delete_objects_list_v1_and_presigned() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("copies").send().await.unwrap();
    s3.put_object()
        .bucket("copies")
        .key("a/1.txt")
        .content_type("text/plain")
        .body(ByteStream::from_static(b"one"))
        .send()
        .await
        .unwrap();
    s3.copy_object()
        .bucket("copies")
        .key("a/2.txt")
        .copy_source("copies/a/1.txt")
        .send()
        .await
        .unwrap();
    let e = s3
        .copy_object()
        .bucket("copies")
        .key("a/3.txt")
        .copy_source("copies/a/none.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("NoSuchKey")
    );
    let v1 = s3
        .list_objects()
        .bucket("copies")
        .prefix("a/")
        .send()
        .await
        .unwrap();
    assert_eq!(v1.contents().len(), 2);
    let delim = s3
        .list_objects_v2()
        .bucket("copies")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(delim.common_prefixes().len(), 1);

    // Presigned GET, fetched without the SDK.
    let presigned = s3
        .get_object()
        .bucket("copies")
        .key("a/2.txt")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
                60,
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let uri: http::Uri = presigned.uri().parse().unwrap();
    let (status, _, body) = crate::common::raw_request(
        emu.port(),
        "GET",
        uri.path_and_query().unwrap().as_str(),
        &[],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, b"one");
    // Presigned PUT.
    let presigned = s3
        .put_object()
        .bucket("copies")
        .key("a/up.txt")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
                60,
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let uri: http::Uri = presigned.uri().parse().unwrap();
    let (status, _, _) = crate::common::raw_request(
        emu.port(),
        "PUT",
        uri.path_and_query().unwrap().as_str(),
        &[],
        b"uploaded",
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let got = s3
        .get_object()
        .bucket("copies")
        .key("a/up.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"uploaded"
    );
    s3.delete_object()
        .bucket("copies")
        .key("a/up.txt")
        .send()
        .await
        .unwrap();

    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let del = s3
        .delete_objects()
        .bucket("copies")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("a/1.txt").build().unwrap())
                .objects(ObjectIdentifier::builder().key("a/2.txt").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.deleted().len(), 2);
    assert_eq!(
        s3.list_objects_v2()
            .bucket("copies")
            .send()
            .await
            .unwrap()
            .key_count(),
        Some(0)
    );
}

#[tokio::test]
async fn in_process_store_api() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    let store = &emu.shared().s3;
    assert!(!store.bucket_exists("inproc").await);
    assert!(
        store
            .put_object("inproc", "k", bytes::Bytes::from_static(b"v"), None, None)
            .await
            .is_err()
    );
    s3.create_bucket().bucket("inproc").send().await.unwrap();
    assert!(store.bucket_exists("inproc").await);
    store
        .put_object(
            "inproc",
            "out/master.m3u8",
            bytes::Bytes::from_static(b"#EXTM3U\n"),
            Some("application/vnd.apple.mpegurl"),
            Some("max-age=60"),
        )
        .await
        .unwrap();
    store
        .put_object(
            "inproc",
            "out/seg.ts",
            bytes::Bytes::from_static(b"ts"),
            None,
            None,
        )
        .await
        .unwrap();
    store
        .put_object(
            "inproc",
            "other",
            bytes::Bytes::from_static(b"o"),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store.list_keys("inproc", "out/").await,
        vec!["out/master.m3u8", "out/seg.ts"]
    );
    let o = store.get_object("inproc", "out/master.m3u8").await.unwrap();
    assert_eq!(
        o.content_type.as_deref(),
        Some("application/vnd.apple.mpegurl")
    );
    assert_eq!(o.cache_control.as_deref(), Some("max-age=60"));
    assert!(o.etag.starts_with('"'));
    assert!(store.get_object("inproc", "nope").await.is_none());
    // Visible through the API too.
    let got = s3
        .get_object()
        .bucket("inproc")
        .key("out/master.m3u8")
        .send()
        .await
        .unwrap();
    assert_eq!(got.cache_control(), Some("max-age=60"));
}

#[tokio::test]
async fn conditional_requests_url_encoding_and_virtual_hosts() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("cond").send().await.unwrap();
    let put = s3
        .put_object()
        .bucket("cond")
        .key("a b+c.txt")
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_string();

    let e = s3
        .get_object()
        .bucket("cond")
        .key("a b+c.txt")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 304);
    let e = s3
        .head_object()
        .bucket("cond")
        .key("a b+c.txt")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 304);
    let e = s3
        .get_object()
        .bucket("cond")
        .key("a b+c.txt")
        .if_match("\"0000\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 412);
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("PreconditionFailed")
    );
    s3.get_object()
        .bucket("cond")
        .key("a b+c.txt")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    s3.get_object()
        .bucket("cond")
        .key("a b+c.txt")
        .if_none_match("\"0000\"")
        .send()
        .await
        .unwrap();
    let future = aws_sdk_s3::primitives::DateTime::from_secs(4_000_000_000);
    let past = aws_sdk_s3::primitives::DateTime::from_secs(1_000_000_000);
    let e = s3
        .get_object()
        .bucket("cond")
        .key("a b+c.txt")
        .if_modified_since(future)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 304);
    s3.get_object()
        .bucket("cond")
        .key("a b+c.txt")
        .if_modified_since(past)
        .send()
        .await
        .unwrap();
    let e = s3
        .get_object()
        .bucket("cond")
        .key("a b+c.txt")
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 412);

    // encoding-type=url percent-encodes keys (the AWS CLI decodes them).
    let l = s3
        .list_objects_v2()
        .bucket("cond")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(l.contents()[0].key(), Some("a%20b%2Bc.txt"));
    let l = s3.list_objects_v2().bucket("cond").send().await.unwrap();
    assert_eq!(l.contents()[0].key(), Some("a b+c.txt"));

    // Virtual-hosted style: <bucket>.s3.localhost:PORT (needs a resolver for *.localhost).
    let conf = crate::common::sdk_config(&format!("http://s3.localhost:{}", emu.port())).await;
    let vh = aws_sdk_s3::Client::new(&conf);
    vh.create_bucket().bucket("vhost").send().await.unwrap();
    vh.put_object()
        .bucket("vhost")
        .key("k.txt")
        .body(ByteStream::from_static(b"vh"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("vhost")
        .key("k.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(&got.body.collect().await.unwrap().into_bytes()[..], b"vh");
    assert_eq!(
        vh.list_objects_v2()
            .bucket("vhost")
            .send()
            .await
            .unwrap()
            .key_count(),
        Some(1)
    );
    let log = emu.requests();
    assert!(
        log.iter()
            .any(|e| e.operation == "PutObject" && e.path == "/k.txt"),
        "virtual-hosted PutObject: {log:?}"
    );
}

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> Option<&str> {
    e.code()
}

fn cors_rule(origin: &str, methods: &[&str]) -> aws_sdk_s3::types::CorsRule {
    aws_sdk_s3::types::CorsRule::builder()
        .allowed_origins(origin)
        .set_allowed_methods(Some(methods.iter().map(|m| m.to_string()).collect()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn bucket_cors_put_get_delete_persist_and_errors() {
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
    let dir = std::env::temp_dir().join(format!("vod-emulator-s3-cors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let emu = vod_emulator::Emulator::builder()
            .data_dir(&dir)
            .start()
            .await
            .unwrap();
        let s3 = crate::common::s3_client(&emu).await;
        s3.create_bucket().bucket("web").send().await.unwrap();
        // None yet.
        let e = s3.get_bucket_cors().bucket("web").send().await.unwrap_err();
        let raw_status = e.raw_response().map(|r| r.status().as_u16());
        assert_eq!(raw_status, Some(404));
        assert_eq!(
            code(&e.into_service_error()),
            Some("NoSuchCORSConfiguration")
        );
        assert!(emu.shared().s3.bucket_cors("web").await.is_none());
        let rules = vec![
            CorsRule::builder()
                .id("player")
                .allowed_origins("https://player.example.com")
                .allowed_origins("http://*.example.com")
                .allowed_methods("GET")
                .allowed_methods("HEAD")
                .allowed_headers("*")
                .expose_headers("ETag")
                .expose_headers("Content-Length")
                .max_age_seconds(3000)
                .build()
                .unwrap(),
            cors_rule("*", &["PUT", "POST", "DELETE"]),
        ];
        s3.put_bucket_cors()
            .bucket("web")
            .cors_configuration(
                CorsConfiguration::builder()
                    .set_cors_rules(Some(rules.clone()))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let got = s3.get_bucket_cors().bucket("web").send().await.unwrap();
        assert_eq!(got.cors_rules(), &rules[..]);
        // In-process view, for the edge.
        let view = emu.shared().s3.bucket_cors("web").await.unwrap();
        assert_eq!(view.len(), 2);
        assert_eq!(
            view[0].allowed_origins,
            vec!["https://player.example.com", "http://*.example.com"]
        );
        assert_eq!(view[0].allowed_methods, vec!["GET", "HEAD"]);
        assert_eq!(view[0].allowed_headers, vec!["*"]);
        assert_eq!(view[0].expose_headers, vec!["ETag", "Content-Length"]);
        assert_eq!(view[0].max_age_seconds, Some(3000));
        assert_eq!(view[0].id.as_deref(), Some("player"));
        assert!(view[1].allowed_headers.is_empty() && view[1].max_age_seconds.is_none());
        // Replaced by the next Put.
        s3.put_bucket_cors()
            .bucket("web")
            .cors_configuration(
                CorsConfiguration::builder()
                    .cors_rules(cors_rule("*", &["GET"]))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        emu.shutdown().await;
    }
    // Stored under the data dir: survives a restart.
    let emu = vod_emulator::Emulator::builder()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    let s3 = crate::common::s3_client(&emu).await;
    let got = s3.get_bucket_cors().bucket("web").send().await.unwrap();
    assert_eq!(got.cors_rules(), &[cors_rule("*", &["GET"])][..]);
    // Validation, as S3 does it.
    let put = |rule: CorsRule| {
        s3.put_bucket_cors().bucket("web").cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(rule)
                .build()
                .unwrap(),
        )
    };
    let e = put(cors_rule("*", &["GET", "PATCH"]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&e), Some("InvalidRequest"));
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::message(&e),
        Some("Found unsupported HTTP method in CORS config. Unsupported method is PATCH")
    );
    let e = put(cors_rule("http://*.*.example.com", &["GET"]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&e), Some("InvalidRequest"));
    let e = put(CorsRule::builder()
        .allowed_origins("*")
        .allowed_methods("GET")
        .allowed_headers("x-*-*")
        .build()
        .unwrap())
    .send()
    .await
    .unwrap_err()
    .into_service_error();
    assert_eq!(code(&e), Some("InvalidRequest"));
    // No methods / no rules: not valid against the schema.
    let e = put(CorsRule::builder()
        .allowed_origins("*")
        .set_allowed_methods(Some(vec![]))
        .build()
        .unwrap())
    .send()
    .await
    .unwrap_err()
    .into_service_error();
    assert_eq!(code(&e), Some("MalformedXML"));
    let e = s3
        .put_bucket_cors()
        .bucket("web")
        .cors_configuration(
            CorsConfiguration::builder()
                .set_cors_rules(Some(vec![]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&e), Some("MalformedXML"));
    let e = s3
        .put_bucket_cors()
        .bucket("web")
        .cors_configuration(
            CorsConfiguration::builder()
                .set_cors_rules(Some(vec![cors_rule("*", &["GET"]); 101]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&e), Some("MalformedXML"));
    // The failed Puts changed nothing.
    let got = s3.get_bucket_cors().bucket("web").send().await.unwrap();
    assert_eq!(got.cors_rules().len(), 1);
    // Delete: 204, then 404 on Get; deleting again is fine.
    let del = s3.delete_bucket_cors().bucket("web").send().await.unwrap();
    drop(del);
    emu.reset_requests();
    s3.delete_bucket_cors().bucket("web").send().await.unwrap();
    let log = emu.requests();
    assert_eq!(
        log.last().map(|r| r.operation.as_str()),
        Some("DeleteBucketCors")
    );
    assert_eq!(log.last().map(|r| r.status), Some(204));
    let e = s3.get_bucket_cors().bucket("web").send().await.unwrap_err();
    assert_eq!(
        code(&e.into_service_error()),
        Some("NoSuchCORSConfiguration")
    );
    assert!(emu.shared().s3.bucket_cors("web").await.is_none());
    // Missing bucket.
    for e in [
        code(
            &s3.get_bucket_cors()
                .bucket("nope")
                .send()
                .await
                .unwrap_err()
                .into_service_error(),
        )
        .map(str::to_string),
        code(
            &s3.delete_bucket_cors()
                .bucket("nope")
                .send()
                .await
                .unwrap_err()
                .into_service_error(),
        )
        .map(str::to_string),
        code(
            &put(cors_rule("*", &["GET"]))
                .bucket("nope")
                .send()
                .await
                .unwrap_err()
                .into_service_error(),
        )
        .map(str::to_string),
    ] {
        assert_eq!(e.as_deref(), Some("NoSuchBucket"));
    }
    // Deleting the bucket drops its configuration.
    s3.put_bucket_cors()
        .bucket("web")
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(cors_rule("*", &["GET"]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket("web").send().await.unwrap();
    s3.create_bucket().bucket("web").send().await.unwrap();
    let e = s3.get_bucket_cors().bucket("web").send().await.unwrap_err();
    assert_eq!(
        code(&e.into_service_error()),
        Some("NoSuchCORSConfiguration")
    );
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn list_multipart_uploads_paging_and_lifecycle() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("mpu").send().await.unwrap();
    s3.create_bucket().bucket("other").send().await.unwrap();
    let create = |key: &'static str| {
        let s3 = s3.clone();
        async move {
            s3.create_multipart_upload()
                .bucket("mpu")
                .key(key)
                .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
                .send()
                .await
                .unwrap()
                .upload_id()
                .unwrap()
                .to_string()
        }
    };
    // Empty.
    let l = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert!(l.uploads().is_empty());
    assert_eq!(l.is_truncated(), Some(false));
    assert_eq!(l.bucket(), Some("mpu"));
    assert_eq!(l.max_uploads(), Some(1000));
    let b1 = create("vod/b.mp4").await;
    let a = create("vod/a.mp4").await;
    let b2 = create("vod/b.mp4").await;
    let c = create("src/c.mov").await;
    let d = create("vod/sub/d.mp4").await;
    s3.create_multipart_upload()
        .bucket("other")
        .key("x")
        .send()
        .await
        .unwrap();
    // All of the bucket, by key, then oldest first.
    let l = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    let got: Vec<(&str, &str)> = l
        .uploads()
        .iter()
        .map(|u| (u.key().unwrap(), u.upload_id().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("src/c.mov", c.as_str()),
            ("vod/a.mp4", a.as_str()),
            ("vod/b.mp4", b1.as_str()),
            ("vod/b.mp4", b2.as_str()),
            ("vod/sub/d.mp4", d.as_str()),
        ]
    );
    let u = &l.uploads()[0];
    assert!(u.initiated().is_some());
    assert_eq!(u.storage_class().map(|s| s.as_str()), Some("STANDARD"));
    assert!(u.owner().and_then(|o| o.id()).is_some());
    assert!(u.initiator().and_then(|o| o.id()).is_some());
    assert_eq!(u.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc64Nvme));
    assert_eq!(u.checksum_type(), Some(&ChecksumType::FullObject));
    assert_eq!(l.is_truncated(), Some(false));
    // Prefix.
    let l = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .prefix("vod/b")
        .send()
        .await
        .unwrap();
    assert_eq!(l.uploads().len(), 2);
    assert_eq!(l.prefix(), Some("vod/b"));
    // Delimiter: common prefixes.
    let l = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .prefix("vod/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(l.uploads().len(), 3);
    let cps: Vec<_> = l
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(cps, vec!["vod/sub/"]);
    // Paging with max-uploads, key-marker and upload-id-marker.
    let mut seen = Vec::new();
    let (mut km, mut im): (Option<String>, Option<String>) = (None, None);
    let mut pages = 0;
    loop {
        let l = s3
            .list_multipart_uploads()
            .bucket("mpu")
            .max_uploads(2)
            .set_key_marker(km.clone())
            .set_upload_id_marker(im.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(l.uploads().len() <= 2);
        seen.extend(
            l.uploads()
                .iter()
                .map(|u| u.upload_id().unwrap().to_string()),
        );
        if l.is_truncated() != Some(true) {
            break;
        }
        km = l.next_key_marker().map(str::to_string);
        im = l.next_upload_id_marker().map(str::to_string);
        assert!(km.is_some() && im.is_some());
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        vec![c.clone(), a.clone(), b1.clone(), b2.clone(), d.clone()]
    );
    // key-marker alone: keys after it.
    let l = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .key_marker("vod/a.mp4")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = l.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, vec!["vod/b.mp4", "vod/b.mp4", "vod/sub/d.mp4"]);
    assert_eq!(l.key_marker(), Some("vod/a.mp4"));
    // Abort and complete remove uploads from the listing.
    s3.abort_multipart_upload()
        .bucket("mpu")
        .key("vod/b.mp4")
        .upload_id(&b1)
        .send()
        .await
        .unwrap();
    let part = s3
        .upload_part()
        .bucket("mpu")
        .key("vod/a.mp4")
        .upload_id(&a)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .body(ByteStream::from_static(b"only part"))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket("mpu")
        .key("vod/a.mp4")
        .upload_id(&a)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let l = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = l.uploads().iter().filter_map(|u| u.upload_id()).collect();
    assert_eq!(ids, vec![c.as_str(), b2.as_str(), d.as_str()]);
    // Errors: unknown upload ids, an id used with another key, a missing bucket.
    for (key, id) in [
        ("vod/b.mp4", b1.as_str()),
        ("vod/a.mp4", a.as_str()),
        ("vod/b.mp4", "not-an-upload-id"),
        ("vod/b.mp4", "2f1c7c4e-0000-4000-8000-000000000000"),
        ("vod/a.mp4", b2.as_str()),
    ] {
        let e = s3
            .abort_multipart_upload()
            .bucket("mpu")
            .key(key)
            .upload_id(id)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
        let e = e.into_service_error();
        assert!(e.is_no_such_upload(), "{key} {id}: {e:?}");
        let e = s3
            .upload_part()
            .bucket("mpu")
            .key(key)
            .upload_id(id)
            .part_number(1)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code(&e.into_service_error()),
            Some("NoSuchUpload"),
            "{key} {id}"
        );
    }
    let e = s3
        .list_multipart_uploads()
        .bucket("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), Some("NoSuchBucket"));
    // The executor's teardown: list, abort all, delete the objects and the bucket.
    let l = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    for u in l.uploads() {
        s3.abort_multipart_upload()
            .bucket("mpu")
            .key(u.key().unwrap())
            .upload_id(u.upload_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    let l = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert!(l.uploads().is_empty());
    s3.delete_object()
        .bucket("mpu")
        .key("vod/a.mp4")
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket("mpu").send().await.unwrap();
    // Other buckets are untouched.
    let l = s3
        .list_multipart_uploads()
        .bucket("other")
        .send()
        .await
        .unwrap();
    assert_eq!(l.uploads().len(), 1);
    // encoding-type=url: keys percent-encoded.
    s3.create_multipart_upload()
        .bucket("other")
        .key("a b+c")
        .send()
        .await
        .unwrap();
    let (status, _, body) = crate::common::raw_request(
        emu.port(),
        "GET",
        "/other?uploads&encoding-type=url",
        &[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        )],
        b"",
    )
    .await
    .unwrap();
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<ListMultipartUploadsResult"), "{body}");
    assert!(body.contains("<Key>a%20b%2Bc</Key>"), "{body}");
    assert!(body.contains("<EncodingType>url</EncodingType>"), "{body}");
}

#[tokio::test]
async fn put_object_full_object_crc64nvme_is_stored_and_returned() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("cks").send().await.unwrap();
    let dir = emu.data_dir().join("src-files");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("movie.mp4");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 253) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let want = full_crc64(&content);
    // What the executor does: a file body, streamed aws-chunked with a trailing x-amz-checksum-crc64nvme.
    emu.reset_requests();
    let put = s3
        .put_object()
        .bucket("cks")
        .key("src/movie.mp4")
        .content_type("video/mp4")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .body(ByteStream::from_path(&file).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(put.checksum_crc64_nvme(), Some(want.as_str()));
    assert_eq!(put.checksum_type(), Some(&ChecksumType::FullObject));
    let head = s3
        .head_object()
        .bucket("cks")
        .key("src/movie.mp4")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc64_nvme(), Some(want.as_str()));
    assert_eq!(head.checksum_type(), Some(&ChecksumType::FullObject));
    assert_eq!(head.content_length(), Some(content.len() as i64));
    let got = s3
        .get_object()
        .bucket("cks")
        .key("src/movie.mp4")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc64_nvme(), Some(want.as_str()));
    assert_eq!(got.checksum_type(), Some(&ChecksumType::FullObject));
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        &content[..]
    );
    // Without checksum mode HeadObject does not return it (as S3).
    let head = s3
        .head_object()
        .bucket("cks")
        .key("src/movie.mp4")
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc64_nvme(), None);
    // The checksum is kept on disk with the object (a restart keeps it; see the sidecar).
    let sidecar = std::fs::read_dir(emu.data_dir().join("s3"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".internal.json"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .find(|s| s.contains(&want));
    assert!(sidecar.is_some());

    // In-memory bodies: the checksum given as a header (precomputed by the caller)...
    let small = b"#EXTM3U\n#EXT-X-VERSION:3\n".to_vec();
    let small_crc = full_crc64(&small);
    let put = s3
        .put_object()
        .bucket("cks")
        .key("out/index.m3u8")
        .checksum_crc64_nvme(&small_crc)
        .body(ByteStream::from(small.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.checksum_crc64_nvme(), Some(small_crc.as_str()));
    let head = s3
        .head_object()
        .bucket("cks")
        .key("out/index.m3u8")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc64_nvme(), Some(small_crc.as_str()));
    // ...or computed by the SDK from the algorithm.
    let put = s3
        .put_object()
        .bucket("cks")
        .key("out/other.m3u8")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .body(ByteStream::from(small.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.checksum_crc64_nvme(), Some(small_crc.as_str()));
    let got = s3
        .get_object()
        .bucket("cks")
        .key("out/other.m3u8")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc64_nvme(), Some(small_crc.as_str()));
    // A wrong CRC64NVME header is BadDigest, and nothing is stored.
    let e = s3
        .put_object()
        .bucket("cks")
        .key("out/bad.m3u8")
        .checksum_crc64_nvme(&want)
        .body(ByteStream::from(small.clone()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), Some("BadDigest"));
    let e = s3
        .head_object()
        .bucket("cks")
        .key("out/bad.m3u8")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_not_found());
    // Nor does a bad digest touch an existing object (wrong checksum, then wrong Content-MD5).
    let e = s3
        .put_object()
        .bucket("cks")
        .key("out/index.m3u8")
        .checksum_crc64_nvme(&want)
        .body(ByteStream::from_static(b"corrupt"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), Some("BadDigest"));
    let e = s3
        .put_object()
        .bucket("cks")
        .key("out/index.m3u8")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(ByteStream::from_static(b"corrupt"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), Some("BadDigest"));
    let got = s3
        .get_object()
        .bucket("cks")
        .key("out/index.m3u8")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc64_nvme(), Some(small_crc.as_str()));
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        &small[..]
    );
    // Overwriting with another body replaces the checksum; a ranged GET carries none.
    std::fs::write(&file, b"shorter").unwrap();
    s3.put_object()
        .bucket("cks")
        .key("src/movie.mp4")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .body(ByteStream::from_path(&file).await.unwrap())
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("cks")
        .key("src/movie.mp4")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.checksum_crc64_nvme(),
        Some(full_crc64(b"shorter").as_str())
    );
    let got = s3
        .get_object()
        .bucket("cks")
        .key("src/movie.mp4")
        .range("bytes=0-2")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc64_nvme(), None);
}

/// The `new_bucket_window_ms` knob: right after CreateBucket, other requests on the new bucket get
/// `NoSuchBucket` (as S3 may answer while a new bucket propagates); other buckets are unaffected, and
/// after the window the bucket answers. ListBuckets lists it, with its Region when asked with a
/// parameter; HeadBucket gives the Region.
#[tokio::test]
async fn new_buckets_can_be_briefly_invisible_and_report_their_region() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("older").send().await.unwrap();
    emu.set_service_knobs(
        "s3",
        vod_emulator::knobs::ServiceKnobs {
            new_bucket_window_ms: 400,
            ..Default::default()
        },
    )
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    s3.create_bucket().bucket("fresh").send().await.unwrap();
    let e = s3
        .put_object()
        .bucket("fresh")
        .key("a")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e),
        Some("NoSuchBucket"),
        "{e:?}"
    );
    s3.put_object()
        .bucket("older")
        .key("a")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("an older bucket is visible");
    let listed = s3.list_buckets().max_buckets(10).send().await.unwrap();
    let fresh = listed
        .buckets()
        .iter()
        .find(|b| b.name() == Some("fresh"))
        .expect("ListBuckets lists a new bucket at once");
    assert_eq!(fresh.bucket_region(), Some("us-east-1"));
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    s3.put_object()
        .bucket("fresh")
        .key("a")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("visible after the window");
    let head = s3.head_bucket().bucket("fresh").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));
}
