//! Stage 2: a plain, validated description of one route module — its URL segments, handlers,
//! segment config and `Params` — built from the syntax, with every misuse reported at once.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{
    Expr, Fields, FnArg, GenericArgument, Ident, Item, ItemConst, ItemFn, ItemMod, ItemStruct, Lit,
    PathArguments, ReturnType, Type,
};

use crate::parse::{parse_pattern, Errors, PatternSegment, RouteArgs};

/// The seven methods a route handler can be named after, in `Allow` (alphabetical) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Delete,
    Get,
    Head,
    Options,
    Patch,
    Post,
    Put,
}

impl Method {
    const ALL: [Method; 7] = [
        Method::Delete,
        Method::Get,
        Method::Head,
        Method::Options,
        Method::Patch,
        Method::Post,
        Method::Put,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Delete => "DELETE",
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }

    /// The `RouteMethod` variant of the runtime.
    pub fn variant(self) -> &'static str {
        match self {
            Method::Delete => "Delete",
            Method::Get => "Get",
            Method::Head => "Head",
            Method::Options => "Options",
            Method::Patch => "Patch",
            Method::Post => "Post",
            Method::Put => "Put",
        }
    }

    fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

const SUPPORTED: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// A URL segment of the route (groups are gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Static(String),
    Dynamic(String),
    CatchAll(String),
    OptionalCatchAll(String),
}

impl Segment {
    pub fn param(&self) -> Option<&str> {
        match self {
            Segment::Static(_) => None,
            Segment::Dynamic(n) | Segment::CatchAll(n) | Segment::OptionalCatchAll(n) => Some(n),
        }
    }
}

/// One handler argument and how it is extracted.
pub struct Arg {
    pub ty: Type,
    /// The last segment of the type's path (`Json` of `axum::Json<T>`), read once: each read of
    /// a name is a call into the compiler.
    pub kind: Option<String>,
    /// The one argument that may read the body (`FromRequest`); the others read the head only.
    pub takes_body: bool,
}

impl Arg {
    pub fn is(&self, kind: &str) -> bool {
        self.kind.as_deref() == Some(kind)
    }

    pub fn is_route_context(&self) -> bool {
        self.is("RouteContext")
    }
}

/// A `GET`/`POST`/… function of the module.
pub struct Handler {
    pub method: Method,
    pub ident: Ident,
    pub is_async: bool,
    pub args: Vec<Arg>,
    /// Where the generated code's `into_response` call points when the return type is wrong.
    pub output_span: Span,
}

/// How `REVALIDATE` is declared.
pub enum RevalidateConfig {
    /// `u64` seconds.
    Seconds,
    /// The runtime's `Revalidate` enum.
    Typed,
}

/// How `DYNAMIC` is declared.
pub enum DynamicConfig {
    /// The runtime's `Dynamic` enum.
    Typed,
    /// Next.js's string form, mapped to a `Dynamic` variant name.
    Str(&'static str),
}

/// The route segment config constants the module declares.
#[derive(Default)]
pub struct Config {
    pub revalidate: Option<RevalidateConfig>,
    pub dynamic: Option<DynamicConfig>,
    pub max_duration: Option<Span>,
    pub tags: Option<Span>,
    pub body_limit: Option<Span>,
}

/// The module's `Params`: generated, or the user's own (fields checked against the pattern).
pub enum Params {
    Generated,
    User(Vec<(Ident, Type)>),
}

/// A validated `#[route]` module.
pub struct Route {
    pub pattern: String,
    pub segments: Vec<Segment>,
    pub handlers: Vec<Handler>,
    pub config: Config,
    pub params: Params,
    /// The concrete axum state of `router()`; generic when `None`.
    pub state: Option<State>,
    pub module: Ident,
}

/// Where the state type of `router()` comes from.
pub enum State {
    /// `state = T` in the attribute: resolved where the attribute is written.
    Explicit(Type),
    /// `State<T>` in a handler: resolved inside the module.
    Inferred(Type),
}

impl Route {
    pub fn from_input(args: RouteArgs, module: &ItemMod) -> syn::Result<Route> {
        let mut errors = Errors::default();
        let pattern = args.pattern.value();
        let segments = match parse_pattern(&args.pattern) {
            Ok(segments) => url_segments(segments),
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        };

        let Some((_, items)) = &module.content else {
            return Err(errors.fail(
                module,
                format!(
                    "`#[route]` needs the module's body inline: write `mod {} {{ pub async fn GET() … }}`",
                    module.ident
                ),
            ));
        };

        let mut handlers = Vec::new();
        let mut config = Config::default();
        let mut user_params = None;
        let names = ModuleNames {
            fns: items
                .iter()
                .filter_map(|item| match item {
                    Item::Fn(f) => Some(f.sig.ident.to_string()),
                    _ => None,
                })
                .collect(),
            params: segments
                .iter()
                .filter_map(|s| s.param().map(str::to_owned))
                .collect(),
        };
        for item in items {
            reserved_elsewhere(item, &mut errors);
            match item {
                Item::Fn(f) => {
                    if let Some(h) = handler(f, &names, &mut errors) {
                        // A second one is rustc's error (the name is defined twice).
                        if handlers.iter().all(|o: &Handler| o.method != h.method) {
                            handlers.push(h);
                        }
                    }
                }
                Item::Const(c) => config_const(c, &mut config, &mut errors),
                Item::Struct(s) if s.ident == "Params" => {
                    has_cfg(
                        &s.attrs,
                        "`Params`",
                        "Write one `struct Params` for every build instead, or put the cfg on the whole module",
                        &mut errors,
                    );
                    user_params = Some(s);
                }
                Item::Enum(syn::ItemEnum { ident, .. })
                | Item::Type(syn::ItemType { ident, .. })
                | Item::Union(syn::ItemUnion { ident, .. })
                    if ident == "Params" =>
                {
                    errors.at(
                        ident,
                        "`Params` must be a struct with named fields, one per pattern parameter",
                    );
                }
                _ => {}
            }
        }
        if handlers.is_empty() && errors.is_empty() {
            errors.at(
                &module.ident,
                format!(
                    "route module `{}` defines no handler: add a function named after an HTTP method ({SUPPORTED}), e.g. `pub async fn GET() -> &'static str {{ \"Hello\" }}`",
                    module.ident
                ),
            );
        }
        handlers.sort_by_key(|h| h.method);

        let params = match user_params {
            Some(s) => Params::User(user_param_fields(s, &segments, &pattern, &mut errors)),
            None => Params::Generated,
        };
        let state = match args.state {
            Some(ty) => Some(State::Explicit(ty)),
            None => inferred_state(&handlers, &mut errors).map(State::Inferred),
        };

        errors.finish(Route {
            pattern,
            segments,
            handlers,
            config,
            params,
            state,
            module: module.ident.clone(),
        })
    }
}

/// What to write instead of a `#[cfg]` on a handler or config constant.
const BRANCH_INSTEAD: &str =
    "Branch inside it instead (`if cfg!(…) { … }`), or put the cfg on the whole module";

/// `#[cfg]` on something the macro reads (a handler, its arguments, a config constant,
/// `Params`): the macro reads the module before cfg does, so it would route a method, pass an
/// argument, read a constant or check a field that the build then removes. Reports each such
/// attribute, with `instead`; true when there was one.
fn has_cfg(attrs: &[syn::Attribute], what: &str, instead: &str, errors: &mut Errors) -> bool {
    let mut found = false;
    for attr in attrs {
        if removes_item(attr) {
            found = true;
            errors.at(
                attr,
                format!(
                    "`#[route]` cannot see through `#[cfg]` on {what}: it is read before cfg applies. {instead}"
                ),
            );
        }
    }
    found
}

/// `#[cfg(…)]`, or a `#[cfg_attr(…)]` that may add one; a `cfg_attr` that adds other
/// attributes (`#[cfg_attr(test, allow(…))]`) never removes the item.
fn removes_item(attr: &syn::Attribute) -> bool {
    fn is_cfg(meta: &syn::Meta) -> bool {
        let path = meta.path();
        path.is_ident("cfg") || (path.is_ident("cfg_attr") && adds_cfg(meta).unwrap_or(true))
    }
    /// Whether a `cfg_attr(predicate, attrs…)` adds a cfg; `None` when it does not parse.
    fn adds_cfg(meta: &syn::Meta) -> Option<bool> {
        let syn::Meta::List(list) = meta else {
            return None;
        };
        let parts = list
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .ok()?;
        Some(parts.iter().skip(1).any(is_cfg))
    }
    is_cfg(&attr.meta)
}

/// A method or config name brought in some other way than a `fn`/`const` of the module (`pub
/// use x as GET`, `pub static REVALIDATE`): the macro would not see it, and the route would
/// silently lack it.
fn reserved_elsewhere(item: &Item, errors: &mut Errors) {
    let (found, kind) = match item {
        Item::Use(u) => (imported_names(&u.tree), "imported"),
        Item::Static(s) => (vec![s.ident.clone()], "a `static`"),
        // A `const` named after a method: `config_const`, which reads the name anyway.
        _ => return,
    };
    for ident in found {
        let name = ident.to_string();
        generated_name(&ident, &name, errors);
        if Method::from_name(&name).is_some() {
            method_elsewhere(&ident, &name, kind, errors);
        } else if name == "Params" {
            errors.at(
                &ident,
                format!(
                    "`Params` is {kind} here: `#[route]` generates `Params` from the pattern, or checks a `struct Params` written in the module against it; define the struct in the module"
                ),
            );
        } else if CONFIG_NAMES.contains(&name.as_str()) {
            errors.at(
                &ident,
                format!(
                    "`{name}` is {kind} here, and `#[route]` only reads config written as a `const` of the module: write `pub const {name}: … = …;`"
                ),
            );
        }
    }
}

/// A method name given to something other than a function of the module.
fn method_elsewhere(ident: &Ident, name: &str, kind: &str, errors: &mut Errors) {
    errors.at(
        ident,
        format!(
            "`{name}` is {kind} here, and `#[route]` only routes functions defined in the module: write `pub async fn {name}(…) -> … {{ … }}` (it may call the other function)"
        ),
    );
}

/// An item named like one `#[route]` generates (`router`, `PATTERN`, …): the two would clash.
/// Checked where an item's name is read anyway (a handler's, a constant's, an import's).
fn generated_name(ident: &Ident, name: &str, errors: &mut Errors) {
    if GENERATED_NAMES.contains(&name) {
        errors.at(
            ident,
            format!(
                "`{name}` is generated by `#[route]` (with {}): rename yours",
                GENERATED_NAMES.join(", ")
            ),
        );
    }
}

/// What `#[route]` adds to a module besides `Params`.
pub const GENERATED_NAMES: &[&str] = &["router", "PATTERN", "AXUM_PATHS", "METHODS", "ROUTE"];

/// The names an item of the module defines: its own, or for a `use`, each name it imports by
/// name (a glob import is shadowed by the module's items, so it cannot clash with them).
pub fn item_idents(item: &Item) -> Vec<Ident> {
    let ident = match item {
        Item::Const(i) => &i.ident,
        Item::Enum(i) => &i.ident,
        Item::Fn(i) => &i.sig.ident,
        Item::Static(i) => &i.ident,
        Item::Struct(i) => &i.ident,
        Item::Type(i) => &i.ident,
        Item::Union(i) => &i.ident,
        Item::Mod(i) => &i.ident,
        Item::Trait(i) => &i.ident,
        Item::Use(u) => return imported_names(&u.tree),
        _ => return Vec::new(),
    };
    vec![ident.clone()]
}

/// The names a `use` brings in by name (a glob's are unknown here).
pub fn imported_names(tree: &syn::UseTree) -> Vec<Ident> {
    fn walk(tree: &syn::UseTree, out: &mut Vec<Ident>) {
        match tree {
            syn::UseTree::Path(p) => walk(&p.tree, out),
            syn::UseTree::Name(n) => out.push(n.ident.clone()),
            syn::UseTree::Rename(r) => out.push(r.rename.clone()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| walk(t, out)),
            syn::UseTree::Glob(_) => {}
        }
    }
    let mut names = Vec::new();
    walk(tree, &mut names);
    names
}

/// A static segment as clients send it: non-ASCII characters (and `"`, `<`, `>`, `` ` ``, which
/// browsers encode) as upper-case `%XX` of their UTF-8 bytes. The router matches the path as
/// received, so `/café` is routed at `/caf%C3%A9`; `PATTERN` keeps what was written.
fn as_sent(segment: &str) -> String {
    let mut sent = String::with_capacity(segment.len());
    for c in segment.chars() {
        if c.is_ascii() && !matches!(c, '"' | '<' | '>' | '`') {
            sent.push(c);
        } else {
            let mut utf8 = [0u8; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                sent.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    sent
}

pub fn url_segments(segments: Vec<PatternSegment>) -> Vec<Segment> {
    segments
        .into_iter()
        .filter_map(|s| match s {
            PatternSegment::Static(s) => Some(Segment::Static(as_sent(&s))),
            PatternSegment::Dynamic(n) => Some(Segment::Dynamic(n)),
            PatternSegment::CatchAll(n) => Some(Segment::CatchAll(n)),
            PatternSegment::OptionalCatchAll(n) => Some(Segment::OptionalCatchAll(n)),
            PatternSegment::Group(_) => None,
        })
        .collect()
}

/// HTTP methods a module might try to export that Next.js does not route.
const UNSUPPORTED_METHODS: &[&str] = &[
    "TRACE",
    "CONNECT",
    "QUERY",
    "PURGE",
    "LINK",
    "UNLINK",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "REPORT",
    "SEARCH",
];

/// What a handler is checked against: the module's function names and the pattern's params.
struct ModuleNames {
    fns: Vec<String>,
    params: Vec<String>,
}

/// A function of the module as a handler, if it is named after a method; near misses are
/// errors, other functions are the user's helpers.
fn handler(f: &ItemFn, names: &ModuleNames, errors: &mut Errors) -> Option<Handler> {
    let name = f.sig.ident.to_string();
    let method = match Method::from_name(&name) {
        Some(m) => m,
        None => {
            generated_name(&f.sig.ident, &name, errors);
            let upper = name.to_ascii_uppercase();
            // What Next.js would export but ignore: a `pub` `get` is a mistaken handler, a private
            // one, or one beside its `GET`, a helper.
            let exported = !matches!(f.vis, syn::Visibility::Inherited);
            if Method::from_name(&upper).is_some() {
                if exported && !names.fns.contains(&upper) {
                    errors.at(
                        &f.sig.ident,
                        format!(
                            "handler names are uppercase, as in Next.js: rename `{name}` to `{upper}` (or, for a helper, make it private)"
                        ),
                    );
                }
            } else if UNSUPPORTED_METHODS.contains(&name.as_str())
                || (exported && name.len() > 1 && name.chars().all(|c| c.is_ascii_uppercase()))
            {
                errors.at(
                    &f.sig.ident,
                    format!(
                        "`{name}` is not a supported method: a route handler is one of {SUPPORTED}"
                    ),
                );
            }
            return None;
        }
    };
    if has_cfg(&f.attrs, "a route handler", BRANCH_INSTEAD, errors) {
        return None;
    }

    let sig = &f.sig;
    let mut ok = true;
    if let Some(c) = &sig.constness {
        errors.at(c, "a route handler cannot be `const`: remove `const`");
        ok = false;
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        errors.at(u, "a route handler cannot be `unsafe`: remove `unsafe`");
        ok = false;
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, "a route handler cannot be `extern`: remove the ABI");
        ok = false;
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        // `Generics` spans only its `<…>`: a lone `where` clause is reported on itself.
        let at: &dyn quote::ToTokens = match &sig.generics.where_clause {
            Some(clause) if sig.generics.params.is_empty() => clause,
            _ => &sig.generics,
        };
        errors.at(
            at,
            "a route handler cannot be generic: use concrete types (axum state goes in `#[route(\"…\", state = T)]`)",
        );
        ok = false;
    }
    if let Some(v) = &sig.variadic {
        errors.at(v, "a route handler cannot be variadic");
        ok = false;
    }

    let mut args = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                errors.at(
                    r,
                    format!("a route handler is a free function, not a method: remove `self` from `{name}` and take extractors such as `request: Request` instead"),
                );
                ok = false;
            }
            FnArg::Typed(t) => {
                if has_cfg(
                    &t.attrs,
                    "a route handler's argument",
                    "Take it in every build instead, and use it under `if cfg!(…) { … }`",
                    errors,
                ) {
                    ok = false;
                }
                if let Type::Reference(r) = &*t.ty {
                    let owned = written(&r.elem);
                    errors.at(
                        r,
                        format!(
                            "a route handler takes its arguments by value (an extractor owns what it reads): write `{owned}`"
                        ),
                    );
                    ok = false;
                }
                let kind = last_ident(&t.ty).map(Ident::to_string);
                ok &= param_arg(t, kind.as_deref(), &names.params, errors);
                if let Type::ImplTrait(it) = &*t.ty {
                    errors.at(
                        it,
                        "a route handler's argument cannot be `impl Trait`: name the extractor's type (e.g. `HeaderMap`, `Json<T>`)",
                    );
                    ok = false;
                }
                args.push(Arg {
                    ty: (*t.ty).clone(),
                    kind,
                    takes_body: false,
                })
            }
        }
    }
    // The body goes to the argument typed `Request` (Next's `(request, context)` order works),
    // else to the last argument, as in axum, but for `RouteContext`, which reads only the head:
    // `(Json<T>, RouteContext<Params>)` reads the body into the `Json`.
    let body = args
        .iter()
        .position(|a| a.is("Request"))
        .or_else(|| args.iter().rposition(|a| !a.is_route_context()));
    if let Some(i) = body {
        args[i].takes_body = true;
        // An extractor that can only read the body is refused by axum anywhere else; said here
        // in words, rather than as a missing `FromRequestParts`.
        for arg in args.iter().filter(|a| !a.takes_body && reads_body(a)) {
            let body = written(&args[i].ty);
            let other = written(&arg.ty);
            let or_request = if [&body, &other].iter().any(|t| t.ends_with("Request")) {
                ""
            } else {
                " (or take `Request` and read the body from it)"
            };
            errors.at(
                &arg.ty,
                format!(
                    "only one argument can read the request body, and `{body}` does here: keep one of `{other}` and `{body}`{or_request}"
                ),
            );
            ok = false;
        }
    }
    for extra in args.iter().filter(|a| a.is_route_context()).skip(1) {
        errors.at(
            &extra.ty,
            "a handler takes `RouteContext<Params>` once: its params are all in that one",
        );
        ok = false;
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if let Some(error) = string_error(ty) {
            errors.at(
                error,
                "an `Err` of a string would be answered `200 OK`, with the message as its body: return `Result<_, RouteError>` (`RouteError::bad_request(message)` for a `400`; `?` turns other errors into a logged `500`)",
            );
            ok = false;
        }
    }
    // The runtime has a shape for up to 16 (axum's limit for a handler's extractors).
    if args.iter().filter(|a| !a.takes_body).count() > 16 {
        errors.at(
            &sig.inputs,
            "a route handler takes at most 16 arguments besides the one that reads the body: group some in a custom extractor",
        );
        ok = false;
    }

    let output_span = match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    // A plain `fn` returning `impl Future` is awaited like an `async fn` (axum's handlers are too).
    let returns_future = match &sig.output {
        ReturnType::Type(_, ty) => matches!(&**ty, Type::ImplTrait(it) if it.bounds.iter().any(
            |b| matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Future"))
        )),
        ReturnType::Default => false,
    };
    ok.then(|| Handler {
        method,
        ident: sig.ident.clone(),
        is_async: sig.asyncness.is_some() || returns_future,
        args,
        output_span,
    })
}

/// Checks an argument against the pattern's params: `id: u64` for `[id]`, or `Params` itself,
/// would be another extractor (`String` reads the body), not the param; and a `RouteContext`
/// takes this module's `Params`. False when reported.
fn param_arg(
    arg: &syn::PatType,
    kind: Option<&str>,
    params: &[String],
    errors: &mut Errors,
) -> bool {
    let ty = &*arg.ty;
    if kind == Some("RouteContext") {
        return route_context_arg(ty, errors);
    }
    let plain = kind.is_some_and(|kind| {
        [
            "String", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
            "i128", "isize", "bool", "Vec", "Option", "Params",
        ]
        .contains(&kind)
    });
    let binding = match &*arg.pat {
        syn::Pat::Ident(p) if plain && !params.is_empty() => Some(p.ident.to_string()),
        _ => None,
    };
    if let Some(name) = binding.filter(|b| params.contains(b)) {
        errors.at(
            arg,
            format!("path params come in `ctx: RouteContext<Params>`: take that and read `ctx.params.{name}` (for a typed `{name}`, write your own `struct Params` in the module)"),
        );
        return false;
    }
    if kind == Some("Params") {
        errors.at(
            ty,
            "path params come in `ctx: RouteContext<Params>`, not `Params` itself: take that and read `ctx.params`",
        );
        return false;
    }
    true
}

/// `RouteContext` takes this module's `Params` (another module's would look for params this
/// route does not have).
fn route_context_arg(ty: &Type, errors: &mut Errors) -> bool {
    let Type::Path(p) = ty else { return true };
    let Some(last) = p.path.segments.last() else {
        return true;
    };
    let PathArguments::AngleBracketed(generics) = &last.arguments else {
        errors.at(ty, "write `RouteContext<Params>`: the module's `Params`");
        return false;
    };
    let own = generics.args.iter().any(|g| match g {
        GenericArgument::Type(Type::Path(t)) => {
            let segments: Vec<String> = t
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            segments == ["Params"] || segments == ["self", "Params"]
        }
        _ => false,
    });
    if !own {
        errors.at(
            &generics.args,
            "a handler's `RouteContext` takes this module's `Params`, generated from its pattern (or written in the module): write `RouteContext<Params>`",
        );
    }
    own
}

/// `E` of a return type `Result<_, E>` when `E` is `String` or `&str`.
fn string_error(ty: &Type) -> Option<&Type> {
    if !type_is(ty, "Result") {
        return None;
    }
    let error = type_arg(ty, 1)?;
    let is_string = match error {
        Type::Reference(r) => type_is(&r.elem, "str"),
        other => type_is(other, "String"),
    };
    is_string.then_some(error)
}

fn last_ident(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
}

/// `State<T>` in a handler gives the router's state type when `state = T` is not written. Two
/// handlers taking different states (a substate through `FromRef`) cannot say which is the
/// router's: reported, with the way to say it.
fn inferred_state(handlers: &[Handler], errors: &mut Errors) -> Option<Type> {
    let mut first: Option<(Method, &Type, String)> = None;
    for handler in handlers {
        for arg in handler.args.iter().filter(|a| a.is("State")) {
            let Some(state) = type_arg(&arg.ty, 0) else {
                continue;
            };
            let written = written(state);
            match &first {
                None => first = Some((handler.method, state, written)),
                Some((first_method, _, first_written)) if *first_written != written => errors.at(
                    &arg.ty,
                    format!(
                        "the handlers take different states (`State<{first_written}>` in {}, `State<{written}>` in {}), so the router's cannot be inferred: write it, `#[route(\"…\", state = {first_written})]` or `state = {written}` (the other state is then taken from it through `FromRef`)",
                        first_method.name(),
                        handler.method.name(),
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    first.map(|(_, state, _)| state.clone())
}

/// A type as written, for a message: `Arc<Db>` rather than the tokens' `Arc < Db >`.
fn written(ty: &Type) -> String {
    let tokens = quote::ToTokens::to_token_stream(ty).to_string();
    tokens
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" ,", ",")
}

/// Extractors of axum and of this crate that read the body (and nothing from the head alone).
fn reads_body(arg: &Arg) -> bool {
    arg.kind.as_deref().is_some_and(|kind| {
        [
            "Request",
            "Json",
            "Form",
            "RawForm",
            "String",
            "Bytes",
            "Multipart",
            "Body",
        ]
        .contains(&kind)
    })
}

/// The `n`th type argument of a path type (`T` of `State<T>`, `E` of `Result<T, E>`).
pub fn type_arg(ty: &Type, n: usize) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(generics) = &p.path.segments.last()?.arguments else {
        return None;
    };
    generics
        .args
        .iter()
        .filter_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(n)
}

fn type_is(ty: &Type, name: &str) -> bool {
    last_ident(ty).is_some_and(|i| i == name)
}

/// Reads one of Next.js's route segment config constants.
fn config_const(c: &ItemConst, config: &mut Config, errors: &mut Errors) {
    let name = c.ident.to_string();
    if CONFIG_NAMES.contains(&name.as_str())
        && has_cfg(&c.attrs, "a route config constant", BRANCH_INSTEAD, errors)
    {
        return;
    }
    match name.as_str() {
        "REVALIDATE" => {
            if type_is(&c.ty, "u64") {
                config.revalidate = Some(RevalidateConfig::Seconds);
            } else if type_is(&c.ty, "Revalidate") {
                config.revalidate = Some(RevalidateConfig::Typed);
            } else if type_is(&c.ty, "bool") {
                errors.at(
                    &c.ty,
                    "`REVALIDATE` is not a bool: for Next.js's `revalidate = false` write `pub const REVALIDATE: Revalidate = Revalidate::Forever;`",
                );
            } else {
                errors.at(
                    &c.ty,
                    "`REVALIDATE` must be a `u64` number of seconds (0 = never cache) or a `Revalidate`",
                );
            }
        }
        "DYNAMIC" => {
            if type_is(&c.ty, "Dynamic") {
                config.dynamic = Some(DynamicConfig::Typed);
            } else if let Some(s) = str_literal(&c.expr) {
                let variant = match s.value().as_str() {
                    "auto" => Some("Auto"),
                    "force-dynamic" => Some("ForceDynamic"),
                    "force-static" => Some("ForceStatic"),
                    "error" => Some("Error"),
                    _ => None,
                };
                match variant {
                    Some(v) => config.dynamic = Some(DynamicConfig::Str(v)),
                    None => errors.at(
                        s,
                        "unknown `DYNAMIC` value: use \"auto\", \"force-dynamic\", \"force-static\" or \"error\" (or a `Dynamic`)",
                    ),
                }
            } else if matches!(&*c.ty, Type::Reference(r) if type_is(&r.elem, "str")) {
                errors.at(
                    &c.expr,
                    "`DYNAMIC` as a string must be the literal itself (\"auto\", \"force-dynamic\", \"force-static\" or \"error\"): the macro reads it; or use a `Dynamic`",
                );
            } else {
                errors.at(
                    &c.ty,
                    "`DYNAMIC` must be a `Dynamic` (e.g. `Dynamic::ForceStatic`) or one of Next.js's strings",
                );
            }
        }
        "MAX_DURATION" => {
            if !type_is(&c.ty, "u64") {
                errors.at(&c.ty, "`MAX_DURATION` must be a `u64` number of seconds");
            } else if int_literal(&c.expr) == Some(0) {
                errors.at(
                    &c.expr,
                    "`MAX_DURATION` must be at least 1 second (leave it out for no limit)",
                );
            } else {
                config.max_duration = Some(c.ty.span());
            }
        }
        "TAGS" => {
            let slice_of_str = matches!(&*c.ty, Type::Reference(r)
                if matches!(&*r.elem, Type::Slice(s)
                    if matches!(&*s.elem, Type::Reference(e) if type_is(&e.elem, "str"))));
            if slice_of_str {
                config.tags = Some(c.ty.span());
            } else {
                errors.at(
                    &c.ty,
                    "`TAGS` must be a `&[&str]`: `pub const TAGS: &[&str] = &[\"posts\"];`",
                );
            }
        }
        "BODY_LIMIT" => {
            if type_is(&c.ty, "usize") {
                config.body_limit = Some(c.ty.span());
            } else {
                errors.at(&c.ty, "`BODY_LIMIT` must be a `usize` number of bytes");
            }
        }
        "RUNTIME" | "PREFERRED_REGION" | "FETCH_CACHE" | "DYNAMIC_PARAMS" => errors.at(
            &c.ident,
            format!(
                "`{name}` is a Next.js option with no meaning here: remove it (route config is {})",
                CONFIG_NAMES.join(", ")
            ),
        ),
        // Not one of the names (each has its own arm above): a near miss gets a suggestion.
        _ if Method::from_name(&name).is_some() => {
            method_elsewhere(&c.ident, &name, "a `const`", errors)
        }
        _ => {
            generated_name(&c.ident, &name, errors);
            let letters = name.to_ascii_uppercase().replace('_', "");
            if let Some(k) = CONFIG_NAMES.iter().find(|k| k.replace('_', "") == letters) {
                errors.at(
                    &c.ident,
                    format!("route config constants are uppercase: rename `{name}` to `{k}`"),
                );
            }
        }
    }
}

/// The route segment config constants, as the error messages list them.
const CONFIG_NAMES: [&str; 5] = [
    "REVALIDATE",
    "DYNAMIC",
    "MAX_DURATION",
    "TAGS",
    "BODY_LIMIT",
];

fn str_literal(expr: &Expr) -> Option<&syn::LitStr> {
    match expr {
        Expr::Lit(l) => match &l.lit {
            Lit::Str(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn int_literal(expr: &Expr) -> Option<u64> {
    match expr {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Checks a user `Params` against the pattern: every parameter has a field, every field a
/// parameter.
fn user_param_fields(
    s: &ItemStruct,
    segments: &[Segment],
    pattern: &str,
    errors: &mut Errors,
) -> Vec<(Ident, Type)> {
    if let Fields::Named(named) = &s.fields {
        for field in &named.named {
            has_cfg(
                &field.attrs,
                "a field of `Params`",
                "Keep the field in every build instead, or put the cfg on the whole module",
                errors,
            );
        }
    }
    let fields: Vec<(Ident, Type)> = match &s.fields {
        Fields::Named(named) => named
            .named
            .iter()
            .filter_map(|f| Some((f.ident.clone()?, f.ty.clone())))
            .collect(),
        Fields::Unit if segments.iter().all(|s| s.param().is_none()) => Vec::new(),
        _ => {
            errors.at(
                &s.ident,
                "`Params` must be a struct with named fields, one per pattern parameter",
            );
            return Vec::new();
        }
    };
    if !s.generics.params.is_empty() {
        errors.at(&s.generics, "`Params` cannot be generic");
    }
    for segment in segments {
        let Some(name) = segment.param() else {
            continue;
        };
        if !fields.iter().any(|(f, _)| f == name) {
            let ty = match segment {
                Segment::CatchAll(_) => "Vec<String>",
                Segment::OptionalCatchAll(_) => "Option<Vec<String>>",
                _ => "String",
            };
            errors.at(
                &s.ident,
                format!("`Params` has no field for the parameter `{name}` of \"{pattern}\": add `pub {name}: {ty}`"),
            );
        }
    }
    let renamed = |field: &Ident| match &s.fields {
        Fields::Named(named) => named.named.iter().any(|f| {
            f.ident.as_ref() == Some(field) && f.attrs.iter().any(|a| a.path().is_ident("serde"))
        }),
        _ => false,
    };
    for (field, _) in &fields {
        let field_name = field.to_string();
        if !segments
            .iter()
            .any(|s| s.param() == Some(field_name.as_str()))
        {
            let serde = if renamed(field) {
                " (`#[serde]` attributes are not read here: a field takes the param of its own name)"
            } else {
                ""
            };
            errors.at(
                field,
                format!("`{field_name}` is not a parameter of \"{pattern}\": remove the field or add `[{field_name}]` to the pattern{serde}"),
            );
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(attr: &str, module: &str) -> syn::Result<Route> {
        let args: RouteArgs = syn::parse_str(attr).unwrap();
        let module: ItemMod = syn::parse_str(module).unwrap();
        Route::from_input(args, &module)
    }

    fn errors(attr: &str, module: &str) -> String {
        match model(attr, module) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }

    #[test]
    fn handlers_sorted_and_body_argument_found() {
        let route = model(
            r#""/a/[id]""#,
            "mod m { fn POST(req: Request, ctx: RouteContext<Params>) {} fn GET() {} fn helper() {} }",
        )
        .unwrap();
        let methods: Vec<_> = route.handlers.iter().map(|h| h.method.name()).collect();
        assert_eq!(methods, ["GET", "POST"]);
        let post = &route.handlers[1];
        assert!(post.args[0].takes_body && !post.args[1].takes_body);
    }

    #[test]
    fn a_lone_route_context_reads_only_the_head() {
        let route = model(
            r#""/a/[id]""#,
            "mod m { fn GET(ctx: RouteContext<Params>) {} }",
        )
        .unwrap();
        assert!(!route.handlers[0].args[0].takes_body);
    }

    #[test]
    fn misuse_is_reported_together() {
        let all = errors(
            r#""/a""#,
            "mod m { pub fn get() {} fn TRACE() {} fn PUT(&self) {} const REVALIDATE: bool = false; const RUNTIME: &str = \"edge\"; }",
        );
        for needle in [
            "rename `get` to `GET`",
            "not a supported method",
            "remove `self`",
            "Revalidate::Forever",
            "remove it",
        ] {
            assert!(all.contains(needle), "{needle} not in {all}");
        }
    }

    #[test]
    fn user_params_checked_against_pattern() {
        let all = errors(
            r#""/a/[id]/[...rest]""#,
            "mod m { struct Params { id: u64, extra: String } fn GET() {} }",
        );
        assert!(all.contains("add `pub rest: Vec<String>`"), "{all}");
        assert!(all.contains("`extra` is not a parameter"), "{all}");
    }

    #[test]
    fn state_is_inferred_from_state_extractor() {
        let route = model(r#""/a""#, "mod m { fn GET(State(s): State<App>) {} }").unwrap();
        assert!(matches!(route.state, Some(State::Inferred(_))));
    }
}
