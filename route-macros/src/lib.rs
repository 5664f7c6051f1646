//! The `#[route]` and `routes!` macros of `route-runtime`. Depend on `route-runtime`, which
//! re-exports them; the generated code needs it.
//!
//! Three stages, as in serde_derive: `parse` (syntax and the path-pattern grammar) → `model` (a
//! validated description of the route, every error collected) → `expand` (the code).

use proc_macro::TokenStream;
use syn::parse_macro_input;

use parse::RouteModule;

mod expand;
mod model;
mod parse;

/// Turns an inline module into a Next.js route handler: `#[route("/dashboard/[team]")]`.
///
/// Each function of the module named after an HTTP method (`GET`, `HEAD`, `POST`, `PUT`,
/// `PATCH`, `DELETE`, `OPTIONS`) becomes that method's handler. Handlers may be `async` or not,
/// take any axum extractors plus [`Request`] and [`RouteContext<Params>`] in any order, and return
/// anything that implements `IntoResponse`.
///
/// The module gains:
/// - `Params`: one field per pattern parameter (`[team]` → `String`, `[...slug]` →
///   `Vec<String>`, `[[...slug]]` → `Option<Vec<String>>`), serialized as Next.js does, deriving
///   `Debug` and `Clone`. Define your own `struct Params` instead for typed fields (`id: u64`) or
///   other derives: its field names are checked against the pattern, and a value that does not
///   parse answers `400` naming the parameter.
/// - `router()`: the axum router with Next.js's method semantics — automatic `OPTIONS` with
///   `Allow`, `HEAD` from `GET`, `405` with `Allow` for the other methods. It is generic over
///   the axum state, unless a handler takes `State<T>` (then it is `Router<T>`) or the attribute
///   says `state = T` (resolved where the attribute is written).
/// - `PATTERN`, `AXUM_PATHS`, `METHODS` and `ROUTE`, the route's description.
///
/// Route segment config is read from constants: `REVALIDATE` (`u64` seconds or a `Revalidate`),
/// `DYNAMIC` (a `Dynamic` or Next.js's strings), `MAX_DURATION` (`u64` seconds), `TAGS`
/// (`&[&str]`) and `BODY_LIMIT` (`usize` bytes).
///
/// Pattern grammar: static segments, `[name]`, `[...name]` (one or more segments, last),
/// `[[...name]]` (zero or more, last), `(group)` (left out of the URL), and `/` itself.
///
/// ```text
/// #[route("/dashboard/[team]")]
/// mod team {
///     use route_runtime::{Json, Request, RouteContext};
///     pub const REVALIDATE: u64 = 60;
///
///     pub async fn GET(_request: Request, ctx: RouteContext<Params>) -> Json<Params> {
///         Json(ctx.params)
///     }
/// }
/// ```
///
/// Misuse is a compile error on the offending token that says what to write instead.
///
/// [`Request`]: request/struct.Request.html
/// [`RouteContext<Params>`]: struct.RouteContext.html
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    let module = match RouteModule::parse(item.into()) {
        Ok(module) => module,
        Err(e) => {
            let message = format!(
                "`#[route]` goes on an inline module: `#[route(\"/path\")] mod name {{ … }}` ({e})"
            );
            return syn::Error::new(e.span(), message).to_compile_error().into();
        }
    };
    // A second `#[route]` below this one: this one reports it and leaves the module to it.
    if let Some(other) = module
        .outline
        .attrs
        .iter()
        .find(|a| a.path().segments.last().is_some_and(|s| s.ident == "route"))
    {
        let error = syn::Error::new_spanned(
            other,
            "`#[route]` is given twice: a module is one route, at one path; put the other path's handlers in a module of their own (they may call shared functions)",
        );
        let RouteModule { head, body, .. } = module;
        let error = error.to_compile_error();
        return quote::quote!(#error #head #body).into();
    }
    let args = match syn::parse::<parse::RouteArgs>(attr) {
        Ok(args) => args,
        Err(e) => return expand::with_errors(e, Some(module), None).into(),
    };
    let pattern = args.pattern.clone();
    match model::Route::from_input(args, &module.outline) {
        Ok(route) => expand::route(&route, module).into(),
        Err(e) => expand::with_errors(e, Some(module), Some(&pattern)).into(),
    }
}

/// Combines `#[route]` modules into one `Routes`: `routes![hello, api::users]`.
///
/// Two routes that collide (the same URL, or different parameter names at the same position)
/// are a compile error naming both. `Routes<S>` is generic over the axum state: when nothing else
/// fixes it (`.with_state(..)`, `serve(..)`), annotate it, e.g. `let routes: Routes = routes![..];`.
///
/// ```text
/// let app: axum::Router = routes![hello, team].into_router();
/// ```
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as parse::RoutesInput);
    expand::routes(&input.modules).into()
}
