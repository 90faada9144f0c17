//! S3 keys are names, not paths.
//!
//! s3s-fs stores an object at `<bucket folder>/<key>`, so a key such as `../other/victim.m3u8` would name a file of
//! another bucket, `a//b` the same file as `a/b`, `/etc/x` an absolute path, and the keys `a` and `a/b` a file and a
//! folder of the same name. S3 itself treats every key as an opaque UTF-8 name and gives it back byte for byte. This
//! module maps each key to a relative path that stays inside its bucket folder, and back, without loss:
//!
//! - the key is split at `/`; the last segment names the file, the others folders;
//! - in each segment `~` becomes `~t`; a segment that is empty, `.` or `..` becomes `~0`, `~1` or `~2`;
//! - a folder's name gets a `~` at its end, which no file name has, so `a` and `a/b` are the file `a` and the file
//!   `b` in the folder `a~`.
//!
//! So no mapped segment is empty, `.` or `..`, the path has only normal components, the map is one-to-one, and
//! [`from_fs`] undoes [`to_fs`]. Listings are computed on the real keys (`super::list`), so their order and
//! prefix, delimiter and marker handling are S3's whatever a key contains.
fn encode_segment(segment: &str, out: &mut String) {
    match segment {
        "" => out.push_str("~0"),
        "." => out.push_str("~1"),
        ".." => out.push_str("~2"),
        _ => out.push_str(&segment.replace('~', "~t")),
    }
}

fn decode_segment(segment: &str, out: &mut String) {
    match segment {
        "~0" => {}
        "~1" => out.push('.'),
        "~2" => out.push_str(".."),
        _ => out.push_str(&segment.replace("~t", "~")),
    }
}

/// The relative path (inside the bucket folder) under which the object `key` is stored.
pub(crate) fn to_fs(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    let mut segments = key.split('/').peekable();
    while let Some(segment) = segments.next() {
        encode_segment(segment, &mut out);
        if segments.peek().is_some() {
            out.push_str("~/");
        }
    }
    out
}

/// The key of the object stored under the relative path `fs` (the inverse of [`to_fs`]).
pub(crate) fn from_fs(fs: &str) -> String {
    let mut out = String::with_capacity(fs.len());
    let mut segments = fs.split('/').peekable();
    while let Some(segment) = segments.next() {
        if segments.peek().is_some() {
            decode_segment(segment.strip_suffix('~').unwrap_or(segment), &mut out);
            out.push('/');
        } else {
            decode_segment(segment, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_file_names_are_kept_and_folders_get_a_tilde() {
        assert_eq!(to_fs("movie/hls/movie.m3u8"), "movie~/hls~/movie.m3u8");
        assert_eq!(to_fs("a"), "a");
        assert_eq!(to_fs("x..y/.z"), "x..y~/.z");
        assert_eq!(to_fs("a~b"), "a~tb");
        assert_eq!(to_fs("../x"), "~2~/x");
    }

    #[test]
    fn every_key_maps_to_normal_components_and_back() {
        for k in [
            "../other/victim.m3u8",
            "..",
            ".",
            "/",
            "//",
            "/etc/passwd",
            "a//b",
            "dir/",
            "~",
            "~~/~./..~",
            "~0/~1/~2/~t",
            "a/./b/../c",
            "",
            "../../../../../../../../tmp/x",
        ] {
            let fs = to_fs(k);
            let path = std::path::Path::new(&fs);
            assert!(
                fs.split('/')
                    .all(|s| !s.is_empty() && s != "." && s != ".."),
                "{k:?} -> {fs:?}"
            );
            assert!(
                path.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_))),
                "{k:?} -> {fs:?}"
            );
            assert_eq!(from_fs(&fs), k, "{fs:?}");
        }
    }

    #[test]
    fn distinct_keys_get_distinct_paths_and_no_file_is_a_folder() {
        let keys = [
            "", "~", "~~", ".", "~.", "..", "~..", "a", "a/", "a/~", "a//", "a/~/", "/a", "~/a",
            "~0", "~1", "~2", "~t", "a/b", "a~/b", "a~", "a~t",
        ];
        let mapped: std::collections::HashSet<String> = keys.iter().map(|k| to_fs(k)).collect();
        assert_eq!(mapped.len(), keys.len(), "{mapped:?}");
        // No key's file is another key's folder: every folder segment ends with a lone `~`, no file name does.
        let files: std::collections::HashSet<String> = mapped.iter().cloned().collect();
        for m in &mapped {
            let mut prefix = String::new();
            for seg in m.split('/').collect::<Vec<_>>().split_last().unwrap().1 {
                prefix.push_str(seg);
                assert!(!files.contains(&prefix), "{prefix} is a file and a folder");
                prefix.push('/');
            }
        }
    }

    /// Many generated keys over the characters that matter (`/`, `.`, `~` and the escape letters): each maps to
    /// normal path components and back, no two share a path, and no key's file is another key's folder.
    #[test]
    fn generated_keys_round_trip_without_collisions() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let alphabet = ['a', '/', '.', '~', 't', '0', '1', '2'];
        let mut keys = std::collections::HashSet::new();
        while keys.len() < 20_000 {
            let len = rng.random_range(0..10);
            keys.insert(
                (0..len)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect::<String>(),
            );
        }
        let mut files = std::collections::HashMap::new();
        for k in &keys {
            let fs = to_fs(k);
            assert!(
                std::path::Path::new(&fs)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
                    && fs
                        .split('/')
                        .all(|s| !s.is_empty() && s != "." && s != ".."),
                "{k:?} -> {fs:?}"
            );
            assert_eq!(&from_fs(&fs), k, "{fs:?}");
            if let Some(other) = files.insert(fs.clone(), k.clone()) {
                panic!("{k:?} and {other:?} both map to {fs:?}");
            }
        }
        for fs in files.keys() {
            let mut folder = String::new();
            for seg in fs.split('/').collect::<Vec<_>>().split_last().unwrap().1 {
                folder.push_str(seg);
                assert!(
                    !files.contains_key(&folder),
                    "{folder:?} is a file and a folder"
                );
                folder.push('/');
            }
        }
    }
}
