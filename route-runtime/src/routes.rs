//! Putting route modules together: [`Routes`] checks that no two routes collide and builds one
//! axum router; static segments win over dynamic ones (matchit's precedence).

use std::collections::BTreeMap;
use std::fmt;

use axum::Router;

use crate::cache::Cache;
use crate::config::{Dynamic, Revalidate, RouteInfo, RouteMethod};
use crate::normalize::NormalizePath;
use crate::pattern::Segment;
use crate::pattern::{conflict, conflict_message};

/// A set of route modules, built into one axum router.
///
/// Usually made with `routes![a, b::c]`, which also checks for conflicts at compile time; the
/// builder checks again when the router is built, for routes added one by one.
///
/// ```no_run
/// use route_runtime::{route, Routes};
///
/// #[route("/api/hello")]
/// mod hello {
///     pub async fn GET() -> &'static str { "Hello" }
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let routes: Routes = Routes::new().add(&hello::ROUTE, hello::router());
/// // Inside an existing axum app: merge, nest or layer it like any router.
/// let app = axum::Router::new().merge(routes.into_router());
/// # Ok(()) }
/// ```
pub struct Routes<S = ()> {
    entries: Vec<(&'static RouteInfo, Router<S>)>,
    cache: Option<Cache>,
}

impl<S> Default for Routes<S> {
    fn default() -> Self {
        Routes {
            entries: Vec::new(),
            cache: None,
        }
    }
}

impl<S> fmt::Debug for Routes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(info, _)| info.pattern))
            .finish()
    }
}

/// Two routes that cannot be served together, with a message naming both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConflict {
    /// The first route's pattern.
    pub first: &'static str,
    /// The second route's pattern.
    pub second: &'static str,
    message: String,
}

impl fmt::Display for RouteConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RouteConflict {}

impl<S> Routes<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// No routes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route module: its `ROUTE` and its `router()`.
    pub fn add(mut self, info: &'static RouteInfo, router: Router<S>) -> Self {
        self.entries.push((info, router));
        self
    }

    /// Serves these routes' cached responses from `cache` instead of the
    /// [global](Cache::global) one.
    pub fn with_cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The cache these routes use.
    pub fn cache(&self) -> Cache {
        self.cache
            .clone()
            .unwrap_or_else(|| Cache::global().clone())
    }

    /// The paths of cacheable routes without params: what [`prerender`](crate::cache::prerender)
    /// renders at startup.
    pub fn static_paths(&self) -> Vec<String> {
        self.infos()
            .filter(|info| info.exports(RouteMethod::Get) && info.config.cache_lifetime().is_some())
            .filter_map(|info| {
                let mut path = String::new();
                for segment in info.segments {
                    match segment {
                        Segment::Static(s) => {
                            path.push('/');
                            path.push_str(s);
                        }
                        _ => return None,
                    }
                }
                Some(if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                })
            })
            .collect()
    }

    /// The routes added so far.
    pub fn infos(&self) -> impl Iterator<Item = &'static RouteInfo> + '_ {
        self.entries.iter().map(|(info, _)| *info)
    }

    /// The first pair of routes that collide, if any.
    pub fn check(&self) -> Result<(), RouteConflict> {
        let infos: Vec<&'static RouteInfo> = self.infos().collect();
        check_group(&infos, 0)
    }

    /// One axum router serving every route, or the first conflict.
    pub fn try_into_router(self) -> Result<Router<S>, RouteConflict> {
        self.check()?;
        let router = self
            .entries
            .into_iter()
            .fold(Router::new(), |app, (_, router)| app.merge(router));
        Ok(match self.cache {
            Some(cache) => router.layer(axum::Extension(cache)),
            None => router,
        })
    }

    /// One axum router serving every route.
    ///
    /// # Panics
    /// When two routes collide (never a silent shadowing); [`try_into_router`](Self::try_into_router)
    /// returns the conflict instead.
    pub fn into_router(self) -> Router<S> {
        match self.try_into_router() {
            Ok(router) => router,
            Err(conflict) => panic!("{conflict}"),
        }
    }

    /// A route table like Next.js's build output: pattern, methods, caching.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (info, _) in &self.entries {
            let methods = info.allow_header();
            let caching = describe_caching(info);
            out.push_str(&format!(
                "{:<28} {:<46} {}\n",
                info.pattern, methods, caching
            ));
        }
        out
    }
}

impl Routes<()> {
    /// Builds the router (as [`into_router`](Self::into_router)) after rendering every
    /// cacheable route without params once, so that the first request is already a `HIT`.
    ///
    /// # Panics
    /// As [`into_router`](Self::into_router), when two routes collide.
    pub async fn into_prerendered_router(self) -> Router {
        let paths = self.static_paths();
        let router = self.into_router();
        let stored = crate::cache::prerender(&router, &paths).await;
        tracing::info!(stored, of = paths.len(), "prerendered static routes");
        // Handlers turned into services once, not on every request (as `axum::serve` does).
        router.with_state(())
    }

    /// The router behind [`NormalizePath`] (trailing-slash `308`s, `400` for unknown methods),
    /// for a server of your own. [`serve`](crate::serve) applies `NormalizePath` itself: give it
    /// [`into_router`](Self::into_router)'s router, or the normalisation runs twice.
    pub fn into_service(self) -> NormalizePath<Router> {
        NormalizePath::new(self.into_router().with_state(()))
    }
}

fn describe_caching(info: &RouteInfo) -> String {
    let config = info.config;
    let revalidate = match config.revalidate {
        Revalidate::Unset => String::new(),
        Revalidate::Seconds(n) => format!("revalidate={n}s "),
        Revalidate::Forever => "revalidate=forever ".to_string(),
    };
    let dynamic = match config.dynamic {
        Dynamic::Auto => "",
        Dynamic::ForceDynamic => "force-dynamic",
        Dynamic::ForceStatic => "force-static",
        Dynamic::Error => "dynamic=error",
    };
    let kind = if config.cache_lifetime().is_some() {
        "○ cached"
    } else {
        "ƒ dynamic"
    };
    format!("{kind} {revalidate}{dynamic}")
        .trim_end()
        .to_string()
}

/// Finds a conflict among `infos`, which agree on their first `depth` segments.
///
/// A static segment never collides with a dynamic one (static wins) nor with the end of a path,
/// so routes with a static segment at `depth` are only compared within their own text's bucket,
/// level by level: near-linear even when thousands of routes share a prefix such as `/api/v1`.
/// The rest (dynamic, catch-all, or ended at `depth`) are compared pairwise.
fn check_group(infos: &[&'static RouteInfo], depth: usize) -> Result<(), RouteConflict> {
    if infos.len() < 2 {
        return Ok(());
    }
    let mut by_text: BTreeMap<&str, Vec<&'static RouteInfo>> = BTreeMap::new();
    let mut others = Vec::new();
    for info in infos {
        match info.segments.get(depth) {
            Some(Segment::Static(text)) => by_text.entry(*text).or_default().push(*info),
            _ => others.push(*info),
        }
    }
    for (i, a) in others.iter().enumerate() {
        for b in &others[i + 1..] {
            if let Some(kind) = conflict(a.segments, b.segments) {
                return Err(RouteConflict {
                    first: a.pattern,
                    second: b.pattern,
                    message: conflict_message(a, b, kind),
                });
            }
        }
    }
    for group in by_text.values() {
        check_group(group, depth + 1)?;
    }
    Ok(())
}
