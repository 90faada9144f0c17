//! Loading a pipeline from a TOML spec file.
//!
//! The loader reads the document into a [`toml::Table`] and walks it key by key, so that unknown keys,
//! wrong value types and rule violations are all reported together, each with its field path. It then
//! hands the result to the same validation as the builder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use toml::Value;

use super::input::*;
use super::model::VodPipeline;
use crate::error::{Error, Violation};
use crate::secret::{REDACTED, Secret};

pub(crate) fn load_file(path: &Path) -> Result<VodPipeline, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::SpecRead {
        path: path.to_owned(),
        source,
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    load_str(&text, &base, Some(path))
}

pub(crate) fn load_str(
    text: &str,
    base_dir: &Path,
    path: Option<&Path>,
) -> Result<VodPipeline, Error> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| Error::SpecParse {
        path: path
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("<string>")),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let mut problems = Vec::new();
    let spec = read_pipeline(&doc, &mut problems);
    super::validate::validate(spec, Some(base_dir), problems)
}

/// A table being read: remembers which keys were used, to report the others as unknown.
struct Section<'a> {
    path: String,
    table: Option<&'a toml::Table>,
    used: HashSet<&'a str>,
}

impl<'a> Section<'a> {
    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn raw(&mut self, key: &'a str) -> Option<&'a Value> {
        let v = self.table?.get(key)?;
        self.used.insert(key);
        Some(v)
    }

    /// A string (or, with `numbers`, an integer written as text).
    fn text(&mut self, p: &mut Vec<Violation>, key: &'a str, numbers: bool) -> Option<String> {
        match self.raw(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Integer(i) if numbers => Some(i.to_string()),
            other => {
                let want = if numbers {
                    "a string or a whole number"
                } else {
                    "a string"
                };
                p.push(type_error(self.field(key), other, want));
                None
            }
        }
    }

    fn required(&mut self, p: &mut Vec<Violation>, key: &'a str, numbers: bool) -> String {
        let had = self.table.is_some_and(|t| t.contains_key(key));
        match self.text(p, key, numbers) {
            Some(s) => s,
            None => {
                if !had && self.table.is_some() {
                    p.push(missing(self.field(key)));
                }
                String::new()
            }
        }
    }

    fn input<T>(
        &mut self,
        p: &mut Vec<Violation>,
        key: &'a str,
        numbers: bool,
    ) -> Option<Input<T>> {
        self.text(p, key, numbers).map(Input::Text)
    }

    fn integer(&mut self, p: &mut Vec<Violation>, key: &'a str) -> Option<i64> {
        match self.raw(key)? {
            Value::Integer(n) => Some(*n),
            other => {
                p.push(type_error(self.field(key), other, "a whole number"));
                None
            }
        }
    }

    fn boolean(&mut self, p: &mut Vec<Violation>, key: &'a str) -> Option<bool> {
        match self.raw(key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                p.push(type_error(self.field(key), other, "true or false"));
                None
            }
        }
    }

    fn strings(&mut self, p: &mut Vec<Violation>, key: &'a str) -> Vec<String> {
        match self.raw(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Value::String(s) => Some(s.clone()),
                    other => {
                        p.push(type_error(
                            format!("{}[{i}]", self.field(key)),
                            other,
                            "a string",
                        ));
                        None
                    }
                })
                .collect(),
            Some(other) => {
                p.push(type_error(self.field(key), other, "an array of strings"));
                Vec::new()
            }
        }
    }

    fn sub(&mut self, p: &mut Vec<Violation>, key: &'a str) -> Section<'a> {
        let path = self.field(key);
        let table = match self.raw(key) {
            None => None,
            Some(Value::Table(t)) => Some(t),
            Some(other) => {
                p.push(type_error(path.clone(), other, "a table"));
                None
            }
        };
        Section {
            path,
            table,
            used: HashSet::new(),
        }
    }

    fn exists(&self) -> bool {
        self.table.is_some()
    }

    fn finish(self, p: &mut Vec<Violation>, allowed: &[&str]) {
        let Some(t) = self.table else { return };
        for k in t.keys() {
            if !self.used.contains(k.as_str()) && !allowed.contains(&k.as_str()) {
                let field = self.field(k);
                let rule = if self.path.is_empty() {
                    "unknown key: the top level takes name, region, source, transcode, mediastore, s3_origin, cloudfront".to_owned()
                } else {
                    format!("unknown key in [{}]", self.path)
                };
                p.push(Violation {
                    field,
                    value: String::new(),
                    rule,
                });
            }
        }
    }
}

fn type_error(field: String, got: &Value, want: &str) -> Violation {
    Violation {
        field,
        value: describe(got),
        rule: format!("must be {want}"),
    }
}

fn missing(field: String) -> Violation {
    Violation {
        field,
        value: String::new(),
        rule: "missing: this key is required".into(),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(_) => "an array".into(),
        Value::Table(_) => "a table".into(),
    }
}

fn read_pipeline(doc: &toml::Table, p: &mut Vec<Violation>) -> PipelineSpec {
    let mut top = Section {
        path: String::new(),
        table: Some(doc),
        used: HashSet::new(),
    };
    let name = Input::Text(top.required(p, "name", false));
    let region = Input::Text(top.required(p, "region", false));

    let mut src = top.sub(p, "source");
    if !src.exists() && !doc.contains_key("source") {
        p.push(missing("source".into()));
    }
    let source = SourceSpec {
        bucket: Input::Text(src.required(p, "bucket", false)),
        prefix: src.input(p, "prefix", false),
        // Optional: without files, apply deploys the infrastructure only.
        files: src
            .strings(p, "files")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
    };
    src.finish(p, &[]);

    let mut tr = top.sub(p, "transcode");
    if !tr.exists() && !doc.contains_key("transcode") {
        p.push(missing("transcode".into()));
    }
    let transcode = TranscodeSpec {
        role_arn: Input::Text(tr.required(p, "role_arn", false)),
        output_bucket: tr.input(p, "output_bucket", false),
        output_prefix: tr.input(p, "output_prefix", false),
        formats: tr
            .strings(p, "formats")
            .into_iter()
            .map(Input::Text)
            .collect(),
        segment_length: tr.input(p, "segment_length", true),
        gop_length: tr.input(p, "gop_length", true),
        segment_lengths: read_string_table(&mut tr, p, "segment_lengths"),
        fragment_length: tr.input(p, "fragment_length", true),
        audio: read_audio(&mut tr, p),
        hls_audio_only: tr.boolean(p, "hls_audio_only"),
        captions: {
            let mut cs = tr.sub(p, "captions");
            let out = cs.exists().then(|| CaptionsSpec {
                format: cs.input(p, "format", false),
                language: cs.input(p, "language", false),
            });
            cs.finish(p, &[]);
            out
        },
        thumbnails: {
            let mut ts = tr.sub(p, "thumbnails");
            let out = ts.exists().then(|| ThumbnailsSpec {
                interval: ts.input(p, "interval", true),
                width: ts.integer(p, "width"),
                height: ts.integer(p, "height"),
                quality: ts.integer(p, "quality"),
                max_captures: ts.integer(p, "max_captures"),
            });
            ts.finish(p, &[]);
            out
        },
        queue: tr.input(p, "queue", false),
        priority: tr.integer(p, "priority"),
        acceleration: tr.input(p, "acceleration", false),
        status_update_interval: tr.input(p, "status_update_interval", true),
        user_metadata: read_string_table(&mut tr, p, "user_metadata"),
        job_template: tr.input(p, "job_template", false),
    };
    let abr_ladder = read_ladder(&mut tr, p);
    tr.finish(p, &[]);

    let mut ms = top.sub(p, "mediastore");
    let mediastore = ms.exists().then(|| MediaStoreSpec {
        container: Input::Text(ms.required(p, "container", false)),
    });
    ms.finish(p, &[]);

    let mut s3 = top.sub(p, "s3_origin");
    let s3_origin = s3.exists().then(|| S3OriginSpec {
        bucket: Input::Text(s3.required(p, "bucket", false)),
    });
    s3.finish(p, &[]);

    let mut cf = top.sub(p, "cloudfront");
    let cloudfront = CloudFrontSpec {
        comment: cf.text(p, "comment", false),
        origin_path: cf.input(p, "origin_path", false),
        origin_custom_headers: read_headers(&mut cf, p),
        object_caching: cf.input(p, "object_caching", false),
        min_ttl: cf.input(p, "min_ttl", true),
        default_ttl: cf.input(p, "default_ttl", true),
        max_ttl: cf.input(p, "max_ttl", true),
        error_caching_min_ttl: cf.input(p, "error_caching_min_ttl", true),
        cors_allowed_origins: cf
            .strings(p, "cors_allowed_origins")
            .into_iter()
            .map(Input::Text)
            .collect(),
        cache_settings: cf.input(p, "cache_settings", false),
        price_class: cf.input(p, "price_class", false),
        viewer_protocol_policy: cf.input(p, "viewer_protocol_policy", false),
        http_version: cf.input(p, "http_version", false),
        aliases: cf
            .strings(p, "aliases")
            .into_iter()
            .map(Input::Text)
            .collect(),
        acm_certificate_arn: cf.input(p, "acm_certificate_arn", false),
        enabled: cf.boolean(p, "enabled"),
        private_content: None,
    };
    let mut pc = cf.sub(p, "private_content");
    let cloudfront = CloudFrontSpec {
        private_content: pc.exists().then(|| PrivateContentSpec {
            public_keys: pc
                .strings(p, "public_keys")
                .into_iter()
                .map(std::path::PathBuf::from)
                .collect(),
            protect: pc.input(p, "protect", false),
        }),
        ..cloudfront
    };
    pc.finish(p, &[]);
    cf.finish(p, &[]);
    top.finish(p, &[]);

    PipelineSpec {
        name,
        region,
        source,
        transcode,
        abr_ladder,
        mediastore,
        s3_origin,
        cloudfront,
    }
}

fn read_ladder<'a>(tr: &mut Section<'a>, p: &mut Vec<Violation>) -> LadderSpec {
    let field = tr.field("abr_ladder");
    match tr.raw("abr_ladder") {
        None => {
            if tr.exists() {
                p.push(missing(field));
            }
            LadderSpec::Renditions(Vec::new())
        }
        Some(Value::String(s)) => LadderSpec::Preset(s.clone()),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let path = format!("{field}[{i}]");
                let Value::Table(t) = item else {
                    p.push(type_error(
                        path,
                        item,
                        "a table with width, height, max_bitrate and optionally qvbr_quality_level and codec",
                    ));
                    continue;
                };
                let mut s = Section {
                    path: path.clone(),
                    table: Some(t),
                    used: HashSet::new(),
                };
                let mut int =
                    |s: &mut Section<'_>, key: &'static str, required: bool| -> Option<i64> {
                        match t.get(key) {
                            None => {
                                if required {
                                    p.push(missing(format!("{path}.{key}")));
                                }
                                None
                            }
                            Some(v) => {
                                s.used.insert(key);
                                match v {
                                    Value::Integer(n) => Some(*n),
                                    other => {
                                        p.push(type_error(
                                            format!("{path}.{key}"),
                                            other,
                                            "a whole number",
                                        ));
                                        None
                                    }
                                }
                            }
                        }
                    };
                let width = int(&mut s, "width", true);
                let height = int(&mut s, "height", true);
                let qvbr = int(&mut s, "qvbr_quality_level", false);
                let codec = s.input(p, "codec", false);
                let had_br = t.contains_key("max_bitrate");
                let br = s.text(p, "max_bitrate", true);
                if !had_br {
                    p.push(missing(format!("{path}.max_bitrate")));
                }
                s.finish(p, &[]);
                if let (Some(width), Some(height), Some(br)) = (width, height, br) {
                    out.push(RenditionSpec {
                        width,
                        height,
                        max_bitrate: Input::Text(br),
                        qvbr_quality_level: qvbr,
                        codec,
                    });
                }
            }
            LadderSpec::Renditions(out)
        }
        Some(other) => {
            p.push(type_error(
                field,
                other,
                "a preset name (aws-qvbr, apple-hls, aws-vod-1080p) or an array of renditions",
            ));
            LadderSpec::Renditions(Vec::new())
        }
    }
}

fn read_audio<'a>(tr: &mut Section<'a>, p: &mut Vec<Violation>) -> Vec<AudioSpec> {
    let field = tr.field("audio");
    match tr.raw("audio") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let path = format!("{field}[{i}]");
                let Value::Table(t) = item else {
                    p.push(type_error(
                        path,
                        item,
                        "a table with bitrate and optionally coding_mode and sample_rate",
                    ));
                    continue;
                };
                let mut s = Section {
                    path: path.clone(),
                    table: Some(t),
                    used: HashSet::new(),
                };
                let had = t.contains_key("bitrate");
                let bitrate = s.text(p, "bitrate", true);
                if !had {
                    p.push(missing(format!("{path}.bitrate")));
                }
                let coding_mode = s.input(p, "coding_mode", false);
                let sample_rate = s.integer(p, "sample_rate");
                s.finish(p, &[]);
                if let Some(b) = bitrate {
                    out.push(AudioSpec {
                        bitrate: Input::Text(b),
                        coding_mode,
                        sample_rate,
                    });
                }
            }
            out
        }
        Some(other) => {
            p.push(type_error(field, other, "an array of audio renditions"));
            Vec::new()
        }
    }
}

fn read_string_table<'a>(
    s: &mut Section<'a>,
    p: &mut Vec<Violation>,
    key: &'a str,
) -> Vec<(String, String)> {
    let field = s.field(key);
    match s.raw(key) {
        None => Vec::new(),
        Some(Value::Table(t)) => t
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(v) => Some((k.clone(), v.clone())),
                other => {
                    p.push(type_error(format!("{field}.{k}"), other, "a string"));
                    None
                }
            })
            .collect(),
        Some(other) => {
            p.push(type_error(field, other, "a table of strings"));
            Vec::new()
        }
    }
}

fn read_headers<'a>(cf: &mut Section<'a>, p: &mut Vec<Violation>) -> Vec<(String, Secret)> {
    let field = cf.field("origin_custom_headers");
    match cf.raw("origin_custom_headers") {
        None => Vec::new(),
        Some(Value::Table(t)) => t
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k.clone(), Secret::new(s.clone()))),
                _ => {
                    // The value may be a secret: never echo it.
                    p.push(Violation {
                        field: format!("{field}.{k}"),
                        value: REDACTED.into(),
                        rule: "must be a string".into(),
                    });
                    None
                }
            })
            .collect(),
        Some(other) => {
            p.push(type_error(
                field,
                other,
                "a table of header names to values",
            ));
            Vec::new()
        }
    }
}
