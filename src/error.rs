//! The crate's error type.
//!
//! A caller can always tell "fix your input" ([`Error::Invalid`], [`Error::SpecRead`],
//! [`Error::SpecParse`]) apart from failures that later versions add for AWS calls.

use std::fmt;
use std::path::PathBuf;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The pipeline description is invalid. Every problem found is listed, not only the first.
    #[error("{0}")]
    Invalid(Violations),

    /// An input of the CloudFront signer is invalid: the key-pair id, the private key (never shown),
    /// the URL or the policy. Every problem found is listed. Nothing was signed.
    #[error("cannot sign: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidSigningInput(Vec<Violation>),

    /// A spec file could not be read.
    #[error("cannot read spec file {}: {source}", path.display())]
    SpecRead {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },

    /// A spec file is not valid TOML. (Unknown keys and wrong values are [`Error::Invalid`].)
    #[error("spec file {} is not valid TOML: {message}", path.display())]
    SpecParse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },

    /// An AWS call failed: the operation, the resource, AWS's code, message and request id.
    #[error(transparent)]
    Aws(Box<AwsError>),

    /// A MediaConvert job ended in `ERROR` or `CANCELED`.
    #[error("MediaConvert job {job_id} for asset {asset:?} ended {status}: {message}{}", code.map(|c| format!(" (error code {c})")).unwrap_or_default())]
    Job {
        /// The asset.
        asset: String,
        /// The job id.
        job_id: String,
        /// `ERROR` or `CANCELED`.
        status: String,
        /// MediaConvert's `errorCode`.
        code: Option<i32>,
        /// MediaConvert's `errorMessage`.
        message: String,
    },

    /// A resource exists under the pipeline's name but cannot be used, such as a bucket owned by
    /// another account. Apply never takes over what it does not own.
    #[error("{resource}: {reason}")]
    Conflict {
        /// The resource.
        resource: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// Waiting for AWS took longer than allowed.
    #[error("timed out after {waited_secs} s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        waited_secs: u64,
    },

    /// A local file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },

    /// The configured endpoint URL (`AWS_ENDPOINT_URL`, a profile's `endpoint_url`, or
    /// `SdkConfig::endpoint_url`, as when pointing at an emulator) accepts no connection. Checked
    /// before the first call, so that a wrong or stopped endpoint fails at once, named, rather than
    /// after the SDK's retries. AWS's own endpoints are never probed.
    #[error(
        "cannot reach the AWS endpoint {endpoint}: {reason}. It comes from AWS_ENDPOINT_URL, a profile's endpoint_url or SdkConfig::endpoint_url: check that the service runs there (for the emulator: cargo run -p vod-emulator), or remove it to use AWS"
    )]
    Unreachable {
        /// The endpoint URL.
        endpoint: String,
        /// What the connection attempt said.
        reason: String,
    },

    /// Playback cannot be verified: the pipeline has no distribution, or no playback URL.
    #[error("pipeline {pipeline:?} is not deployed: {reason}")]
    NotDeployed {
        /// The pipeline.
        pipeline: String,
        /// What is missing.
        reason: String,
    },

    /// An HTTP client for verification could not be set up.
    #[error("{message}: {source}")]
    Http {
        /// What failed.
        message: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A step could not finish for a reason that is neither AWS's error answer nor the input, such as
    /// a MediaConvert job that wrote no output, or a response body that broke off.
    #[error("step {step}: {message}")]
    Step {
        /// The step id.
        step: String,
        /// What went wrong.
        message: String,
    },

    /// AWS answered a call with success but without a value this crate needs (such as an ETag).
    #[error("{operation} on {resource}: the response has no {field}")]
    IncompleteResponse {
        /// The call, as IAM names it: `cloudfront:GetDistributionConfig`.
        operation: String,
        /// The resource it acted on.
        resource: String,
        /// The missing value.
        field: String,
    },

    /// A bug in this crate: a state it should never reach. It is never AWS's doing nor the input's;
    /// please report it with the message.
    #[error("internal error in {context}: {message} (a bug in vod-pipeline; please report it)")]
    Internal {
        /// Where: a step id, or the part of the crate.
        context: String,
        /// What went wrong.
        message: String,
    },
}

/// A failed AWS call, with everything needed to act on it or report it to AWS Support.
#[derive(Debug, thiserror::Error)]
#[error("{operation} on {resource} failed: {}{message}{}", code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default(), request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
#[non_exhaustive]
pub struct AwsError {
    /// The call, as IAM names it: `cloudfront:CreateDistribution`.
    pub operation: String,
    /// The resource it acted on.
    pub resource: String,
    /// AWS's error code, such as `AccessDenied` or `PreconditionFailed`.
    pub code: Option<String>,
    /// AWS's message, or a description of the transport failure.
    pub message: String,
    /// The request id, to quote to AWS Support.
    pub request_id: Option<String>,
    /// Whether trying again later may succeed (throttling, 5xx, timeouts, dropped connections).
    pub retryable: bool,
    /// The SDK error.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Which kind of failure an [`Error`] is, for deciding what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// The input is wrong: fix the pipeline or the spec file.
    Input,
    /// AWS refused (permissions, conflicts, a failed job): look at the message.
    Aws,
    /// Throttling, 5xx, timeouts or dropped connections: trying again later may succeed.
    Transient,
    /// A local problem, such as an unreadable file.
    Local,
    /// A bug in this crate ([`Error::Internal`]): report it.
    Internal,
}

impl Error {
    /// The validation problems, when this is [`Error::Invalid`] or [`Error::InvalidSigningInput`].
    pub fn violations(&self) -> &[Violation] {
        match self {
            Error::Invalid(v) => &v.0,
            Error::InvalidSigningInput(v) => v,
            _ => &[],
        }
    }

    /// Whether the error is the caller's input (as opposed to AWS or the network).
    pub fn is_input_error(&self) -> bool {
        self.category() == ErrorCategory::Input
    }

    /// "Fix your input", "AWS said no", "retry later", or a local problem.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Error::Invalid(_)
            | Error::InvalidSigningInput(_)
            | Error::SpecRead { .. }
            | Error::SpecParse { .. } => ErrorCategory::Input,
            Error::Aws(a) if a.retryable => ErrorCategory::Transient,
            Error::Timeout { .. } => ErrorCategory::Transient,
            Error::Aws(_)
            | Error::Job { .. }
            | Error::Conflict { .. }
            | Error::Step { .. }
            | Error::IncompleteResponse { .. }
            | Error::NotDeployed { .. } => ErrorCategory::Aws,
            Error::Io { .. } | Error::Http { .. } | Error::Unreachable { .. } => {
                ErrorCategory::Local
            }
            Error::Internal { .. } => ErrorCategory::Internal,
        }
    }

    /// An [`Error::Internal`].
    pub(crate) fn internal(context: impl fmt::Display, message: impl Into<String>) -> Self {
        Error::Internal {
            context: context.to_string(),
            message: message.into(),
        }
    }

    /// AWS's error code, for [`Error::Aws`].
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            Error::Aws(a) => a.code.as_deref(),
            _ => None,
        }
    }
}

/// One broken rule: which field, what value, and which rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The field path, as in the TOML spec: `cloudfront.min_ttl`, `transcode.abr_ladder[2].width`.
    pub field: String,
    /// The offending value as given (secrets are shown as `<redacted>`); empty when the field is missing.
    pub value: String,
    /// The rule, in words, with the AWS documentation page where it applies.
    pub rule: String,
}

/// The longest value (in characters) a message shows whole; a longer one shows its start and its
/// length. The value itself stays whole in [`Violation::value`].
pub(crate) const SHOWN_VALUE_CHARS: usize = 120;

/// The most problems [`Violations`]' message lists; then it says how many more there are. Every
/// problem stays in the list ([`Violations::iter`]).
pub(crate) const SHOWN_PROBLEMS: usize = 50;

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = shorten(&self.field);
        if self.value.is_empty() {
            return write!(f, "{field}: {}", self.rule);
        }
        match self.value.char_indices().nth(SHOWN_VALUE_CHARS) {
            None => write!(f, "{field} = {:?}: {}", self.value, self.rule),
            Some(_) => {
                let start: String = self.value.chars().take(SHOWN_VALUE_CHARS / 2).collect();
                write!(
                    f,
                    "{field} = {start:?}... ({} characters in all): {}",
                    self.value.chars().count(),
                    self.rule
                )
            }
        }
    }
}

/// A field path, cut (with its length) when a hostile spec makes it absurdly long.
fn shorten(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(SHOWN_VALUE_CHARS) {
        None => std::borrow::Cow::Borrowed(s),
        Some(_) => std::borrow::Cow::Owned(format!(
            "{}... ({} characters in all)",
            s.chars().take(SHOWN_VALUE_CHARS / 2).collect::<String>(),
            s.chars().count()
        )),
    }
}

/// All the problems found in one validation, in field order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// The problems.
    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.0.iter()
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "invalid pipeline: {n} problem{}",
            if n == 1 { "" } else { "s" }
        )?;
        for v in self.0.iter().take(SHOWN_PROBLEMS) {
            write!(f, "\n  - {v}")?;
        }
        if n > SHOWN_PROBLEMS {
            write!(
                f,
                "\n  ... and {} more (fix these first; every problem is in the error's list)",
                n - SHOWN_PROBLEMS
            )?;
        }
        Ok(())
    }
}

/// Why a single value was rejected by a typed value's `TryFrom` / `FromStr`.
///
/// Standalone use of a newtype gives this error; the pipeline builder and the spec loader turn it
/// into a [`Violation`] that also names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value:?}: {rule}")]
pub struct InvalidValue {
    /// The rejected value, as given.
    pub value: String,
    /// The rule it breaks.
    pub rule: String,
}

impl InvalidValue {
    pub(crate) fn new(value: impl fmt::Display, rule: impl Into<String>) -> Self {
        Self {
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}

/// Turns an SDK error into [`Error::Aws`], keeping the code, message, request id and source.
pub(crate) fn aws_error<E>(operation: &str, resource: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = err.code().map(str::to_owned);
    let request_id = err.meta().extra("aws_request_id").map(str::to_owned);
    let status = err.raw_response().map(|r| r.status().as_u16());
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => {
            status.is_some_and(|s| s >= 500 || s == 429)
                || matches!(
                    code.as_deref(),
                    Some(
                        "Throttling"
                            | "ThrottlingException"
                            | "TooManyRequestsException"
                            | "SlowDown"
                            | "RequestLimitExceeded"
                            | "RequestTimeout"
                    )
                )
        }
        _ => false,
    };
    let message = err.message().map(str::to_owned).unwrap_or_else(|| {
        let mut m = err.to_string();
        let mut src = std::error::Error::source(&err);
        while let Some(s) = src {
            m.push_str(": ");
            m.push_str(&s.to_string());
            src = s.source();
        }
        m
    });
    Error::Aws(Box::new(AwsError {
        operation: operation.to_owned(),
        resource: resource.to_owned(),
        code,
        message,
        request_id,
        retryable,
        source: Box::new(err),
    }))
}

/// The error code of an SDK error, if AWS sent one.
pub(crate) fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(s) => s.err().code(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(field: &str, value: &str) -> Violation {
        Violation {
            field: field.into(),
            value: value.into(),
            rule: "must be short".into(),
        }
    }

    /// A 5 MB value is shown by its start and its length; the violation keeps it whole.
    #[test]
    fn a_long_value_is_shown_by_its_start_and_length() {
        let big = "x".repeat(5 * 1024 * 1024);
        let v = violation("cloudfront.comment", &big);
        let shown = v.to_string();
        assert!(shown.len() < 300, "{} bytes", shown.len());
        assert!(
            shown.starts_with("cloudfront.comment = \"xxx")
                && shown.contains("(5242880 characters in all): must be short"),
            "{shown}"
        );
        assert_eq!(v.value.len(), big.len());
        // A short value is shown whole.
        assert_eq!(
            violation("a", "abc").to_string(),
            "a = \"abc\": must be short"
        );
        // Multi-byte characters are cut on a character boundary.
        let wide = violation("a", &"é".repeat(1000)).to_string();
        assert!(wide.contains("(1000 characters in all)"), "{wide}");
    }

    /// 374,491 problems print the first ones and how many more, not 40 MB.
    #[test]
    fn the_message_lists_a_bounded_number_of_problems() {
        let all = Violations(
            (0..374_491)
                .map(|i| violation(&format!("source.files[{i}]"), "bad"))
                .collect(),
        );
        let shown = all.to_string();
        assert!(shown.starts_with("invalid pipeline: 374491 problems"));
        assert_eq!(shown.matches("\n  - ").count(), SHOWN_PROBLEMS);
        assert!(
            shown.ends_with(&format!(
                "... and {} more (fix these first; every problem is in the error's list)",
                374_491 - SHOWN_PROBLEMS
            )),
            "{shown}"
        );
        assert!(shown.len() < 10_000, "{} bytes", shown.len());
        assert_eq!(all.len(), 374_491);
    }
}
