//! Stage 3: the validated model as Rust code. Everything generated reaches the runtime through
//! `::route_runtime::__private`, so it works under any import style.
//!
//! This macro runs on every build of the user's crate, unoptimized in the dev profile, and every
//! token it builds costs: the module's items go back as one stream, the constants, `Params` and
//! `router()` are a short description that the runtime's `route_items!` writes out, and each
//! handler is one call into the runtime's generic extraction.

use proc_macro2::{Delimiter, Group, Punct, Spacing, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens, TokenStreamExt};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Path};

use crate::model::{
    item_idents, type_arg, url_segments, Config, DynamicConfig, Handler, Params, RevalidateConfig,
    Route, Segment, State, GENERATED_NAMES,
};
use crate::parse::{readable_params, RouteModule};

/// The runtime's hidden module, `::route_runtime::__private`, as an absolute path.
///
/// Its own type rather than a `TokenStream`: interpolating a stream makes the stream being built
/// hand its pending tokens to the compiler first, a round trip that was a third of the macro's
/// time; these tokens are appended like any other.
#[derive(Clone, Copy)]
struct Rt(Span);

impl ToTokens for Rt {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for segment in ["route_runtime", "__private"] {
            let mut joint = Punct::new(':', Spacing::Joint);
            joint.set_span(self.0);
            let mut alone = Punct::new(':', Spacing::Alone);
            alone.set_span(self.0);
            tokens.append(joint);
            tokens.append(alone);
            tokens.append(Ident::new(segment, self.0));
        }
    }
}

fn rt() -> Rt {
    Rt(Span::call_site())
}

/// The runtime's hidden module, spanned on a user token so that errors through it land there.
fn rt_at(span: Span) -> Rt {
    Rt(span)
}

/// The module as written plus the generated constants, `Params` and `router()`.
pub fn route(route: &Route, module: RouteModule) -> TokenStream {
    let RouteModule { head, body, .. } = module;
    // `state = T` is written outside the module, so `T` is resolved there.
    let state_alias = match &route.state {
        Some(State::Explicit(ty)) => {
            let alias = state_alias(&route.module);
            Some(quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                type #alias = #ty;
            })
        }
        _ => None,
    };
    // The user's items go back as they came, one stream, ahead of what is generated.
    let mut items = body.as_ref().map(Group::stream).unwrap_or_default();
    items.extend([generated(route)]);
    let mut content = Group::new(Delimiter::Brace, items);
    if let Some(body) = &body {
        content.set_span(body.span());
    }
    quote! {
        #state_alias
        // Handlers are named after HTTP methods, as in Next.js.
        #[allow(non_snake_case)]
        #head #content
    }
}

fn state_alias(module: &Ident) -> Ident {
    format_ident!("__route_state_{}", module)
}

/// A module that failed validation: the errors, plus the module itself with stand-ins for what
/// it would have gained (`Params` with the fields that could be read from `pattern`, `router()`,
/// the constants), so that the rest of the crate does not drown the real error in
/// unresolved-name noise. A name the module defines itself gets no stand-in.
pub fn with_errors(
    errors: syn::Error,
    module: Option<RouteModule>,
    pattern: Option<&LitStr>,
) -> TokenStream {
    let errors = errors.to_compile_error();
    let module = module.and_then(
        |RouteModule {
             outline,
             head,
             body,
         }| {
            let body = body?;
            let mut items = body.stream();
            items.extend([stand_ins(&outline, pattern)]);
            let mut content = Group::new(Delimiter::Brace, items);
            content.set_span(body.span());
            Some(quote!(#[allow(non_snake_case, dead_code)] #head #content))
        },
    );
    quote!(#errors #module)
}

/// What `with_errors` adds to a failed module: `route_items!` without handlers.
fn stand_ins(outline: &syn::ItemMod, pattern: Option<&LitStr>) -> TokenStream {
    let defined: Vec<String> = outline
        .content
        .iter()
        .flat_map(|(_, items)| items)
        .flat_map(item_idents)
        .map(|ident| ident.to_string())
        .collect();
    let defines = |name: &str| defined.iter().any(|d| d == name);
    if GENERATED_NAMES.iter().any(|name| defines(name)) {
        return TokenStream::new();
    }
    let rt = rt();
    let segments = url_segments(pattern.map(readable_params).unwrap_or_default());
    let pattern = pattern.map_or_else(|| "/".to_string(), LitStr::value);
    let params = if defines("Params") {
        quote!(user)
    } else {
        generated_params(&pattern, &segments)
    };
    quote! {
        #rt::route_items! {
            pattern: #pattern,
            paths: [],
            methods: [],
            segments: [],
            config: default,
            params: #params,
            router: { doc: "", state: generic, builder: __builder, handlers: [] }
        }
    }
}

/// What the module gains: a description that the runtime's `route_items!` writes out as the
/// constants, `Params` and `router()` (see there for why), plus what only the macro can spell
/// with the user's spans (a user `Params`'s `FromParams`).
fn generated(route: &Route) -> TokenStream {
    let rt = rt();
    let pattern = &route.pattern;
    let paths = axum_paths(&route.segments);
    let methods = route
        .handlers
        .iter()
        .map(|h| Ident::new(h.method.variant(), Span::call_site()));
    let (segment_kinds, segment_values): (Vec<Ident>, Vec<&String>) = route
        .segments
        .iter()
        .map(|s| {
            let (variant, value) = match s {
                Segment::Static(v) => ("Static", v),
                Segment::Dynamic(v) => ("Dynamic", v),
                Segment::CatchAll(v) => ("CatchAll", v),
                Segment::OptionalCatchAll(v) => ("OptionalCatchAll", v),
            };
            (Ident::new(variant, Span::call_site()), value)
        })
        .unzip();
    let config = config(route);
    // The string form of `DYNAMIC` is read by the macro; this use keeps it from being dead code.
    let dynamic_use = matches!(route.config.dynamic, Some(DynamicConfig::Str(_))).then(|| {
        quote!(
            const _: &str = DYNAMIC;
        )
    });
    // A zero the macro cannot read (`= super::ZERO`) is refused when the constant is evaluated.
    let max_duration_check = route.config.max_duration.map(|span| {
        quote_spanned! {span=>
            const _: () = ::core::assert!(
                MAX_DURATION > 0,
                "`MAX_DURATION` must be at least 1 second (leave it out for no limit)"
            );
        }
    });
    // Checked on their own, each on its type, so that rustc says what is missing in words.
    let state_check = route.state.as_ref().map(|state| {
        let (ty, named) = match state {
            // Written outside the module: named here through its alias.
            State::Explicit(ty) => {
                let alias = state_alias(&route.module);
                (ty, quote!(super::#alias))
            }
            State::Inferred(ty) => (ty, ty.to_token_stream()),
        };
        let rt = rt_at(ty.span());
        quote_spanned!(ty.span()=> const _: () = #rt::router_state::<#named>();)
    });
    let json_checks = route
        .handlers
        .iter()
        .flat_map(|h| &h.args)
        .filter(|arg| arg.is("Json"))
        .filter_map(|arg| type_arg(&arg.ty, 0))
        .map(|ty| {
            let rt = rt_at(ty.span());
            quote_spanned!(ty.span()=> const _: () = #rt::json_body::<#ty>();)
        });
    let (params, user_from_params) = match &route.params {
        Params::Generated => (generated_params(&route.pattern, &route.segments), None),
        Params::User(fields) => (quote!(user), Some(user_from_params(route, fields))),
    };
    let state = match &route.state {
        Some(State::Explicit(_)) => {
            let alias = state_alias(&route.module);
            quote!([super::#alias])
        }
        Some(State::Inferred(ty)) => quote!([#ty]),
        None => quote!(generic),
    };
    let doc = format!(
        "The axum router of `{}`: its handlers with Next.js's method semantics (automatic `OPTIONS`, `HEAD` from `GET`, `405` with `Allow`).",
        route.pattern
    );
    let handlers = route.handlers.iter().map(handler);
    quote! {
        #dynamic_use
        #max_duration_check
        #state_check
        #(#json_checks)*
        #user_from_params
        #rt::route_items! {
            pattern: #pattern,
            paths: [#(#paths),*],
            methods: [#(#methods),*],
            segments: [#(#segment_kinds(#segment_values)),*],
            config: #config,
            params: #params,
            router: {
                doc: #doc,
                state: #state,
                builder: __builder,
                handlers: [#(#handlers)*]
            }
        }
    }
}

fn config(route: &Route) -> TokenStream {
    let rt = rt();
    let c = &route.config;
    // Most routes set nothing: a path is a tenth of the tokens of the whole literal. (No `..`: a
    // config added to the model must be added here.)
    if let Config {
        revalidate: None,
        dynamic: None,
        max_duration: None,
        tags: None,
        body_limit: None,
    } = c
    {
        return quote!(default);
    }
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
        [#rt::RouteConfig {
            revalidate: #revalidate,
            dynamic: #dynamic,
            max_duration: #max_duration,
            tags: #tags,
            body_limit: #body_limit,
        }]
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

/// The runtime function that takes a param of this kind out of the matched ones (`route_items!`
/// also maps it to the field's type).
fn take_helper(segment: &Segment) -> Ident {
    let name = match segment {
        Segment::CatchAll(_) => "catch_all",
        Segment::OptionalCatchAll(_) => "optional_catch_all",
        _ => "dynamic",
    };
    Ident::new(name, Span::call_site())
}

/// `[generated; "doc"; name: helper "field doc", …]`: `Params` as `route_items!` writes it.
fn generated_params(pattern: &str, segments: &[Segment]) -> TokenStream {
    let doc = format!("The params of `{pattern}`, decoded from the URL.");
    let fields: Vec<(&str, &Segment)> = segments
        .iter()
        .filter_map(|s| Some((s.param()?, s)))
        .collect();
    let names = fields
        .iter()
        .map(|(name, _)| Ident::new(name, Span::call_site()));
    let takes = fields.iter().map(|(_, s)| take_helper(s));
    let docs = fields.iter().map(|(name, s)| match s {
        Segment::CatchAll(_) => format!("`[...{name}]`: one or more segments."),
        Segment::OptionalCatchAll(_) => {
            format!("`[[...{name}]]`: `None` when the URL has no segment there.")
        }
        _ => format!("`[{name}]`."),
    });
    quote!([generated; #doc; #(#names: #takes #docs),*])
}

/// `FromParams` for the module's own `Params`, each field spanned on its type: a type that
/// cannot hold its param is reported there.
fn user_from_params(route: &Route, fields: &[(Ident, syn::Type)]) -> TokenStream {
    let rt = rt();
    let takes = fields.iter().filter_map(|(name, ty)| {
        let segment = route
            .segments
            .iter()
            .find(|s| s.param().is_some_and(|p| name == p))?;
        let key = name.to_string();
        let helper = take_helper(segment);
        Some(quote_spanned!(ty.span()=> #name: #rt::#helper::<#ty>(__raw, #key)?,))
    });
    quote! {
        impl #rt::FromParams for Params {
            #[allow(unused_variables)]
            fn from_params(
                __raw: &mut #rt::RawParams,
            ) -> ::core::result::Result<Self, #rt::ParamError> {
                ::core::result::Result::Ok(Params { #(#takes)* })
            }
        }
    }
}

/// `__builder.<shape>(method, markers…, |values…| HANDLER(args…))`: the runtime extracts the
/// arguments and answers with the output (see `route_runtime::generated`); the closure puts the
/// arguments back in the user's order (a synchronous handler's output goes in `ready`, so that
/// every handler returns a future).
fn handler(h: &Handler) -> TokenStream {
    let rt = rt();
    let method = Ident::new(h.method.variant(), Span::call_site());
    let ident = &h.ident;
    let names: Vec<Ident> = (0..h.args.len())
        .map(|i| format_ident!("__a{}", i))
        .collect();
    // Wholly spanned on the return type (the handler's name too): an output that is not
    // `IntoResponse` is reported there.
    let span = h.output_span;
    let callee = Ident::new(&ident.to_string(), span);
    let call = if h.is_async {
        quote_spanned!(span=> #callee(#(#names),*))
    } else {
        quote_spanned!(span=> ::core::future::ready(#callee(#(#names),*)))
    };
    // Each marker is spanned on its argument's type: a type that is not an extractor is reported
    // there.
    let marker = |kind: &str, ty: &syn::Type| {
        let span = ty.span();
        let rt = rt_at(span);
        let kind = Ident::new(kind, span);
        quote_spanned!(span=> #rt::#kind::<#ty>())
    };
    let (shape, markers, values) = match h.args.as_slice() {
        [] => ("no_args".to_string(), Vec::new(), quote!()),
        [arg] if !arg.takes_body && arg.is_route_context() => (
            "direct".to_string(),
            vec![marker("direct", &arg.ty)],
            quote!(__a0),
        ),
        args => {
            // Head extractors first, in the user's order, then the one that reads the body.
            let mut order: Vec<usize> = (0..args.len()).filter(|&i| !args[i].takes_body).collect();
            let mut markers: Vec<TokenStream> =
                order.iter().map(|&i| marker("head", &args[i].ty)).collect();
            let mut shape = format!("heads{}", order.len());
            if let Some(i) = args.iter().position(|a| a.takes_body) {
                let ty = &args[i].ty;
                let span = ty.span();
                let rt = rt_at(span);
                markers.push(quote_spanned!(span=> #rt::body::<#ty, _>()));
                shape.push_str("_and_body");
                order.push(i);
            }
            let values = order.iter().map(|&i| &names[i]);
            (shape, markers, quote!(#(#values),*))
        }
    };
    // The method name carries the return type's span: what rustc reports about the handler's
    // output as a whole (not `IntoResponse`, a future that is not `Send`) lands there, on the
    // user's code, never on the attribute.
    let shape = Ident::new(&shape, span);
    let closure = quote_spanned!(span=> |#values| #call);
    quote_spanned! {ident.span()=>
        let __builder = __builder.#shape(#rt::RouteMethod::#method, #(#markers,)* #closure);
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
