//! Containers and object metadata on disk: `containers.json` and the `.meta/` tree, reloaded on start.

use super::*;

pub(super) const STATE_FILE: &str = "containers.json";
pub(super) const META_DIR: &str = ".meta";

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct SavedContainer {
    pub(super) name: String,
    pub(super) region: String,
    /// Absent in state written before accounts were kept: the default account.
    #[serde(default = "default_account")]
    pub(super) account: String,
    pub(super) id: String,
    pub(super) created_ms: u64,
    pub(super) access_logging: bool,
    pub(super) policy: Option<String>,
    pub(super) cors: Option<Value>,
    pub(super) lifecycle: Option<String>,
    pub(super) metric: Option<Value>,
    pub(super) tags: Vec<(String, String)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct SavedObject {
    pub(super) content_type: Option<String>,
    pub(super) cache_control: Option<String>,
    pub(super) etag: String,
    pub(super) size: u64,
    pub(super) last_modified_ms: u64,
}

fn default_account() -> String {
    crate::wire::ACCOUNT_ID.to_string()
}

pub(super) fn from_ms(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

pub(super) fn load_containers(dir: &Path) -> Vec<Container> {
    let Some(saved) = std::fs::read(dir.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<SavedContainer>>(&b).ok())
    else {
        return Vec::new();
    };
    saved
        .into_iter()
        .filter_map(|c| {
            let mut objects = BTreeMap::new();
            // A saved container whose name, Region or account would lead outside the data folder is not loaded.
            if !valid_container_name(&c.name)
                || !crate::sigv4::valid_region(&c.region)
                || c.account.len() != 12
                || !c.account.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let key = ContainerKey {
                account: c.account.clone(),
                region: c.region.clone(),
                name: c.name.clone(),
            };
            move_unkeyed_folders(dir, &key);
            let root = join_inside(dir, &format!("{META_DIR}/{}", key.folder()))?;
            load_object_meta(&root, &root, &mut objects);
            Some(Container {
                created: from_ms(c.created_ms),
                created_at: Instant::now()
                    .checked_sub(CREATING_DELAY)
                    .unwrap_or_else(Instant::now),
                name: c.name,
                region: c.region,
                account: c.account,
                id: c.id,
                access_logging: c.access_logging,
                policy: c.policy,
                cors: c.cors,
                lifecycle: c.lifecycle,
                metric: c.metric,
                tags: c.tags,
                objects,
            })
        })
        .collect()
}

/// State written before containers were kept per account has its folders at `<region>/<name>`: move them to
/// `<account>/<region>/<name>` (bodies and metadata), unless that folder already exists.
fn move_unkeyed_folders(dir: &Path, key: &ContainerKey) {
    for base in ["", META_DIR] {
        let prefix = if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        };
        let (Some(old), Some(new)) = (
            join_inside(dir, &format!("{prefix}{}/{}", key.region, key.name)),
            join_inside(dir, &format!("{prefix}{}", key.folder())),
        ) else {
            continue;
        };
        if old.is_dir() && !new.exists() {
            let moved = new
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::rename(&old, &new));
            if let Err(e) = moved {
                tracing::warn!(from = %old.display(), to = %new.display(), error = %e, "could not move a MediaStore container's folder");
            }
        }
    }
}

pub(super) fn load_object_meta(root: &Path, dir: &Path, out: &mut BTreeMap<String, ObjMeta>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            load_object_meta(root, &p, out);
            continue;
        }
        let Some(rel) = p
            .strip_prefix(root)
            .ok()
            .and_then(|r| r.to_str())
            .and_then(|r| r.strip_suffix(".json"))
        else {
            continue;
        };
        if let Some(o) = std::fs::read(&p)
            .ok()
            .and_then(|b| serde_json::from_slice::<SavedObject>(&b).ok())
        {
            out.insert(
                rel.replace('\\', "/"),
                ObjMeta {
                    content_type: o.content_type,
                    cache_control: o.cache_control,
                    etag: o.etag,
                    size: o.size,
                    last_modified: from_ms(o.last_modified_ms),
                },
            );
        }
    }
}
