//! The checks against small models written here in botocore's format (the real models are not in the
//! repository; `tests/it/models.rs` runs the emulator with them).

use super::*;
use serde_json::json;

fn model(protocol: &str, operations: Value, shapes: Value) -> ServiceModel {
    let doc =
        json!({"metadata": {"protocol": protocol}, "operations": operations, "shapes": shapes});
    ServiceModel::parse(&doc.to_string()).expect("model parses")
}

fn req<'a>(
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a http::HeaderMap,
    body: &'a [u8],
) -> ModelRequest<'a> {
    ModelRequest {
        service: "test",
        method,
        path,
        query,
        headers,
        body,
    }
}

/// An S3-like REST XML model: objects by greedy key, an upload part told apart by its required query members,
/// a copy by its required header, and a tagging body with a wrapped list.
fn objects() -> ServiceModel {
    model(
        "rest-xml",
        json!({
            "PutObject": {"http": {"method": "PUT", "requestUri": "/{Bucket}/{Key+}?x-id=PutObject"}, "input": {"shape": "PutObjectRequest"}},
            "UploadPart": {"http": {"method": "PUT", "requestUri": "/{Bucket}/{Key+}?x-id=UploadPart"}, "input": {"shape": "UploadPartRequest"}},
            "CopyObject": {"http": {"method": "PUT", "requestUri": "/{Bucket}/{Key+}?x-id=CopyObject"}, "input": {"shape": "CopyObjectRequest"}},
            "PutObjectTagging": {"http": {"method": "PUT", "requestUri": "/{Bucket}/{Key+}?tagging"}, "input": {"shape": "TaggingRequest"}},
            "ListBuckets": {"http": {"method": "GET", "requestUri": "/"}},
            "PutBucketPolicy": {"http": {"method": "PUT", "requestUri": "/{Bucket}?policy"}, "input": {"shape": "PutBucketPolicyRequest"}},
        }),
        json!({
            "Bucket": {"type": "string", "min": 3, "max": 63},
            "Key": {"type": "string", "min": 1},
            "PartNumber": {"type": "integer", "min": 1, "max": 10000},
            "UploadId": {"type": "string"},
            "CopySource": {"type": "string", "pattern": "^/?[^/]+/.+$"},
            "StorageClass": {"type": "string", "enum": ["STANDARD", "GLACIER"]},
            "Body": {"type": "blob", "streaming": true},
            "PutObjectRequest": {"type": "structure", "required": ["Bucket", "Key", "Body"], "payload": "Body", "members": {
                "Bucket": {"shape": "Bucket", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Key", "location": "uri", "locationName": "Key"},
                "StorageClass": {"shape": "StorageClass", "location": "header", "locationName": "x-amz-storage-class"},
                "Body": {"shape": "Body"}}},
            "UploadPartRequest": {"type": "structure", "required": ["Bucket", "Key", "PartNumber", "UploadId"], "payload": "Body", "members": {
                "Bucket": {"shape": "Bucket", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Key", "location": "uri", "locationName": "Key"},
                "PartNumber": {"shape": "PartNumber", "location": "querystring", "locationName": "partNumber"},
                "UploadId": {"shape": "UploadId", "location": "querystring", "locationName": "uploadId"},
                "Body": {"shape": "Body"}}},
            "CopyObjectRequest": {"type": "structure", "required": ["Bucket", "Key", "CopySource"], "members": {
                "Bucket": {"shape": "Bucket", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Key", "location": "uri", "locationName": "Key"},
                "CopySource": {"shape": "CopySource", "location": "header", "locationName": "x-amz-copy-source"}}},
            "Policy": {"type": "string", "max": 20},
            "PutBucketPolicyRequest": {"type": "structure", "required": ["Bucket", "Policy"], "payload": "Policy", "members": {
                "Bucket": {"shape": "Bucket", "location": "uri", "locationName": "Bucket"},
                "Policy": {"shape": "Policy"}}},
            "Tag": {"type": "structure", "required": ["Key", "Value"], "members": {
                "Key": {"shape": "TagKey"}, "Value": {"shape": "TagValue"}}},
            "TagKey": {"type": "string", "min": 1, "max": 128},
            "TagValue": {"type": "string", "max": 256, "sensitive": true},
            "TagSet": {"type": "list", "member": {"shape": "Tag", "locationName": "Tag"}, "max": 2},
            "Tagging": {"type": "structure", "required": ["TagSet"], "members": {"TagSet": {"shape": "TagSet"}}},
            "TaggingRequest": {"type": "structure", "required": ["Bucket", "Key", "Tagging"], "payload": "Tagging", "members": {
                "Bucket": {"shape": "Bucket", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Key", "location": "uri", "locationName": "Key"},
                "Tagging": {"shape": "Tagging", "locationName": "Tagging"}}},
        }),
    )
}

/// A MediaConvert-like REST JSON model: body members by `locationName`, a label, a query integer.
fn jobs() -> ServiceModel {
    model(
        "rest-json",
        json!({
            "CreateJob": {"http": {"method": "POST", "requestUri": "/2017-08-29/jobs"}, "input": {"shape": "CreateJobRequest"}},
            "GetJob": {"http": {"method": "GET", "requestUri": "/2017-08-29/jobs/{id}"}, "input": {"shape": "GetJobRequest"}},
            "ListJobs": {"http": {"method": "GET", "requestUri": "/2017-08-29/jobs"}, "input": {"shape": "ListJobsRequest"}},
        }),
        json!({
            "__string": {"type": "string"},
            "__stringMin1": {"type": "string", "min": 1},
            "__integerMin1Max20": {"type": "integer", "min": 1, "max": 20},
            "__stringPatternS3": {"type": "string", "pattern": "^s3:\\/\\/"},
            "Codec": {"type": "string", "enum": ["H_264", "H_265"]},
            "Output": {"type": "structure", "members": {
                "Codec": {"shape": "Codec", "locationName": "codec"},
                "Priority": {"shape": "__integerMin1Max20", "locationName": "priority"}}},
            "__listOfOutput": {"type": "list", "member": {"shape": "Output"}, "min": 1},
            "Settings": {"type": "structure", "members": {
                "Destination": {"shape": "__stringPatternS3", "locationName": "destination"},
                "Outputs": {"shape": "__listOfOutput", "locationName": "outputs"}}},
            "CreateJobRequest": {"type": "structure", "required": ["Role", "Settings"], "members": {
                "Role": {"shape": "__stringMin1", "locationName": "role"},
                "Settings": {"shape": "Settings", "locationName": "settings"}}},
            "GetJobRequest": {"type": "structure", "required": ["Id"], "members": {
                "Id": {"shape": "__stringMin1", "location": "uri", "locationName": "id"}}},
            "ListJobsRequest": {"type": "structure", "members": {
                "MaxResults": {"shape": "__integerMin1Max20", "location": "querystring", "locationName": "maxResults"}}},
        }),
    )
}

fn check(m: &ServiceModel, r: &ModelRequest<'_>) -> Result<Option<String>, ModelError> {
    m.check(r)
}

#[test]
fn operations_are_told_apart_by_template_query_and_required_bindings() {
    let m = objects();
    let none = http::HeaderMap::new();
    let op = |method, path, query, headers| {
        check(&m, &req(method, path, query, headers, b"")).map(|o| o.unwrap_or_default())
    };
    assert_eq!(
        op("PUT", "/bkt/a/b.ts", None, &none),
        Ok("PutObject".into())
    );
    assert_eq!(
        op("PUT", "/bkt/a/b.ts", Some("partNumber=2&uploadId=u"), &none),
        Ok("UploadPart".into())
    );
    let mut copy = http::HeaderMap::new();
    copy.insert("x-amz-copy-source", "src/key".parse().unwrap());
    assert_eq!(op("PUT", "/bkt/a", None, &copy), Ok("CopyObject".into()));
    // The SDK's x-id names the operation outright.
    assert_eq!(
        op("PUT", "/bkt/a", Some("x-id=PutObject"), &copy),
        Ok("PutObject".into())
    );
    assert_eq!(op("GET", "/", None, &none), Ok("ListBuckets".into()));
    // No operation fits: not checked here.
    assert_eq!(op("DELETE", "/bkt/a", None, &none), Ok(String::new()));
}

#[test]
fn uri_query_and_header_members_are_checked() {
    let m = objects();
    let mut h = http::HeaderMap::new();
    h.insert("x-amz-storage-class", "COLD".parse().unwrap());
    let err = check(&m, &req("PUT", "/bk/k", None, &h, b"")).unwrap_err();
    assert_eq!(err.operation, "PutObject");
    assert!(
        err.message.starts_with("2 validation errors detected"),
        "{}",
        err.message
    );
    assert!(err.message.contains("Value at 'Bucket' failed to satisfy constraint: Member must have length greater than or equal to 3"), "{}", err.message);
    assert!(err.message.contains("Value at 'StorageClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, GLACIER]"), "{}", err.message);

    let none = http::HeaderMap::new();
    let err = check(
        &m,
        &req("PUT", "/bkt/k", Some("partNumber=x&uploadId=u"), &none, b""),
    )
    .unwrap_err();
    assert_eq!(err.operation, "UploadPart");
    assert!(
        err.message
            .contains("'PartNumber' failed to satisfy constraint: Member must be an integer"),
        "{}",
        err.message
    );
    let err = check(
        &m,
        &req(
            "PUT",
            "/bkt/k",
            Some("partNumber=10001&uploadId=u"),
            &none,
            b"",
        ),
    )
    .unwrap_err();
    assert!(
        err.message
            .contains("Member must have value less than or equal to 10000"),
        "{}",
        err.message
    );

    let mut copy = http::HeaderMap::new();
    copy.insert("x-amz-copy-source", "no-slash".parse().unwrap());
    let err = check(&m, &req("PUT", "/bkt/k", None, &copy, b"")).unwrap_err();
    assert!(err.message.contains("'CopySource' failed to satisfy constraint: Member must satisfy regular expression pattern: ^/?[^/]+/.+$"), "{}", err.message);
}

#[test]
fn xml_bodies_are_decoded_by_shape_and_values_never_echoed() {
    let m = objects();
    let none = http::HeaderMap::new();
    let ok = br#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"#;
    assert_eq!(
        check(&m, &req("PUT", "/bkt/k", Some("tagging"), &none, ok)),
        Ok(Some("PutObjectTagging".into()))
    );
    let secret = "s".repeat(300);
    let bad = format!(
        "<Tagging><TagSet><Tag><Key></Key><Value>{secret}</Value></Tag><Tag><Value>v</Value></Tag><Tag><Key>c</Key><Value>3</Value></Tag></TagSet></Tagging>"
    );
    let err = check(
        &m,
        &req("PUT", "/bkt/k", Some("tagging"), &none, bad.as_bytes()),
    )
    .unwrap_err();
    for expected in [
        "'Tagging.TagSet' failed to satisfy constraint: Member must have length less than or equal to 2",
        "'Tagging.TagSet[0].Key' failed to satisfy constraint: Member must have length greater than or equal to 1",
        "'Tagging.TagSet[0].Value' failed to satisfy constraint: Member must have length less than or equal to 256",
        "'Tagging.TagSet[1].Key' failed to satisfy constraint: Member must not be null",
    ] {
        assert!(
            err.message.contains(expected),
            "{expected} in {}",
            err.message
        );
    }
    assert!(
        !err.message.contains("sss"),
        "a value was echoed: {}",
        err.message
    );
    let err = check(
        &m,
        &req("PUT", "/bkt/k", Some("tagging"), &none, b"<Tagging>"),
    )
    .unwrap_err();
    assert!(
        err.message.contains("the body is not XML"),
        "{}",
        err.message
    );
}

#[test]
fn json_bodies_are_read_by_location_name_and_typed() {
    let m = jobs();
    let none = http::HeaderMap::new();
    let good = json!({"role": "arn", "settings": {"destination": "s3://b/", "outputs": [{"codec": "H_264", "priority": 3}]}});
    let body = good.to_string();
    assert_eq!(
        check(
            &m,
            &req("POST", "/2017-08-29/jobs", None, &none, body.as_bytes())
        ),
        Ok(Some("CreateJob".into()))
    );
    let bad = json!({"role": "", "settings": {"destination": "https://x", "outputs": [{"codec": "AV1", "priority": 21}, {"priority": "high"}]}});
    let body = bad.to_string();
    let err = check(
        &m,
        &req("POST", "/2017-08-29/jobs", None, &none, body.as_bytes()),
    )
    .unwrap_err();
    for expected in [
        "'Role' failed to satisfy constraint: Member must have length greater than or equal to 1",
        "'Settings.Destination' failed to satisfy constraint: Member must satisfy regular expression pattern",
        "'Settings.Outputs[0].Codec' failed to satisfy constraint: Member must satisfy enum value set: [H_264, H_265]",
        "'Settings.Outputs[0].Priority' failed to satisfy constraint: Member must have value less than or equal to 20",
        "'Settings.Outputs[1].Priority' failed to satisfy constraint: Member must be an integer",
    ] {
        assert!(
            err.message.contains(expected),
            "{expected} in {}",
            err.message
        );
    }
    let err = check(&m, &req("POST", "/2017-08-29/jobs", None, &none, b"{}")).unwrap_err();
    assert!(
        err.message
            .contains("'Role' failed to satisfy constraint: Member must not be null"),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("'Settings' failed to satisfy constraint: Member must not be null"),
        "{}",
        err.message
    );
    let err = check(&m, &req("POST", "/2017-08-29/jobs", None, &none, b"[1]")).unwrap_err();
    assert!(
        err.message.contains("the body must be a JSON object"),
        "{}",
        err.message
    );

    assert_eq!(
        check(&m, &req("GET", "/2017-08-29/jobs/123", None, &none, b"")),
        Ok(Some("GetJob".into()))
    );
    let err = check(
        &m,
        &req("GET", "/2017-08-29/jobs", Some("maxResults=0"), &none, b""),
    )
    .unwrap_err();
    assert_eq!(err.operation, "ListJobs");
    assert!(err.message.contains("'MaxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"), "{}", err.message);
}

#[test]
fn the_json_protocol_finds_the_operation_by_target_and_caps_the_message() {
    let m = model(
        "json",
        json!({"CreateContainer": {"http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "Req"}}}),
        json!({
            "Name": {"type": "string", "pattern": "^[\\w-]+$", "max": 3},
            "Names": {"type": "list", "member": {"shape": "Name"}},
            "Req": {"type": "structure", "members": {"Names": {"shape": "Names"}}},
        }),
    );
    let mut h = http::HeaderMap::new();
    h.insert(
        "x-amz-target",
        "MediaStore_20170901.CreateContainer".parse().unwrap(),
    );
    let body = json!({"Names": vec!["toolong"; 12]}).to_string();
    let err = check(&m, &req("POST", "/", None, &h, body.as_bytes())).unwrap_err();
    assert_eq!(err.operation, "CreateContainer");
    assert!(
        err.message.starts_with("12 validation errors detected"),
        "{}",
        err.message
    );
    assert!(err.message.ends_with("and 2 more"), "{}", err.message);
    let none = http::HeaderMap::new();
    assert_eq!(check(&m, &req("POST", "/", None, &none, b"{}")), Ok(None));
}

#[test]
fn patterns_rust_cannot_compile_are_counted_not_checked() {
    let m = model(
        "json",
        json!({}),
        json!({"A": {"type": "string", "pattern": "^(?!aws:).*$"}, "B": {"type": "string", "pattern": "^a$"}}),
    );
    assert_eq!(m.patterns.values().filter(|p| p.is_none()).count(), 1);
    assert_eq!(m.patterns.len(), 2);
}

#[test]
fn loading_names_the_missing_model_and_how_to_get_it() {
    let dir = std::env::temp_dir().join(format!("models-{}", uuid::Uuid::new_v4().simple()));
    let err = ServiceModels::load(&dir).unwrap_err();
    assert!(err.contains("s3/service-2.json"), "{err}");
    assert!(err.contains("emulator/scripts/service-models"), "{err}");
}

#[test]
fn word_and_digit_classes_are_ascii_as_in_java() {
    assert_eq!(
        ascii_classes(r"^[\w\-\/]{1,255}$"),
        r"^[[0-9A-Za-z_]\-\/]{1,255}$"
    );
    assert_eq!(
        ascii_classes(r"\d:\D\W\\w"),
        r"[0-9]:[^0-9][^0-9A-Za-z_]\\w"
    );
    let m = model(
        "json",
        json!({}),
        json!({"Name": {"type": "string", "pattern": "^[\\w-]{1,255}$"}}),
    );
    let re = m
        .patterns
        .values()
        .next()
        .unwrap()
        .as_ref()
        .expect("compiles");
    assert!(re.is_match("seed_vod-1"));
    assert!(!re.is_match("caf\u{e9}"), "Java's \\w is ASCII");
}

#[test]
fn payloads_that_are_not_structures_are_the_body() {
    let m = objects();
    let none = http::HeaderMap::new();
    // A blob payload is there even when empty (a required one too), and its bytes are not checked.
    assert_eq!(
        check(&m, &req("PUT", "/bkt/k", None, &none, b"")),
        Ok(Some("PutObject".into()))
    );
    assert_eq!(
        check(&m, &req("PUT", "/bkt/k", None, &none, b"<not xml")),
        Ok(Some("PutObject".into()))
    );
    // A string payload is checked as the string.
    assert_eq!(
        check(
            &m,
            &req("PUT", "/bkt", Some("policy"), &none, br#"{"Version":"1"}"#)
        ),
        Ok(Some("PutBucketPolicy".into()))
    );
    let err = check(&m, &req("PUT", "/bkt", Some("policy"), &none, &[b'x'; 21])).unwrap_err();
    assert!(err.message.contains("'Policy' failed to satisfy constraint: Member must have length less than or equal to 20"), "{}", err.message);
    let err = check(&m, &req("PUT", "/bkt", Some("policy"), &none, b"")).unwrap_err();
    assert!(
        err.message
            .contains("'Policy' failed to satisfy constraint: Member must not be null"),
        "{}",
        err.message
    );
}
