//! The control plane (JSON 1.1, `X-Amz-Target`): containers, their policies (container, CORS, lifecycle,
//! metric), access logging and tags.

use super::*;

pub(super) fn new_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..12)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub(super) fn control(shared: &SharedRef, req: Req) -> Resp {
    let rid = req.ctx.request_id.clone();
    let target = req
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let Some(op) = target.strip_prefix("MediaStore_20170901.") else {
        return err(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("Unknown target {target}"),
            &rid,
        );
    };
    let input: Value = if req.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return err(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    "The request body is not a JSON object",
                    &rid,
                );
            }
        }
    };
    let st = &shared.mediastore;
    let port = shared.config.port;
    let region = req.ctx.region.clone();
    let name_of = |input: &Value| {
        input
            .get("ContainerName")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let static_op: &'static str = match op {
        "CreateContainer" => "CreateContainer",
        "DescribeContainer" => "DescribeContainer",
        "ListContainers" => "ListContainers",
        "DeleteContainer" => "DeleteContainer",
        "PutContainerPolicy" => "PutContainerPolicy",
        "GetContainerPolicy" => "GetContainerPolicy",
        "DeleteContainerPolicy" => "DeleteContainerPolicy",
        "PutCorsPolicy" => "PutCorsPolicy",
        "GetCorsPolicy" => "GetCorsPolicy",
        "DeleteCorsPolicy" => "DeleteCorsPolicy",
        "PutLifecyclePolicy" => "PutLifecyclePolicy",
        "GetLifecyclePolicy" => "GetLifecyclePolicy",
        "DeleteLifecyclePolicy" => "DeleteLifecyclePolicy",
        "PutMetricPolicy" => "PutMetricPolicy",
        "GetMetricPolicy" => "GetMetricPolicy",
        "DeleteMetricPolicy" => "DeleteMetricPolicy",
        "StartAccessLogging" => "StartAccessLogging",
        "StopAccessLogging" => "StopAccessLogging",
        "TagResource" => "TagResource",
        "UntagResource" => "UntagResource",
        "ListTagsForResource" => "ListTagsForResource",
        _ => {
            return err(
                StatusCode::BAD_REQUEST,
                "UnknownOperationException",
                &format!("Unknown operation {op}"),
                &rid,
            );
        }
    };
    let r = control_op(
        st,
        static_op,
        &input,
        &region,
        &req.ctx.account_id,
        port,
        &rid,
        name_of,
    );
    let read_only = ["Describe", "List", "Get"]
        .iter()
        .any(|p| static_op.starts_with(p));
    if r.status().is_success() && !read_only {
        st.save_containers();
    }
    with_op(r, static_op)
}

pub(super) fn not_found(name: &str, rid: &str) -> Resp {
    err(
        StatusCode::BAD_REQUEST,
        "ContainerNotFoundException",
        &format!("Container {name} does not exist"),
        rid,
    )
}

pub(super) fn parse_tags(v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let arr = v.as_array().ok_or("Tags must be a list")?;
    let mut out: Vec<(String, String)> = Vec::new();
    for t in arr {
        let k = t
            .get("Key")
            .and_then(Value::as_str)
            .ok_or("Each tag needs a Key")?;
        if k.is_empty() || k.len() > 128 || k.starts_with("aws:") {
            return Err(format!("Invalid tag key {k}"));
        }
        let val = t.get("Value").and_then(Value::as_str).unwrap_or("");
        if val.len() > 256 {
            return Err(format!("Invalid tag value for key {k}"));
        }
        out.retain(|(x, _)| x != k);
        out.push((k.to_string(), val.to_string()));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn control_op(
    st: &State,
    op: &'static str,
    input: &Value,
    region: &str,
    account: &str,
    port: u16,
    rid: &str,
    name_of: impl Fn(&Value) -> Option<String>,
) -> Resp {
    let mut cs = st.lock();
    // Operations on one container by name, in the caller's account and Region.
    let find = |cs: &Vec<Container>, name: &str| {
        cs.iter()
            .position(|c| c.name == name && c.region == region && c.account == account)
    };
    let mine = |c: &&Container| c.region == region && c.account == account;
    match op {
        "CreateContainer" => {
            let Some(name) = name_of(input) else {
                return validation("ContainerName is required", rid);
            };
            if !valid_container_name(&name) {
                return validation(
                    "1 validation error detected: Value at 'containerName' failed to satisfy constraint: Member must have length between 1 and 255 and contain only letters, numbers and underscores",
                    rid,
                );
            }
            if find(&cs, &name).is_some() {
                return err(
                    StatusCode::BAD_REQUEST,
                    "ContainerInUseException",
                    &format!("Container {name} already exists"),
                    rid,
                );
            }
            if cs.iter().filter(mine).count() >= MAX_CONTAINERS {
                return err(
                    StatusCode::BAD_REQUEST,
                    "LimitExceededException",
                    "Container limit exceeded",
                    rid,
                );
            }
            let tags = match parse_tags(input.get("Tags")) {
                Ok(t) => t,
                Err(e) => return validation(&e, rid),
            };
            let c = Container {
                name,
                region: region.to_string(),
                account: account.to_string(),
                id: new_id(),
                created: SystemTime::now(),
                created_at: Instant::now(),
                access_logging: false,
                policy: None,
                cors: None,
                lifecycle: None,
                metric: None,
                tags,
                objects: BTreeMap::new(),
            };
            let v = json!({ "Container": c.to_json(port, false) });
            cs.push(c);
            ok_json(v, rid)
        }
        "ListContainers" => {
            let max = match input.get("MaxResults") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_u64() {
                    Some(n) if (1..=100).contains(&n) => Some(n as usize),
                    _ => return validation("MaxResults must be between 1 and 100", rid),
                },
            };
            let list: Vec<&Container> = cs.iter().filter(mine).collect();
            let start = match input.get("NextToken").and_then(Value::as_str) {
                None => 0,
                Some(t) => match t.strip_prefix("ms1-").and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) if n <= list.len() => n,
                    _ => return validation("Invalid NextToken", rid),
                },
            };
            let end = max
                .map(|m| (start + m).min(list.len()))
                .unwrap_or(list.len());
            let page: Vec<Value> = list[start..end]
                .iter()
                .map(|c| c.to_json(port, true))
                .collect();
            let mut v = json!({ "Containers": page });
            if end < list.len() {
                v["NextToken"] = json!(format!("ms1-{end}"));
            }
            ok_json(v, rid)
        }
        "DescribeContainer" => {
            let Some(name) = name_of(input) else {
                return validation("ContainerName is required", rid);
            };
            match find(&cs, &name) {
                Some(i) => ok_json(json!({ "Container": cs[i].to_json(port, true) }), rid),
                None => not_found(&name, rid),
            }
        }
        "TagResource" | "UntagResource" | "ListTagsForResource" => {
            let arn = input.get("Resource").and_then(Value::as_str).unwrap_or("");
            let Some(i) = cs
                .iter()
                .position(|c| c.arn() == arn && c.account == account)
            else {
                return err(
                    StatusCode::BAD_REQUEST,
                    "ContainerNotFoundException",
                    &format!("Resource {arn} does not exist"),
                    rid,
                );
            };
            let c = &mut cs[i];
            match op {
                "TagResource" => {
                    let tags = match parse_tags(input.get("Tags")) {
                        Ok(t) => t,
                        Err(e) => return validation(&e, rid),
                    };
                    for (k, v) in tags {
                        c.tags.retain(|(x, _)| *x != k);
                        c.tags.push((k, v));
                    }
                    if c.tags.len() > 50 {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "LimitExceededException",
                            "A container can have at most 50 tags",
                            rid,
                        );
                    }
                    ok_json(json!({}), rid)
                }
                "UntagResource" => {
                    let keys: Vec<String> = input
                        .get("TagKeys")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|k| k.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    c.tags.retain(|(k, _)| !keys.contains(k));
                    ok_json(json!({}), rid)
                }
                _ => {
                    let tags: Vec<Value> = c
                        .tags
                        .iter()
                        .map(|(k, v)| json!({"Key": k, "Value": v}))
                        .collect();
                    ok_json(json!({ "Tags": tags }), rid)
                }
            }
        }
        _ => {
            let Some(name) = name_of(input) else {
                return validation("ContainerName is required", rid);
            };
            let Some(i) = find(&cs, &name) else {
                return not_found(&name, rid);
            };
            let creating = cs[i].status() == "CREATING";
            let in_use = || {
                err(
                    StatusCode::BAD_REQUEST,
                    "ContainerInUseException",
                    &format!("Container {name} is being created or updated"),
                    rid,
                )
            };
            let is_put = op.starts_with("Put")
                || op.starts_with("Start")
                || op.starts_with("Stop")
                || op.starts_with("Delete");
            if creating && is_put {
                return in_use();
            }
            let c = &mut cs[i];
            let policy_missing = |what: &str| {
                err(
                    StatusCode::BAD_REQUEST,
                    "PolicyNotFoundException",
                    &format!("No {what} policy found for container {name}"),
                    rid,
                )
            };
            match op {
                "DeleteContainer" => {
                    if !c.objects.is_empty() {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "ContainerInUseException",
                            &format!("Container {name} is not empty: delete its objects first"),
                            rid,
                        );
                    }
                    let dirs = st.container_dirs(&c.key());
                    cs.remove(i);
                    for dir in dirs.into_iter().flatten() {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                    ok_json(json!({}), rid)
                }
                "PutContainerPolicy" => {
                    let Some(p) = input.get("Policy").and_then(Value::as_str) else {
                        return validation("Policy is required", rid);
                    };
                    if p.is_empty() || p.len() > 8192 || !p.is_ascii() {
                        return validation("Policy must be 1 to 8192 ASCII characters", rid);
                    }
                    match serde_json::from_str::<Value>(p) {
                        Ok(Value::Object(o)) if o.contains_key("Statement") => {}
                        _ => {
                            return validation(
                                "Policy is not a valid JSON policy document (it needs a Statement)",
                                rid,
                            );
                        }
                    }
                    c.policy = Some(p.to_string());
                    ok_json(json!({}), rid)
                }
                "GetContainerPolicy" => match &c.policy {
                    Some(p) => ok_json(json!({ "Policy": p }), rid),
                    None => policy_missing("container"),
                },
                "DeleteContainerPolicy" => {
                    if c.policy.take().is_none() {
                        return policy_missing("container");
                    }
                    ok_json(json!({}), rid)
                }
                "PutCorsPolicy" => {
                    let Some(rules) = input.get("CorsPolicy").and_then(Value::as_array) else {
                        return validation("CorsPolicy is required", rid);
                    };
                    if rules.is_empty() || rules.len() > 100 {
                        return validation("CorsPolicy must have 1 to 100 rules", rid);
                    }
                    for r in rules {
                        let origins = r.get("AllowedOrigins").and_then(Value::as_array);
                        let headers = r.get("AllowedHeaders").and_then(Value::as_array);
                        if origins.is_none_or(|o| o.is_empty()) || headers.is_none() {
                            return validation(
                                "Each CORS rule needs AllowedOrigins and AllowedHeaders",
                                rid,
                            );
                        }
                        if let Some(ms) = r.get("AllowedMethods").and_then(Value::as_array)
                            && ms.iter().any(|m| {
                                !matches!(m.as_str(), Some("PUT" | "GET" | "DELETE" | "HEAD"))
                            })
                        {
                            return validation(
                                "AllowedMethods may only contain PUT, GET, DELETE, HEAD",
                                rid,
                            );
                        }
                    }
                    c.cors = Some(Value::Array(rules.clone()));
                    ok_json(json!({}), rid)
                }
                "GetCorsPolicy" => match &c.cors {
                    Some(p) => ok_json(json!({ "CorsPolicy": p }), rid),
                    None => err(
                        StatusCode::BAD_REQUEST,
                        "CorsPolicyNotFoundException",
                        &format!("No CORS policy found for container {name}"),
                        rid,
                    ),
                },
                "DeleteCorsPolicy" => {
                    if c.cors.take().is_none() {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "CorsPolicyNotFoundException",
                            &format!("No CORS policy found for container {name}"),
                            rid,
                        );
                    }
                    ok_json(json!({}), rid)
                }
                "PutLifecyclePolicy" => {
                    let Some(p) = input.get("LifecyclePolicy").and_then(Value::as_str) else {
                        return validation("LifecyclePolicy is required", rid);
                    };
                    match serde_json::from_str::<Value>(p) {
                        Ok(Value::Object(o)) if o.get("rules").is_some_and(Value::is_array) => {}
                        _ => {
                            return validation(
                                "LifecyclePolicy must be a JSON object with a rules array",
                                rid,
                            );
                        }
                    }
                    c.lifecycle = Some(p.to_string());
                    ok_json(json!({}), rid)
                }
                "GetLifecyclePolicy" => match &c.lifecycle {
                    Some(p) => ok_json(json!({ "LifecyclePolicy": p }), rid),
                    None => policy_missing("lifecycle"),
                },
                "DeleteLifecyclePolicy" => {
                    if c.lifecycle.take().is_none() {
                        return policy_missing("lifecycle");
                    }
                    ok_json(json!({}), rid)
                }
                "PutMetricPolicy" => {
                    let Some(p) = input.get("MetricPolicy").filter(|p| p.is_object()) else {
                        return validation("MetricPolicy is required", rid);
                    };
                    if !matches!(
                        p.get("ContainerLevelMetrics").and_then(Value::as_str),
                        Some("ENABLED" | "DISABLED")
                    ) {
                        return validation(
                            "ContainerLevelMetrics must be ENABLED or DISABLED",
                            rid,
                        );
                    }
                    c.metric = Some(p.clone());
                    ok_json(json!({}), rid)
                }
                "GetMetricPolicy" => match &c.metric {
                    Some(p) => ok_json(json!({ "MetricPolicy": p }), rid),
                    None => policy_missing("metric"),
                },
                "DeleteMetricPolicy" => {
                    if c.metric.take().is_none() {
                        return policy_missing("metric");
                    }
                    ok_json(json!({}), rid)
                }
                "StartAccessLogging" => {
                    c.access_logging = true;
                    ok_json(json!({}), rid)
                }
                "StopAccessLogging" => {
                    c.access_logging = false;
                    ok_json(json!({}), rid)
                }
                _ => err(
                    StatusCode::BAD_REQUEST,
                    "UnknownOperationException",
                    "Unknown operation",
                    rid,
                ),
            }
        }
    }
}
