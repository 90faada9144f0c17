//! Data-plane object operations (PutObject, GetObject, DescribeObject, DeleteObject, ListItems) and the rules for
//! object paths and content types.

use super::persist::SavedObject;
use super::*;
use crate::wire::parse_range;

/// Object size limits (MediaStore quotas): 25 MB with standard upload availability, 10 MB with streaming.
pub const MAX_STANDARD_OBJECT: usize = crate::rules::MEDIASTORE_MAX_STANDARD_OBJECT;
/// See [`MAX_STANDARD_OBJECT`].
pub const MAX_STREAMING_OBJECT: usize = crate::rules::MEDIASTORE_MAX_STREAMING_OBJECT;

/// MediaStore's ContentType pattern: `^[\w\-\/\.\+]{1,255}$`.
pub(super) fn valid_content_type(ct: &str) -> bool {
    (1..=255).contains(&ct.len())
        && ct
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.' | '+'))
}

/// A file name: `[A-Za-z0-9_.\-~]+` (the API's Path pattern), and not `.` or `..`.
pub(super) fn valid_file_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '~'))
}

/// A folder name: a valid file name without two adjacent periods (MediaStore user guide, "Rules for folder
/// names"), so neither `.` nor `..` can name a folder.
pub(super) fn valid_folder_name(s: &str) -> bool {
    valid_file_name(s) && !s.contains("..")
}

/// An object path: up to 10 folders plus a file name, at most 900 characters (the API's Path member).
pub(super) fn valid_object_path(p: &str) -> bool {
    if p.is_empty() || p.len() > 900 {
        return false;
    }
    let segs: Vec<&str> = p.split('/').collect();
    let (file, folders) = segs
        .split_last()
        .expect("split yields one segment at least");
    folders.len() <= 10 && folders.iter().all(|s| valid_folder_name(s)) && valid_file_name(file)
}

/// A ListItems path: optional slashes around up to 10 folders (and an optional last name).
pub(super) fn valid_list_path(p: &str) -> bool {
    if p.len() > 900 {
        return false;
    }
    let t = p.trim_matches('/');
    t.is_empty() || (t.split('/').count() <= 11 && t.split('/').all(valid_folder_name))
}

/// What a data-plane request whose path breaks the rules above is told.
pub(super) const PATH_RULE: &str = "Path must be up to 10 folders and a file name, each of [A-Za-z0-9_.-~], at most 900 characters; a name cannot be . or .., and a folder name cannot contain two adjacent periods";

pub(super) fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

pub(super) fn sha256_hex(data: &[u8]) -> String {
    use s3s::crypto::Checksum as _;
    let mut h = s3s::crypto::Sha256::new();
    h.update(data);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn query_param(uri: &http::Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| crate::wire::percent_decode(v))
    })
}

pub(super) fn put_object(st: &State, req: &Req, key: &ContainerKey, path: &str, rid: &str) -> Resp {
    if let Some(ct) = req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        && !valid_content_type(ct)
    {
        return validation(
            &format!(
                "ContentType {ct} does not match ^[\\w\\-\\/\\.\\+]{{1,255}}$ (no parameters such as ; charset=)"
            ),
            rid,
        );
    }
    let streaming = req
        .headers
        .get("x-amz-upload-availability")
        .and_then(|v| v.to_str().ok())
        == Some("STREAMING");
    let limit = if streaming {
        MAX_STREAMING_OBJECT
    } else {
        MAX_STANDARD_OBJECT
    };
    if req.body.len() > limit {
        return err(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ValidationException",
            &format!(
                "Object size {} exceeds the {} MB limit for {} upload availability",
                req.body.len(),
                limit >> 20,
                if streaming { "streaming" } else { "standard" }
            ),
            rid,
        );
    }
    if let Some(sc) = req
        .headers
        .get("x-amz-storage-class")
        .and_then(|v| v.to_str().ok())
        && sc != "TEMPORAL"
    {
        return validation("StorageClass must be TEMPORAL", rid);
    }
    if let Some(ua) = req
        .headers
        .get("x-amz-upload-availability")
        .and_then(|v| v.to_str().ok())
        && ua != "STANDARD"
        && ua != "STREAMING"
    {
        return validation("UploadAvailability must be STANDARD or STREAMING", rid);
    }
    // A path may not be both a folder and an object.
    {
        let cs = st.lock();
        if let Some(c) = cs.iter().find(|c| c.is(key)) {
            let as_folder = format!("{path}/");
            let clash_folder = c
                .objects
                .range(as_folder.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&as_folder));
            let mut prefix = String::new();
            let mut clash_object = false;
            for seg in path
                .split('/')
                .take(path.split('/').count().saturating_sub(1))
            {
                prefix.push_str(seg);
                if c.objects.contains_key(&prefix) {
                    clash_object = true;
                }
                prefix.push('/');
            }
            if clash_folder || clash_object {
                return validation(
                    &format!("Path {path} conflicts with an existing folder or object"),
                    rid,
                );
            }
        }
    }
    let (Some(file), Some(meta_file)) = (st.object_file(key, path), st.meta_file(key, path)) else {
        return validation(&format!("Path {path} is not a valid object path"), rid);
    };
    if let Some(parent) = file.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        return err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            &e.to_string(),
            rid,
        );
    }
    let tmp = file.with_file_name(format!(
        ".{}.tmp-{}",
        file.file_name().and_then(|f| f.to_str()).unwrap_or("o"),
        uuid::Uuid::new_v4().simple()
    ));
    if let Err(e) = std::fs::write(&tmp, &req.body).and_then(|_| std::fs::rename(&tmp, &file)) {
        let _ = std::fs::remove_file(&tmp);
        return err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            &e.to_string(),
            rid,
        );
    }
    let sha = sha256_hex(&req.body);
    let header = |n: &str| {
        req.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let meta = ObjMeta {
        content_type: header("content-type"),
        cache_control: header("cache-control"),
        etag: sha.clone(),
        size: req.body.len() as u64,
        last_modified: SystemTime::now(),
    };
    let saved = SavedObject {
        content_type: meta.content_type.clone(),
        cache_control: meta.cache_control.clone(),
        etag: meta.etag.clone(),
        size: meta.size,
        last_modified_ms: meta
            .last_modified
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64,
    };
    let written = meta_file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| serde_json::to_vec(&saved).map_err(std::io::Error::other))
        .and_then(|json| std::fs::write(&meta_file, json));
    if let Err(e) = written {
        return err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            &e.to_string(),
            rid,
        );
    }
    {
        let mut cs = st.lock();
        match cs.iter_mut().find(|c| c.is(key)) {
            Some(c) => {
                c.objects.insert(path.to_string(), meta);
            }
            None => {
                let _ = std::fs::remove_file(&file);
                return err(
                    StatusCode::NOT_FOUND,
                    "ContainerNotFoundException",
                    "Container not found",
                    rid,
                );
            }
        }
    }
    let mut r = crate::wire::json_ok(
        StatusCode::OK,
        &json!({ "ContentSHA256": sha, "ETag": sha, "StorageClass": "TEMPORAL" }),
        rid,
    );
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub(super) fn get_object(
    st: &State,
    req: &Req,
    key: &ContainerKey,
    path: &str,
    head: bool,
    rid: &str,
) -> Resp {
    let meta = {
        let cs = st.lock();
        cs.iter()
            .find(|c| c.is(key))
            .and_then(|c| c.objects.get(path).cloned())
    };
    let Some(meta) = meta else {
        return err(
            StatusCode::NOT_FOUND,
            "ObjectNotFoundException",
            &format!("Object {path} does not exist"),
            rid,
        );
    };
    let mut b = http::Response::builder()
        .header(http::header::ETAG, meta.etag.clone())
        .header(http::header::LAST_MODIFIED, http_date(meta.last_modified))
        .header(http::header::ACCEPT_RANGES, "bytes");
    if let Some(ct) = &meta.content_type {
        b = b.header(http::header::CONTENT_TYPE, ct.as_str());
    }
    if let Some(cc) = &meta.cache_control {
        b = b.header(http::header::CACHE_CONTROL, cc.as_str());
    }
    if head {
        return b
            .status(StatusCode::OK)
            .header(http::header::CONTENT_LENGTH, meta.size)
            .body(Bytes::new())
            .unwrap_or_else(|e| {
                err(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    &e.to_string(),
                    rid,
                )
            });
    }
    let read = st
        .object_file(key, path)
        .ok_or_else(|| std::io::Error::other(format!("Path {path} is not a valid object path")))
        .and_then(std::fs::read);
    let body = match read {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            return err(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                &e.to_string(),
                rid,
            );
        }
    };
    let len = body.len() as u64;
    if let Some(range) = req
        .headers
        .get(http::header::RANGE)
        .and_then(|v| v.to_str().ok())
    {
        return match parse_range(range, len) {
            Ok((s, e)) => b
                .status(StatusCode::PARTIAL_CONTENT)
                .header(http::header::CONTENT_RANGE, format!("bytes {s}-{e}/{len}"))
                .header(http::header::CONTENT_LENGTH, e - s + 1)
                .body(body.slice(s as usize..=e as usize))
                .unwrap_or_else(|e| {
                    err(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalServerError",
                        &e.to_string(),
                        rid,
                    )
                }),
            Err(_) => {
                let mut r = err(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "RequestedRangeNotSatisfiableException",
                    &format!(
                        "The requested range {range} is not satisfiable for an object of {len} bytes"
                    ),
                    rid,
                );
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    r.headers_mut().insert(http::header::CONTENT_RANGE, v);
                }
                r
            }
        };
    }
    b.status(StatusCode::OK)
        .header(http::header::CONTENT_LENGTH, len)
        .body(body)
        .unwrap_or_else(|e| {
            err(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                &e.to_string(),
                rid,
            )
        })
}

pub(super) fn delete_object(st: &State, key: &ContainerKey, path: &str, rid: &str) -> Resp {
    let removed = {
        let mut cs = st.lock();
        cs.iter_mut()
            .find(|c| c.is(key))
            .and_then(|c| c.objects.remove(path))
    };
    if removed.is_none() {
        return err(
            StatusCode::NOT_FOUND,
            "ObjectNotFoundException",
            &format!("Object {path} does not exist"),
            rid,
        );
    }
    // Remove the body, its metadata, and now-empty folders (MediaStore deletes a folder with its last object).
    let (Some(file), Some(meta_file), Some([root, meta_root])) = (
        st.object_file(key, path),
        st.meta_file(key, path),
        st.container_dirs(key),
    ) else {
        return crate::wire::json_ok(StatusCode::OK, &json!({}), rid);
    };
    for (file, root) in [(file, root), (meta_file, meta_root)] {
        let _ = std::fs::remove_file(&file);
        let mut dir = file.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == root || !d.starts_with(&root) || std::fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }
    crate::wire::json_ok(StatusCode::OK, &json!({}), rid)
}

pub(super) fn list_items(st: &State, req: &Req, key: &ContainerKey, rid: &str) -> Resp {
    let folder = query_param(&req.uri, "Path").unwrap_or_default();
    if !valid_list_path(&folder) {
        return validation("Invalid Path", rid);
    }
    let max = match query_param(&req.uri, "MaxResults") {
        None => 1000,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return validation("MaxResults must be between 1 and 1000", rid),
        },
    };
    let token = query_param(&req.uri, "NextToken");
    let trimmed = folder.trim_matches('/');
    let prefix = if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    };
    // Children, sorted by name: folders and objects directly under the prefix.
    let mut items: BTreeMap<String, Value> = BTreeMap::new();
    {
        let cs = st.lock();
        let Some(c) = cs.iter().find(|c| c.is(key)) else {
            return err(
                StatusCode::NOT_FOUND,
                "ContainerNotFoundException",
                "Container not found",
                rid,
            );
        };
        for (k, m) in c.objects.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    items
                        .entry(dir.to_string())
                        .or_insert_with(|| json!({ "Name": dir, "Type": "FOLDER" }));
                }
                None => {
                    let mut v = json!({
                        "Name": rest,
                        "Type": "OBJECT",
                        "ETag": m.etag,
                        "LastModified": epoch(m.last_modified),
                        "ContentLength": m.size,
                    });
                    if let Some(ct) = &m.content_type {
                        v["ContentType"] = json!(ct);
                    }
                    items.insert(rest.to_string(), v);
                }
            }
        }
    }
    let start_after = token
        .as_deref()
        .and_then(|t| t.strip_prefix("msd1-"))
        .map(str::to_string);
    if token.is_some() && start_after.is_none() {
        return validation("Invalid NextToken", rid);
    }
    let mut page: Vec<Value> = Vec::new();
    let mut next = None;
    for v in items
        .iter()
        .filter(|(k, _)| start_after.as_ref().is_none_or(|s| *k > s))
        .map(|(_, v)| v)
    {
        if page.len() == max {
            next = page
                .last()
                .and_then(|p: &Value| p.get("Name"))
                .and_then(Value::as_str)
                .map(|s| format!("msd1-{s}"));
            break;
        }
        page.push(v.clone());
    }
    let mut v = json!({ "Items": page });
    if let Some(n) = next {
        v["NextToken"] = json!(n);
    }
    crate::wire::json_ok(StatusCode::OK, &v, rid)
}
