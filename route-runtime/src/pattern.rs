//! Route patterns at run time: matching a raw request path, canonical paths, and route conflicts.
//!
//! Params are matched on the raw (still percent-encoded) path and each segment is then decoded on
//! its own, so `%2F` stays inside one segment, as in Next.js. Decoding is strict: bad
//! percent-encoding or invalid UTF-8 is a client error (400), never passed through.

use crate::config::RouteInfo;
use crate::params::{ParamError, RawParams, RawValue};

/// One URL segment of a route pattern. Route groups `(name)` have no segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A literal segment, e.g. `dashboard`.
    Static(&'static str),
    /// `[name]`: exactly one segment.
    Dynamic(&'static str),
    /// `[...name]`: one or more segments; always last.
    CatchAll(&'static str),
    /// `[[...name]]`: zero or more segments; always last.
    OptionalCatchAll(&'static str),
}

impl Segment {
    /// The param name of a dynamic segment, `None` for a static one.
    pub const fn param_name(&self) -> Option<&'static str> {
        match self {
            Segment::Static(_) => None,
            Segment::Dynamic(n) | Segment::CatchAll(n) | Segment::OptionalCatchAll(n) => Some(n),
        }
    }
}

/// The axum (matchit) paths that serve a pattern: one, or two for an optional catch-all
/// (`/docs` and `/docs/{*slug}`).
pub fn axum_paths(segments: &[Segment]) -> Vec<String> {
    let mut path = String::new();
    for segment in segments {
        match segment {
            Segment::Static(s) => {
                path.push('/');
                // matchit treats braces as syntax; a literal brace is written twice.
                path.push_str(&s.replace('{', "{{").replace('}', "}}"));
            }
            Segment::Dynamic(n) => {
                path.push_str("/{");
                path.push_str(n);
                path.push('}');
            }
            Segment::CatchAll(n) => {
                path.push_str("/{*");
                path.push_str(n);
                path.push('}');
            }
            Segment::OptionalCatchAll(n) => {
                let bare = if path.is_empty() {
                    "/".to_string()
                } else {
                    path.clone()
                };
                path.push_str("/{*");
                path.push_str(n);
                path.push('}');
                return vec![bare, path];
            }
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    vec![path]
}

/// Matches a raw request path against a pattern and decodes its params.
///
/// `Ok(None)` means the path does not have the pattern's shape (the router sent it elsewhere).
pub fn match_path(segments: &[Segment], raw_path: &str) -> Result<Option<RawParams>, ParamError> {
    let rest = raw_path.strip_prefix('/').unwrap_or(raw_path);
    // A trailing slash leaves no empty last part: the canonical path has none.
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    match_parts(segments, rest)
}

/// What [`match_canonical`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathMatch {
    /// The path is canonical and matches: its decoded params.
    Matched(RawParams),
    /// The path is not canonical ([`canonical_path`] has its canonical form).
    NotCanonical,
    /// The path is canonical but does not have the pattern's shape.
    NoMatch,
}

/// [`canonical_path`]`(raw_path).is_some()` first, then [`match_path`]; in one pass over the path
/// when it is canonical and matches (the case of every request a route serves), in two for the
/// rare rest (redirects, 404s, bad encoding).
pub fn match_canonical(segments: &[Segment], raw_path: &str) -> Result<PathMatch, ParamError> {
    match match_clean(segments, raw_path) {
        Some(params) => Ok(PathMatch::Matched(params)),
        None => match_unclean(segments, raw_path),
    }
}

/// [`match_canonical`] for a path that [`match_clean`] did not match: by its definition, in two
/// passes.
pub(crate) fn match_unclean(segments: &[Segment], raw_path: &str) -> Result<PathMatch, ParamError> {
    // A path that is not canonical is redirected before its params are judged, as
    // `NormalizePath` does.
    if canonical_path(raw_path).is_some() {
        return Ok(PathMatch::NotCanonical);
    }
    Ok(match match_path(segments, raw_path)? {
        Some(params) => PathMatch::Matched(params),
        None => PathMatch::NoMatch,
    })
}

/// The params of a canonical path that matches and decodes, in one pass over its bytes; `None`
/// for anything else (then [`match_canonical`] finds out what). Every request to a dynamic route
/// runs it: the single-pass general match it replaced (a part iterator checked on the side) cost
/// ~50 instructions more for `/users/[id]` and ~240 for a three-part catch-all.
#[inline]
pub(crate) fn match_clean(segments: &[Segment], raw_path: &str) -> Option<RawParams> {
    // The path from the part to be read on; `None` once the path has no part left.
    let rest = raw_path.strip_prefix('/')?;
    let mut rest = (!rest.is_empty()).then_some(rest);
    let mut params = RawParams::default();
    for segment in segments {
        match *segment {
            Segment::Static(literal) => {
                let after = rest?.strip_prefix(literal)?;
                if !stays_canonical(literal) {
                    return None;
                }
                rest = after_part(after)?;
            }
            Segment::Dynamic(name) => {
                let (part, after) = next_part(rest?);
                params.push(name, RawValue::One(clean_segment(name, part)?));
                rest = after;
            }
            Segment::CatchAll(name) | Segment::OptionalCatchAll(name) => {
                let mut values = Vec::new();
                while let Some(current) = rest {
                    let (part, after) = next_part(current);
                    values.push(clean_segment(name, part)?);
                    rest = after;
                }
                params.push(name, catch_all_value(*segment, values)?);
            }
        }
    }
    rest.is_none().then_some(params)
}

/// The first part of `current` and the path after it (`None`: it was the last part).
#[inline]
fn next_part(current: &str) -> (&str, Option<&str>) {
    match current.bytes().position(|b| b == b'/') {
        Some(slash) => (&current[..slash], Some(&current[slash + 1..])),
        None => (current, None),
    }
}

/// The path after a part that matched a literal's bytes: `Some(None)` at the end, `Some(rest)`
/// after a `/`, `None` when the part goes on (it was longer than the literal).
#[inline]
fn after_part(after: &str) -> Option<Option<&str>> {
    match after.as_bytes().first() {
        None => Some(None),
        Some(b'/') => Some(Some(&after[1..])),
        Some(_) => None,
    }
}

/// A canonical part, decoded; `None` for an empty part, a dot segment or bad encoding.
#[inline]
fn clean_segment(name: &str, part: &str) -> Option<String> {
    if !stays_canonical(part) {
        return None;
    }
    decode_segment(name, part).ok()
}

/// Matches the parts of a path after its leading `/`.
fn match_parts(segments: &[Segment], rest: &str) -> Result<Option<RawParams>, ParamError> {
    let mut parts = parts(rest);
    let mut params = RawParams::default();
    for segment in segments {
        match *segment {
            Segment::Static(s) => {
                if parts.next() != Some(s) {
                    return Ok(None);
                }
            }
            Segment::Dynamic(name) => {
                let Some(raw) = parts.next() else {
                    return Ok(None);
                };
                params.push(name, RawValue::One(decode_segment(name, raw)?));
            }
            Segment::CatchAll(name) | Segment::OptionalCatchAll(name) => {
                let values = parts
                    .by_ref()
                    .map(|raw| decode_segment(name, raw))
                    .collect::<Result<Vec<_>, _>>()?;
                let Some(value) = catch_all_value(*segment, values) else {
                    return Ok(None);
                };
                params.push(name, value);
            }
        }
    }
    if parts.next().is_some() {
        return Ok(None);
    }
    Ok(Some(params))
}

/// A catch-all's value from the segments it matched: `None` (no match) for a required one that
/// matched none, [`RawValue::Absent`] for an optional one.
#[inline]
fn catch_all_value(segment: Segment, values: Vec<String>) -> Option<RawValue> {
    if !values.is_empty() {
        Some(RawValue::Many(values))
    } else if matches!(segment, Segment::OptionalCatchAll(_)) {
        Some(RawValue::Absent)
    } else {
        None
    }
}

/// Percent-decodes one raw path segment, strictly: `%` must start a two-digit hex escape and the
/// result must be UTF-8. A `+` stays a `+` (paths are not form-encoded).
pub fn decode_segment(name: &str, raw: &str) -> Result<String, ParamError> {
    // A byte scan: the parts are short, and `contains('%')` pays a char searcher's setup.
    if !raw.bytes().any(|b| b == b'%') {
        return Ok(raw.to_owned()); // nothing to decode, and `raw` is UTF-8 already
    }
    percent_decode_strict(raw.as_bytes()).map_err(|e| match e {
        DecodeError::BadEscape => ParamError::bad_encoding(name),
        DecodeError::BadUtf8 => ParamError::bad_utf8(name),
    })
}

/// Why [`percent_decode_strict`] refused its input.
pub(crate) enum DecodeError {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    BadUtf8,
}

/// Strict percent-decoding, as JavaScript's `decodeURIComponent`: every `%` starts a two-digit
/// hex escape and the decoded bytes are UTF-8; `+` stays `+`. Path params and cookie values both
/// decode this way.
pub(crate) fn percent_decode_strict(raw: &[u8]) -> Result<String, DecodeError> {
    // One pass, copying the runs between escapes whole (most values have no `%` at all). A bad
    // escape is reported before bad UTF-8, wherever each is.
    let mut decoded = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(percent) = rest.iter().position(|&b| b == b'%') {
        decoded.extend_from_slice(&rest[..percent]);
        let hex = |i: usize| {
            rest.get(percent + i)
                .and_then(|&b| (b as char).to_digit(16))
        };
        let (Some(high), Some(low)) = (hex(1), hex(2)) else {
            return Err(DecodeError::BadEscape);
        };
        decoded.push((high * 16 + low) as u8);
        rest = &rest[percent + 3..];
    }
    decoded.extend_from_slice(rest);
    String::from_utf8(decoded).map_err(|_| DecodeError::BadUtf8)
}

/// The canonical form of a raw path, or `None` when it already is canonical.
///
/// Repeated slashes are collapsed, `.` and `..` segments resolved (also when written `%2e`), and a
/// trailing slash removed (except for `/` itself). The result stays percent-encoded as it came.
pub fn canonical_path(raw_path: &str) -> Option<String> {
    // The fast path runs on every request: one pass, no allocation.
    let is_canonical = raw_path
        .strip_prefix('/')
        .is_some_and(|rest| parts(rest).all(stays_canonical));
    if is_canonical {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        if segment.is_empty() || is_dot(segment) {
            continue;
        }
        if is_dot_dot(segment) {
            out.pop();
            continue;
        }
        out.push(segment);
    }
    let canonical = format!("/{}", out.join("/"));
    (canonical != raw_path).then_some(canonical)
}

/// The `/`-separated parts of `rest`, a path after its leading `/`: none for the path `/` itself
/// (an empty `rest`), else those `rest.split('/')` gives. A byte scan: it runs on every request's
/// path, whose parts are short, and `split` pays a searcher's setup per part.
fn parts(rest: &str) -> impl Iterator<Item = &str> {
    let mut rest = (!rest.is_empty()).then_some(rest);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == b'/') {
            Some(slash) => {
                rest = Some(&current[slash + 1..]);
                Some(&current[..slash])
            }
            None => rest.take(),
        }
    })
}

/// Whether a path part is kept as is in the canonical path: it is not empty nor a dot segment.
fn stays_canonical(part: &str) -> bool {
    // Runs on every part of every request's path: a dot segment starts with `.` or `%`, so the
    // first byte settles almost every part.
    match part.as_bytes().first() {
        None => false,
        Some(b'.' | b'%') => !(is_dot(part) || is_dot_dot(part)),
        Some(_) => true,
    }
}

fn is_dot(segment: &str) -> bool {
    segment == "." || segment.eq_ignore_ascii_case("%2e")
}

fn is_dot_dot(segment: &str) -> bool {
    segment == ".."
        || [".%2e", "%2e.", "%2e%2e"]
            .iter()
            .any(|dots| segment.eq_ignore_ascii_case(dots))
}

/// Why two routes cannot live in one router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// Both match exactly the same paths.
    Duplicate,
    /// Two different param names at the same position (Next.js: "You cannot use different slug
    /// names for the same dynamic path").
    DifferentSlugNames(&'static str, &'static str),
    /// The same name used as different kinds of dynamic segment at one position (`[id]` beside
    /// `[...id]`, or `[...slug]` beside `[[...slug]]`).
    DifferentKinds(&'static str),
    /// A route with the same specificity as an optional catch-all (`/docs` beside `/docs/[[...slug]]`).
    OptionalCatchAllShadow,
}

/// Whether routes `a` and `b` conflict. A `const fn`, so that `routes![…]` can check at compile time.
pub const fn conflict(a: &[Segment], b: &[Segment]) -> Option<ConflictKind> {
    let mut i = 0;
    loop {
        match (i < a.len(), i < b.len()) {
            (false, false) => return Some(ConflictKind::Duplicate),
            (false, true) => {
                return match b[i] {
                    Segment::OptionalCatchAll(_) => Some(ConflictKind::OptionalCatchAllShadow),
                    _ => None,
                }
            }
            (true, false) => {
                return match a[i] {
                    Segment::OptionalCatchAll(_) => Some(ConflictKind::OptionalCatchAllShadow),
                    _ => None,
                }
            }
            (true, true) => {}
        }
        match (a[i], b[i]) {
            (Segment::Static(x), Segment::Static(y)) => {
                if !str_eq(x, y) {
                    return None;
                }
            }
            (Segment::Static(_), _) | (_, Segment::Static(_)) => return None,
            (x, y) => {
                let (Some(nx), Some(ny)) = (x.param_name(), y.param_name()) else {
                    return None;
                };
                if !str_eq(nx, ny) {
                    return Some(ConflictKind::DifferentSlugNames(nx, ny));
                }
                let same_kind = matches!(
                    (x, y),
                    (Segment::Dynamic(_), Segment::Dynamic(_))
                        | (Segment::CatchAll(_), Segment::CatchAll(_))
                        | (Segment::OptionalCatchAll(_), Segment::OptionalCatchAll(_))
                );
                if !same_kind {
                    return Some(ConflictKind::DifferentKinds(nx));
                }
            }
        }
        i += 1;
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A human message for a conflict between routes `a` and `b` (the startup check's panic message).
pub fn conflict_message(a: &RouteInfo, b: &RouteInfo, kind: ConflictKind) -> String {
    let (pa, pb) = (a.pattern, b.pattern);
    match kind {
        ConflictKind::Duplicate => {
            format!("routes `{pa}` and `{pb}` match the same paths; remove one of them")
        }
        ConflictKind::DifferentSlugNames(x, y) => format!(
            "routes `{pa}` and `{pb}` use different slug names for the same dynamic path \
             (`{x}` != `{y}`); use one name at that position"
        ),
        ConflictKind::DifferentKinds(n) => format!(
            "routes `{pa}` and `{pb}` use `{n}` as different kinds of dynamic segment at the same \
             position; keep one of them"
        ),
        ConflictKind::OptionalCatchAllShadow => format!(
            "routes `{pa}` and `{pb}` have the same specificity: an optional catch-all \
             `[[...name]]` also matches the path without it; remove the other route or use `[...name]`"
        ),
    }
}

/// A message built in a fixed buffer, so that a `const` check can panic with the routes' names.
#[doc(hidden)]
pub struct ConstMessage {
    buf: [u8; 512],
    len: usize,
}

impl ConstMessage {
    #[doc(hidden)]
    pub const fn new() -> Self {
        ConstMessage {
            buf: [0; 512],
            len: 0,
        }
    }

    #[doc(hidden)]
    pub const fn push(mut self, s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut i = 0;
        // Truncate on a char boundary so the buffer stays UTF-8.
        while i < bytes.len() && self.len < self.buf.len() - 4 {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        while i < bytes.len() && (bytes[i] & 0b1100_0000) == 0b1000_0000 {
            self.len -= 1;
            i -= 1;
        }
        self
    }

    #[doc(hidden)]
    pub const fn as_str(&self) -> &str {
        let (head, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(head) {
            Ok(s) => s,
            Err(_) => "route conflict",
        }
    }
}

/// A non-zero FNV-1a hash of a route's first segment when it is a literal, 0 otherwise. Equal
/// literals have equal keys; a collision only costs a full comparison.
const fn first_literal_key(segments: &[Segment]) -> u64 {
    let Some(Segment::Static(literal)) = segments.first() else {
        return 0;
    };
    let bytes = literal.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash | 1
}

impl Default for ConstMessage {
    fn default() -> Self {
        Self::new()
    }
}

/// Panics (at compile time when called in a `const`) if two of `routes` conflict.
///
/// `routes![..]` evaluates it on every build of the crate, so it is kept cheap for the compiler's
/// const evaluator: a number per route (0 when the route starts with a dynamic segment or has
/// none, else a hash of its first literal) rules out most pairs with one comparison; only pairs
/// that could share a first segment are compared in full.
#[doc(hidden)]
pub const fn assert_no_conflicts<const N: usize>(routes: &[&RouteInfo; N]) {
    let mut keys = [0u64; N];
    let mut k = 0;
    while k < N {
        keys[k] = first_literal_key(routes[k].segments);
        k += 1;
    }
    let mut i = 0;
    while i < N {
        let mut j = i + 1;
        while j < N {
            let may_share_a_first_segment = keys[i] == 0 || keys[j] == 0 || keys[i] == keys[j];
            // A route without methods is the stand-in of a module whose errors are already
            // reported (`#[route]` never generates one otherwise): no second error for it.
            let stand_in = routes[i].methods.is_empty() || routes[j].methods.is_empty();
            if !may_share_a_first_segment || stand_in {
                j += 1;
                continue;
            }
            if let Some(kind) = conflict(routes[i].segments, routes[j].segments) {
                let reason = match kind {
                    ConflictKind::Duplicate => "` match the same paths; remove one of them",
                    ConflictKind::DifferentSlugNames(_, _) => {
                        "` use different slug names for the same dynamic path; use one name at that position"
                    }
                    ConflictKind::DifferentKinds(_) => {
                        "` use one name as different kinds of dynamic segment at the same position"
                    }
                    ConflictKind::OptionalCatchAllShadow => {
                        "` have the same specificity: an optional catch-all also matches the path without it"
                    }
                };
                let msg = ConstMessage::new()
                    .push("routes `")
                    .push(routes[i].pattern)
                    .push("` and `")
                    .push(routes[j].pattern)
                    .push(reason);
                panic!("{}", msg.as_str());
            }
            j += 1;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{RouteConfig, RouteMethod};

    const TEAM: &[Segment] = &[Segment::Static("dashboard"), Segment::Dynamic("team")];
    const BLOG: &[Segment] = &[Segment::Static("blog"), Segment::CatchAll("slug")];
    const DOCS: &[Segment] = &[Segment::Static("docs"), Segment::OptionalCatchAll("slug")];

    fn one(segments: &[Segment], path: &str, name: &str) -> RawValue {
        match_path(segments, path)
            .expect("decodes")
            .expect("matches")
            .get(name)
            .cloned()
            .expect("param present")
    }

    #[test]
    fn params_are_decoded_segment_by_segment() {
        assert_eq!(
            one(TEAM, "/dashboard/a%20b", "team"),
            RawValue::One("a b".into())
        );
        assert_eq!(
            one(BLOG, "/blog/a/b%2Fc/d%20e", "slug"),
            RawValue::Many(vec!["a".into(), "b/c".into(), "d e".into()])
        );
        assert_eq!(
            one(TEAM, "/dashboard/a+b", "team"),
            RawValue::One("a+b".into())
        );
        assert_eq!(
            one(TEAM, "/dashboard/%252F", "team"),
            RawValue::One("%2F".into())
        );
        assert_eq!(
            one(TEAM, "/dashboard/%E4%B8%AD", "team"),
            RawValue::One("中".into())
        );
        assert_eq!(one(DOCS, "/docs", "slug"), RawValue::Absent);
    }

    #[test]
    fn shapes_that_do_not_match() {
        assert_eq!(match_path(BLOG, "/blog"), Ok(None));
        assert_eq!(match_path(TEAM, "/dashboard"), Ok(None));
        assert_eq!(match_path(TEAM, "/dashboard/a/b"), Ok(None));
        assert_eq!(match_path(TEAM, "/other/a"), Ok(None));
    }

    #[test]
    fn bad_encoding_is_an_error_naming_the_param() {
        for bad in [
            "/dashboard/%zz",
            "/dashboard/%2",
            "/dashboard/%",
            "/dashboard/%FF",
        ] {
            let error = match_path(TEAM, bad).expect_err(bad);
            assert_eq!(error.param(), "team");
        }
    }

    #[test]
    fn canonical_paths() {
        assert_eq!(canonical_path("/dashboard/1"), None);
        assert_eq!(canonical_path("/"), None);
        assert_eq!(
            canonical_path("/dashboard/1/").as_deref(),
            Some("/dashboard/1")
        );
        assert_eq!(canonical_path("//api/hello").as_deref(), Some("/api/hello"));
        assert_eq!(canonical_path("/api//hello").as_deref(), Some("/api/hello"));
        assert_eq!(
            canonical_path("/dashboard/a/../b").as_deref(),
            Some("/dashboard/b")
        );
        assert_eq!(canonical_path("/a/%2e%2E/b/./c").as_deref(), Some("/b/c"));
        assert_eq!(canonical_path("//evil.com/").as_deref(), Some("/evil.com"));
        assert_eq!(
            canonical_path("/%2Fevil.com/").as_deref(),
            Some("/%2Fevil.com")
        );
        assert_eq!(canonical_path("/../../x").as_deref(), Some("/x"));
    }

    /// `match_canonical` (its one-pass path for clean matches, and the general one) against its
    /// definition, over every path of up to three parts from an alphabet of awkward ones.
    #[test]
    fn match_canonical_is_canonical_path_then_match_path() {
        // And the empty part.
        const PARTS: &str = ". .. %2e %2E%2e .a a b%20c %zz %FF dashboard blog docs x blogs";
        let parts: Vec<&str> = std::iter::once("").chain(PARTS.split(' ')).collect();
        let patterns: [&[Segment]; 6] = [
            TEAM,
            BLOG,
            DOCS,
            &[],
            &[Segment::Dynamic("a"), Segment::Static("x")],
            &[Segment::OptionalCatchAll("all")],
        ];
        let mut paths = vec!["/".to_string(), String::new(), "x".to_string()];
        let mut level = vec![String::new()];
        for _ in 0..3 {
            level = level
                .iter()
                .flat_map(|p| parts.iter().map(move |part| format!("{p}/{part}")))
                .collect();
            paths.extend(level.iter().cloned());
        }
        let mut clean_matches = 0;
        for segments in patterns {
            for path in &paths {
                let expected = if canonical_path(path).is_some() || !path.starts_with('/') {
                    Ok(PathMatch::NotCanonical)
                } else {
                    match match_path(segments, path) {
                        Ok(Some(params)) => Ok(PathMatch::Matched(params)),
                        Ok(None) => Ok(PathMatch::NoMatch),
                        Err(e) => Err(e),
                    }
                };
                assert_eq!(
                    match_canonical(segments, path),
                    expected,
                    "{segments:?} {path}"
                );
                let clean = match_clean(segments, path);
                if let Some(params) = &clean {
                    clean_matches += 1;
                    assert_eq!(expected, Ok(PathMatch::Matched(params.clone())), "{path}");
                }
                if let Ok(PathMatch::Matched(_)) = expected {
                    assert!(
                        clean.is_some(),
                        "a clean match left to the slow path: {path}"
                    );
                }
            }
        }
        assert!(clean_matches > 100, "{clean_matches}");
    }

    #[test]
    fn parts_are_those_of_split_but_for_the_root() {
        assert_eq!(parts("").count(), 0, "the path `/` has no parts");
        for rest in [
            "a",
            "a/b",
            "a//b",
            "/",
            "a/",
            "/a",
            "é/ü/%2F",
            "//",
            "a/b/c/",
        ] {
            let ours: Vec<&str> = parts(rest).collect();
            let split: Vec<&str> = rest.split('/').collect();
            assert_eq!(ours, split, "{rest:?}");
        }
    }

    #[test]
    fn axum_paths_of_each_kind() {
        assert_eq!(axum_paths(TEAM), vec!["/dashboard/{team}"]);
        assert_eq!(axum_paths(BLOG), vec!["/blog/{*slug}"]);
        assert_eq!(axum_paths(DOCS), vec!["/docs", "/docs/{*slug}"]);
        assert_eq!(axum_paths(&[]), vec!["/"]);
        assert_eq!(
            axum_paths(&[Segment::OptionalCatchAll("s")]),
            vec!["/", "/{*s}"]
        );
        assert_eq!(axum_paths(&[Segment::Static("{x}")]), vec!["/{{x}}"]);
    }

    #[test]
    fn conflicts() {
        let x: &[Segment] = &[Segment::Static("a"), Segment::Dynamic("x")];
        let y: &[Segment] = &[
            Segment::Static("a"),
            Segment::Dynamic("y"),
            Segment::Static("b"),
        ];
        let stat: &[Segment] = &[Segment::Static("a"), Segment::Static("b")];
        assert_eq!(conflict(x, x), Some(ConflictKind::Duplicate));
        assert_eq!(
            conflict(x, y),
            Some(ConflictKind::DifferentSlugNames("x", "y"))
        );
        assert_eq!(conflict(x, stat), None, "static beats dynamic");
        assert_eq!(
            conflict(&[Segment::Static("docs")], DOCS),
            Some(ConflictKind::OptionalCatchAllShadow)
        );
        assert_eq!(
            conflict(BLOG, DOCS),
            None,
            "different first segments never collide"
        );
        let blog_opt: &[Segment] = &[Segment::Static("blog"), Segment::OptionalCatchAll("slug")];
        assert_eq!(
            conflict(BLOG, blog_opt),
            Some(ConflictKind::DifferentKinds("slug"))
        );
        assert_eq!(conflict(TEAM, &[Segment::Static("dashboard")]), None);
    }

    #[test]
    fn const_message_keeps_utf8_when_truncating() {
        let long = "é".repeat(400);
        let msg = ConstMessage::new().push("routes `").push(&long);
        assert!(msg.as_str().starts_with("routes `é"));
        assert!(msg.as_str().len() <= 512);
    }

    static A: RouteInfo = RouteInfo {
        pattern: "/a/[x]",
        segments: &[Segment::Static("a"), Segment::Dynamic("x")],
        methods: &[RouteMethod::Get],
        config: RouteConfig::DEFAULT,
    };
    static B: RouteInfo = RouteInfo {
        pattern: "/a/[y]",
        segments: &[Segment::Static("a"), Segment::Dynamic("y")],
        methods: &[RouteMethod::Get],
        config: RouteConfig::DEFAULT,
    };

    #[test]
    #[should_panic(expected = "routes `/a/[x]` and `/a/[y]` use different slug names")]
    fn assert_no_conflicts_names_both_routes() {
        assert_no_conflicts(&[&A, &B]);
    }

    static OTHER: RouteInfo = RouteInfo {
        pattern: "/b/[x]",
        segments: &[Segment::Static("b"), Segment::Dynamic("x")],
        methods: &[RouteMethod::Get],
        config: RouteConfig::DEFAULT,
    };
    static ROOT_SLUG: RouteInfo = RouteInfo {
        pattern: "/[[...all]]",
        segments: &[Segment::OptionalCatchAll("all")],
        methods: &[RouteMethod::Get],
        config: RouteConfig::DEFAULT,
    };
    static ROOT: RouteInfo = RouteInfo {
        pattern: "/",
        segments: &[],
        methods: &[RouteMethod::Get],
        config: RouteConfig::DEFAULT,
    };

    #[test]
    #[should_panic(expected = "routes `/a/[x]` and `/a/[y]`")]
    fn a_conflict_is_found_among_routes_with_other_first_segments() {
        assert_no_conflicts(&[&A, &OTHER, &B]);
    }

    #[test]
    #[should_panic(expected = "routes `/[[...all]]` and `/`")]
    fn routes_without_a_first_literal_are_compared_with_every_route() {
        assert_no_conflicts(&[&OTHER, &ROOT_SLUG, &A, &ROOT]);
    }

    /// `percent_decode_strict` as first written: check every escape, then decode and check UTF-8.
    fn reference_decode(raw: &[u8]) -> Result<String, DecodeError> {
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'%' {
                let ok = i + 2 < raw.len()
                    && raw[i + 1].is_ascii_hexdigit()
                    && raw[i + 2].is_ascii_hexdigit();
                if !ok {
                    return Err(DecodeError::BadEscape);
                }
                i += 3;
            } else {
                i += 1;
            }
        }
        String::from_utf8(percent_encoding::percent_decode(raw).collect())
            .map_err(|_| DecodeError::BadUtf8)
    }

    #[test]
    fn strict_decoding_matches_the_reference_with_and_without_escapes() {
        let cases: &[&[u8]] = &[
            b"",
            b"abc123",
            b"a+b c",
            "ü and €".as_bytes(),
            b"\xff",
            b"\xc3",
            b"ok\xff%41",
            b"%41",
            b"a%20b%3Bc",
            b"%C3%BC%e2%82%ac",
            b"%c3",
            b"%FF",
            b"%C3%28",
            b"%",
            b"%4",
            b"a%",
            b"%zz",
            b"%4g",
            b"%%41",
            b"%FF%zz",
            b"\xff%4",
            b"%25",
            b"%2525",
        ];
        for &raw in cases {
            let (got, want) = (percent_decode_strict(raw), reference_decode(raw));
            let show = |r: &Result<String, DecodeError>| match r {
                Ok(s) => format!("Ok({s:?})"),
                Err(DecodeError::BadEscape) => "BadEscape".to_owned(),
                Err(DecodeError::BadUtf8) => "BadUtf8".to_owned(),
            };
            assert_eq!(
                show(&got),
                show(&want),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
        // Every byte alone and after an escape.
        for b in 0..=u8::MAX {
            for raw in [
                vec![b],
                vec![b'%', b'4', b'1', b],
                vec![b, b'%', b'4', b'1'],
            ] {
                assert_eq!(
                    percent_decode_strict(&raw).ok(),
                    reference_decode(&raw).ok(),
                    "{raw:?}"
                );
            }
        }
    }

    // Compiles only because the check passes in const context.
    const _: () = assert_no_conflicts(&[&A]);
    const _: () = assert_no_conflicts(&[&A, &OTHER, &ROOT_SLUG]);
}
