//! MediaStore through the official aws-sdk-mediastore and aws-sdk-mediastoredata clients.

use aws_sdk_mediastore::types::{ContainerStatus, CorsRule, MethodName, Tag};
use aws_sdk_mediastoredata::primitives::ByteStream;
use aws_sdk_mediastoredata::types::ItemType;
use std::time::Duration;

pub(crate) async fn control(emu: &vod_emulator::EmulatorHandle) -> aws_sdk_mediastore::Client {
    aws_sdk_mediastore::Client::new(&crate::common::sdk_config(&emu.endpoint_url()).await)
}

async fn data_client(endpoint: &str) -> aws_sdk_mediastoredata::Client {
    aws_sdk_mediastoredata::Client::new(&crate::common::sdk_config(endpoint).await)
}

/// Creates a container and waits until it is ACTIVE; returns its endpoint.
pub(crate) async fn active_container(ms: &aws_sdk_mediastore::Client, name: &str) -> String {
    let created = ms
        .create_container()
        .container_name(name)
        .send()
        .await
        .unwrap();
    let c = created.container().unwrap();
    assert_eq!(c.status(), Some(&ContainerStatus::Creating));
    assert!(
        c.endpoint().is_none(),
        "CreateContainer does not return the endpoint"
    );
    for _ in 0..50 {
        let d = ms
            .describe_container()
            .container_name(name)
            .send()
            .await
            .unwrap();
        let c = d.container().unwrap();
        if c.status() == Some(&ContainerStatus::Active) {
            return c.endpoint().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("container {name} never became ACTIVE");
}

#[tokio::test]
async fn container_lifecycle_and_errors() {
    let emu = crate::common::start().await;
    let ms = control(&emu).await;
    let endpoint = active_container(&ms, "live_1").await;
    // The path-style endpoint on 127.0.0.1, which every client reaches without DNS setup.
    let prefix = format!("http://127.0.0.1:{}/_mediastore/", emu.port());
    let host = endpoint
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{endpoint}"));
    assert!(
        host.ends_with(".data.mediastore.us-east-1.localhost") && !host.contains('/'),
        "{endpoint}"
    );

    let d = ms
        .describe_container()
        .container_name("live_1")
        .send()
        .await
        .unwrap();
    let c = d.container().unwrap();
    assert_eq!(
        c.arn(),
        Some("arn:aws:mediastore:us-east-1:123456789012:container/live_1")
    );
    assert!(c.creation_time().unwrap().secs() > 1_600_000_000);
    assert_eq!(c.access_logging_enabled(), Some(false));

    let dup = ms
        .create_container()
        .container_name("live_1")
        .send()
        .await
        .unwrap_err();
    assert!(dup.into_service_error().is_container_in_use_exception());
    let bad = ms
        .create_container()
        .container_name("bad-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.raw_response().unwrap().status().as_u16(), 400);

    let missing = ms
        .describe_container()
        .container_name("nope")
        .send()
        .await
        .unwrap_err();
    assert!(
        missing
            .into_service_error()
            .is_container_not_found_exception()
    );

    // ListContainers with pagination.
    active_container(&ms, "live_2").await;
    let page1 = ms.list_containers().max_results(1).send().await.unwrap();
    assert_eq!(page1.containers().len(), 1);
    let token = page1.next_token().unwrap().to_string();
    let page2 = ms
        .list_containers()
        .max_results(1)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(page2.containers().len(), 1);
    assert!(page2.next_token().is_none());
    let all = ms.list_containers().send().await.unwrap();
    let names: Vec<_> = all.containers().iter().filter_map(|c| c.name()).collect();
    assert_eq!(names, vec!["live_1", "live_2"]);
    assert!(all.containers().iter().all(|c| c.endpoint().is_some()));

    // Access logging.
    ms.start_access_logging()
        .container_name("live_2")
        .send()
        .await
        .unwrap();
    let d = ms
        .describe_container()
        .container_name("live_2")
        .send()
        .await
        .unwrap();
    assert_eq!(d.container().unwrap().access_logging_enabled(), Some(true));
    ms.stop_access_logging()
        .container_name("live_2")
        .send()
        .await
        .unwrap();

    // DeleteContainer refuses while objects exist.
    let data = data_client(&endpoint).await;
    data.put_object()
        .path("a/b.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let in_use = ms
        .delete_container()
        .container_name("live_1")
        .send()
        .await
        .unwrap_err();
    assert!(in_use.into_service_error().is_container_in_use_exception());
    data.delete_object().path("a/b.txt").send().await.unwrap();
    ms.delete_container()
        .container_name("live_1")
        .send()
        .await
        .unwrap();
    let gone = ms
        .delete_container()
        .container_name("live_1")
        .send()
        .await
        .unwrap_err();
    assert!(gone.into_service_error().is_container_not_found_exception());
}

#[tokio::test]
async fn policies_and_tags() {
    let emu = crate::common::start().await;
    let ms = control(&emu).await;
    active_container(&ms, "vod").await;

    let e = ms
        .get_container_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_policy_not_found_exception());
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["mediastore:GetObject","mediastore:DescribeObject"],"Resource":"arn:aws:mediastore:us-east-1:123456789012:container/vod/*"}]}"#;
    ms.put_container_policy()
        .container_name("vod")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let got = ms
        .get_container_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), policy);
    ms.delete_container_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap();
    let e = ms
        .delete_container_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_policy_not_found_exception());

    let e = ms
        .get_cors_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_cors_policy_not_found_exception());
    let rule = CorsRule::builder()
        .allowed_origins("*")
        .allowed_methods(MethodName::Get)
        .allowed_methods(MethodName::Head)
        .allowed_headers("*")
        .max_age_seconds(3000)
        .build()
        .unwrap();
    ms.put_cors_policy()
        .container_name("vod")
        .cors_policy(rule)
        .send()
        .await
        .unwrap();
    let cors = ms
        .get_cors_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap();
    assert_eq!(cors.cors_policy().len(), 1);
    assert_eq!(cors.cors_policy()[0].max_age_seconds(), 3000);
    assert_eq!(
        cors.cors_policy()[0].allowed_methods(),
        &[MethodName::Get, MethodName::Head]
    );
    ms.delete_cors_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap();
    let e = ms
        .delete_cors_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_cors_policy_not_found_exception());

    let e = ms
        .get_lifecycle_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_policy_not_found_exception());
    let lc = r#"{"rules":[{"definition":{"path":[{"prefix":"live/"}],"days_since_create":[{"numeric":[">",1]}]},"action":"EXPIRE"}]}"#;
    ms.put_lifecycle_policy()
        .container_name("vod")
        .lifecycle_policy(lc)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ms.get_lifecycle_policy()
            .container_name("vod")
            .send()
            .await
            .unwrap()
            .lifecycle_policy(),
        lc
    );
    ms.delete_lifecycle_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap();
    let e = ms
        .delete_lifecycle_policy()
        .container_name("vod")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_policy_not_found_exception());

    // Policies on a missing container.
    let e = ms
        .put_container_policy()
        .container_name("nope")
        .policy(policy)
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_container_not_found_exception());
    let e = ms
        .get_cors_policy()
        .container_name("nope")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_container_not_found_exception());

    // Tags.
    let arn = "arn:aws:mediastore:us-east-1:123456789012:container/vod";
    ms.tag_resource()
        .resource(arn)
        .tags(Tag::builder().key("env").value("test").build().unwrap())
        .tags(Tag::builder().key("team").value("video").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = ms
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 2);
    ms.untag_resource()
        .resource(arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = ms
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().iter().map(|t| t.key()).collect::<Vec<_>>(),
        vec!["team"]
    );
    let e = ms
        .list_tags_for_resource()
        .resource("arn:aws:mediastore:us-east-1:123456789012:container/nope")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_container_not_found_exception());
}

#[tokio::test]
async fn data_plane_objects() {
    let emu = crate::common::start().await;
    let ms = control(&emu).await;
    let endpoint = active_container(&ms, "media").await;
    let data = data_client(&endpoint).await;

    let put = data
        .put_object()
        .path("vod/show/index.m3u8")
        .content_type("application/vnd.apple.mpegurl")
        .cache_control("max-age=2")
        .body(ByteStream::from_static(b"#EXTM3U\n#EXT-X-VERSION:3\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.content_sha256().map(str::len), Some(64));
    assert!(put.e_tag().is_some());
    data.put_object()
        .path("vod/show/seg0.ts")
        .body(ByteStream::from(vec![1u8; 1000]))
        .send()
        .await
        .unwrap();
    data.put_object()
        .path("vod/other.txt")
        .body(ByteStream::from_static(b"o"))
        .send()
        .await
        .unwrap();

    let got = data
        .get_object()
        .path("vod/show/index.m3u8")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/vnd.apple.mpegurl"));
    assert_eq!(got.cache_control(), Some("max-age=2"));
    assert_eq!(got.status_code(), 200);
    assert_eq!(got.e_tag(), put.e_tag());
    assert!(got.last_modified().is_some());
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"#EXTM3U\n#EXT-X-VERSION:3\n");

    let ranged = data
        .get_object()
        .path("vod/show/index.m3u8")
        .range("bytes=0-6")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status_code(), 206);
    assert_eq!(ranged.content_range(), Some("bytes 0-6/25"));
    assert_eq!(
        &ranged.body.collect().await.unwrap().into_bytes()[..],
        b"#EXTM3U"
    );
    let e = data
        .get_object()
        .path("vod/show/index.m3u8")
        .range("bytes=100-")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.into_service_error()
            .is_requested_range_not_satisfiable_exception()
    );

    let desc = data
        .describe_object()
        .path("vod/show/seg0.ts")
        .send()
        .await
        .unwrap();
    assert_eq!(desc.content_length(), Some(1000));

    let root = data.list_items().send().await.unwrap();
    let items: Vec<_> = root
        .items()
        .iter()
        .map(|i| (i.name().unwrap(), i.r#type().unwrap().clone()))
        .collect();
    assert_eq!(items, vec![("vod", ItemType::Folder)]);
    let vod = data.list_items().path("vod").send().await.unwrap();
    let items: Vec<_> = vod
        .items()
        .iter()
        .map(|i| (i.name().unwrap(), i.r#type().unwrap().clone()))
        .collect();
    assert_eq!(
        items,
        vec![("other.txt", ItemType::Object), ("show", ItemType::Folder)]
    );
    let obj = vod
        .items()
        .iter()
        .find(|i| i.name() == Some("other.txt"))
        .unwrap();
    assert_eq!(obj.content_length(), Some(1));
    assert!(obj.last_modified().is_some());
    let page = data
        .list_items()
        .path("vod/show/")
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.items().len(), 1);
    let next = data
        .list_items()
        .path("vod/show/")
        .max_results(1)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.items().len(), 1);
    assert!(next.next_token().is_none());
    assert_ne!(page.items()[0].name(), next.items()[0].name());

    // AWS rules: content type pattern, path pattern, 25 MB object limit.
    let e = data
        .put_object()
        .path("x.txt")
        .content_type("text/plain; charset=utf-8")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_mediastoredata::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("ValidationException")
    );
    let e = data
        .put_object()
        .path("bad path/x.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    let e = data
        .put_object()
        .path("huge.bin")
        .body(ByteStream::from(vec![0u8; 25 * 1024 * 1024 + 1]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(413));

    let e = data
        .get_object()
        .path("vod/missing.ts")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_object_not_found_exception());
    let e = data
        .delete_object()
        .path("vod/missing.ts")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_object_not_found_exception());
    let e = data
        .describe_object()
        .path("vod/missing.ts")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_object_not_found_exception());

    // The in-process API the edge uses: the container by endpoint host or path-style origin, then its object.
    let host = endpoint.rsplit('/').next().unwrap();
    let c = emu.shared().mediastore.container_by_host(host).unwrap();
    assert_eq!(
        (c.name.as_str(), c.account.as_str()),
        ("media", "123456789012")
    );
    let o = emu
        .shared()
        .mediastore
        .get_object(&c, "vod/show/index.m3u8")
        .unwrap();
    assert_eq!(o.cache_control.as_deref(), Some("max-age=2"));
    let (by_path, key) = emu
        .shared()
        .mediastore
        .container_for_origin(
            "127.0.0.1",
            &format!("/_mediastore/{host}/vod/show/index.m3u8"),
        )
        .unwrap();
    assert_eq!(
        (by_path.arn, key.as_str()),
        (c.arn.clone(), "vod/show/index.m3u8")
    );
    assert!(
        emu.shared()
            .mediastore
            .container_for_origin("example.com", &format!("/_mediastore/{host}/x"))
            .is_none()
    );

    // Objects persist under the data dir.
    assert!(
        emu.data_dir()
            .join("mediastore/123456789012/us-east-1/media/vod/show/seg0.ts")
            .is_file()
    );

    data.delete_object()
        .path("vod/show/seg0.ts")
        .send()
        .await
        .unwrap();
    data.delete_object()
        .path("vod/show/index.m3u8")
        .send()
        .await
        .unwrap();
    let vod = data.list_items().path("vod").send().await.unwrap();
    assert_eq!(vod.items().len(), 1, "empty folders disappear");
}

#[tokio::test]
async fn data_plane_path_prefix_and_anonymous_reads() {
    let emu = crate::common::start().await;
    let ms = control(&emu).await;
    active_container(&ms, "pub").await;
    // The documented fallback for clients that cannot resolve *.localhost.
    let data = data_client(&format!("{}/_mediastore/pub", emu.endpoint_url())).await;
    data.put_object()
        .path("a.txt")
        .content_type("text/plain")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let got = data.get_object().path("a.txt").send().await.unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"hello"
    );
    assert_eq!(data.list_items().send().await.unwrap().items().len(), 1);

    // Anonymous GET: refused without a public-read policy, served with one.
    let (status, _, _) =
        crate::common::raw_request(emu.port(), "GET", "/_mediastore/pub/a.txt", &[], b"")
            .await
            .unwrap();
    assert_eq!(status, 403);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["mediastore:GetObject","mediastore:DescribeObject"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    ms.put_container_policy()
        .container_name("pub")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let (status, headers, body) = crate::common::raw_request(
        emu.port(),
        "GET",
        "/_mediastore/pub/a.txt",
        &[("origin", "http://player.localhost")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, b"hello");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/plain")
    );
    let (status, _, _) =
        crate::common::raw_request(emu.port(), "PUT", "/_mediastore/pub/b.txt", &[], b"x")
            .await
            .unwrap();
    assert_eq!(status, 403, "anonymous writes stay refused");
    assert!(
        !headers
            .iter()
            .any(|(k, _)| k == "access-control-allow-origin"),
        "no CORS policy yet"
    );

    // CORS policy applied to data-plane responses and preflights.
    let rule = CorsRule::builder()
        .allowed_origins("http://player.localhost")
        .allowed_methods(MethodName::Get)
        .allowed_headers("*")
        .max_age_seconds(600)
        .build()
        .unwrap();
    ms.put_cors_policy()
        .container_name("pub")
        .cors_policy(rule)
        .send()
        .await
        .unwrap();
    let (status, headers, _) = crate::common::raw_request(
        emu.port(),
        "GET",
        "/_mediastore/pub/a.txt",
        &[("origin", "http://player.localhost")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "access-control-allow-origin" && v == "http://player.localhost"),
        "{headers:?}"
    );
    let (status, headers, _) = crate::common::raw_request(
        emu.port(),
        "GET",
        "/_mediastore/pub/a.txt",
        &[("origin", "http://evil.example")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        !headers
            .iter()
            .any(|(k, _)| k == "access-control-allow-origin")
    );
    let (status, headers, _) = crate::common::raw_request(
        emu.port(),
        "OPTIONS",
        "/_mediastore/pub/a.txt",
        &[
            ("origin", "http://player.localhost"),
            ("access-control-request-method", "GET"),
        ],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "access-control-max-age" && v == "600"),
        "{headers:?}"
    );
}

#[tokio::test]
async fn containers_and_objects_survive_a_restart_with_the_same_data_dir() {
    let dir = std::env::temp_dir().join(format!("vod-emulator-ms-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first_host;
    {
        let emu = vod_emulator::Emulator::builder()
            .data_dir(&dir)
            .start()
            .await
            .unwrap();
        let ms = control(&emu).await;
        let endpoint = active_container(&ms, "keep").await;
        first_host = endpoint.rsplit('/').next().unwrap().to_string();
        ms.put_cors_policy()
            .container_name("keep")
            .cors_policy(
                CorsRule::builder()
                    .allowed_origins("*")
                    .allowed_headers("*")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let data = data_client(&endpoint).await;
        data.put_object()
            .path("a/b.m3u8")
            .content_type("application/vnd.apple.mpegurl")
            .cache_control("max-age=1")
            .body(ByteStream::from_static(b"#EXTM3U\n"))
            .send()
            .await
            .unwrap();
        data.put_object()
            .path("gone.txt")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
        data.delete_object().path("gone.txt").send().await.unwrap();
        emu.shutdown().await;
    }
    let emu = vod_emulator::Emulator::builder()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    let ms = control(&emu).await;
    let d = ms
        .describe_container()
        .container_name("keep")
        .send()
        .await
        .unwrap();
    let c = d.container().unwrap();
    assert_eq!(c.status(), Some(&ContainerStatus::Active));
    let endpoint = c.endpoint().unwrap().to_string();
    assert_eq!(
        endpoint,
        format!("http://127.0.0.1:{}/_mediastore/{first_host}", emu.port()),
        "the same endpoint host, on the current port"
    );
    assert_eq!(
        ms.get_cors_policy()
            .container_name("keep")
            .send()
            .await
            .unwrap()
            .cors_policy()
            .len(),
        1
    );
    let data = data_client(&endpoint).await;
    let got = data.get_object().path("a/b.m3u8").send().await.unwrap();
    assert_eq!(got.cache_control(), Some("max-age=1"));
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"#EXTM3U\n"
    );
    let root = data.list_items().send().await.unwrap();
    assert_eq!(
        root.items()
            .iter()
            .map(|i| i.name().unwrap())
            .collect::<Vec<_>>(),
        vec!["a"]
    );
    // Deleting everything, then the container, leaves no state behind.
    data.delete_object().path("a/b.m3u8").send().await.unwrap();
    ms.delete_container()
        .container_name("keep")
        .send()
        .await
        .unwrap();
    drop(emu);
    let emu = vod_emulator::Emulator::builder()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    let ms = control(&emu).await;
    assert!(
        ms.list_containers()
            .send()
            .await
            .unwrap()
            .containers()
            .is_empty()
    );
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A container policy decides signed data-plane requests too: without one the owner account has
/// full access (MediaStore's default policy); a policy with only a CloudFront statement locks the
/// account out (AccessDeniedException), and one that keeps MediaStore's default statement does not.
/// Another account gets in only if the policy names it.
#[tokio::test]
async fn the_container_policy_decides_signed_requests() {
    let emu = crate::common::start().await;
    let ms = control(&emu).await;
    ms.create_container()
        .container_name("guarded")
        .send()
        .await
        .unwrap();
    let described = loop {
        let d = ms
            .describe_container()
            .container_name("guarded")
            .send()
            .await
            .unwrap();
        let c = d.container().unwrap().clone();
        if c.status().map(|s| s.as_str()) == Some("ACTIVE") {
            break c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let arn = described.arn().unwrap().to_string();
    let endpoint = described.endpoint().unwrap().to_string();
    let data_as = |key: &'static str| {
        let endpoint = endpoint.clone();
        async move {
            let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .credentials_provider(aws_sdk_s3::config::Credentials::new(
                    key, "test", None, None, "test",
                ))
                .region(aws_config::Region::new("us-east-1"))
                .endpoint_url(&endpoint)
                .http_client(crate::common::localhost_http_client())
                .load()
                .await;
            aws_sdk_mediastoredata::Client::new(&conf)
        }
    };
    let owner = data_as("test").await;
    let stranger = data_as("210987654321").await;
    let put = |c: &aws_sdk_mediastoredata::Client, path: &str| {
        c.put_object()
            .path(path)
            .content_type("text/plain")
            .body(aws_sdk_mediastoredata::primitives::ByteStream::from_static(
                b"x",
            ))
            .send()
    };
    let code = |e: &aws_sdk_mediastoredata::error::SdkError<
        aws_sdk_mediastoredata::operation::put_object::PutObjectError,
    >| { e.raw_response().map(|r| r.status().as_u16()) };
    put(&owner, "a/one.txt")
        .await
        .expect("no policy: the owner has full access");
    let e = put(&stranger, "a/two.txt").await.unwrap_err();
    assert_eq!(code(&e), Some(403), "{e:?}");

    let cloudfront_only = serde_json::json!({"Version":"2012-10-17","Statement":[{
        "Sid":"AllowCloudFrontServicePrincipalReadOnly","Effect":"Allow",
        "Principal":{"Service":"cloudfront.amazonaws.com"},
        "Action":["mediastore:GetObject","mediastore:DescribeObject"],"Resource":format!("{arn}/*")}]});
    ms.put_container_policy()
        .container_name("guarded")
        .policy(cloudfront_only.to_string())
        .send()
        .await
        .unwrap();
    let e = put(&owner, "a/three.txt").await.unwrap_err();
    assert_eq!(code(&e), Some(403), "locked out: {e:?}");

    let mut with_default = cloudfront_only.clone();
    with_default["Statement"].as_array_mut().unwrap().push(
        serde_json::json!({"Sid":"MediaStoreFullAccess","Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"mediastore:*",
            "Resource":format!("{arn}/*"),"Condition":{"Bool":{"aws:SecureTransport":"true"}}}),
    );
    ms.put_container_policy()
        .container_name("guarded")
        .policy(with_default.to_string())
        .send()
        .await
        .unwrap();
    put(&owner, "a/three.txt")
        .await
        .expect("the default statement keeps the account's access");
    let e = put(&stranger, "a/four.txt").await.unwrap_err();
    assert_eq!(code(&e), Some(403), "{e:?}");
}

/// An SDK config for `account` (the access key id is the account id), against `endpoint`.
async fn config_as(endpoint: &str, account: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            account.to_string(),
            "test",
            None,
            None,
            "test",
        ))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// Containers are kept apart per account, as AWS does: two accounts create a container of the same name in the
/// same Region, each lists and describes only its own, reads and writes its own objects through the endpoint
/// `DescribeContainer` gives (path-style on 127.0.0.1: a plain HTTP client, no `*.localhost` resolver), cannot
/// tag the other's, and their objects are stored in separate folders.
#[tokio::test]
async fn containers_are_kept_apart_per_account() {
    let emu = crate::common::start().await;
    let mut endpoints = Vec::new();
    for (account, body) in [("111111111111", "one"), ("222222222222", "two")] {
        let conf = config_as(&emu.endpoint_url(), account).await;
        let ms = aws_sdk_mediastore::Client::new(&conf);
        let endpoint = active_container(&ms, "same_name").await;
        assert!(
            endpoint.starts_with(&format!("http://127.0.0.1:{}/_mediastore/", emu.port())),
            "{endpoint}"
        );
        let listed = ms.list_containers().send().await.unwrap();
        assert_eq!(listed.containers().len(), 1, "{listed:?}");
        assert!(
            listed.containers()[0]
                .arn()
                .unwrap()
                .contains(&format!(":{account}:container/same_name"))
        );
        let data = aws_sdk_mediastoredata::Client::new(&config_as(&endpoint, account).await);
        data.put_object()
            .path("vod/x.txt")
            .content_type("text/plain")
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .unwrap();
        endpoints.push((
            account,
            endpoint,
            listed.containers()[0].arn().unwrap().to_string(),
        ));
    }
    assert_ne!(endpoints[0].1, endpoints[1].1);
    for ((account, endpoint, _), body) in endpoints.iter().zip(["one", "two"]) {
        let data = aws_sdk_mediastoredata::Client::new(&config_as(endpoint, account).await);
        let got = data.get_object().path("vod/x.txt").send().await.unwrap();
        let bytes = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(&bytes[..], body.as_bytes(), "{account}");
        let file = emu.data_dir().join(format!(
            "mediastore/{account}/us-east-1/same_name/vod/x.txt"
        ));
        assert_eq!(
            std::fs::read(&file).unwrap(),
            body.as_bytes(),
            "{}",
            file.display()
        );
    }
    // The older path prefix by name finds the caller's own container.
    let by_name = aws_sdk_mediastoredata::Client::new(
        &config_as(
            &format!("http://127.0.0.1:{}/_mediastore/same_name", emu.port()),
            "222222222222",
        )
        .await,
    );
    let got = by_name.get_object().path("vod/x.txt").send().await.unwrap();
    assert_eq!(&got.body.collect().await.unwrap().into_bytes()[..], b"two");
    // One account cannot tag the other's container, even by its ARN.
    let other =
        aws_sdk_mediastore::Client::new(&config_as(&emu.endpoint_url(), "222222222222").await);
    let e = other
        .tag_resource()
        .resource(&endpoints[0].2)
        .tags(Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_container_not_found_exception());
    // Deleting one leaves the other.
    let first =
        aws_sdk_mediastore::Client::new(&config_as(&emu.endpoint_url(), "111111111111").await);
    let data =
        aws_sdk_mediastoredata::Client::new(&config_as(&endpoints[0].1, "111111111111").await);
    data.delete_object().path("vod/x.txt").send().await.unwrap();
    first
        .delete_container()
        .container_name("same_name")
        .send()
        .await
        .unwrap();
    let still = other
        .describe_container()
        .container_name("same_name")
        .send()
        .await
        .unwrap();
    assert!(
        still
            .container()
            .unwrap()
            .arn()
            .unwrap()
            .contains(":222222222222:")
    );
}

/// State written before containers were kept per account (`<region>/<name>` folders) is moved to
/// `<account>/<region>/<name>` on start, and its objects stay readable.
#[tokio::test]
async fn folders_from_before_accounts_are_moved_on_start() {
    let dir = std::env::temp_dir().join(format!("vod-emulator-ms-legacy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let emu = vod_emulator::Emulator::builder()
            .data_dir(&dir)
            .start()
            .await
            .unwrap();
        let ms = control(&emu).await;
        let endpoint = active_container(&ms, "old").await;
        data_client(&endpoint)
            .await
            .put_object()
            .path("a/b.txt")
            .body(ByteStream::from_static(b"kept"))
            .send()
            .await
            .unwrap();
        emu.shutdown().await;
    }
    // The layout of earlier versions.
    let ms_dir = dir.join("mediastore");
    for base in ["", ".meta/"] {
        std::fs::create_dir_all(ms_dir.join(format!("{base}us-east-1"))).unwrap();
        std::fs::rename(
            ms_dir.join(format!("{base}123456789012/us-east-1/old")),
            ms_dir.join(format!("{base}us-east-1/old")),
        )
        .unwrap_or_else(|e| panic!("{base}: {e}"));
    }
    let emu = vod_emulator::Emulator::builder()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    let ms = control(&emu).await;
    let d = ms
        .describe_container()
        .container_name("old")
        .send()
        .await
        .unwrap();
    let endpoint = d.container().unwrap().endpoint().unwrap().to_string();
    let got = data_client(&endpoint)
        .await
        .get_object()
        .path("a/b.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(&got.body.collect().await.unwrap().into_bytes()[..], b"kept");
    assert!(ms_dir.join("123456789012/us-east-1/old/a/b.txt").is_file());
    assert!(!ms_dir.join("us-east-1/old").exists());
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
