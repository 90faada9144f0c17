//! Output groups: HLS, DASH ISO, CMAF, File and their settings (destination, segments, manifests).

use super::*;

pub(super) const GROUP_TYPES: &[&str] = &[
    "HLS_GROUP_SETTINGS",
    "DASH_ISO_GROUP_SETTINGS",
    "FILE_GROUP_SETTINGS",
    "MS_SMOOTH_GROUP_SETTINGS",
    "CMAF_GROUP_SETTINGS",
];

pub(super) fn plan_group(
    gi: usize,
    g: &Value,
    input_base: &str,
    input: Option<&InputPlan>,
) -> Result<GroupPlan, PlanError> {
    let path = format!("/settings/outputGroups/{gi}");
    let Some(ogs) = g.get("outputGroupSettings") else {
        return Err(bad(format!("{path}/outputGroupSettings: Required")));
    };
    let ty =
        s(ogs, "type").ok_or_else(|| bad(format!("{path}/outputGroupSettings/type: Required")))?;
    if !GROUP_TYPES.contains(&ty) {
        return Err(bad(format!(
            "{path}/outputGroupSettings/type: Should be one of {GROUP_TYPES:?}"
        )));
    }
    let (kind, member) = match ty {
        "HLS_GROUP_SETTINGS" => (GroupKind::Hls, "hlsGroupSettings"),
        "DASH_ISO_GROUP_SETTINGS" => (GroupKind::Dash, "dashIsoGroupSettings"),
        "CMAF_GROUP_SETTINGS" => (GroupKind::Cmaf, "cmafGroupSettings"),
        "FILE_GROUP_SETTINGS" => (GroupKind::File, "fileGroupSettings"),
        _ => {
            return Err(unsupported(format!(
                "{path}: output group type {ty} is not emulated"
            )));
        }
    };
    let Some(gs) = ogs.get(member) else {
        return Err(bad(format!(
            "{path}/outputGroupSettings/{member}: Required when type is {ty}"
        )));
    };
    let dest = s(gs, "destination").ok_or_else(|| {
        bad(format!(
            "{path}/outputGroupSettings/{member}/destination: Required"
        ))
    })?;
    let (dest_bucket, dest_dir, dest_base) = parse_destination(dest).ok_or_else(|| {
        bad(format!(
            "{path}/outputGroupSettings/{member}/destination: {dest} is not an s3:// URI"
        ))
    })?;
    let default_seg = match kind {
        GroupKind::Hls | GroupKind::Cmaf => 10.0,
        GroupKind::Dash => 30.0,
        GroupKind::File => 0.0,
    };
    let segment_length = n(gs, "segmentLength").unwrap_or(default_seg);
    if kind != GroupKind::File && segment_length < 1.0 {
        return Err(bad(format!(
            "{path}/outputGroupSettings/{member}/segmentLength: Should be >= 1"
        )));
    }
    let fragment_length = match kind {
        GroupKind::Dash | GroupKind::Cmaf => n(gs, "fragmentLength").unwrap_or(2.0),
        _ => segment_length,
    };
    if matches!(kind, GroupKind::Dash | GroupKind::Cmaf) && fragment_length < 1.0 {
        return Err(bad(format!(
            "{path}/outputGroupSettings/{member}/fragmentLength: Should be >= 1"
        )));
    }
    let single_file = s(gs, "segmentControl") == Some("SINGLE_FILE");
    let on_demand = s(gs, "mpdProfile") == Some("ON_DEMAND_PROFILE");
    if on_demand && !single_file {
        return Err(bad(format!(
            "{path}/outputGroupSettings/{member}/segmentControl: must be SINGLE_FILE when mpdProfile is ON_DEMAND_PROFILE"
        )));
    }
    for (k, what) in [
        ("encryption", "DRM encryption"),
        ("additionalManifests", "additional manifests"),
    ] {
        if gs
            .get(k)
            .is_some_and(|v| !v.is_null() && v != &Value::Array(vec![]))
        {
            return Err(unsupported(format!(
                "{path}/outputGroupSettings/{member}/{k}: {what} is not emulated"
            )));
        }
    }
    if let Some(itp) = s(gs, "imageBasedTrickPlay").filter(|v| *v != "NONE") {
        return Err(unsupported(format!(
            "{path}/outputGroupSettings/{member}/imageBasedTrickPlay: {itp} is not emulated"
        )));
    }
    if g.get("automatedEncodingSettings")
        .is_some_and(|v| v.as_object().is_some_and(|o| !o.is_empty()))
    {
        return Err(unsupported(format!(
            "{path}/automatedEncodingSettings: automated ABR is not emulated; give each output its size and bitrate"
        )));
    }
    let outputs_json = g
        .get("outputs")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let Some(outputs_json) = outputs_json else {
        return Err(bad(format!("{path}/outputs: Should have at least 1 items")));
    };
    let mut outputs = Vec::new();
    let mut modifiers = std::collections::HashSet::new();
    for (oi, o) in outputs_json.iter().enumerate() {
        let op = plan_output(&format!("{path}/outputs/{oi}"), oi, o, kind, input)?;
        // ffmpeg writes each output to a local file named from these: a '/' would point it outside the job's
        // work folder.
        for (member, value) in [
            ("nameModifier", op.name_modifier.as_str()),
            ("extension", op.extension.as_deref().unwrap_or("")),
        ] {
            if value.contains(['/', '\\', '\0']) {
                return Err(unsupported(format!(
                    "{path}/outputs/{oi}/{member}: [{value}] contains '/', '\\' or NUL, which the emulator does not support in output file names"
                )));
            }
        }
        if outputs_json.len() > 1 && op.name_modifier.is_empty() && kind != GroupKind::File {
            return Err(bad(format!(
                "{path}/outputs/{oi}/nameModifier: Required: outputs of a group with more than one output need a nameModifier"
            )));
        }
        if !modifiers.insert((
            op.name_modifier.clone(),
            op.extension.clone(),
            op.container.clone(),
        )) {
            return Err(bad(format!(
                "{path}/outputs/{oi}/nameModifier: Duplicate name modifier [{}] in output group",
                op.name_modifier
            )));
        }
        outputs.push(op);
    }
    let enabled = |k: &str| s(gs, k) != Some("DISABLED");
    Ok(GroupPlan {
        kind,
        index: gi,
        dest_bucket,
        dest_dir,
        base_name: dest_base.unwrap_or_else(|| input_base.to_string()),
        segment_length,
        fragment_length,
        single_file,
        integer_durations: s(gs, "manifestDurationFormat") == Some("INTEGER"),
        min_buffer_time_ms: u(gs, "minBufferTime").unwrap_or(30000),
        write_hls: (kind == GroupKind::Hls && s(gs, "outputSelection") != Some("SEGMENTS_ONLY"))
            || (kind == GroupKind::Cmaf && enabled("writeHlsManifest")),
        write_dash: kind == GroupKind::Dash
            || (kind == GroupKind::Cmaf && enabled("writeDashManifest")),
        on_demand_profile: on_demand,
        caption_match_video: s(gs, "captionSegmentLengthControl") == Some("MATCH_VIDEO"),
        stream_inf_resolution: s(gs, "streamInfResolution") != Some("EXCLUDE"),
        outputs,
    })
}
