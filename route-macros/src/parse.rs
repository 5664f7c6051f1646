//! Stage 1: the macros' inputs as syntax: `#[route("…", state = T)]` arguments, the path-pattern
//! grammar, and `routes![a, b::c]`. No semantics beyond what a single token can tell.

use proc_macro2::{Delimiter, Group, Spacing, Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Error, Ident, ItemMod, LitStr, Path, Token, Type};

/// The item under `#[route]`: an outline to analyse, and the tokens as written to emit again.
pub struct RouteModule {
    /// The module with every top-level function's body left out (`{}`): nothing is read from the
    /// bodies, and parsing them into syntax trees was most of the macro's time.
    pub outline: ItemMod,
    /// The tokens before the module's braces: attributes, visibility, `mod name`.
    pub head: TokenStream,
    /// The module's braces, contents as written; `None` for `mod name;`.
    pub body: Option<Group>,
}

impl RouteModule {
    pub fn parse(item: TokenStream) -> syn::Result<RouteModule> {
        let mut head: Vec<TokenTree> = item.into_iter().collect();
        let body = match head.last() {
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                let body = g.clone();
                head.pop();
                Some(body)
            }
            _ => None,
        };
        let outline_body = body.as_ref().map(|body| {
            let mut outline = Group::new(Delimiter::Brace, without_fn_bodies(body.stream()));
            outline.set_span(body.span());
            TokenTree::Group(outline)
        });
        let outline = syn::parse2(head.iter().cloned().chain(outline_body).collect())?;
        Ok(RouteModule {
            outline,
            head: head.into_iter().collect(),
            body,
        })
    }
}

/// `items` with the body of each function among them replaced by `{}` (same span).
///
/// Only an item's leading words (`pub`, `async`, …, up to its keyword) are read: reading a word
/// is a call into the compiler, and a signature has many. A function's body is the first `{…}`
/// after its `fn` outside `<…>` (a const generic argument such as `Foo<{ N }>` is a `{…}` too).
fn without_fn_bodies(items: TokenStream) -> TokenStream {
    #[derive(PartialEq)]
    enum Place {
        /// At an item's leading words.
        Start,
        /// In a function's signature, this many `<` deep.
        Fn(usize),
        /// Anywhere else in an item.
        Other,
    }
    let mut place = Place::Start;
    // Whether the previous token was a `-` joined to the next one (the `>` of `->` closes nothing).
    let mut arrow = false;
    items
        .into_iter()
        .map(|tree| {
            let after_dash = std::mem::take(&mut arrow);
            match &tree {
                TokenTree::Punct(p) => match (p.as_char(), &mut place) {
                    (';', _) => place = Place::Start,
                    ('-', _) => arrow = p.spacing() == Spacing::Joint,
                    ('<', Place::Fn(depth)) => *depth += 1,
                    ('>', Place::Fn(depth)) if !after_dash => *depth = depth.saturating_sub(1),
                    _ => {}
                },
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => match place {
                    Place::Fn(depth) if depth > 0 => {}
                    // A `{…}` ends an item (or is part of a `const` or `static` that `;` ends).
                    Place::Fn(_) => {
                        place = Place::Start;
                        let mut empty = Group::new(Delimiter::Brace, TokenStream::new());
                        empty.set_span(g.span());
                        return TokenTree::Group(empty);
                    }
                    _ => place = Place::Start,
                },
                TokenTree::Ident(word) if place == Place::Start => {
                    place = match word.to_string().as_str() {
                        "fn" => Place::Fn(0),
                        "pub" | "async" | "const" | "unsafe" | "extern" | "default" | "safe" => {
                            Place::Start
                        }
                        _ => Place::Other,
                    };
                }
                _ => {}
            }
            tree
        })
        .collect()
}

/// The arguments of `#[route(...)]`.
pub struct RouteArgs {
    pub pattern: LitStr,
    /// `state = T`: the axum state type of `router()`.
    pub state: Option<Type>,
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(Error::new(
                Span::call_site(),
                "missing route pattern: write `#[route(\"/path/[param]\")]`",
            ));
        }
        let pattern: LitStr = input.parse().map_err(|e| {
            Error::new(
                e.span(),
                "expected the route pattern as a string literal, e.g. `#[route(\"/dashboard/[team]\")]`",
            )
        })?;
        let mut state = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse().map_err(|e| {
                Error::new(
                    e.span(),
                    "unexpected `#[route]` argument: after the pattern, the only argument is `state = YourState`",
                )
            })?;
            if key != "state" {
                return Err(Error::new(
                    key.span(),
                    format!(
                        "unknown `#[route]` argument `{key}`: the only one is `state = YourState`"
                    ),
                ));
            }
            if !input.peek(Token![=]) {
                return Err(Error::new(
                    key.span(),
                    "write the state type: `state = YourState`",
                ));
            }
            let eq = input.parse::<Token![=]>()?;
            if input.is_empty() || input.peek(Token![,]) {
                return Err(Error::new(
                    eq.span,
                    "write the state type after `=`: `state = YourState`",
                ));
            }
            if input.peek(LitStr) {
                let quoted: LitStr = input.parse()?;
                return Err(Error::new(
                    quoted.span(),
                    format!(
                        "the state is a type, not a string: write `state = {}`",
                        quoted.value()
                    ),
                ));
            }
            let ty = input.parse::<Type>()?;
            if state.is_some() {
                return Err(Error::new(key.span(), "`state` is given twice: keep one"));
            }
            state = Some(ty);
        }
        Ok(RouteArgs { pattern, state })
    }
}

/// The input of `routes![a, b::c]`: paths of `#[route]` modules.
pub struct RoutesInput {
    pub modules: Vec<Path>,
}

impl Parse for RoutesInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let modules = Punctuated::<Path, Token![,]>::parse_terminated(input).map_err(|e| {
            Error::new(
                e.span(),
                "`routes!` takes the paths of `#[route]` modules, e.g. `routes![hello, api::users]` (not their `router()`)",
            )
        })?;
        Ok(RoutesInput {
            modules: modules.into_iter().collect(),
        })
    }
}

/// One `/`-separated part of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternSegment {
    /// `dashboard`
    Static(String),
    /// `[team]`
    Dynamic(String),
    /// `[...slug]`
    CatchAll(String),
    /// `[[...slug]]`
    OptionalCatchAll(String),
    /// `(marketing)`: organises routes, left out of the URL.
    Group(String),
}

impl PatternSegment {
    pub fn param(&self) -> Option<&str> {
        match self {
            PatternSegment::Dynamic(n)
            | PatternSegment::CatchAll(n)
            | PatternSegment::OptionalCatchAll(n) => Some(n),
            _ => None,
        }
    }

    fn is_catch_all(&self) -> bool {
        matches!(
            self,
            PatternSegment::CatchAll(_) | PatternSegment::OptionalCatchAll(_)
        )
    }
}

/// Parses a route pattern such as `/shop/[tag]/[...rest]`, reporting every problem at once.
///
/// Spans point at the string literal: stable Rust cannot point inside one.
pub fn parse_pattern(lit: &LitStr) -> syn::Result<Vec<PatternSegment>> {
    let text = lit.value();
    let span = lit.span();
    let Some(rest) = text.strip_prefix('/') else {
        let fixed = format!("/{}", text.trim_start_matches('/'));
        return Err(Error::new(
            span,
            format!("a route pattern starts with `/`: write \"{fixed}\""),
        ));
    };
    if rest.is_empty() {
        return Ok(Vec::new()); // the root, `/`
    }

    let mut errors = Errors::default();
    let mut push = |message: String| errors.push(Error::new(span, message));

    let mut segments = Vec::new();
    for raw in rest.split('/') {
        match parse_segment(raw, &text) {
            Ok(segment) => segments.push(segment),
            Err(message) => push(message),
        }
    }

    let mut seen: Vec<&str> = Vec::new();
    let url_segments: Vec<&PatternSegment> = segments
        .iter()
        .filter(|s| !matches!(s, PatternSegment::Group(_)))
        .collect();
    for (i, segment) in url_segments.iter().enumerate() {
        if segment.is_catch_all() && i + 1 < url_segments.len() {
            push(format!(
                "the catch-all `{}` must be the last segment of \"{text}\": nothing can follow it",
                display(segment)
            ));
        }
        if let Some(name) = segment.param() {
            if seen.contains(&name) {
                push(format!(
                    "duplicate parameter `{name}` in \"{text}\": give each parameter its own name"
                ));
            }
            seen.push(name);
        }
    }

    errors.finish(segments)
}

/// The parameters of a pattern that did not parse, as far as they can be read: each segment
/// that parses on its own, first of each name. Only for the stand-ins of a module that failed
/// (see `expand::with_errors`): the handlers' uses of `Params` should not add errors of their own.
pub fn readable_params(lit: &LitStr) -> Vec<PatternSegment> {
    let text = lit.value();
    let mut params: Vec<PatternSegment> = Vec::new();
    for raw in text.split('/').filter(|s| !s.is_empty()) {
        if let Ok(segment) = parse_segment(raw, &text) {
            if segment.param().is_some() && params.iter().all(|p| p.param() != segment.param()) {
                params.push(segment);
            }
        }
    }
    params
}

fn display(segment: &PatternSegment) -> String {
    match segment {
        PatternSegment::Static(s) => s.clone(),
        PatternSegment::Dynamic(n) => format!("[{n}]"),
        PatternSegment::CatchAll(n) => format!("[...{n}]"),
        PatternSegment::OptionalCatchAll(n) => format!("[[...{n}]]"),
        PatternSegment::Group(n) => format!("({n})"),
    }
}

fn parse_segment(raw: &str, pattern: &str) -> Result<PatternSegment, String> {
    if raw.is_empty() {
        let fixed = pattern
            .split('/')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        return Err(format!(
            "empty segment in \"{pattern}\": remove the extra `/` (write \"/{fixed}\")"
        ));
    }
    if let Some(inner) = raw.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
        if inner.contains(['[', ']']) {
            return Err(unbalanced(raw));
        }
        return match inner.strip_prefix("...") {
            Some(name) => param_name(name, raw).map(PatternSegment::OptionalCatchAll),
            None => {
                let name = inner.trim_start_matches('.');
                Err(format!(
                    "`{raw}` is not a segment: an optional segment is always a catch-all, written with three dots: `[[...{name}]]` (or `[{name}]` for a required one)"
                ))
            }
        };
    }
    if let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if inner.contains(['[', ']']) {
            return Err(unbalanced(raw));
        }
        if let Some(name) = inner
            .strip_prefix('.')
            .filter(|_| !inner.starts_with("..."))
        {
            let name = name.trim_start_matches('.');
            return Err(format!(
                "`{raw}`: a catch-all is written with three dots, `[...{name}]`"
            ));
        }
        return match inner.strip_prefix("...") {
            Some(name) => param_name(name, raw).map(PatternSegment::CatchAll),
            None => param_name(inner, raw).map(PatternSegment::Dynamic),
        };
    }
    if raw.contains(['[', ']']) {
        return Err(unbalanced(raw));
    }
    if let Some(name) = raw.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        if name.is_empty() || name.contains(['(', ')', '.']) {
            return Err(format!(
                "`{raw}` is not a route group: write `(name)` with a plain name (intercepting routes are not supported)"
            ));
        }
        return Ok(PatternSegment::Group(name.to_string()));
    }
    if raw.starts_with('(') && raw.contains(')') {
        return Err(format!(
            "`{raw}` looks like an intercepting route, which is not supported: use a plain segment"
        ));
    }
    if raw.contains(['(', ')']) {
        return Err(format!(
            "unbalanced parentheses in segment `{raw}`: a route group is a whole segment, `(name)`"
        ));
    }
    if raw == "." || raw == ".." {
        return Err(format!(
            "`{raw}` cannot be a segment: paths are normalized before matching"
        ));
    }
    if let Some(hint) = foreign_param_syntax(raw) {
        return Err(hint);
    }
    if let Some(bad) = raw
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '%' | '\\'))
    {
        return Err(format!(
            "segment `{raw}` contains {bad:?}, which a URL path segment cannot hold literally"
        ));
    }
    Ok(PatternSegment::Static(raw.to_string()))
}

/// axum's `{id}`/`{*rest}` or express's `:id`/`*rest` where Next.js writes `[id]`/`[...rest]`:
/// taken literally, they would make a static segment that no request ever matches.
fn foreign_param_syntax(raw: &str) -> Option<String> {
    let named =
        |name: &str| !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    let braced = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
    if let Some(name) = braced
        .and_then(|b| b.strip_prefix('*'))
        .filter(|n| named(n))
    {
        return Some(format!(
            "`{raw}` is axum's syntax: a catch-all is written `[...{name}]`"
        ));
    }
    if let Some(name) = braced.filter(|n| named(n)) {
        return Some(format!(
            "`{raw}` is axum's syntax: a parameter is written `[{name}]`"
        ));
    }
    if let Some(name) = raw.strip_prefix(':').filter(|n| named(n)) {
        return Some(format!(
            "`{raw}` is express's syntax: a parameter is written `[{name}]`"
        ));
    }
    if let Some(name) = raw.strip_prefix('*').filter(|n| named(n)) {
        return Some(format!(
            "`{raw}` is a wildcard in other routers: a catch-all is written `[...{name}]`"
        ));
    }
    if let Some(first) = raw.chars().next().filter(|c| matches!(c, ':' | '*')) {
        return Some(format!(
            "segment `{raw}` starts with `{first}`, which axum's router reserves for its own parameters: a parameter is written `[name]`, a catch-all `[...name]`"
        ));
    }
    raw.contains(['{', '}']).then(|| {
        format!("segment `{raw}` contains a brace, which a URL path cannot hold literally (a parameter is written `[name]`)")
    })
}

fn unbalanced(raw: &str) -> String {
    let name: String = raw.chars().filter(|c| !matches!(c, '[' | ']')).collect();
    format!(
        "unbalanced brackets in segment `{raw}`: a parameter is a whole segment, write `[{name}]`"
    )
}

/// A param name must be a Rust identifier: it becomes a field of `Params`.
fn param_name(name: &str, raw: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err(format!("`{raw}` has no parameter name: write e.g. `[id]`"));
    }
    if syn::parse_str::<Ident>(name).is_ok() && !name.starts_with("r#") {
        return Ok(name.to_string());
    }
    Err(format!(
        "parameter `{name}` in `{raw}` is not a Rust identifier (it names a field of `Params`): write `{}`",
        raw.replace(name, &suggest_ident(name))
    ))
}

/// A close identifier for a param name that is not one: `team-id` → `team_id`, `type` → `type_`.
fn suggest_ident(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out.is_empty() || syn::parse_str::<Ident>(&out).is_err() {
        out.push('_');
    }
    out
}

/// Accumulates errors so one compile reports every problem (the parse and model stages both use
/// it).
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn at(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(Error::new_spanned(tokens, message));
    }

    /// The errors so far, or `value`.
    pub(crate) fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }

    /// The errors so far plus a last one that ends the stage.
    pub(crate) fn fail(
        self,
        tokens: impl quote::ToTokens,
        message: impl std::fmt::Display,
    ) -> Error {
        let last = Error::new_spanned(tokens, message);
        match self.0 {
            Some(mut all) => {
                all.combine(last);
                all
            }
            None => last,
        }
    }

    /// Whether no error was found so far.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pattern: &str) -> Result<Vec<PatternSegment>, String> {
        parse_pattern(&LitStr::new(pattern, Span::call_site())).map_err(|e| {
            e.into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        })
    }

    #[test]
    fn grammar() {
        use PatternSegment::*;
        assert_eq!(parse("/"), Ok(vec![]));
        assert_eq!(
            parse("/(shop)/[tag]/[...rest]"),
            Ok(vec![
                Group("shop".into()),
                Dynamic("tag".into()),
                CatchAll("rest".into())
            ])
        );
        assert_eq!(
            parse("/docs/[[...slug]]"),
            Ok(vec![Static("docs".into()), OptionalCatchAll("slug".into())])
        );
        assert_eq!(parse("/rss.xml"), Ok(vec![Static("rss.xml".into())]));
    }

    #[test]
    fn errors_say_what_to_write() {
        assert!(parse("api").unwrap_err().contains("write \"/api\""));
        assert!(parse("/a//b").unwrap_err().contains("write \"/a/b\""));
        assert!(parse("/a/").unwrap_err().contains("empty segment"));
        assert!(parse("/[team").unwrap_err().contains("write `[team]`"));
        assert!(parse("/[...a]/b").unwrap_err().contains("must be the last"));
        assert!(parse("/[[slug]]").unwrap_err().contains("[[...slug]]"));
        assert!(parse("/[id]/[id]").unwrap_err().contains("duplicate"));
        assert!(parse("/[team-id]").unwrap_err().contains("`[team_id]`"));
        assert!(parse("/[type]").unwrap_err().contains("`[type_]`"));
        assert!(parse("/[1st]").unwrap_err().contains("`[_1st]`"));
        assert!(parse("/[]").unwrap_err().contains("no parameter name"));
    }

    /// The module parsed from `item`, and its outline as tokens.
    fn module_and_outline(item: &str) -> (RouteModule, String) {
        let module = RouteModule::parse(syn::parse_str(item).unwrap()).unwrap();
        let outline = quote::ToTokens::to_token_stream(&module.outline).to_string();
        (module, outline)
    }

    /// `source` as tokens, spaced as a token stream prints them.
    fn tokens(source: &str) -> String {
        syn::parse_str::<TokenStream>(source).unwrap().to_string()
    }

    #[test]
    fn the_outline_leaves_out_function_bodies_only() {
        let (module, outline) = module_and_outline(
            "#[doc = \"m\"] pub mod m { const C: Foo = Foo { a: 1 }; fn helper() -> u8 { 1 } impl X { fn a() { b() } } pub async fn GET(x: X) -> Y where X: Z { x } }",
        );
        assert_eq!(
            outline,
            tokens("#[doc = \"m\"] pub mod m { const C: Foo = Foo { a: 1 }; fn helper() -> u8 {} impl X { fn a() { b() } } pub async fn GET(x: X) -> Y where X: Z {} }")
        );
        assert_eq!(module.head.to_string(), "# [doc = \"m\"] pub mod m");
        assert!(module.body.unwrap().to_string().contains("{ x }"));
    }

    #[test]
    fn a_const_generic_block_in_a_signature_is_not_its_body() {
        let (_, outline) = module_and_outline(
            "mod m { fn a(x: Foo<{ N }>) -> Bar<{ 1 + 2 }, T> where T: Fn() -> u8 { x } fn b() -> u8 { 1 } }",
        );
        assert_eq!(
            outline,
            tokens("mod m { fn a(x: Foo<{ N }>) -> Bar<{ 1 + 2 }, T> where T: Fn() -> u8 {} fn b() -> u8 {} }")
        );
    }

    #[test]
    fn several_errors_are_reported_together() {
        let all = parse("/[a-b]//[...c]/d").unwrap_err();
        assert!(all.contains("not a Rust identifier"), "{all}");
        assert!(all.contains("empty segment"), "{all}");
        assert!(all.contains("must be the last"), "{all}");
    }
}
