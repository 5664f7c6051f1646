//! `RouteContext<Params>`: the second argument of a Next.js route handler, as an axum extractor.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::RouteError;
use crate::params::{FromParams, RawParams};

/// The route context of a handler: its typed path params.
///
/// `Params` is the struct `#[route]` generates from the pattern (or the module's own).
///
/// ```
/// use route_runtime::route;
///
/// #[route("/shop/[tag]/[item]")]
/// mod item {
///     use route_runtime::RouteContext;
///
///     pub async fn GET(ctx: RouteContext<Params>) -> String {
///         format!("{} / {}", ctx.params.tag, ctx.params.item)
///     }
/// }
/// ```
///
/// A param that does not parse into its field's type is answered with `400` and a JSON body naming
/// the param, before the handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteContext<P> {
    /// The decoded, typed path params.
    pub params: P,
}

impl<P, S> FromRequestParts<S> for RouteContext<P>
where
    P: FromParams,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // The dispatcher puts the matched params in the extensions (a client cannot set them);
        // a route without params has none, and taking them avoids a copy.
        let (mut raw, matched) = match parts.extensions.remove::<RawParams>() {
            Some(raw) => (raw, true),
            None => (RawParams::default(), false),
        };
        route_context(&mut raw).map_err(|e| {
            if matched {
                e.into_response()
            } else {
                RouteError::internal(
                    "RouteContext used outside a #[route] handler: no matched params",
                )
                .into_response()
            }
        })
    }
}

/// The `RouteContext` of the matched params. A param that does not parse is a `400` naming it.
pub(crate) fn route_context<P: FromParams>(
    raw: &mut RawParams,
) -> Result<RouteContext<P>, RouteError> {
    P::from_params(raw)
        .map(|params| RouteContext { params })
        .map_err(|e| RouteError::from_param_error(&e))
}
