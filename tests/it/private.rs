//! Private content against the in-process emulator: a spec with `[cloudfront.private_content]`
//! deploys public keys, a key group and trusted cache behaviors; the edge then serves only requests
//! signed with `vod_pipeline::sign::Signer` (signed URLs and signed cookies), and refuses unsigned,
//! expired, tampered, out-of-range and unknown-key requests with 403.

use std::time::{Duration, SystemTime};

use crate::common::*;
use vod_emulator::EmulatorHandle;
use vod_pipeline::sign::{Policy, Signer};
use vod_pipeline::{Change, OrphanKind, VodPipeline};

fn key_file(name: &str) -> String {
    format!("{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `s3-origin.toml` without files, with private content.
fn private_spec(protect: &str, keys: &[&str]) -> VodPipeline {
    let keys: Vec<String> = keys.iter().map(|k| format!("{:?}", key_file(k))).collect();
    let text = format!(
        "{}\n[cloudfront.private_content]\npublic_keys = [{}]\nprotect = \"{protect}\"\n",
        spec_without_files("s3-origin.toml"),
        keys.join(", ")
    );
    let dir = shared_spec("s3-origin.toml").parent().unwrap().to_owned();
    VodPipeline::from_toml_str(&text, &dir).expect("a valid private spec")
}

struct Private {
    emu: EmulatorHandle,
    config: aws_config::SdkConfig,
    base: String,
}

impl Private {
    async fn deploy(pipeline: &VodPipeline) -> Private {
        let emu = emulator().await;
        let config = sdk_config(&emu).await;
        let d = pipeline
            .plan()
            .apply(&config)
            .options(options())
            .start()
            .join()
            .await
            .expect("the private infrastructure applies");
        let domain = d.distribution.expect("a distribution").domain_name;
        let p = Private {
            emu,
            config,
            base: format!("http://{domain}"),
        };
        for key in [
            "movie/index.m3u8",
            "movie/seg-1.ts",
            "movie/poster.jpg",
            "other/index.m3u8",
        ] {
            p.put(key).await;
        }
        p
    }

    async fn put(&self, key: &str) {
        crate::publish::s3_client(&self.config)
            .put_object()
            .bucket("s3-vod-origin")
            .key(format!("assets/{key}"))
            .body(format!("body of {key}").into_bytes().into())
            .send()
            .await
            .expect("the origin object is written");
    }

    fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("{}{path}", self.base)).unwrap()
    }

    /// CloudFront's id of the public key read from `file`.
    async fn key_id(&self, pipeline: &VodPipeline, file: &str) -> String {
        let pc = pipeline.cloudfront().private_content.as_ref().unwrap();
        let name = &pc
            .public_keys
            .iter()
            .find(|k| k.path.ends_with(file))
            .expect("the key is in the spec")
            .name;
        let cf = aws_sdk_cloudfront::Client::new(&self.config);
        let list = cf.list_public_keys().send().await.unwrap();
        list.public_key_list
            .unwrap()
            .items()
            .iter()
            .find(|k| &k.name == name)
            .map(|k| k.id.clone())
            .expect("the public key was created")
    }
}

fn in_an_hour() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3600)
}

async fn status(url: &url::Url, cookie: Option<&str>) -> (u16, String) {
    let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
    let r = get(url.as_str(), &headers).await;
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_urls_and_cookies_on_a_private_distribution() {
    let pipeline = private_spec("all", &["rsa2048.pub.pem", "ec256.pub.pem"]);
    let plan = pipeline.plan();
    assert!(plan.step("cloudfront.key_group").is_some());
    assert_eq!(
        plan.steps
            .iter()
            .filter(|s| s.operation == "CreatePublicKey")
            .count(),
        2
    );
    let p = Private::deploy(&pipeline).await;
    let rsa = Signer::from_pem_file(
        p.key_id(&pipeline, "rsa2048.pub.pem").await,
        key_file("rsa2048.pem"),
    )
    .unwrap();
    let ec = Signer::from_pem_file(
        p.key_id(&pipeline, "ec256.pub.pem").await,
        key_file("ec256.pem"),
    )
    .unwrap();
    let manifest = p.url("/movie/index.m3u8");

    // Unsigned: refused, with CloudFront's error body.
    let (code, body) = status(&manifest, None).await;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("<Code>MissingKey</Code>"), "{body}");

    // Canned policies, RSA and ECDSA: served.
    for signer in [&rsa, &ec] {
        let signed = signer.sign_url(&manifest, in_an_hour()).unwrap();
        let (code, body) = status(&signed, None).await;
        assert_eq!(
            (code, body.as_str()),
            (200, "body of movie/index.m3u8"),
            "{signed}"
        );
    }

    // Expired: refused.
    let expired = rsa
        .sign_url(&manifest, SystemTime::now() - Duration::from_secs(10))
        .unwrap();
    let (code, body) = status(&expired, None).await;
    assert_eq!(code, 403);
    assert!(body.contains("AccessDenied"), "{body}");

    // A custom policy for the asset's folder, then tampered with: its policy widened to every path
    // with the same signature.
    let folder = Policy::builder()
        .resource(format!("{}/movie/*", p.base))
        .expires(in_an_hour())
        .build()
        .unwrap();
    let signed = rsa
        .sign_url_with_policy(&p.url("/other/index.m3u8"), &folder)
        .unwrap();
    assert_eq!(
        status(&signed, None).await.0,
        403,
        "the policy covers /movie/* only"
    );
    let signed = rsa.sign_url_with_policy(&manifest, &folder).unwrap();
    assert_eq!(status(&signed, None).await.0, 200);
    let wide = Policy::builder()
        .resource(format!("{}/*", p.base))
        .expires(in_an_hour())
        .build()
        .unwrap();
    let tampered = signed.as_str().replace(
        &vod_pipeline::sign::cloudfront_base64(folder.to_json().as_bytes()),
        &vod_pipeline::sign::cloudfront_base64(wide.to_json().as_bytes()),
    );
    assert_ne!(tampered, signed.as_str());
    let tampered = url::Url::parse(&tampered.replace("/movie/", "/other/")).unwrap();
    assert_eq!(status(&tampered, None).await.0, 403, "{tampered}");

    // The viewer's address must be inside the policy's range (the tests connect from 127.0.0.1).
    for (range, want) in [("192.0.2.0/24", 403), ("127.0.0.0/8", 200)] {
        let policy = Policy::builder()
            .resource(manifest.as_str())
            .expires(in_an_hour())
            .source_ip(range)
            .build()
            .unwrap();
        let signed = ec.sign_url_with_policy(&manifest, &policy).unwrap();
        assert_eq!(status(&signed, None).await.0, want, "{range}");
    }

    // A key that is not in the group: refused as unknown.
    let stranger = Signer::from_pem_file("K00NOTINGROUP", key_file("rsa2048.pem")).unwrap();
    let (code, body) = status(&stranger.sign_url(&manifest, in_an_hour()).unwrap(), None).await;
    assert_eq!(code, 403);
    assert!(body.contains("InvalidKey"), "{body}");

    // Signed cookies for the asset's folder: the manifest and every segment are served, another
    // asset is not; the signature parameters stay out of the cache key (a second signed URL for
    // the same object is a cache hit).
    let cookies = ec.cookies(&folder).unwrap().cookie_header();
    for path in ["/movie/index.m3u8", "/movie/seg-1.ts", "/movie/poster.jpg"] {
        assert_eq!(status(&p.url(path), Some(&cookies)).await.0, 200, "{path}");
    }
    assert_eq!(
        status(&p.url("/other/index.m3u8"), Some(&cookies)).await.0,
        403
    );
    let again = rsa
        .sign_url(&p.url("/movie/seg-1.ts"), in_an_hour())
        .unwrap();
    let r = get(again.as_str(), &[]).await;
    assert_eq!(r.header("x-cache"), Some("Hit from cloudfront"), "{again}");

    // Re-applying changes nothing.
    p.emu.reset_requests();
    let refresh = pipeline.plan().refresh(&p.config).await.unwrap();
    assert!(
        refresh
            .steps
            .iter()
            .all(|s| matches!(s.change, Change::NoOp)),
        "{refresh}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_key_updates_the_group_in_place_and_destroy_removes_it() {
    let both = private_spec("all", &["rsa2048.pub.pem", "ec256.pub.pem"]);
    let p = Private::deploy(&both).await;
    let ec = Signer::from_pem_file(
        p.key_id(&both, "ec256.pub.pem").await,
        key_file("ec256.pem"),
    )
    .unwrap();
    let signed = ec
        .sign_url(&p.url("/movie/index.m3u8"), in_an_hour())
        .unwrap();
    assert_eq!(status(&signed, None).await.0, 200);

    let rsa_only = private_spec("all", &["rsa2048.pub.pem"]);
    p.emu.reset_requests();
    let d = rsa_only
        .plan()
        .apply(&p.config)
        .options(options())
        .start()
        .join()
        .await
        .unwrap();
    let changed: Vec<String> = d
        .steps
        .iter()
        .filter(|s| !matches!(s.change, Change::NoOp))
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(
        changed,
        ["cloudfront.key_group", "cloudfront.orphans"],
        "only the key group changes, then the key it no longer holds goes"
    );
    let gone: Vec<(OrphanKind, Change)> = d
        .orphans
        .iter()
        .map(|o| (o.kind, o.change.clone()))
        .collect();
    assert_eq!(
        gone,
        [(OrphanKind::PublicKey, Change::Delete)],
        "{:#?}",
        d.orphans
    );
    let left = aws_sdk_cloudfront::Client::new(&p.config)
        .list_public_keys()
        .send()
        .await
        .unwrap();
    assert_eq!(
        left.public_key_list().map(|l| l.items().len()),
        Some(1),
        "the removed key is deleted, the other stays"
    );
    let ops: Vec<String> = p
        .emu
        .requests()
        .iter()
        .map(|e| e.operation.clone())
        .collect();
    assert!(ops.iter().any(|o| o == "UpdateKeyGroup"), "{ops:?}");
    assert!(!ops.iter().any(|o| o == "UpdateDistribution"), "{ops:?}");
    let (code, body) = status(&signed, None).await;
    assert_eq!(code, 403, "a removed key no longer signs: {body}");

    // The key group cannot be deleted while the distribution trusts it (so destroy deletes the
    // distribution first).
    let cf = aws_sdk_cloudfront::Client::new(&p.config);
    let groups = cf.list_key_groups().send().await.unwrap();
    let kg_id = groups.key_group_list.unwrap().items()[0]
        .key_group
        .as_ref()
        .unwrap()
        .id
        .clone();
    let etag = cf
        .get_key_group()
        .id(&kg_id)
        .send()
        .await
        .unwrap()
        .e_tag
        .unwrap();
    let e = cf
        .delete_key_group()
        .id(&kg_id)
        .if_match(etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e),
        Some("ResourceInUse")
    );

    rsa_only
        .plan()
        .destroy(&p.config)
        .options(options())
        .start()
        .join()
        .await
        .expect("destroy removes the distribution, then the key group and its key");
    let cf = aws_sdk_cloudfront::Client::new(&p.config);
    let groups = cf.list_key_groups().send().await.unwrap();
    assert!(groups.key_group_list.unwrap().items().is_empty());
}

/// Private content leaves the spec: the distribution stops trusting the key group, then the key
/// group and its public keys are deleted; unsigned requests play again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_content_removed_from_the_spec_leaves_no_key_group() {
    let both = private_spec("all", &["rsa2048.pub.pem", "ec256.pub.pem"]);
    let p = Private::deploy(&both).await;
    let unsigned = p.url("/movie/index.m3u8");
    assert_eq!(status(&unsigned, None).await.0, 403);

    let public = VodPipeline::from_toml_str(
        &spec_without_files("s3-origin.toml"),
        shared_spec("s3-origin.toml").parent().unwrap(),
    )
    .unwrap();
    let refresh = public.plan().refresh(&p.config).await.unwrap();
    let mut kinds: Vec<OrphanKind> = refresh.orphans.iter().map(|o| o.kind).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            OrphanKind::KeyGroup,
            OrphanKind::PublicKey,
            OrphanKind::PublicKey
        ],
        "{refresh}"
    );
    let d = public
        .plan()
        .apply(&p.config)
        .options(options())
        .start()
        .join()
        .await
        .unwrap();
    assert!(
        d.orphans.iter().all(|o| o.change == Change::Delete),
        "{:#?}",
        d.orphans
    );
    assert_eq!(d.orphans.len(), 3);
    let cf = aws_sdk_cloudfront::Client::new(&p.config);
    let groups = cf.list_key_groups().send().await.unwrap();
    assert!(groups.key_group_list.unwrap().items().is_empty());
    let keys = cf.list_public_keys().send().await.unwrap();
    assert_eq!(
        keys.public_key_list().map(|l| l.items().len()).unwrap_or(0),
        0
    );
    assert_eq!(status(&unsigned, None).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protect_media_signs_manifests_and_segments_only() {
    let pipeline = private_spec("media", &["ec256.pub.pem"]);
    let p = Private::deploy(&pipeline).await;
    assert_eq!(status(&p.url("/movie/poster.jpg"), None).await.0, 200);
    for path in ["/movie/index.m3u8", "/movie/seg-1.ts"] {
        assert_eq!(status(&p.url(path), None).await.0, 403, "{path}");
    }
    let ec = Signer::from_pem_file(
        p.key_id(&pipeline, "ec256.pub.pem").await,
        key_file("ec256.pem"),
    )
    .unwrap();
    let signed = ec
        .sign_url(&p.url("/movie/seg-1.ts"), in_an_hour())
        .unwrap();
    assert_eq!(status(&signed, None).await.0, 200);
    // Switching to `all` moves the key group to the default behavior and removes the media ones.
    let all = private_spec("all", &["ec256.pub.pem"]);
    let refresh = all.plan().refresh(&p.config).await.unwrap();
    let text = refresh.to_string();
    assert!(
        text.contains("default_cache_behavior.trusted_key_groups"),
        "{text}"
    );
    assert!(text.contains("cache_behaviors[*.m3u8]: removed"), "{text}");
}

#[test]
fn private_content_errors_name_the_field() {
    let spec = |keys: &[&str], protect: &str| {
        let keys: Vec<String> = keys.iter().map(|k| format!("{:?}", key_file(k))).collect();
        format!(
            "{}\n[cloudfront.private_content]\npublic_keys = [{}]\nprotect = \"{protect}\"\n",
            spec_without_files("s3-origin.toml"),
            keys.join(", ")
        )
    };
    let dir = shared_spec("s3-origin.toml").parent().unwrap().to_owned();
    let check = |text: String, field: &str, words: &str| {
        let err = VodPipeline::from_toml_str(&text, &dir).unwrap_err();
        let v = err
            .violations()
            .iter()
            .find(|v| v.field == field)
            .unwrap_or_else(|| panic!("no problem for {field}: {err}"));
        assert!(v.rule.contains(words), "{field}: {}", v.rule);
        // The key's text never reaches an error.
        assert!(!err.to_string().contains("MII"), "{err}");
    };
    let f = "cloudfront.private_content.public_keys";
    check(
        spec(&["missing.pem"], "all"),
        &format!("{f}[0]"),
        "cannot read",
    );
    check(
        spec(&["rsa2048.pem"], "all"),
        &format!("{f}[0]"),
        "private key",
    );
    check(
        spec(&["rsa2048.pub.pem", "rsa1024.pub.pem"], "all"),
        &format!("{f}[1]"),
        "1024 bits",
    );
    check(spec(&["ec384.pub.pem"], "all"), &format!("{f}[0]"), "P-256");
    check(
        spec(&["rsa2048.pub.pem", "rsa2048.pub.pem"], "all"),
        &format!("{f}[1]"),
        "same key",
    );
    check(spec(&["ec256.pub.pem"; 6], "all"), f, "at most 5");
    check(spec(&[], "all"), f, "at least one");
    check(
        spec(&["ec256.pub.pem"], "some"),
        "cloudfront.private_content.protect",
        "all",
    );
}

/// `vod status` shows the key-pair ids; `vod sign` signs a URL (no AWS call) and makes cookies for
/// the folder; both work through the edge. A bad key exits 2 with the field named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vod_status_and_sign() {
    let pipeline = private_spec("all", &["ec256.pub.pem"]);
    let p = Private::deploy(&pipeline).await;
    let dir = std::env::temp_dir().join(format!("vod-private-cli-{}", p.emu.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("private.toml");
    let keys = format!("{:?}", key_file("ec256.pub.pem"));
    std::fs::write(
        &spec,
        format!(
            "{}\n[cloudfront.private_content]\npublic_keys = [{keys}]\n",
            spec_without_files("s3-origin.toml")
        ),
    )
    .unwrap();
    let vod = |args: &[&str]| {
        std::process::Command::new(vod_bin())
            .args(args)
            .env("AWS_ENDPOINT_URL", p.emu.endpoint_url())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env_remove("AWS_PROFILE")
            .output()
            .expect("vod runs")
    };
    let spec = spec.to_str().unwrap();
    let key_id = p.key_id(&pipeline, "ec256.pub.pem").await;

    let status = vod(&["status", spec]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(text.contains(&format!("key-pair id {key_id}")), "{text}");
    assert!(text.contains("ECDSA P-256"), "{text}");

    let manifest = p.url("/movie/index.m3u8");
    let private = key_file("ec256.pem");
    let signed = vod(&[
        "sign",
        spec,
        manifest.as_str(),
        "--key",
        &private,
        "--key-pair-id",
        &key_id,
        "--expires",
        "10m",
    ]);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let url = String::from_utf8_lossy(&signed.stdout).trim().to_owned();
    assert_eq!(status_of(&url).await, 200, "{url}");

    let cookies = vod(&[
        "sign",
        spec,
        manifest.as_str(),
        "--key",
        &private,
        "--key-pair-id",
        &key_id,
        "--cookies",
        "--json",
    ]);
    assert!(
        cookies.status.success(),
        "{}",
        String::from_utf8_lossy(&cookies.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&cookies.stdout).unwrap();
    assert_eq!(v["resource"], format!("{}/movie/*", p.base));
    let header: Vec<String> = v["cookies"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
        .collect();
    let header = header.join("; ");
    let r = get(p.url("/movie/seg-1.ts").as_str(), &[("cookie", &header)]).await;
    assert_eq!(r.status, 200);
    let r = get(p.url("/other/index.m3u8").as_str(), &[("cookie", &header)]).await;
    assert_eq!(r.status, 403);

    // The public key where the private one belongs: exit 2, the field named, the key not echoed.
    let public = key_file("ec256.pub.pem");
    let bad = vod(&[
        "sign",
        spec,
        manifest.as_str(),
        "--key",
        &public,
        "--key-pair-id",
        &key_id,
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("private_key") && err.contains("public key"),
        "{err}"
    );
    assert!(!err.contains("MFkw"), "{err}");
}

async fn status_of(url: &str) -> u16 {
    get(url, &[]).await.status
}

/// A private pipeline with a published asset verifies with a signer (every GET with signed
/// cookies, and an unsigned GET refused), and without one is an input error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_a_private_pipeline() {
    let text = format!(
        "{}\n[cloudfront.private_content]\npublic_keys = [{:?}]\nprotect = \"media\"\n",
        std::fs::read_to_string(shared_spec("s3-origin.toml")).unwrap(),
        key_file("rsa2048.pub.pem")
    );
    let dir = shared_spec("s3-origin.toml").parent().unwrap().to_owned();
    let pipeline = VodPipeline::from_toml_str(&text, &dir).unwrap();
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let d = pipeline
        .plan()
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("apply with the sample file");
    let unsigned = get(d.playback[0].url.as_str(), &[]).await;
    assert_eq!(unsigned.status, 403);

    let err = d.verify(&pipeline).run().await.unwrap_err();
    assert!(err.is_input_error(), "{err}");
    assert_eq!(err.violations()[0].field, "signer");

    let key_id = d.key_group.as_ref().unwrap().public_keys[0]
        .key_pair_id
        .clone();
    assert!(!key_id.is_empty());
    let signer = Signer::from_pem_file(key_id, key_file("rsa2048.pem")).unwrap();
    let report = d
        .verify(&pipeline)
        .signer(signer.clone())
        .request_timeout(Duration::from_secs(10))
        .run()
        .await
        .unwrap();
    assert!(report.passed(), "{report}");
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.kind == vod_pipeline::CheckKind::Private),
        "{report}"
    );

    // Signed cookies for the asset's folder serve the HLS playlists and every segment they list;
    // the same segments without cookies are refused.
    let hls = d
        .playback
        .iter()
        .find(|p| p.manifest == vod_pipeline::types::ManifestKind::M3u8)
        .expect("an HLS playback URL");
    let mut folder = hls.url.clone();
    folder.set_path(&format!("/{}/*", hls.asset));
    let policy = Policy::builder()
        .resource(folder.to_string())
        .expires(in_an_hour())
        .build()
        .unwrap();
    let cookies = signer.cookies(&policy).unwrap().cookie_header();
    let (code, master) = status(&hls.url, Some(&cookies)).await;
    assert_eq!(code, 200, "{master}");
    let mut segments = Vec::new();
    for media in playlist_uris(&master) {
        let media = hls.url.join(&media).unwrap();
        let (code, body) = status(&media, Some(&cookies)).await;
        assert_eq!(code, 200, "{media}: {body}");
        segments.extend(playlist_uris(&body).map(|s| media.join(&s).unwrap()));
    }
    assert!(segments.len() >= 4, "{segments:?}");
    for segment in &segments {
        assert_eq!(status(segment, Some(&cookies)).await.0, 200, "{segment}");
        assert_eq!(status(segment, None).await.0, 403, "{segment}");
    }
}

/// The URIs a playlist lists: its non-comment lines, and the `URI="..."` of its tags (such as
/// `EXT-X-MAP` and `EXT-X-MEDIA`).
fn playlist_uris(playlist: &str) -> impl Iterator<Item = String> + '_ {
    playlist.lines().filter_map(|line| {
        let line = line.trim();
        if line.is_empty() {
            None
        } else if let Some(tag) = line.strip_prefix('#') {
            let (_, rest) = tag.split_once("URI=\"")?;
            rest.split_once('"').map(|(uri, _)| uri.to_string())
        } else {
            Some(line.to_string())
        }
    })
}
