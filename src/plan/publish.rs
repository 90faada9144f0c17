//! The plan of publishing one asset at runtime: the asset's own steps of the full plan (upload, job,
//! copy into a MediaStore container, invalidation), without the infrastructure they depend on, which
//! the runtime client reads from live state once and records before the steps run.

use std::collections::HashSet;

use super::{Plan, StepId, build};
use crate::spec::model::{Asset, VodPipeline};

/// One asset's steps. `upload` is false when the source is an object already in S3.
pub(crate) fn for_asset(p: &VodPipeline, asset: Asset, upload: bool) -> Plan {
    let id = asset.id.clone();
    let mut one = p.clone();
    one.assets = vec![asset];
    let mut plan = build(&one);
    plan.steps.retain(|s| match &s.id {
        StepId::Upload(_) | StepId::UploadCaptions(_) => upload,
        StepId::Invalidation => true,
        other => other.asset() == Some(id.as_str()),
    });
    let kept: HashSet<StepId> = plan.steps.iter().map(|s| s.id.clone()).collect();
    for s in &mut plan.steps {
        s.depends_on.retain(|d| kept.contains(d));
    }
    plan.warnings.clear();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Params;

    fn pipeline(origin: &str) -> VodPipeline {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/specs");
        VodPipeline::from_toml_file(dir.join(format!("{origin}.toml"))).expect("shared spec")
    }

    #[test]
    fn one_asset_without_infrastructure() {
        for (spec, steps) in [
            (
                "s3-origin",
                vec![
                    "s3.upload.clip",
                    "mediaconvert.job.clip",
                    "cloudfront.invalidation",
                ],
            ),
            (
                "mediastore",
                vec![
                    "s3.upload.clip",
                    "mediaconvert.job.clip",
                    "mediastore.copy.clip",
                    "cloudfront.invalidation",
                ],
            ),
        ] {
            let p = pipeline(spec);
            let mut a = p.assets()[0].clone();
            a.id = "clip".into();
            a.source_key = "uploads/clip.mp4".into();
            let plan = for_asset(&p, a.clone(), true);
            let ids: Vec<String> = plan.steps.iter().map(|s| s.id.to_string()).collect();
            assert_eq!(ids, steps, "{spec}");
            // Dependencies only on steps of this plan: the engine runs it without the infrastructure.
            for s in &plan.steps {
                for d in &s.depends_on {
                    assert!(
                        plan.steps.iter().any(|x| &x.id == d),
                        "{spec}: {} -> {d}",
                        s.id
                    );
                }
            }
            let without_upload = for_asset(&p, a, false);
            assert_eq!(without_upload.steps.len(), steps.len() - 1, "{spec}");
            assert!(!plan.playback.is_empty(), "{spec}");
            assert!(
                plan.playback.iter().all(|pb| pb.path.starts_with("/clip/")),
                "{spec}"
            );
        }
    }

    #[test]
    fn an_id_other_than_the_input_name_is_the_outputs_base_name() {
        let p = pipeline("s3-origin");
        let mut a = p.assets()[0].clone();
        a.id = "renamed".into();
        a.source_key = "uploads/browser-upload.mov".into();
        let plan = for_asset(&p, a, false);
        let Params::Job(job) = &plan.step("mediaconvert.job.renamed").expect("job").params else {
            panic!("not a job")
        };
        assert!(
            job.input.ends_with("/uploads/browser-upload.mov"),
            "{}",
            job.input
        );
        for g in &job.output_groups {
            assert!(
                g.destination
                    .ends_with(&format!("/renamed/{}/renamed", g.format)),
                "{}",
                g.destination
            );
        }
        assert!(
            plan.playback
                .iter()
                .all(|pb| pb.path.starts_with("/renamed/"))
        );
    }
}
