//! Stage 3: the validated model as Rust code. Everything generated reaches the runtime through
//! `::route_runtime::__private`, so it works under any import style.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemMod, Path};

use crate::model::{
    is_route_context, DynamicConfig, Handler, Params, RevalidateConfig, Route, Segment, State,
};

/// The runtime's hidden module, as an absolute path.
fn rt() -> TokenStream {
    quote!(::route_runtime::__private)
}

/// The runtime's hidden module, spanned on a user token so that errors through it land there.
fn rt_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::route_runtime::__private)
}

/// The module with its items plus the generated constants, `Params` and `router()`.
pub fn route(route: &Route, module: ItemMod) -> TokenStream {
    let ItemMod {
        attrs,
        vis,
        unsafety,
        mod_token,
        ident,
        content,
        ..
    } = module;
    let items = content.map(|(_, items)| items).unwrap_or_default();
    // `state = T` is written outside the module, so `T` is resolved there.
    let state_alias = match &route.state {
        Some(State::Explicit(ty)) => {
            let alias = state_alias(&ident);
            Some(quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                type #alias = #ty;
            })
        }
        _ => None,
    };
    let generated = [constants(route), params(route), router(route)];
    quote! {
        #state_alias
        #(#attrs)*
        // Handlers are named after HTTP methods, as in Next.js.
        #[allow(non_snake_case)]
        #vis #unsafety #mod_token #ident {
            #(#items)*
            #(#generated)*
        }
    }
}

fn state_alias(module: &Ident) -> Ident {
    format_ident!("__route_state_{}", module)
}

/// A module that failed validation: the errors, plus the module itself so that the rest of the
/// crate does not drown the real error in unresolved-name noise.
pub fn with_errors(errors: syn::Error, module: Option<ItemMod>) -> TokenStream {
    let errors = errors.to_compile_error();
    let module = module
        .filter(|m| m.content.is_some())
        .map(|m| quote!(#[allow(non_snake_case, dead_code)] #m));
    quote!(#errors #module)
}

fn constants(route: &Route) -> TokenStream {
    let rt = rt();
    let pattern = &route.pattern;
    let paths = axum_paths(&route.segments);
    let methods = route.handlers.iter().map(|h| {
        let variant = Ident::new(h.method.variant(), Span::call_site());
        quote!(#rt::RouteMethod::#variant)
    });
    let segments = route.segments.iter().map(|s| {
        let (variant, value) = match s {
            Segment::Static(v) => ("Static", v),
            Segment::Dynamic(v) => ("Dynamic", v),
            Segment::CatchAll(v) => ("CatchAll", v),
            Segment::OptionalCatchAll(v) => ("OptionalCatchAll", v),
        };
        let variant = Ident::new(variant, Span::call_site());
        quote!(#rt::Segment::#variant(#value))
    });
    let config = config(route);
    // The string form of `DYNAMIC` is read by the macro; this use keeps it from being dead code.
    let dynamic_use = matches!(route.config.dynamic, Some(DynamicConfig::Str(_))).then(|| {
        quote!(
            const _: &str = DYNAMIC;
        )
    });
    quote! {
        #dynamic_use
        /// The Next.js path pattern of this route.
        pub const PATTERN: &str = #pattern;
        /// The axum paths serving this route (two for an optional catch-all).
        pub const AXUM_PATHS: &[&str] = &[#(#paths),*];
        /// The methods this module defines, in alphabetical order.
        pub const METHODS: &[#rt::RouteMethod] = &[#(#methods),*];
        /// Everything the runtime knows about this route: pattern, methods and segment config.
        pub const ROUTE: #rt::RouteInfo = #rt::RouteInfo {
            pattern: PATTERN,
            segments: &[#(#segments),*],
            methods: METHODS,
            config: #config,
        };
    }
}

fn config(route: &Route) -> TokenStream {
    let rt = rt();
    let c = &route.config;
    let revalidate = match &c.revalidate {
        Some(RevalidateConfig::Seconds) => quote!(#rt::Revalidate::Seconds(REVALIDATE)),
        Some(RevalidateConfig::Typed) => quote!(REVALIDATE),
        None => quote!(#rt::Revalidate::Unset),
    };
    let dynamic = match &c.dynamic {
        Some(DynamicConfig::Typed) => quote!(DYNAMIC),
        Some(DynamicConfig::Str(variant)) => {
            let variant = Ident::new(variant, Span::call_site());
            quote!(#rt::Dynamic::#variant)
        }
        None => quote!(#rt::Dynamic::Auto),
    };
    // Spanned on the constant's type so that a wrong type is reported there.
    let max_duration = match c.max_duration {
        Some(span) => quote_spanned!(span=> ::core::option::Option::Some(MAX_DURATION)),
        None => quote!(::core::option::Option::None),
    };
    let tags = match c.tags {
        Some(span) => quote_spanned!(span=> TAGS),
        None => quote!(&[]),
    };
    let body_limit = match c.body_limit {
        Some(span) => quote_spanned!(span=> ::core::option::Option::Some(BODY_LIMIT)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #rt::RouteConfig {
            revalidate: #revalidate,
            dynamic: #dynamic,
            max_duration: #max_duration,
            tags: #tags,
            body_limit: #body_limit,
        }
    }
}

/// The same paths the runtime registers (`pattern::axum_paths`), for documentation and tests.
fn axum_paths(segments: &[Segment]) -> Vec<String> {
    let mut path = String::new();
    let mut paths = Vec::new();
    for segment in segments {
        match segment {
            Segment::Static(s) => {
                path.push('/');
                path.push_str(&s.replace('{', "{{").replace('}', "}}"));
            }
            Segment::Dynamic(n) => path.push_str(&format!("/{{{n}}}")),
            Segment::CatchAll(n) => path.push_str(&format!("/{{*{n}}}")),
            Segment::OptionalCatchAll(n) => {
                paths.push(if path.is_empty() {
                    "/".into()
                } else {
                    path.clone()
                });
                path.push_str(&format!("/{{*{n}}}"));
            }
        }
    }
    paths.push(if path.is_empty() { "/".into() } else { path });
    paths
}

fn params(route: &Route) -> TokenStream {
    let rt = rt();
    let fields: Vec<(Ident, syn::Type, &Segment)> = match &route.params {
        Params::Generated => route
            .segments
            .iter()
            .filter_map(|s| {
                let name = Ident::new(s.param()?, Span::call_site());
                let ty: syn::Type = match s {
                    Segment::CatchAll(_) => {
                        syn::parse_quote!(::std::vec::Vec<::std::string::String>)
                    }
                    Segment::OptionalCatchAll(_) => syn::parse_quote!(
                        ::core::option::Option<::std::vec::Vec<::std::string::String>>
                    ),
                    _ => syn::parse_quote!(::std::string::String),
                };
                Some((name, ty, s))
            })
            .collect(),
        Params::User(fields) => fields
            .iter()
            .filter_map(|(name, ty)| {
                let segment = route
                    .segments
                    .iter()
                    .find(|s| s.param().is_some_and(|p| name == p))?;
                Some((name.clone(), ty.clone(), segment))
            })
            .collect(),
    };

    let takes = fields.iter().map(|(name, ty, segment)| {
        let key = name.to_string();
        let helper = match segment {
            Segment::CatchAll(_) => quote!(catch_all),
            Segment::OptionalCatchAll(_) => quote!(optional_catch_all),
            _ => quote!(dynamic),
        };
        // Spanned on the field type: a type that cannot hold the param is reported there.
        quote_spanned!(ty.span()=> #name: #rt::#helper::<#ty>(__raw, #key)?)
    });
    let from_params = quote! {
        impl #rt::FromParams for Params {
            #[allow(unused_variables)]
            fn from_params(
                __raw: &mut #rt::RawParams,
            ) -> ::core::result::Result<Self, #rt::ParamError> {
                ::core::result::Result::Ok(Params { #(#takes,)* })
            }
        }
    };
    if matches!(route.params, Params::User(_)) {
        return from_params;
    }

    let doc = format!("The params of `{}`, decoded from the URL.", route.pattern);
    let declared = fields.iter().map(|(name, ty, segment)| {
        let doc = match segment {
            Segment::CatchAll(_) => format!("`[...{name}]`: one or more segments."),
            Segment::OptionalCatchAll(_) => {
                format!("`[[...{name}]]`: `None` when the URL has no segment there.")
            }
            _ => format!("`[{name}]`."),
        };
        quote!(#[doc = #doc] pub #name: #ty)
    });
    let count = fields.len();
    let serialize_fields = fields.iter().map(|(name, _, segment)| {
        let key = name.to_string();
        match segment {
            // Next.js leaves an absent optional catch-all out: `{}`, not `null`.
            Segment::OptionalCatchAll(_) => quote! {
                match &self.#name {
                    ::core::option::Option::Some(v) => __s.serialize_field(#key, v)?,
                    ::core::option::Option::None => __s.skip_field(#key)?,
                }
            },
            _ => quote!(__s.serialize_field(#key, &self.#name)?;),
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct Params { #(#declared,)* }

        impl #rt::serde::Serialize for Params {
            fn serialize<__Ser: #rt::serde::Serializer>(
                &self,
                __serializer: __Ser,
            ) -> ::core::result::Result<__Ser::Ok, __Ser::Error> {
                use #rt::serde::ser::SerializeStruct as _;
                #[allow(unused_mut)]
                let mut __s = __serializer.serialize_struct("Params", #count)?;
                #(#serialize_fields)*
                __s.end()
            }
        }

        #from_params
    }
}

fn router(route: &Route) -> TokenStream {
    let rt = rt();
    let (generics, state) = match &route.state {
        Some(State::Explicit(_)) => {
            let alias = state_alias(&route.module);
            (quote!(), quote!(super::#alias))
        }
        Some(State::Inferred(ty)) => (quote!(), quote!(#ty)),
        None => (
            quote!(<__S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static>),
            quote!(__S),
        ),
    };
    let handlers = route.handlers.iter().map(|h| handler(h, &state));
    let doc = format!(
        "The axum router of `{}`: its handlers with Next.js's method semantics (automatic `OPTIONS`, `HEAD` from `GET`, `405` with `Allow`).",
        route.pattern
    );
    quote! {
        #[doc = #doc]
        #[allow(unused_mut, unused_variables, clippy::let_unit_value)]
        pub fn router #generics () -> #rt::axum::Router<#state> {
            let __builder = #rt::RouteBuilder::<#state>::new(&ROUTE);
            #(#handlers)*
            __builder.build()
        }
    }
}

fn handler(h: &Handler, state: &TokenStream) -> TokenStream {
    let rt = rt();
    let method = Ident::new(h.method.variant(), Span::call_site());
    let ident = &h.ident;
    let names: Vec<Ident> = (0..h.args.len())
        .map(|i| format_ident!("__arg{}", i))
        .collect();

    let contexts = h
        .args
        .iter()
        .filter(|a| !a.takes_body && is_route_context(&a.ty))
        .count();
    let only_contexts = contexts == h.args.len();
    // A lone `RouteContext` takes the matched params directly; otherwise they go in the request's
    // extensions, where its extractor (and a custom extractor built on it) finds them.
    let direct_params = only_contexts && contexts <= 1;
    // The request scope gets the headers for `cookies()`/`headers()`: moved there after
    // extraction when nothing of the handler reads them from its `Parts` (its only extractors are
    // `RouteContext`); otherwise a copy goes there before the first extractor runs (a custom
    // extractor may call the helpers). Moving them in the generated code, rather than into the
    // scope when it is made, spares copying the scope they would enlarge.
    let mut extract = Vec::new();
    if !direct_params {
        extract.push(quote!(#rt::stash_params(&mut __parts, __params);));
    }
    if !only_contexts {
        extract.push(quote!(#rt::provide_headers(__parts.headers.clone());));
    }
    for (arg, name) in h.args.iter().zip(&names).filter(|(a, _)| !a.takes_body) {
        let ty = &arg.ty;
        // The whole statement carries the argument's span: a type that is not an extractor is
        // reported there, once.
        let rt = rt_at(ty.span());
        if direct_params {
            extract.push(quote_spanned! {ty.span()=>
                let #name: #ty = match #rt::route_context(&mut { __params }) {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(e) => return #rt::into_response(e),
                };
            });
            continue;
        }
        extract.push(quote_spanned! {ty.span()=>
            let #name = match #rt::from_parts::<#ty, #state>(&mut __parts, &__state).await {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(r) => return r,
            };
        });
    }
    match h.args.iter().zip(&names).find(|(a, _)| a.takes_body) {
        Some((arg, name)) => {
            let ty = &arg.ty;
            let rt = rt_at(ty.span());
            extract.push(quote_spanned! {ty.span()=>
                let #name = match #rt::from_request::<#ty, #state, _>(__parts, __body, &__state).await {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(r) => return r,
                };
            });
        }
        None if only_contexts => {
            extract.push(quote!(#rt::provide_headers(__parts.headers); let _ = __body;))
        }
        None => extract.push(quote!(let _ = (__parts, __body);)),
    }
    let call = if h.is_async {
        quote_spanned!(ident.span()=> #ident(#(#names),*).await)
    } else {
        quote_spanned!(ident.span()=> #ident(#(#names),*))
    };
    let respond = {
        let rt = rt_at(h.output_span);
        quote_spanned!(h.output_span=> #rt::into_response(__out))
    };
    // Spanned on the handler's name: what rustc reports about the closure as a whole (a future
    // that is not `Send`, an argument that is not an extractor) points at the handler, never at
    // the attribute.
    quote_spanned! {ident.span()=>
        let __builder = __builder.generated_handler(
            #rt::RouteMethod::#method,
            |mut __parts: #rt::Parts, __body: #rt::Body, __state: #state, __params: #rt::RawParams| async move {
                #(#extract)*
                let __out = #call;
                #respond
            },
        );
    }
}

/// `routes![a, b::c]`: a compile-time conflict check plus the `Routes` builder.
pub fn routes(modules: &[Path]) -> TokenStream {
    let rt = rt();
    let infos = modules
        .iter()
        .map(|m| quote_spanned!(m.span()=> &#m::ROUTE));
    let adds = modules
        .iter()
        .map(|m| quote_spanned!(m.span()=> .add(&#m::ROUTE, #m::router())));
    quote! {{
        const _: () = #rt::assert_no_conflicts(&[#(#infos),*]);
        #rt::Routes::new() #(#adds)*
    }}
}
