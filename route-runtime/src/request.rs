//! The request type handlers receive. PLACEHOLDER: being written.

/// The body limit when a route sets no `BODY_LIMIT`: 2 MiB, as axum's.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The body limit of the route being served, put in the request's extensions by the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);
