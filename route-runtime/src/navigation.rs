//! Navigation from anywhere in a handler: `redirect`, `permanent_redirect`, `not_found`. PLACEHOLDER.
