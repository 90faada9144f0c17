//! Keys are keys, not file paths: no S3 key, MediaStore path, output name or Region reaches outside its place.
//! The attacks are sent with raw HTTP (an SDK may normalise a path before it leaves the client).
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use std::path::{Path, PathBuf};
use std::time::Duration;
use vod_emulator::{Emulator, EmulatorHandle};

/// A folder of its own under the system's temporary folder, removed on drop.
struct Sandbox(PathBuf);

impl Sandbox {
    fn new(what: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!(
            "vod-emulator-{what}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Sandbox(dir.canonicalize().unwrap())
    }
}

impl Sandbox {
    /// The emulator's `--data-dir`, inside the sandbox.
    fn data_dir(&self) -> PathBuf {
        self.0.join("data")
    }

    /// Every file of the sandbox outside the data directory: none may exist once the emulator has stopped.
    fn strays(&self) -> Vec<String> {
        files_below(&self.0)
            .into_iter()
            .filter(|f| !f.starts_with("data/"))
            .collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file below `dir` (relative paths, sorted).
fn files_below(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

async fn start_in(data_dir: &Path) -> EmulatorHandle {
    Emulator::builder()
        .deploy_delay(Duration::from_millis(200))
        .data_dir(data_dir)
        .start()
        .await
        .expect("emulator starts")
}

/// Headers that make a raw request a SigV4-signed one for `service` in `region` (the emulator parses the scope and
/// never checks the signature).
fn signed(service: &str, region: &str) -> Vec<(String, String)> {
    vec![
        (
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20261202/{region}/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
            ),
        ),
        ("x-amz-date".into(), "20261202T000000Z".into()),
        ("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()),
    ]
}

async fn raw(
    emu: &EmulatorHandle,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let hs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    crate::common::raw_request(emu.port(), method, path, &hs, body)
        .await
        .unwrap()
}

async fn body_of(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {bucket}/{key}: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .to_vec()
}

async fn keys_of(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    s3.list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn s3_keys_with_dot_segments_stay_in_their_bucket_and_round_trip() {
    let sandbox = Sandbox::new("s3-keys");
    let emu = start_in(&sandbox.data_dir()).await;
    let s3 = crate::common::s3_client(&emu).await;
    for b in ["secb", "other"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.put_object()
        .bucket("other")
        .key("victim.m3u8")
        .body(ByteStream::from_static(b"original"))
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc64Nvme)
        .send()
        .await
        .unwrap();

    // The request of the finding, literally and percent-encoded.
    let s3h = signed("s3", "us-east-1");
    for (path, body) in [
        ("/secb/../other/victim.m3u8", &b"evil-literal"[..]),
        ("/secb/%2e%2e/other/victim.m3u8", &b"evil-encoded"[..]),
    ] {
        let (status, _, resp) = raw(&emu, "PUT", path, &s3h, body).await;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&resp));
    }
    // The other bucket's object is untouched, and its stored checksum still matches its body.
    assert_eq!(body_of(&s3, "other", "victim.m3u8").await, b"original");
    assert_eq!(keys_of(&s3, "other").await, ["victim.m3u8"]);
    // The key lives in secb, literally, and reads back.
    assert_eq!(keys_of(&s3, "secb").await, ["../other/victim.m3u8"]);
    let (status, _, got) = raw(&emu, "GET", "/secb/%2e%2e/other/victim.m3u8", &s3h, b"").await;
    assert_eq!((status, got.as_slice()), (200, &b"evil-encoded"[..]));

    // Keys that a file system would fold together stay apart, through the SDK too.
    // `a` and `a/b` (an object and a "folder" of the same name) live side by side, as in S3.
    let odd = [
        "a",
        "dir",
        "a//b",
        "a/b",
        "/lead",
        "dir/",
        ".",
        "..",
        "~x",
        "~",
        "a/./b",
        "../../../../../../../../tmp/vod-escape",
    ];
    for k in odd {
        s3.put_object()
            .bucket("secb")
            .key(k)
            .body(ByteStream::from(k.as_bytes().to_vec()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {k}: {e:?}"));
    }
    for k in odd {
        assert_eq!(body_of(&s3, "secb", k).await, k.as_bytes(), "{k}");
    }
    let mut expected: Vec<String> = odd.iter().map(|k| k.to_string()).collect();
    expected.push("../other/victim.m3u8".into());
    expected.sort();
    assert_eq!(keys_of(&s3, "secb").await, expected);
    // Delimiter listings roll up on the real keys.
    let l = s3
        .list_objects_v2()
        .bucket("secb")
        .prefix("a/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<_> = l
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    let keys: Vec<_> = l.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!((prefixes, keys), (vec!["a/./", "a//"], vec!["a/b"]));

    // Multipart upload, copy and batch delete with such keys stay in the bucket too.
    let mp = s3
        .create_multipart_upload()
        .bucket("secb")
        .key("../other/mp.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(mp.key(), Some("../other/mp.bin"));
    let id = mp.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("secb")
        .key("../other/mp.bin")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"multipart"))
        .send()
        .await
        .unwrap();
    let parts = s3
        .list_parts()
        .bucket("secb")
        .key("../other/mp.bin")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (parts.key(), parts.parts().len()),
        (Some("../other/mp.bin"), 1)
    );
    let done = s3
        .complete_multipart_upload()
        .bucket("secb")
        .key("../other/mp.bin")
        .upload_id(id)
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
    assert_eq!(done.key(), Some("../other/mp.bin"));
    assert_eq!(body_of(&s3, "secb", "../other/mp.bin").await, b"multipart");
    s3.copy_object()
        .bucket("secb")
        .key("./copy/..")
        .copy_source("secb/../other/victim.m3u8")
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(&s3, "secb", "./copy/..").await, b"evil-encoded");
    let del = s3
        .delete_objects()
        .bucket("secb")
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("../other/victim.m3u8")
                        .build()
                        .unwrap(),
                )
                .objects(ObjectIdentifier::builder().key("..").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mut deleted: Vec<_> = del.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort();
    assert_eq!(deleted, ["..", "../other/victim.m3u8"]);
    assert_eq!(keys_of(&s3, "other").await, ["victim.m3u8"]);
    assert_eq!(body_of(&s3, "other", "victim.m3u8").await, b"original");

    // The in-process API (MediaConvert's and the edge's) maps keys the same way.
    let store = &emu.shared().s3;
    assert_eq!(
        store
            .get_object("secb", "../other/mp.bin")
            .await
            .map(|o| o.body.to_vec()),
        Some(b"multipart".to_vec())
    );
    assert!(store.get_object("other", "mp.bin").await.is_none());

    // Nothing was written outside the data directory.
    drop(emu);
    assert_eq!(sandbox.strays(), Vec::<String>::new());
    assert!(!Path::new("/tmp/vod-escape").exists());
}

#[tokio::test]
async fn mediastore_paths_cannot_leave_their_container() {
    let sandbox = Sandbox::new("ms-paths");
    let outside = sandbox.0.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let emu = start_in(&sandbox.data_dir()).await;
    let conf = crate::common::sdk_config(&emu.endpoint_url()).await;
    let ms = crate::mediastore::control(&emu).await;
    let mut hosts = Vec::new();
    for name in ["conta", "contb"] {
        let endpoint = crate::mediastore::active_container(&ms, name).await;
        // The endpoint is path-style (`http://127.0.0.1:PORT/_mediastore/<host>`); the host also addresses it.
        let host = endpoint.rsplit('/').next().unwrap().to_string();
        hosts.push(format!("{host}:{}", emu.port()));
    }
    let data_b = aws_sdk_mediastoredata::Client::from_conf(
        aws_sdk_mediastoredata::config::Builder::from(&conf)
            .endpoint_url(format!("{}/_mediastore/contb", emu.endpoint_url()))
            .build(),
    );
    data_b
        .put_object()
        .path("vod/x.m3u8")
        .content_type("application/x-mpegURL")
        .body(aws_sdk_mediastoredata::primitives::ByteStream::from_static(
            b"original",
        ))
        .send()
        .await
        .unwrap();

    // Container A's endpoint host, with a path that climbs into container B (the finding), into the sandbox
    // beside the data directory, and (eight levels and more) to the file system's root and down again.
    let mut headers = signed("mediastore", "us-east-1");
    headers.push(("host".into(), hosts[0].clone()));
    headers.push(("content-type".into(), "application/x-mpegURL".into()));
    // The finding's own request: eight `%2e%2e/` climb from the container's folder to the root (the container
    // folder is six levels below it here), then the path down into the host's temporary folder.
    let outside_abs = outside.join("pwned.m3u8");
    let from_root = outside_abs.display().to_string();
    let from_root = from_root.trim_start_matches('/');
    let attacks = [
        format!("/{}{from_root}", "%2e%2e/".repeat(8)),
        format!("/{}{from_root}", "%2e%2e/".repeat(12)),
        "/%2e%2e/contb/vod/x.m3u8".to_string(),
        "/../contb/vod/x.m3u8".to_string(),
        "/vod/%2e%2e/%2e%2e/contb/vod/x.m3u8".to_string(),
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/outside/pwned.m3u8".to_string(),
        "/./vod/x.m3u8".to_string(),
        "/vod//x.m3u8".to_string(),
    ];
    for path in &attacks {
        let (status, hs, body) = raw(&emu, "PUT", path, &headers, b"evil").await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 400, "PUT {path}: {body}");
        assert!(
            hs.iter()
                .any(|(k, v)| k == "x-amzn-errortype" && v.starts_with("ValidationException"))
                || body.contains("ValidationException"),
            "PUT {path}: {hs:?} {body}"
        );
        for method in ["GET", "HEAD", "DELETE"] {
            let (status, _, _) = raw(&emu, method, path, &headers, b"").await;
            assert_eq!(status, 400, "{method} {path}");
        }
    }
    // The same through the path-style endpoint, by endpoint host (what DescribeContainer gives) and by name.
    let mut path_style = signed("mediastore", "us-east-1");
    path_style.push(("content-type".into(), "application/x-mpegURL".into()));
    let endpoint_host = hosts[0].split(':').next().unwrap().to_string();
    for path in &attacks {
        let path = format!("/_mediastore/{endpoint_host}{path}");
        let (status, _, body) = raw(&emu, "PUT", &path, &path_style, b"evil").await;
        assert_eq!(
            status,
            400,
            "PUT {path}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let (status, _, _) = raw(
        &emu,
        "PUT",
        "/_mediastore/conta/%2e%2e/contb/vod/x.m3u8",
        &path_style,
        b"evil",
    )
    .await;
    assert_eq!(status, 400);
    // ListItems cannot walk out either.
    let (status, _, _) = raw(
        &emu,
        "GET",
        "/_mediastore/conta/?Path=%2e%2e%2f%2e%2e",
        &path_style,
        b"",
    )
    .await;
    assert_eq!(status, 400);

    // Container B's object is unchanged, and nothing was written outside the data directory.
    let got = data_b.get_object().path("vod/x.m3u8").send().await.unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"original"
    );
    assert_eq!(files_below(&outside), Vec::<String>::new());
    drop(emu);
    assert_eq!(sandbox.strays(), Vec::<String>::new());
}

#[tokio::test]
async fn a_region_that_is_not_a_region_name_is_refused() {
    let sandbox = Sandbox::new("regions");
    let emu = start_in(&sandbox.data_dir()).await;
    // A container created in Region ".." named "s3" would have put its objects into the S3 store's folder.
    let mut headers = signed("mediastore", "..");
    headers.push((
        "x-amz-target".into(),
        "MediaStore_20170901.CreateContainer".into(),
    ));
    headers.push(("content-type".into(), "application/x-amz-json-1.1".into()));
    let (status, hs, body) = raw(&emu, "POST", "/", &headers, br#"{"ContainerName":"s3"}"#).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(
        hs.iter()
            .any(|(k, v)| k == "x-amzn-errortype" && v.starts_with("InvalidSignatureException")),
        "{hs:?}"
    );
    let (status, _, body) = raw(&emu, "PUT", "/newbucket", &signed("s3", ".."), b"").await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("AuthorizationHeaderMalformed"));
    // Nothing was created.
    let ms = crate::mediastore::control(&emu).await;
    assert!(
        ms.list_containers()
            .send()
            .await
            .unwrap()
            .containers()
            .is_empty()
    );
    drop(emu);
    assert_eq!(sandbox.strays(), Vec::<String>::new());
}
