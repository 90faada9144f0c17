//! The job's input: file, clipping, timecodes, selectors and captions sources.

use super::*;

pub(super) fn plan_input(input: &Value) -> Result<InputPlan, PlanError> {
    let Some(uri) = s(input, "fileInput") else {
        return Err(unsupported(
            "settings.inputs[0].videoGenerator: generated inputs are not emulated",
        ));
    };
    if uri.starts_with("https://") || uri.starts_with("http://") {
        return Err(unsupported(format!(
            "settings.inputs[0].fileInput [{uri}]: only s3:// inputs are emulated (the emulator never fetches from the network)"
        )));
    }
    let Some((bucket, key)) = parse_s3_uri(uri).filter(|(_, k)| !k.is_empty()) else {
        return Err(bad(format!(
            "/settings/inputs/0/fileInput: Does not match pattern: {uri} is not an s3:// URI of an object"
        )));
    };
    let clip = input
        .get("inputClippings")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    let clip_start = clip.and_then(|c| s(c, "startTimecode")).map(str::to_string);
    let clip_end = clip.and_then(|c| s(c, "endTimecode")).map(str::to_string);
    for tc in clip_start.iter().chain(clip_end.iter()) {
        if parse_timecode(tc, 30.0).is_none() {
            return Err(bad(format!(
                "/settings/inputs/0/inputClippings/0: timecode {tc} does not match HH:MM:SS:FF"
            )));
        }
    }
    let mut captions = Vec::new();
    if let Some(sel) = input.get("captionSelectors").and_then(Value::as_object) {
        for (name, cs) in sel {
            let Some(src) = cs.get("sourceSettings") else {
                continue;
            };
            let ty = s(src, "sourceType").unwrap_or("");
            match ty {
                "SRT" | "WEBVTT" => {
                    let Some(file) = src
                        .get("fileSourceSettings")
                        .and_then(|f| s(f, "sourceFile"))
                    else {
                        return Err(bad(format!(
                            "/settings/inputs/0/captionSelectors/{name}/sourceSettings/fileSourceSettings/sourceFile: Required"
                        )));
                    };
                    let Some((b, k)) = parse_s3_uri(file).filter(|(_, k)| !k.is_empty()) else {
                        return Err(unsupported(format!(
                            "caption selector [{name}]: only s3:// sidecar caption files are emulated, got {file}"
                        )));
                    };
                    let fss = &src["fileSourceSettings"];
                    let delta = n(fss, "timeDelta").unwrap_or(0.0);
                    let time_delta = if s(fss, "timeDeltaUnits") == Some("MILLISECONDS") {
                        delta / 1000.0
                    } else {
                        delta
                    };
                    captions.push(CaptionSource {
                        time_delta,
                        selector: name.clone(),
                        uri: file.to_string(),
                        bucket: b,
                        key: k,
                        language: super::language(cs, &format!("caption selector [{name}]"))?,
                    });
                }
                other => {
                    return Err(unsupported(format!(
                        "caption selector [{name}]: sourceType {other} is not emulated (only sidecar SRT and WEBVTT)"
                    )));
                }
            }
        }
    }
    Ok(InputPlan {
        uri: uri.to_string(),
        base_name: base_name_of(&key),
        bucket,
        key,
        clip_start,
        clip_end,
        captions,
    })
}

/// `HH:MM:SS:FF` (or `HH:MM:SS;FF`) to seconds at `fps`.
pub(crate) fn parse_timecode(tc: &str, fps: f64) -> Option<f64> {
    let parts: Vec<&str> = tc.split([':', ';']).collect();
    if parts.len() != 4 {
        return None;
    }
    let v: Vec<u64> = parts
        .iter()
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    if v[1] >= 60 || v[2] >= 60 {
        return None;
    }
    Some((v[0] * 3600 + v[1] * 60 + v[2]) as f64 + v[3] as f64 / fps.max(1.0))
}
