//! `unpublish`: the packaged output leaves the origin, and the edge caches.

use serde::Serialize;

use super::{VodClient, check_id, output_folder};
use crate::aws::cloudfront::batch;
use crate::aws::mediaconvert::{S3Location, read_marker};
use crate::aws::{aws_error, s3::index};
use crate::error::Error;
use crate::names::{JOB_MARKER, parse_s3_uri};
use crate::plan::{Params, StepId};

/// An unpublish being set up; [`Unpublish::send`] runs it.
#[must_use = "nothing happens until send() is awaited"]
#[derive(Debug)]
pub struct Unpublish {
    client: VodClient,
    id: String,
    delete_source: bool,
    wait: bool,
}

/// What [`VodClient::unpublish`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Unpublished {
    /// The asset id.
    pub id: String,
    /// Objects deleted from the origin (and, with a MediaStore origin, from the output bucket).
    pub objects_deleted: usize,
    /// The invalidation of `/<asset>/*`.
    pub invalidation_id: String,
    /// The source object deleted, when asked for and known.
    pub source_deleted: Option<String>,
}

impl VodClient {
    /// Removes an asset's packaged output from the origin (the S3 bucket, or the MediaStore container
    /// and the output bucket), removes it from the published index, and invalidates `/<asset>/*` on
    /// the distribution. The source media stays unless [`Unpublish::delete_source`] is set.
    /// Unpublishing an asset that is not published succeeds and deletes nothing.
    pub fn unpublish(&self, id: &str) -> Unpublish {
        Unpublish {
            client: self.clone(),
            id: id.to_owned(),
            delete_source: false,
            wait: true,
        }
    }
}

impl Unpublish {
    /// Also delete the source object the asset was published from (only when it is in the
    /// pipeline's source bucket: an object elsewhere is not the pipeline's to delete).
    pub fn delete_source(mut self, delete: bool) -> Self {
        self.delete_source = delete;
        self
    }

    /// Wait until the invalidation has completed, so that the edge no longer serves the asset
    /// (default `true`).
    pub fn wait_for_invalidation(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// Runs the unpublish.
    pub async fn send(self) -> Result<Unpublished, Error> {
        let Unpublish {
            client,
            id,
            delete_source,
            wait,
        } = self;
        let p = &client.inner.pipeline;
        check_id(p, "id", &id)?;
        let infra = client.infra().await?.clone();
        let ctx = client.ctx(Box::new(|_| {}));
        for (step, outputs) in &infra.outputs {
            ctx.record(step, &crate::Change::NoOp, outputs);
        }
        let out_bucket = p.transcode().output_bucket.as_str();
        let folder = output_folder(p, &id);

        // Where the asset came from, before its marker goes.
        let marker = S3Location {
            bucket: out_bucket.to_owned(),
            key: format!("{folder}{JOB_MARKER}"),
        };
        let source = match read_marker(&ctx, &marker).await? {
            Some(Ok(m)) => m.source,
            _ => None,
        };

        // Out of the catalog first, so that listings stop showing it while it is being removed.
        index::remove(&ctx, &crate::plan::published_index(p, &id)).await?;
        let mut deleted = 0;
        if p.copies_into_origin() {
            let plan = crate::plan::publish::for_asset(p, placeholder(&id), false);
            for step in &plan.steps {
                deleted += match (&step.id, &step.params) {
                    (StepId::Copy(a), Params::Copy(_)) if *a == id => {
                        crate::aws::mediastore::delete_copied(&ctx, step).await?
                    }
                    (StepId::OriginCopy(a), Params::OriginCopy(_)) if *a == id => {
                        crate::aws::s3::delete_copied(&ctx, step).await?
                    }
                    _ => 0,
                };
            }
        }
        let keys = index::list(&ctx, out_bucket, &folder).await?;
        index::delete(&ctx, out_bucket, &keys).await?;
        deleted += keys.len();

        let invalidation_id = ctx
            .invalidate(&infra.distribution_id, vec![format!("/{id}/*")])
            .await?;
        if wait {
            batch::wait_completed(
                &ctx.invalidation_sender(),
                &infra.distribution_id,
                &invalidation_id,
            )
            .await?;
        }

        let mut source_deleted = None;
        if delete_source
            && let Some(uri) = source
            && let Some((bucket, key)) = parse_s3_uri(&uri)
            && bucket == p.source().bucket.as_str()
        {
            ctx.clients
                .s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| aws_error("s3:DeleteObject", &uri, e))?;
            source_deleted = Some(uri);
        }
        Ok(Unpublished {
            id,
            objects_deleted: deleted,
            invalidation_id,
            source_deleted,
        })
    }
}

fn placeholder(id: &str) -> crate::Asset {
    crate::Asset {
        id: id.to_owned(),
        file: Default::default(),
        source_key: format!("{id}.mp4"),
        source_bucket: None,
        caption_file: None,
        caption_key: None,
    }
}
