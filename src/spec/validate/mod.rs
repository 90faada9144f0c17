//! The one place where a pipeline is validated. The builder and the spec loader both call
//! [`validate`]; it parses every text value, checks every cross-field rule, and returns all problems.
//!
//! One file per section of the spec, all writing into one [`Collector`]:
//! [`source`], [`transcode`] (with the ABR ladder), [`origin`] (and where the output goes),
//! [`cloudfront`], and [`assets`] (one per source file).

mod assets;
mod cloudfront;
mod origin;
mod private_content;
pub(crate) use origin::mediastore_folder_rule;
mod source;

pub(crate) use source::media_file_problem;
mod transcode;

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, InvalidValue, Violation, Violations};
use crate::spec::input::{Input, PipelineSpec};
use crate::spec::model::{Source, VodPipeline};

/// Collects violations while parsing.
#[derive(Default)]
pub(crate) struct Collector {
    pub(crate) violations: Vec<Violation>,
    /// Fields the spec loader already reported (missing, wrong type): later checks of the same field,
    /// or of a field inside it, would only repeat the problem.
    reported: HashSet<String>,
}

impl Collector {
    pub(crate) fn push(
        &mut self,
        field: impl Into<String>,
        value: impl Into<String>,
        rule: impl Into<String>,
    ) {
        let field = field.into();
        let repeated = self.reported.iter().any(|r| {
            field == *r
                || field
                    .strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        });
        if !repeated {
            self.violations.push(Violation {
                field,
                value: value.into(),
                rule: rule.into(),
            });
        }
    }

    fn invalid(&mut self, field: impl Into<String>, e: InvalidValue) {
        self.push(field, e.value, e.rule);
    }

    fn get<T: FromStr<Err = InvalidValue>>(&mut self, field: &str, v: Input<T>) -> Option<T> {
        v.resolve().map_err(|e| self.invalid(field, e)).ok()
    }

    fn opt<T: FromStr<Err = InvalidValue>>(
        &mut self,
        field: &str,
        v: Option<Input<T>>,
    ) -> Option<Option<T>> {
        match v {
            None => Some(None),
            Some(v) => self.get(field, v).map(Some),
        }
    }
}

/// Validates a pipeline. `base_dir` resolves relative source files (none: the current directory).
/// `earlier` holds problems found before (the spec loader's unknown keys and wrong types).
///
/// Each section is parsed by its own module, in the order of the spec file, into one collector;
/// the rules between sections run once their parts are known.
pub(crate) fn validate(
    spec: PipelineSpec,
    base_dir: Option<&Path>,
    earlier: Vec<Violation>,
) -> Result<VodPipeline, Error> {
    let reported = earlier.iter().map(|v| v.field.clone()).collect();
    let mut c = Collector {
        violations: earlier,
        reported,
    };

    let name = c.get("name", spec.name);
    let region = c.get("region", spec.region);
    let src = source::section(&mut c, spec.source);
    let mut transcode = transcode::section(&mut c, spec.transcode, spec.abr_ladder);
    let origin = origin::section(&mut c, spec.mediastore, spec.s3_origin);
    let private = spec.cloudfront.private_content.clone();
    let mut cloudfront =
        cloudfront::section(&mut c, spec.cloudfront, name.as_ref(), origin.as_ref());
    let private_content = private_content::section(&mut c, private, name.as_ref(), base_dir);
    if let Some(cf) = cloudfront.as_mut() {
        cf.private_content = private_content.flatten();
    }
    let output = origin::output_location(
        &mut c,
        origin.as_ref(),
        transcode.output_bucket.take(),
        transcode.output_prefix.take(),
        cloudfront.as_ref(),
    );
    origin::cross_checks(&mut c, origin.as_ref(), &src, output.as_ref());
    let assets = assets::section(
        &mut c,
        &src.files,
        base_dir,
        src.prefix.as_ref(),
        origin.as_ref(),
        transcode.captions(),
    );

    if !c.violations.is_empty() {
        // Report in the order of the spec file's sections; within a section, in the order found.
        c.violations.sort_by_key(|v| section_rank(&v.field));
        return Err(Error::Invalid(Violations(c.violations)));
    }
    // Every part is Some when no violation was recorded; the match keeps that without panicking.
    let (
        Some(name),
        Some(region),
        Some(bucket),
        Some(prefix),
        Some(origin),
        Some(cloudfront),
        Some((output_bucket, output_prefix)),
        Some(assets),
    ) = (
        name, region, src.bucket, src.prefix, origin, cloudfront, output, assets,
    )
    else {
        return Err(rejected_without_reason());
    };
    let Some(transcode) = transcode.finish(output_bucket, output_prefix) else {
        return Err(rejected_without_reason());
    };
    Ok(VodPipeline {
        name,
        region,
        source: Source { bucket, prefix },
        transcode,
        origin,
        cloudfront,
        assets,
    })
}

/// A part was rejected but no violation says why: a bug in this module.
fn rejected_without_reason() -> Error {
    Error::Invalid(Violations(vec![Violation {
        field: "pipeline".into(),
        value: String::new(),
        rule: "internal: a value was rejected without a reason; please report this".into(),
    }]))
}

fn section_rank(field: &str) -> usize {
    const ORDER: [&str; 8] = [
        "name",
        "region",
        "source",
        "transcode",
        "origin",
        "mediastore",
        "s3_origin",
        "cloudfront",
    ];
    let head = field.split(['.', '[']).next().unwrap_or(field);
    ORDER.iter().position(|s| *s == head).unwrap_or(ORDER.len())
}
