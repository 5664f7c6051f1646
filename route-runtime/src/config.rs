//! The static description of a route that `#[route]` generates: its pattern, its handlers and its
//! segment config (`REVALIDATE`, `DYNAMIC`, `MAX_DURATION`, `TAGS`, `BODY_LIMIT`).

use std::fmt;
use std::time::Duration;

use crate::pattern::Segment;

/// One of the seven methods a route module may export, in Next.js's spelling (`GET`, `HEAD`, …).
///
/// The order of the variants is the alphabetical order of their names, which is the order of the
/// automatic `Allow` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RouteMethod {
    /// `DELETE`
    Delete,
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `PATCH`
    Patch,
    /// `POST`
    Post,
    /// `PUT`
    Put,
}

impl RouteMethod {
    /// All seven, in alphabetical order.
    pub const ALL: [RouteMethod; 7] = [
        RouteMethod::Delete,
        RouteMethod::Get,
        RouteMethod::Head,
        RouteMethod::Options,
        RouteMethod::Patch,
        RouteMethod::Post,
        RouteMethod::Put,
    ];

    /// The method's name as sent on the wire, e.g. `"GET"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RouteMethod::Delete => "DELETE",
            RouteMethod::Get => "GET",
            RouteMethod::Head => "HEAD",
            RouteMethod::Options => "OPTIONS",
            RouteMethod::Patch => "PATCH",
            RouteMethod::Post => "POST",
            RouteMethod::Put => "PUT",
        }
    }

    /// The method for an `http::Method`, or `None` when it is not one of the seven.
    pub fn from_http(method: &axum::http::Method) -> Option<Self> {
        use axum::http::Method;
        Some(match *method {
            Method::DELETE => RouteMethod::Delete,
            Method::GET => RouteMethod::Get,
            Method::HEAD => RouteMethod::Head,
            Method::OPTIONS => RouteMethod::Options,
            Method::PATCH => RouteMethod::Patch,
            Method::POST => RouteMethod::Post,
            Method::PUT => RouteMethod::Put,
            _ => return None,
        })
    }

    /// The `http::Method` of this method.
    pub fn to_http(self) -> axum::http::Method {
        use axum::http::Method;
        match self {
            RouteMethod::Delete => Method::DELETE,
            RouteMethod::Get => Method::GET,
            RouteMethod::Head => Method::HEAD,
            RouteMethod::Options => Method::OPTIONS,
            RouteMethod::Patch => Method::PATCH,
            RouteMethod::Post => Method::POST,
            RouteMethod::Put => Method::PUT,
        }
    }
}

impl fmt::Display for RouteMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a cached `GET` response stays fresh (`pub const REVALIDATE` in a route module).
///
/// ```
/// # use route_runtime::Revalidate;
/// // In a route module, either form works:
/// pub const REVALIDATE: u64 = 60; // seconds; 0 = never cache
/// pub const FOREVER: Revalidate = Revalidate::Forever; // Next.js's `revalidate = false`
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Revalidate {
    /// Nothing exported: the route is dynamic (Next.js 15+ default), unless `DYNAMIC` says otherwise.
    Unset,
    /// Fresh for this many seconds; `0` means never cache.
    Seconds(u64),
    /// Cached until invalidated (Next.js's `revalidate = false`).
    Forever,
}

/// `pub const DYNAMIC` in a route module: Next.js's `dynamic` segment option.
///
/// ```
/// # use route_runtime::Dynamic;
/// pub const DYNAMIC: Dynamic = Dynamic::ForceStatic;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dynamic {
    /// Cache when `REVALIDATE` says so and the handler reads no request data (the default).
    #[default]
    Auto,
    /// Never cache, even with `REVALIDATE`; like Next.js 16, no `Cache-Control` is added (a
    /// handler's own passes through).
    ForceDynamic,
    /// Cache; the handler sees a request stripped of query, headers and cookies.
    ForceStatic,
    /// Cache; reading request data in the handler is a bug, answered with a logged 500.
    Error,
}

/// A route's segment config, as read from its module's constants by `#[route]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteConfig {
    /// `REVALIDATE`.
    pub revalidate: Revalidate,
    /// `DYNAMIC`.
    pub dynamic: Dynamic,
    /// `MAX_DURATION` in seconds: the handler is dropped after it and the client gets 504.
    pub max_duration: Option<u64>,
    /// `TAGS`: cache tags for [`revalidate_tag`](crate::cache::revalidate_tag).
    pub tags: &'static [&'static str],
    /// `BODY_LIMIT` in bytes; `None` means [`DEFAULT_BODY_LIMIT`](crate::DEFAULT_BODY_LIMIT).
    pub body_limit: Option<usize>,
}

impl RouteConfig {
    /// The config of a module that exports none of the constants.
    pub const DEFAULT: RouteConfig = RouteConfig {
        revalidate: Revalidate::Unset,
        dynamic: Dynamic::Auto,
        max_duration: None,
        tags: &[],
        body_limit: None,
    };

    /// How long a cached entry stays fresh, or `None` when the route's `GET` is not cached.
    ///
    /// `Some(None)` means cached forever.
    pub fn cache_lifetime(&self) -> Option<Option<Duration>> {
        match (self.dynamic, self.revalidate) {
            (Dynamic::ForceDynamic, _) => None,
            (_, Revalidate::Seconds(0)) => None,
            (_, Revalidate::Seconds(n)) => Some(Some(Duration::from_secs(n))),
            (_, Revalidate::Forever) => Some(None),
            (Dynamic::ForceStatic | Dynamic::Error, Revalidate::Unset) => Some(None),
            (Dynamic::Auto, Revalidate::Unset) => None,
        }
    }

    /// `MAX_DURATION` as a `Duration`.
    pub fn max_duration(&self) -> Option<Duration> {
        self.max_duration.map(Duration::from_secs)
    }
}

impl Default for RouteConfig {
    fn default() -> Self {
        RouteConfig::DEFAULT
    }
}

/// Everything `#[route]` knows about one route module, as `ROUTE` in that module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    /// The pattern as written, e.g. `"/dashboard/[team]"`.
    pub pattern: &'static str,
    /// The URL segments of the pattern; route groups `(name)` are left out.
    pub segments: &'static [Segment],
    /// The methods the module exports, alphabetical.
    pub methods: &'static [RouteMethod],
    /// The module's segment config.
    pub config: RouteConfig,
}

impl RouteInfo {
    /// The value of the automatic `Allow` header: the exported methods, plus `OPTIONS`, plus `HEAD`
    /// when `GET` is exported, sorted and joined with `", "`.
    pub fn allow_header(&self) -> String {
        let mut methods: Vec<RouteMethod> = self.methods.to_vec();
        methods.push(RouteMethod::Options);
        if methods.contains(&RouteMethod::Get) {
            methods.push(RouteMethod::Head);
        }
        methods.sort();
        methods.dedup();
        methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the module exports `method` itself.
    pub fn exports(&self, method: RouteMethod) -> bool {
        self.methods.contains(&method)
    }
}
