//! The `#[route]` and `routes!` macros of `route-runtime`. Depend on `route-runtime`, which
//! re-exports them; generated code needs it.
//!
//! Three stages, as in serde_derive: [`parse`] (syntax and the path-pattern grammar) →
//! [`model`] (a validated description of the route, every error collected) → [`expand`] (code).

use proc_macro::TokenStream;
use syn::{parse_macro_input, ItemMod};

mod expand;
mod model;
mod parse;

/// Turns an inline module into a Next.js-style route handler. See `route_runtime::route`.
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    let module = match syn::parse::<ItemMod>(item) {
        Ok(module) => module,
        Err(e) => {
            let message = format!("`#[route]` goes on an inline module: `#[route(\"/path\")] mod name {{ … }}` ({e})");
            return syn::Error::new(e.span(), message).to_compile_error().into();
        }
    };
    let args = match syn::parse::<parse::RouteArgs>(attr) {
        Ok(args) => args,
        Err(e) => return expand::with_errors(e, Some(module)).into(),
    };
    match model::Route::from_input(args, &module) {
        Ok(route) => expand::route(&route, module).into(),
        Err(e) => expand::with_errors(e, Some(module)).into(),
    }
}

/// Combines `#[route]` modules into one `Routes`, checking at compile time that no two collide.
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as parse::RoutesInput);
    expand::routes(&input.modules).into()
}
