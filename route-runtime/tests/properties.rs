//! Property tests of the path functions every request goes through before a handler runs:
//! `pattern::decode_segment`, `pattern::match_path`, `pattern::canonical_path` and
//! `pattern::conflict`.
//!
//! The number of cases is bounded so that CI takes seconds (proptest's default, 256 per property:
//! about 0.2 s for all of them in a debug build). The `PROPTEST_CASES` environment variable sets
//! the number of cases per property, for a longer run (about 10 s after the release build):
//!
//! ```sh
//! cargo test -p route-runtime --test properties                                  # bounded, CI
//! PROPTEST_CASES=100000 cargo test --release -p route-runtime --test properties  # longer run
//! ```
//!
//! A failing case is shrunk, and proptest saves its seed in a `proptest-regressions` file that it
//! replays first on every later run.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
use proptest::prelude::*;
use route_runtime::pattern::{
    canonical_path, conflict, decode_segment, match_canonical, match_path, PathMatch, Segment,
};
use route_runtime::RawValue;

const TEAM: &[Segment] = &[Segment::Static("dashboard"), Segment::Dynamic("team")];
const BLOG: &[Segment] = &[Segment::Static("blog"), Segment::CatchAll("slug")];
const DOCS: &[Segment] = &[Segment::Static("docs"), Segment::OptionalCatchAll("slug")];
const SHOP: &[Segment] = &[
    Segment::Static("shop"),
    Segment::Dynamic("tag"),
    Segment::Dynamic("item"),
];

/// The fewest characters a client must encode in a path segment: controls, space, `/` (it would
/// split the segment), `%` (it would start an escape), `?` and `#` (they end the path).
const MINIMAL: &AsciiSet = &CONTROLS.add(b' ').add(b'/').add(b'%').add(b'?').add(b'#');

/// Any Unicode text, with the characters that matter in paths made likely.
fn segment_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9/%.?#+ \\\\\u{0}-\u{1f}\u{e9}\u{4e2d}\u{1f600}]{0,12}",
    ]
}

/// Raw (still-encoded) path text as a client could send it, including malformed escapes.
fn raw_path() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[/a-z.%0-9A-Fa-f\\\\]{0,24}",
        proptest::collection::vec(
            prop_oneof![
                Just("".to_owned()),
                Just(".".to_owned()),
                Just("..".to_owned()),
                Just("%2e".to_owned()),
                Just("%2E%2e".to_owned()),
                Just(".%2e".to_owned()),
                Just("%2F".to_owned()),
                Just("\\".to_owned()),
                "[a-z%]{1,4}",
            ],
            0..8
        )
        .prop_map(|parts| format!("/{}", parts.join("/"))),
    ]
}

fn is_dot(segment: &str) -> bool {
    segment == "." || segment.eq_ignore_ascii_case("%2e")
}

fn is_dot_dot(segment: &str) -> bool {
    matches!(
        segment.to_ascii_lowercase().as_str(),
        ".." | ".%2e" | "%2e." | "%2e%2e"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// Decoding is total: any raw segment is either decoded or a 400, never a panic.
    #[test]
    fn decode_segment_never_panics(raw in raw_path()) {
        let _ = decode_segment("p", &raw);
    }

    /// Matching is total for every kind of pattern, whatever the raw path.
    #[test]
    fn match_path_never_panics(raw in raw_path()) {
        for pattern in [TEAM, BLOG, DOCS, SHOP, &[][..]] {
            let _ = match_path(pattern, &raw);
        }
    }

    /// The one-pass check the dispatcher runs agrees with its two-pass definition: not canonical
    /// first (a redirect, whatever the params), then the match and its decoding.
    #[test]
    fn match_canonical_is_canonical_path_then_match_path(raw in raw_path()) {
        let patterns: [(&[Segment], &str); 5] =
            [(TEAM, "/dashboard"), (BLOG, "/blog"), (DOCS, "/docs"), (SHOP, "/shop"), (&[], "")];
        for (pattern, prefix) in patterns {
            // Random text rarely starts with the pattern's prefix: add it, so that matches and
            // near-matches are exercised too.
            for path in [raw.clone(), format!("{prefix}{raw}"), format!("{prefix}/{raw}")] {
                let expected = if canonical_path(&path).is_some() {
                    Ok(PathMatch::NotCanonical)
                } else {
                    match_path(pattern, &path)
                        .map(|m| m.map_or(PathMatch::NoMatch, PathMatch::Matched))
                };
                prop_assert_eq!(
                    match_canonical(pattern, &path), expected, "{:?} against {:?}", path, pattern
                );
            }
        }
    }

    /// A successful decode is exactly the percent-decoding of the input, and an error names the
    /// param: nothing is passed through half-decoded.
    #[test]
    fn decode_segment_is_strict(raw in raw_path()) {
        match decode_segment("p", &raw) {
            Ok(decoded) => {
                let bytes: Vec<u8> = percent_encoding::percent_decode_str(&raw).collect();
                prop_assert_eq!(decoded.as_bytes(), &bytes[..]);
                // Every `%` of the input started a valid two-digit escape.
                let b = raw.as_bytes();
                for (i, _) in raw.match_indices('%') {
                    prop_assert!(i + 2 < b.len() && b[i + 1].is_ascii_hexdigit()
                        && b[i + 2].is_ascii_hexdigit(), "accepted a bad escape at {} in {:?}", i, raw);
                }
            }
            Err(error) => prop_assert_eq!(error.param(), "p"),
        }
    }

    /// Encode, then decode: any segment text comes back unchanged, with the fewest escapes a
    /// client must send and with everything escaped.
    #[test]
    fn encode_then_decode_round_trips(text in segment_text()) {
        for set in [MINIMAL, NON_ALPHANUMERIC] {
            let encoded = utf8_percent_encode(&text, set).to_string();
            prop_assert_eq!(decode_segment("p", &encoded), Ok(text.clone()));
            if !text.is_empty() {
                let path = format!("/dashboard/{encoded}");
                let params = match_path(TEAM, &path);
                prop_assert_eq!(
                    params.as_ref().ok().and_then(|p| p.as_ref()).and_then(|p| p.get("team")),
                    Some(&RawValue::One(text.clone())),
                    "path {:?}", path
                );
            }
        }
    }

    /// `%25` decodes once: an encoded escape stays an escape (`%252F` → `%2F`, never `/`).
    #[test]
    fn decoding_happens_once(text in segment_text()) {
        let once = utf8_percent_encode(&text, NON_ALPHANUMERIC).to_string();
        let twice = utf8_percent_encode(&once, NON_ALPHANUMERIC).to_string();
        prop_assert_eq!(decode_segment("p", &twice), Ok(once));
    }

    /// A catch-all gets exactly the segments of the path, each decoded on its own (an encoded `/`
    /// stays inside its segment), in order; an optional catch-all the same, or absent for none.
    #[test]
    fn catch_all_gets_exactly_the_segments(
        segments in proptest::collection::vec(segment_text().prop_filter("non-empty", |s| !s.is_empty()), 0..6)
    ) {
        let encoded: Vec<String> = segments
            .iter()
            .map(|s| utf8_percent_encode(s, MINIMAL).to_string())
            .collect();
        let tail = encoded.iter().map(|s| format!("/{s}")).collect::<String>();

        let blog = match_path(BLOG, &format!("/blog{tail}"));
        let docs = match_path(DOCS, &format!("/docs{tail}"));
        if segments.is_empty() {
            prop_assert_eq!(blog, Ok(None), "a catch-all needs at least one segment");
            let docs = docs.expect("decodes").expect("matches");
            prop_assert_eq!(docs.get("slug"), Some(&RawValue::Absent));
        } else {
            let many = RawValue::Many(segments.clone());
            let blog = blog.expect("decodes").expect("matches");
            prop_assert_eq!(blog.get("slug"), Some(&many));
            let docs = docs.expect("decodes").expect("matches");
            prop_assert_eq!(docs.get("slug"), Some(&many));
        }
    }

    /// Two dynamic segments get their own segment each, whatever they contain.
    #[test]
    fn dynamic_segments_stay_apart(
        tag in segment_text().prop_filter("non-empty", |s| !s.is_empty()),
        item in segment_text().prop_filter("non-empty", |s| !s.is_empty()),
    ) {
        let path = format!(
            "/shop/{}/{}",
            utf8_percent_encode(&tag, MINIMAL),
            utf8_percent_encode(&item, MINIMAL)
        );
        let params = match_path(SHOP, &path).expect("decodes").expect("matches");
        prop_assert_eq!(params.get("tag"), Some(&RawValue::One(tag)));
        prop_assert_eq!(params.get("item"), Some(&RawValue::One(item)));
    }

    /// The canonical path is canonical: applying it again changes nothing, it starts with one `/`,
    /// has no empty, `.` or `..` segment (in any spelling) and no trailing slash.
    #[test]
    fn canonical_path_is_idempotent_and_clean(raw in raw_path()) {
        let canonical = canonical_path(&raw).unwrap_or_else(|| raw.clone());
        prop_assert_eq!(canonical_path(&canonical), None, "not idempotent for {:?}", raw);
        prop_assert!(canonical.starts_with('/'), "{:?} → {:?}", raw, canonical);
        prop_assert!(!canonical.starts_with("//"), "{:?} → {:?}", raw, canonical);
        prop_assert!(!canonical.contains("/./"), "{:?} → {:?}", raw, canonical);
        prop_assert!(!canonical.contains("/../"), "{:?} → {:?}", raw, canonical);
        prop_assert!(canonical == "/" || !canonical.ends_with('/'), "{:?} → {:?}", raw, canonical);
        if canonical != "/" {
            for segment in canonical[1..].split('/') {
                prop_assert!(!segment.is_empty(), "{:?} → {:?}", raw, canonical);
                prop_assert!(!is_dot(segment) && !is_dot_dot(segment), "{:?} → {:?}", raw, canonical);
            }
        }
    }

    /// Canonicalisation never decodes: every segment of the result is a segment of the input, so
    /// `%2F` stays encoded and no new separator appears.
    #[test]
    fn canonical_path_keeps_segments_encoded(raw in raw_path()) {
        if let Some(canonical) = canonical_path(&raw) {
            let input: Vec<&str> = raw.split('/').collect();
            for segment in canonical[1..].split('/').filter(|s| !s.is_empty()) {
                prop_assert!(input.contains(&segment), "{:?} → {:?}", raw, canonical);
            }
        }
    }
}

/// Valid patterns over a small alphabet, so that prefixes, names and kinds collide often.
fn pattern() -> impl Strategy<Value = Vec<Segment>> {
    let middle = prop_oneof![
        3 => prop::sample::select(vec!["a", "b", "docs"]).prop_map(Segment::Static),
        2 => prop::sample::select(vec!["x", "y", "slug"]).prop_map(Segment::Dynamic),
    ];
    let last = prop_oneof![
        3 => Just(None),
        1 => prop::sample::select(vec!["x", "slug"]).prop_map(|n| Some(Segment::CatchAll(n))),
        1 => prop::sample::select(vec!["x", "slug"]).prop_map(|n| Some(Segment::OptionalCatchAll(n))),
    ];
    (proptest::collection::vec(middle, 0..4), last).prop_map(|(mut segments, last)| {
        segments.extend(last);
        segments
    })
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// `conflict(a, b)` and `conflict(b, a)` agree (the names of a slug clash swap places), so the
    /// order of routes in `routes![…]` never decides whether they build.
    #[test]
    fn conflict_is_symmetric(a in pattern(), b in pattern()) {
        use route_runtime::pattern::ConflictKind::DifferentSlugNames;
        let ab = conflict(&a, &b);
        let ba = conflict(&b, &a);
        match (ab, ba) {
            (Some(DifferentSlugNames(x, y)), Some(DifferentSlugNames(y2, x2))) => {
                prop_assert_eq!((x, y), (x2, y2), "{:?} vs {:?}", a, b);
            }
            (ab, ba) => prop_assert_eq!(ab, ba, "{:?} vs {:?}", a, b),
        }
    }

    /// Every pattern conflicts with itself.
    #[test]
    fn conflict_is_reflexive(a in pattern()) {
        prop_assert!(conflict(&a, &a).is_some(), "{:?}", a);
    }
}

/// A route with `segments`, leaked so that it is `'static` as generated routes are.
fn leaked_route(segments: Vec<Segment>) -> &'static route_runtime::RouteInfo {
    use route_runtime::{RouteConfig, RouteInfo, RouteMethod};
    Box::leak(Box::new(RouteInfo {
        pattern: "(generated)",
        segments: Box::leak(segments.into_boxed_slice()),
        methods: &[RouteMethod::Get],
        config: RouteConfig::DEFAULT,
    }))
}

fn leaked_router(info: &'static route_runtime::RouteInfo) -> axum::Router {
    use route_runtime::__private::RouteBuilder;
    use route_runtime::RouteMethod;
    RouteBuilder::<()>::new(info)
        .no_args(RouteMethod::Get, || async { "ok" })
        .build()
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// The conflict check agrees with axum: two routes it accepts always build into one router
    /// (axum/matchit would panic on an overlap it missed), two it refuses give a `RouteConflict`,
    /// and building never panics either way.
    #[test]
    fn conflict_check_agrees_with_the_router(a in pattern(), b in pattern()) {
        let expected = conflict(&a, &b);
        let (ia, ib) = (leaked_route(a.clone()), leaked_route(b.clone()));
        let built = std::panic::catch_unwind(|| {
            route_runtime::Routes::new()
                .add(ia, leaked_router(ia))
                .add(ib, leaked_router(ib))
                .try_into_router()
                .map(|_| ())
        });
        match built {
            Err(_) => prop_assert!(false, "building {:?} + {:?} panicked (conflict: {:?})", a, b, expected),
            Ok(Ok(())) => prop_assert!(expected.is_none(), "{:?} + {:?}: built despite {:?}", a, b, expected),
            Ok(Err(e)) => prop_assert!(expected.is_some(), "{:?} + {:?}: refused without a conflict: {}", a, b, e),
        }
    }
}
