//! AWS-style error (and plain JSON) responses, in each protocol's own shape.

use super::Resp;
use bytes::Bytes;
use http::StatusCode;

/// An AWS JSON (awsJson1_1 / restJson1) error: `{"__type": code, "message": msg}` plus `x-amzn-ErrorType`.
pub fn json_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Resp {
    let body = serde_json::json!({ "__type": code, "message": message, "Message": message });
    http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-ErrorType", code)
        .header("x-amzn-RequestId", request_id)
        .body(Bytes::from(body.to_string()))
        .expect("static response parts are valid")
}

/// An AWS restXml error as CloudFront sends it: `<ErrorResponse><Error><Type>Sender</Type><Code>..`.
pub fn xml_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Resp {
    let body = format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml_escape(code),
        xml_escape(message),
        xml_escape(request_id)
    );
    http::Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .header("x-amzn-RequestId", request_id)
        .body(Bytes::from(body))
        .expect("static response parts are valid")
}

/// A JSON success response.
pub fn json_ok(status: StatusCode, value: &serde_json::Value, request_id: &str) -> Resp {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", request_id)
        .body(Bytes::from(value.to_string()))
        .expect("static response parts are valid")
}

/// Escapes text for XML element content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// An S3-style XML error (`<Error><Code>..</Code>..</Error>`).
pub fn s3_xml_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Resp {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId><HostId>{}</HostId></Error>",
        xml_escape(code),
        xml_escape(message),
        xml_escape(request_id),
        xml_escape(request_id)
    );
    http::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .header("x-amz-request-id", request_id)
        .body(Bytes::from(body))
        .expect("static response parts are valid")
}
