//! The request log. Owner: core.
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// One served (or faulted) request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// HTTP method.
    pub method: String,
    /// `s3`, `mediaconvert`, `mediastore`, `cloudfront`, `edge`, or `unknown`.
    pub service: String,
    /// The AWS operation name (from the service's `x-emulator-operation` header), or `""` when unknown
    /// (e.g. a request answered by a fault knob or refused by the router).
    pub operation: String,
    /// HTTP status sent (0 when the connection was dropped by a knob).
    pub status: u16,
    /// Request path (without query).
    pub path: String,
}

/// How many entries the log keeps (the oldest are dropped beyond this).
pub const MAX_ENTRIES: usize = 100_000;

/// The request log (the last [`MAX_ENTRIES`] requests).
#[derive(Default)]
pub struct RequestLog {
    entries: Mutex<std::collections::VecDeque<LogEntry>>,
}

impl RequestLog {
    /// Appends an entry.
    pub fn record(&self, entry: LogEntry) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.pop_front();
        }
        entries.push_back(entry);
    }
    /// A copy of every entry, oldest first.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
    /// Clears the log.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
