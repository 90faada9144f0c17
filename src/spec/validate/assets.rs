//! The assets: one per source file, each checked (exists, names a valid asset id and folder, has
//! its captions sidecar) and given its S3 keys.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::Collector;
use super::origin::mediastore_folder_rule;
use crate::spec::model::{Asset, Origin};
use crate::types::*;

pub(super) fn section(
    c: &mut Collector,
    files: &[PathBuf],
    base_dir: Option<&Path>,
    prefix: Option<&KeyPrefix>,
    origin: Option<&Origin>,
    captions: Option<&Captions>,
) -> Option<Vec<Asset>> {
    let before = c.violations.len();
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for (i, f) in files.iter().enumerate() {
        let field = format!("source.files[{i}]");
        let shown = f.display().to_string();
        let path = match base_dir {
            Some(d) if f.is_relative() => d.join(f),
            _ => f.clone(),
        };
        let (Some(file_name), Some(stem)) = (
            f.file_name().and_then(|n| n.to_str()),
            f.file_stem().and_then(|n| n.to_str()),
        ) else {
            c.push(field, shown, "must be a path to a file with a UTF-8 name");
            continue;
        };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => {
                if let Some(rule) = super::source::media_file_problem(&path, m.len()) {
                    c.push(field, shown, format!("{} {rule}", path.display()));
                    continue;
                }
            }
            Ok(_) => {
                c.push(
                    field,
                    shown,
                    format!("{} is not a regular file", path.display()),
                );
                continue;
            }
            Err(e) => {
                c.push(field, shown, format!("cannot read {}: {e}", path.display()));
                continue;
            }
        }
        if stem.parse::<AssetId>().is_err() {
            c.push(field, shown, "the file name without extension names the asset's folder and URL: use letters, digits and - . _ ~, starting with a letter or digit");
            continue;
        }
        if let Some(Origin::MediaStore { .. }) = origin
            && let Err(rule) = mediastore_folder_rule(stem)
        {
            c.push(
                field,
                shown,
                format!("with a MediaStore origin the asset folder {stem:?} {rule}"),
            );
            continue;
        }
        if !ids.insert(stem.to_owned()) {
            c.push(field, shown, format!("another file already gives the asset id {stem:?}: asset ids (file names without extension) must be unique"));
            continue;
        }
        let source_key = prefix
            .map(|p| p.join(file_name))
            .unwrap_or_else(|| file_name.to_owned());
        if source_key.len() > KeyPrefix::MAX_KEY_BYTES {
            c.push(
                field,
                shown,
                "the S3 key (source.prefix + file name) is over 1024 bytes",
            );
            continue;
        }
        let (caption_file, caption_key) = match captions {
            None => (None, None),
            Some(cap) => {
                let name = format!("{stem}.{}", cap.format.extension());
                let file = path.with_file_name(&name);
                if !file.is_file() {
                    c.push(
                        field,
                        shown,
                        format!(
                            "captions are on ({}), so the sidecar {} must exist beside the source file",
                            cap.format,
                            file.display()
                        ),
                    );
                    continue;
                }
                let key = prefix.map(|p| p.join(&name)).unwrap_or(name);
                (Some(file), Some(key))
            }
        };
        out.push(Asset {
            id: stem.to_owned(),
            file: path,
            source_key,
            source_bucket: None,
            caption_file,
            caption_key,
        });
    }
    (c.violations.len() == before).then_some(out)
}
