//! ListObjects, ListObjectsV2 and ListMultipartUploads pages, computed on real keys (never on file names, see
//! `super::keys`), with S3's prefix, delimiter, marker and `encoding-type=url` rules.
use super::UploadInfo;
use s3s::dto::*;
use s3s::{S3Result, s3_error};

/// One page of a listing, as ListObjects and ListObjectsV2 return it.
#[derive(Debug, Default)]
pub(super) struct Page {
    pub contents: Vec<Object>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or common prefix of the page, when more follow (the next continuation token or marker).
    pub next: Option<String>,
}

/// Selects one page from every object of a bucket, sorted by key (S3's UTF-8 binary order): keys under `prefix`,
/// after `after` (a marker, StartAfter or continuation token), rolled up into common prefixes at the first
/// `delimiter` after the prefix, at most `max_keys` entries (objects and common prefixes together).
pub(super) fn page(
    sorted: Vec<Object>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max_keys: usize,
) -> Page {
    let mut page = Page::default();
    let mut last_prefix: Option<String> = None;
    for object in sorted {
        let Some(key) = object.key.as_deref() else {
            continue;
        };
        let Some(rest) = key.strip_prefix(prefix) else {
            continue;
        };
        let rolled_up = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            rest.find(d)
                .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        let entry = rolled_up.as_deref().unwrap_or(key);
        if after.is_some_and(|a| entry <= a) {
            continue;
        }
        if rolled_up.is_some() && last_prefix.as_deref() == rolled_up.as_deref() {
            continue;
        }
        if page.contents.len() + page.common_prefixes.len() >= max_keys {
            page.is_truncated = max_keys > 0;
            break;
        }
        match rolled_up {
            Some(p) => {
                page.next = Some(p.clone());
                last_prefix = Some(p.clone());
                page.common_prefixes.push(p);
            }
            None => {
                page.next = Some(key.to_string());
                page.contents.push(object);
            }
        }
    }
    if !page.is_truncated {
        page.next = None;
    }
    page
}

/// ListObjects (version 1) over every object of the bucket, sorted by key.
pub(super) fn objects_v1(all: Vec<Object>, i: ListObjectsInput) -> S3Result<ListObjectsOutput> {
    let max_keys = list_max_keys(i.max_keys)?;
    let page = page(
        all,
        i.prefix.as_deref().unwrap_or(""),
        i.delimiter.as_deref(),
        i.marker.as_deref().filter(|m| !m.is_empty()),
        max_keys as usize,
    );
    let mut o = ListObjectsOutput {
        name: Some(i.bucket),
        prefix: i.prefix,
        delimiter: i.delimiter,
        marker: i.marker,
        max_keys: Some(max_keys),
        is_truncated: Some(page.is_truncated),
        next_marker: page.next,
        contents: Some(page.contents).filter(|c| !c.is_empty()),
        common_prefixes: common_prefixes(page.common_prefixes),
        encoding_type: i.encoding_type.clone(),
        ..Default::default()
    };
    if wants_url_encoding(i.encoding_type.as_ref()) {
        encode_listing(&mut o.contents, &mut o.common_prefixes);
        for v in [
            &mut o.prefix,
            &mut o.delimiter,
            &mut o.marker,
            &mut o.next_marker,
        ] {
            encode_opt(v);
        }
    }
    Ok(o)
}

/// ListObjectsV2 over every object of the bucket, sorted by key. A continuation token is the last entry of the
/// previous page; it takes precedence over StartAfter.
pub(super) fn objects_v2(all: Vec<Object>, i: ListObjectsV2Input) -> S3Result<ListObjectsV2Output> {
    let max_keys = list_max_keys(i.max_keys)?;
    let after = i
        .continuation_token
        .as_deref()
        .or(i.start_after.as_deref())
        .filter(|a| !a.is_empty());
    let page = page(
        all,
        i.prefix.as_deref().unwrap_or(""),
        i.delimiter.as_deref(),
        after,
        max_keys as usize,
    );
    let count = page.contents.len() + page.common_prefixes.len();
    let mut o = ListObjectsV2Output {
        name: Some(i.bucket),
        prefix: i.prefix,
        delimiter: i.delimiter,
        start_after: i.start_after,
        continuation_token: i.continuation_token,
        max_keys: Some(max_keys),
        key_count: Some(i32::try_from(count).unwrap_or(i32::MAX)),
        is_truncated: Some(page.is_truncated),
        next_continuation_token: page.next,
        contents: Some(page.contents).filter(|c| !c.is_empty()),
        common_prefixes: common_prefixes(page.common_prefixes),
        encoding_type: i.encoding_type.clone(),
        ..Default::default()
    };
    if wants_url_encoding(i.encoding_type.as_ref()) {
        encode_listing(&mut o.contents, &mut o.common_prefixes);
        for v in [&mut o.prefix, &mut o.delimiter, &mut o.start_after] {
            encode_opt(v);
        }
    }
    Ok(o)
}

fn encode_listing(contents: &mut Option<Vec<Object>>, prefixes: &mut Option<Vec<CommonPrefix>>) {
    contents
        .iter_mut()
        .flatten()
        .for_each(|c| encode_opt(&mut c.key));
    prefixes
        .iter_mut()
        .flatten()
        .for_each(|c| encode_opt(&mut c.prefix));
}

/// MaxKeys of a listing: 1000 when absent, and at most 1000 (S3 never returns more in one page).
pub(super) fn list_max_keys(max_keys: Option<i32>) -> S3Result<i32> {
    match max_keys {
        Some(n) if n < 0 => Err(s3_error!(
            InvalidArgument,
            "Argument maxKeys must be an integer between 0 and 2147483647"
        )),
        Some(n) => Ok(n.min(1000)),
        None => Ok(1000),
    }
}

pub(super) fn common_prefixes(prefixes: Vec<String>) -> Option<Vec<CommonPrefix>> {
    (!prefixes.is_empty()).then(|| {
        prefixes
            .into_iter()
            .map(|p| CommonPrefix { prefix: Some(p) })
            .collect()
    })
}

/// Percent-encodes a key for `encoding-type=url` listings (everything but unreserved characters and `/`).
pub(super) fn url_encode_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn wants_url_encoding(e: Option<&EncodingType>) -> bool {
    e.is_some_and(|e| e.as_str() == EncodingType::URL)
}

pub(super) fn encode_opt(v: &mut Option<String>) {
    if let Some(s) = v.as_mut() {
        *s = url_encode_key(s);
    }
}

/// One page of ListMultipartUploads.
pub(super) struct UploadListing<'a> {
    pub uploads: Vec<&'a (String, UploadInfo)>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// NextKeyMarker and NextUploadIdMarker, when truncated.
    pub next: Option<(String, String)>,
}

/// Pages through `uploads` (sorted by key, then creation) as S3's ListMultipartUploads does: uploads after
/// `key_marker` (and, for that key, after `upload_id_marker`), under `prefix`, rolled up into common prefixes at
/// `delimiter`, at most `max` entries (uploads and common prefixes together).
pub(super) fn list_uploads<'a>(
    uploads: &'a [(String, UploadInfo)],
    prefix: &str,
    delimiter: Option<&str>,
    key_marker: Option<&str>,
    upload_id_marker: Option<&str>,
    max: usize,
) -> UploadListing<'a> {
    // Index of the marker upload among its key's uploads, when the id is known.
    let marker_pos = match (key_marker, upload_id_marker) {
        (Some(k), Some(id)) => uploads.iter().position(|(uid, u)| uid == id && u.key == k),
        _ => None,
    };
    let mut out = UploadListing {
        uploads: Vec::new(),
        prefixes: Vec::new(),
        truncated: false,
        next: None,
    };
    let mut count = 0usize;
    let mut last: Option<(String, String)> = None;
    for (idx, entry) in uploads.iter().enumerate() {
        let (id, u) = entry;
        if !u.key.starts_with(prefix) {
            continue;
        }
        if let Some(km) = key_marker {
            let after = match upload_id_marker {
                None => u.key.as_str() > km,
                Some(idm) if u.key == km => match marker_pos {
                    Some(p) => idx > p,
                    None => id.as_str() > idm,
                },
                Some(_) => u.key.as_str() > km,
            };
            // A common prefix given as key-marker skips everything it rolls up.
            let rolled = delimiter.is_some_and(|d| km.ends_with(d)) && u.key.starts_with(km);
            if !after || rolled {
                continue;
            }
        }
        let common = delimiter.and_then(|d| {
            u.key[prefix.len()..]
                .find(d)
                .map(|i| u.key[..prefix.len() + i + d.len()].to_string())
        });
        if let Some(cp) = &common
            && out.prefixes.last() == Some(cp)
        {
            continue;
        }
        if count == max {
            out.truncated = true;
            out.next = last;
            break;
        }
        count += 1;
        match common {
            Some(cp) => {
                last = Some((cp.clone(), String::new()));
                out.prefixes.push(cp);
            }
            None => {
                last = Some((u.key.clone(), id.clone()));
                out.uploads.push(entry);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(keys: &[&str]) -> Vec<Object> {
        let mut v: Vec<Object> = keys
            .iter()
            .map(|k| Object {
                key: Some(k.to_string()),
                ..Default::default()
            })
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    }

    fn keys_of(p: &Page) -> Vec<&str> {
        p.contents.iter().filter_map(|o| o.key.as_deref()).collect()
    }

    #[test]
    fn pages_follow_prefix_delimiter_marker_and_max_keys() {
        let all = objects(&["a/1", "a/2", "b", "c/x/1", "c/y", "d"]);
        let p = page(all.clone(), "", Some("/"), None, 1000);
        assert_eq!(keys_of(&p), ["b", "d"]);
        assert_eq!(p.common_prefixes, ["a/", "c/"]);
        assert!(!p.is_truncated && p.next.is_none());

        let p = page(all.clone(), "c/", Some("/"), None, 1000);
        assert_eq!(keys_of(&p), ["c/y"]);
        assert_eq!(p.common_prefixes, ["c/x/"]);

        // Paging with the returned token visits every entry once.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let p = page(all.clone(), "", Some("/"), after.as_deref(), 1);
            seen.extend(keys_of(&p).into_iter().map(str::to_string));
            seen.extend(p.common_prefixes.iter().cloned());
            if !p.is_truncated {
                break;
            }
            after = p.next.clone();
        }
        assert_eq!(seen, ["a/", "b", "c/", "d"]);

        let p = page(all.clone(), "", None, Some("b"), 2);
        assert_eq!(keys_of(&p), ["c/x/1", "c/y"]);
        assert!(p.is_truncated);
        assert_eq!(p.next.as_deref(), Some("c/y"));

        let p = page(all, "", None, None, 0);
        assert!(p.contents.is_empty() && !p.is_truncated);
    }

    #[test]
    fn keys_with_dot_segments_list_as_themselves() {
        let all = objects(&["../other/victim.m3u8", "./x", "a//b", "dir/"]);
        let p = page(all.clone(), "..", None, None, 1000);
        assert_eq!(keys_of(&p), ["../other/victim.m3u8"]);
        let p = page(all, "", Some("/"), None, 1000);
        assert_eq!(p.common_prefixes, ["../", "./", "a/", "dir/"]);
    }
}
