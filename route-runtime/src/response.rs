//! Response helpers: JSON, text, XML, streams. PLACEHOLDER.
