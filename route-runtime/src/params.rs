//! Typed route params: the decoded values of a matched path, and the traits that turn them into a
//! route's `Params` struct.
//!
//! `#[route]` generates `Params` from the pattern (`[team]` → `String`, `[...slug]` →
//! `Vec<String>`, `[[...slug]]` → `Option<Vec<String>>`), or checks a module's own `Params`
//! against it. A value that does not parse into its field's type is a 400 naming the param.

use std::any::Any;
use std::fmt;
use std::str::FromStr;

use axum::http::StatusCode;

/// A decoded param value of a matched path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    /// `[name]`.
    One(String),
    /// `[...name]` or a non-empty `[[...name]]`, one string per segment.
    Many(Vec<String>),
    /// An optional catch-all that matched no segment.
    Absent,
}

/// The decoded params of a matched path, in pattern order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawParams {
    /// The first param inline: most patterns have one, and it then costs no allocation.
    first: Option<(&'static str, RawValue)>,
    rest: Vec<(&'static str, RawValue)>,
}

impl RawParams {
    pub(crate) fn push(&mut self, name: &'static str, value: RawValue) {
        if self.first.is_none() {
            self.first = Some((name, value));
        } else {
            self.rest.push((name, value));
        }
    }

    /// Whether the pattern had no params.
    pub fn is_empty(&self) -> bool {
        self.first.is_none() && self.rest.is_empty()
    }

    /// Drops the params; empty ones (a static route's, or all taken) without their drop glue,
    /// an out-of-line call of ~40 instructions for nothing to free.
    #[inline]
    pub(crate) fn discard(self) {
        if self.first.is_none() && self.rest.capacity() == 0 {
            std::mem::forget(self);
        }
    }

    /// The value of `name`, if the pattern has it.
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Takes the value of `name` out (each generated field takes its own).
    pub fn take(&mut self, name: &str) -> Option<RawValue> {
        if self.first.as_ref().is_some_and(|(n, _)| same_name(n, name)) {
            return self.first.take().map(|(_, v)| v);
        }
        let index = self.rest.iter().position(|(n, _)| same_name(n, name))?;
        Some(self.rest.remove(index).1)
    }

    /// The params as `(name, value)` pairs, in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &RawValue)> {
        self.first.iter().chain(&self.rest).map(|(n, v)| (*n, v))
    }
}

/// `a == b`, without comparing the bytes when both are the same string: a generated `Params`
/// asks for its fields with the literals its pattern was written with, which the compiler merges.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// A path param that could not be decoded or parsed: answered with `400 Bad Request` and a message
/// naming the param.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    param: String,
    message: String,
}

impl ParamError {
    /// A param whose value did not parse, with the parser's reason.
    pub fn invalid(param: &str, reason: impl fmt::Display) -> Self {
        ParamError {
            param: param.to_string(),
            message: format!("invalid value for path parameter `{param}`: {reason}"),
        }
    }

    pub(crate) fn bad_encoding(param: &str) -> Self {
        ParamError {
            param: param.to_string(),
            message: format!("path parameter `{param}` has malformed percent-encoding"),
        }
    }

    pub(crate) fn bad_utf8(param: &str) -> Self {
        ParamError {
            param: param.to_string(),
            message: format!("path parameter `{param}` is not valid UTF-8 once percent-decoded"),
        }
    }

    pub(crate) fn missing(param: &str) -> Self {
        ParamError {
            param: param.to_string(),
            message: format!("path parameter `{param}` is missing"),
        }
    }

    /// The name of the param.
    pub fn param(&self) -> &str {
        &self.param
    }

    /// The status this error answers with: always `400 Bad Request`.
    pub fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParamError {}

/// A route's `Params` struct, built from the decoded params of its matched path.
///
/// `#[route]` implements it; there is no need to implement it by hand.
pub trait FromParams: Sized {
    /// Builds the struct, taking each field's value out of `raw`.
    fn from_params(raw: &mut RawParams) -> Result<Self, ParamError>;
}

/// A type that a `[name]` param (one segment) can be parsed into: any `FromStr` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a `[name]` path parameter",
    label = "a `[name]` parameter is one segment: use `String` or a type that implements `FromStr`",
    note = "`[...name]` needs `Vec<T>` and `[[...name]]` needs `Option<Vec<T>>`"
)]
pub trait FromSegment: Sized + 'static {
    /// Parses one decoded segment.
    fn from_segment(value: String) -> Result<Self, String>;
}

impl<T> FromSegment for T
where
    T: FromStr + 'static,
    T::Err: fmt::Display,
{
    fn from_segment(value: String) -> Result<Self, String> {
        // `String::from_str` copies: the decoded segment is moved instead.
        match same_type::<String, T>(value) {
            Ok(same) => Ok(same),
            Err(value) => value.parse::<T>().map_err(|e| e.to_string()),
        }
    }
}

/// `value` itself when `Have` and `Want` are one type, else `value` back. The check is resolved
/// at compile time: it lets a `String` param skip a copy.
fn same_type<Have: Default + 'static, Want: 'static>(value: Have) -> Result<Want, Have> {
    let mut slot = Some(value);
    match (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<Want>>()
        .and_then(Option::take)
    {
        Some(same) => Ok(same),
        None => Err(slot.unwrap_or_default()),
    }
}

/// A type that a `[...name]` param (one or more segments) can be parsed into: `Vec<T>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a `[...name]` catch-all parameter",
    label = "a catch-all is one or more segments: use `Vec<String>` (or `Vec<T>` with `T: FromStr`)"
)]
pub trait FromCatchAll: Sized {
    /// Parses the decoded segments (at least one).
    fn from_segments(values: Vec<String>) -> Result<Self, String>;
}

impl<T: FromSegment> FromCatchAll for Vec<T> {
    fn from_segments(values: Vec<String>) -> Result<Self, String> {
        // `Vec<String>` takes the decoded segments as they are, without a pass over them.
        match same_type::<Vec<String>, Vec<T>>(values) {
            Ok(same) => Ok(same),
            Err(values) => values.into_iter().map(T::from_segment).collect(),
        }
    }
}

/// A type that a `[[...name]]` param (zero or more segments) can be parsed into:
/// `Option<Vec<T>>` (`None` when absent) or `Vec<T>` (empty when absent).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a `[[...name]]` optional catch-all parameter",
    label = "an optional catch-all may be absent: use `Option<Vec<String>>`"
)]
pub trait FromOptionalCatchAll: Sized {
    /// Parses the decoded segments, `None` when the path had none.
    fn from_optional(values: Option<Vec<String>>) -> Result<Self, String>;
}

impl<T: FromSegment> FromOptionalCatchAll for Option<Vec<T>> {
    fn from_optional(values: Option<Vec<String>>) -> Result<Self, String> {
        values.map(Vec::<T>::from_segments).transpose()
    }
}

impl<T: FromSegment> FromOptionalCatchAll for Vec<T> {
    fn from_optional(values: Option<Vec<String>>) -> Result<Self, String> {
        Vec::<T>::from_segments(values.unwrap_or_default())
    }
}

/// Generated code: the value of a `[name]` field.
#[doc(hidden)]
pub fn dynamic<T: FromSegment>(raw: &mut RawParams, name: &'static str) -> Result<T, ParamError> {
    match raw.take(name) {
        Some(RawValue::One(v)) => T::from_segment(v).map_err(|e| ParamError::invalid(name, e)),
        _ => Err(ParamError::missing(name)),
    }
}

/// Generated code: the value of a `[...name]` field.
#[doc(hidden)]
pub fn catch_all<T: FromCatchAll>(
    raw: &mut RawParams,
    name: &'static str,
) -> Result<T, ParamError> {
    match raw.take(name) {
        Some(RawValue::Many(v)) => T::from_segments(v).map_err(|e| ParamError::invalid(name, e)),
        _ => Err(ParamError::missing(name)),
    }
}

/// Generated code: the value of a `[[...name]]` field.
#[doc(hidden)]
pub fn optional_catch_all<T: FromOptionalCatchAll>(
    raw: &mut RawParams,
    name: &'static str,
) -> Result<T, ParamError> {
    let values = match raw.take(name) {
        Some(RawValue::Many(v)) => Some(v),
        Some(RawValue::Absent) => None,
        _ => return Err(ParamError::missing(name)),
    };
    T::from_optional(values).map_err(|e| ParamError::invalid(name, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn string_values_are_taken_as_they_are() {
        let values = segments(&["a", "b c"]);
        let first = values[0].as_ptr();
        let taken = Vec::<String>::from_segments(values).unwrap();
        assert_eq!(taken, ["a", "b c"]);
        // Moved, not copied: the first segment is the same allocation.
        assert_eq!(taken[0].as_ptr(), first);
        assert_eq!(String::from_segment("x".into()).unwrap(), "x");
    }

    #[test]
    fn other_types_are_parsed_segment_by_segment() {
        assert_eq!(
            Vec::<u32>::from_segments(segments(&["1", "22"])).unwrap(),
            [1, 22]
        );
        assert!(Vec::<u32>::from_segments(segments(&["1", "x"])).is_err());
        assert_eq!(
            Option::<Vec<u8>>::from_optional(Some(segments(&["7"]))).unwrap(),
            Some(vec![7])
        );
        assert_eq!(Option::<Vec<u8>>::from_optional(None).unwrap(), None);
        assert_eq!(Vec::<u8>::from_optional(None).unwrap(), Vec::<u8>::new());
    }
}
