//! What `#[route]` expands to: `route_items!`, which writes out a module's constants, `Params` and
//! `router()` from a short description, and the `RouteBuilder` methods each handler is handed to,
//! with one marker per argument saying how it is extracted and a closure that calls the user's
//! function with the extracted values.
//!
//! The extraction is generic code here rather than generated code: a generated `async` block per
//! handler was type-checked, borrow-checked and written to the incremental cache again on every
//! rebuild (about a third of an incremental rebuild of 200 routes), while instances of these
//! functions are reused. Each marker is its own argument, so an argument type that is not an
//! extractor is reported on its marker, which the macro spans on that type; the method name is
//! spanned on the handler's return type, where an output that is not `IntoResponse` is reported.
//! The methods turn the output into a response themselves: a wrapping future per handler (a
//! `futures_util` `Map`) made a debug binary of 200 routes 20% bigger and its link slower.

use std::future::Future;
use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts};
use axum::response::IntoResponse;

use crate::config::RouteMethod;
use crate::context::{route_context, RouteContext};
use crate::error::RouteError;
use crate::handler::{stash_params, Parts, RouteBuilder};
use crate::params::{FromParams, RawParams};
use crate::scope::provide_headers;

/// Generated code: an argument read from the request head (`FromRequestParts`).
pub struct Head<T>(PhantomData<fn() -> T>);

/// Generated code: marks an argument read from the request head.
pub const fn head<T>() -> Head<T> {
    Head(PhantomData)
}

/// Generated code: the argument that reads the body (`FromRequest`).
pub struct TakesBody<T, M>(PhantomData<fn() -> (T, M)>);

/// Generated code: marks the argument that reads the body.
pub const fn body<T, M>() -> TakesBody<T, M> {
    TakesBody(PhantomData)
}

/// Generated code: a handler's lone `RouteContext`, built from the matched params directly (no
/// round trip through the request's extensions).
pub struct Direct<T>(PhantomData<fn() -> T>);

/// Generated code: marks a lone `RouteContext`.
pub const fn direct<T>() -> Direct<T> {
    Direct(PhantomData)
}

/// Generated code: the `T` of a handler's `Json<T>` argument, checked on its own so that a missing
/// `Deserialize` is said in words (axum's own error names only `FromRequest`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a JSON body: it does not implement `serde::Deserialize`",
    label = "read from the body as `Json<{Self}>`",
    note = "add `#[derive(serde::Deserialize)]` to `{Self}`"
)]
pub trait JsonBody {}

impl<T: serde::de::DeserializeOwned> JsonBody for T {}

/// Generated code: fails to compile, on `T`, unless a `Json<T>` body can be read.
pub const fn json_body<T: JsonBody>() {}

/// Generated code: the router's state type, checked on its own so that a state axum cannot
/// share is said in words, on the `State<T>` that names it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a router's state: axum clones it for every request, across threads",
    label = "the router's state",
    note = "a state is `Clone + Send + Sync + 'static`: `#[derive(Clone)]` it, with `Arc` (not `Rc`) and `Mutex` (not `RefCell`) inside"
)]
pub trait RouterState {}

impl<T: Clone + Send + Sync + 'static> RouterState for T {}

/// Generated code: fails to compile, on `T`, unless `T` can be a router's state.
pub const fn router_state<T: RouterState>() {}

/// A value a lone-`RouteContext` handler takes: built from the matched params alone.
pub trait FromMatched: Sized {
    /// Builds it, or the error to answer (`400` for a param that does not parse).
    fn from_matched(raw: &mut RawParams) -> Result<Self, RouteError>;
}

impl<P: FromParams> FromMatched for RouteContext<P> {
    fn from_matched(raw: &mut RawParams) -> Result<Self, RouteError> {
        route_context(raw)
    }
}

impl<S> RouteBuilder<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// Generated code: a handler without arguments.
    pub fn no_args<F, Fut>(self, method: RouteMethod, f: F) -> Self
    where
        F: Fn() -> Fut + Clone + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoResponse,
    {
        self.generated_handler(method, move |parts: Parts, _body, _state, params| {
            params.discard();
            let f = f.clone();
            async move {
                provide_headers(parts.headers);
                f().await.into_response()
            }
        })
    }

    /// Generated code: a handler whose one argument is a `RouteContext`.
    pub fn direct<T, F, Fut>(self, method: RouteMethod, _arg: Direct<T>, f: F) -> Self
    where
        T: FromMatched + Send + 'static,
        F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoResponse,
    {
        self.generated_handler(method, move |parts: Parts, _body, _state, mut params| {
            let f = f.clone();
            async move {
                provide_headers(parts.headers);
                // In the future: a user's `FromStr` may panic, and the run's `catch_unwind` is
                // around its polls (a `catch_unwind` of its own here cost every route's rebuild).
                let arg = T::from_matched(&mut params);
                params.discard();
                match arg {
                    Ok(arg) => f(arg).await.into_response(),
                    Err(error) => error.into_response(),
                }
            }
        })
    }
}

/// `RouteBuilder::heads{N}` and `heads{N}_and_body`: a handler with N head extractors, and then
/// one that reads the body. Two methods rather than a body trait: a bound of the method itself is
/// reported on the argument that fails it. (No `heads0`: that is `no_args`.)
macro_rules! heads {
    ($name:ident, $with_body:ident $(, $T:ident $value:ident)*) => {
        heads!(@plain $name $(, $T $value)*);
        heads!(@with_body $with_body $(, $T $value)*);
    };
    (, $with_body:ident) => {
        heads!(@with_body $with_body);
    };
    (@plain $name:ident $(, $T:ident $value:ident)*) => {
        impl<S> RouteBuilder<S>
        where
            S: Clone + Send + Sync + 'static,
        {
            /// Generated code: a handler with this many head extractors; `f` gets their values
            /// and calls the user's function.
            #[allow(clippy::too_many_arguments, non_snake_case)]
            pub fn $name<$($T,)* F, Fut>(
                self,
                method: RouteMethod,
                $($value: Head<$T>,)*
                f: F,
            ) -> Self
            where
                $($T: FromRequestParts<S> + Send + 'static,)*
                F: Fn($($T),*) -> Fut + Clone + Send + Sync + 'static,
                Fut: Future + Send + 'static,
                Fut::Output: IntoResponse,
            {
                $(let _ = $value;)*
                self.generated_handler(method, move |mut parts: Parts, _body, state: S, params| {
                    let f = f.clone();
                    async move {
                        heads!(@extract parts state params $($T $value)*);
                        f($($value),*).await.into_response()
                    }
                })
            }
        }
    };
    (@with_body $with_body:ident $(, $T:ident $value:ident)*) => {
        impl<S> RouteBuilder<S>
        where
            S: Clone + Send + Sync + 'static,
        {
            /// Generated code: a handler with this many head extractors and then one that reads
            /// the body; `f` gets their values in that order and calls the user's function.
            #[allow(clippy::too_many_arguments, non_snake_case)]
            pub fn $with_body<$($T,)* B, M, F, Fut>(
                self,
                method: RouteMethod,
                $($value: Head<$T>,)*
                _body: TakesBody<B, M>,
                f: F,
            ) -> Self
            where
                $($T: FromRequestParts<S> + Send + 'static,)*
                B: FromRequest<S, M> + Send + 'static,
                M: 'static,
                F: Fn($($T,)* B) -> Fut + Clone + Send + Sync + 'static,
                Fut: Future + Send + 'static,
                Fut::Output: IntoResponse,
            {
                $(let _ = $value;)*
                self.generated_handler(method, move |mut parts: Parts, body, state: S, params| {
                    let f = f.clone();
                    async move {
                        heads!(@extract parts state params $($T $value)*);
                        let request = axum::http::Request::from_parts(parts, body);
                        let body = match B::from_request(request, &state).await {
                            Ok(value) => value,
                            Err(rejection) => return rejection.into_response(),
                        };
                        f($($value,)* body).await.into_response()
                    }
                })
            }
        }
    };
    (@extract $parts:ident $state:ident $params:ident $($T:ident $value:ident)*) => {
        stash_params(&mut $parts, $params);
        // A custom extractor may call `cookies()`/`headers()`: they see a copy of the head as it
        // came.
        provide_headers($parts.headers.clone());
        $(
            let $value = match <$T as FromRequestParts<S>>::from_request_parts(&mut $parts, &$state)
                .await
            {
                Ok(value) => value,
                Err(rejection) => return rejection.into_response(),
            };
        )*
    };
}

heads!(, heads0_and_body);
heads!(heads1, heads1_and_body, T1 v1);
heads!(heads2, heads2_and_body, T1 v1, T2 v2);
heads!(heads3, heads3_and_body, T1 v1, T2 v2, T3 v3);
heads!(heads4, heads4_and_body, T1 v1, T2 v2, T3 v3, T4 v4);
heads!(heads5, heads5_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5);
heads!(heads6, heads6_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6);
heads!(heads7, heads7_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7);
heads!(heads8, heads8_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8);
heads!(heads9, heads9_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9);
heads!(heads10, heads10_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10);
heads!(heads11, heads11_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11);
heads!(heads12, heads12_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12);
heads!(heads13, heads13_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13);
heads!(heads14, heads14_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14);
heads!(heads15, heads15_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15);
heads!(heads16, heads16_and_body, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16);

/// Generated code: a route module's constants, generated `Params` and `router()`, from the short
/// description `#[route]` writes.
///
/// Written out by the compiler's own macro expander: a proc macro builds every token it emits one
/// by one, and in the dev profile it runs unoptimized on every build, so it emits this description
/// (~60 tokens) rather than the ~600 tokens it stands for.
#[doc(hidden)]
#[macro_export]
macro_rules! __route_items {
    (
        pattern: $pattern:literal,
        paths: [$($path:literal),*],
        methods: [$($method:ident),*],
        segments: [$($kind:ident($value:literal)),*],
        config: $config:tt,
        params: $params:tt,
        router: {
            doc: $doc:literal,
            state: $state:tt,
            builder: $builder:ident,
            handlers: [$($handlers:tt)*]
        }
    ) => {
        #[doc = "The Next.js path pattern of this route."]
        pub const PATTERN: &str = $pattern;
        #[doc = "The axum paths serving this route (two for an optional catch-all)."]
        pub const AXUM_PATHS: &[&str] = &[$($path),*];
        #[doc = "The methods this module defines, in alphabetical order."]
        pub const METHODS: &[$crate::__private::RouteMethod] =
            &[$($crate::__private::RouteMethod::$method),*];
        #[doc = "Everything the runtime knows about this route: pattern, methods and segment config."]
        pub const ROUTE: $crate::__private::RouteInfo = $crate::__private::RouteInfo {
            pattern: PATTERN,
            segments: &[$($crate::__private::Segment::$kind($value)),*],
            methods: METHODS,
            config: $crate::__route_items!(@config $config),
        };
        $crate::__route_items!(@params $params);
        $crate::__route_items!(@router $doc, $state, $builder, [$($handlers)*]);
    };

    (@config default) => { $crate::__private::RouteConfig::DEFAULT };
    (@config [$($config:tt)*]) => { $($config)* };

    (@params user) => {};
    (@params [generated; $doc:literal; $($field:ident: $take:ident $field_doc:literal),*]) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct Params {
            $(#[doc = $field_doc] pub $field: $crate::__route_items!(@type $take),)*
        }

        impl $crate::__private::serde::Serialize for Params {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                use $crate::__private::serde::ser::SerializeStruct as _;
                #[allow(unused_mut)]
                let mut s = serializer
                    .serialize_struct("Params", <[&str]>::len(&[$(stringify!($field)),*]))?;
                $($crate::__private::serialize_param(&mut s, stringify!($field), &self.$field)?;)*
                s.end()
            }
        }

        impl $crate::__private::FromParams for Params {
            #[allow(unused_variables)]
            fn from_params(
                raw: &mut $crate::__private::RawParams,
            ) -> ::core::result::Result<Self, $crate::__private::ParamError> {
                ::core::result::Result::Ok(Params {
                    $($field: $crate::__private::$take(raw, stringify!($field))?,)*
                })
            }
        }
    };

    (@type dynamic) => { ::std::string::String };
    (@type catch_all) => { ::std::vec::Vec<::std::string::String> };
    (@type optional_catch_all) => {
        ::core::option::Option<::std::vec::Vec<::std::string::String>>
    };

    (@router $doc:literal, generic, $builder:ident, [$($handlers:tt)*]) => {
        #[doc = $doc]
        // `deprecated`: a handler may be, and the router still calls it.
        #[allow(clippy::let_unit_value, clippy::redundant_closure, deprecated)]
        // `__S`: a user type named `S` may appear in the handlers' markers.
        pub fn router<__S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static>(
        ) -> $crate::__private::axum::Router<__S> {
            let $builder = $crate::__private::RouteBuilder::<__S>::new(&ROUTE);
            $($handlers)*
            $builder.build()
        }
    };
    (@router $doc:literal, [$($state:tt)*], $builder:ident, [$($handlers:tt)*]) => {
        #[doc = $doc]
        #[allow(clippy::let_unit_value, clippy::redundant_closure, deprecated)]
        pub fn router() -> $crate::__private::axum::Router<$($state)*> {
            let $builder = $crate::__private::RouteBuilder::<$($state)*>::new(&ROUTE);
            $($handlers)*
            $builder.build()
        }
    };
}

/// Generated code: one field of a generated `Params`, serialized as Next.js does (an absent
/// optional catch-all is left out: `{}`, not `null`).
pub fn serialize_param<S, V>(s: &mut S, key: &'static str, value: &V) -> Result<(), S::Error>
where
    S: serde::ser::SerializeStruct,
    V: ParamField,
{
    match value.present() {
        Some(value) => s.serialize_field(key, value),
        None => s.skip_field(key),
    }
}

/// A field type of a generated `Params`.
pub trait ParamField {
    /// The value to serialize; `None` for an absent optional catch-all.
    type Value: serde::Serialize + ?Sized;

    /// The value, unless absent.
    fn present(&self) -> Option<&Self::Value>;
}

impl ParamField for String {
    type Value = str;

    fn present(&self) -> Option<&str> {
        Some(self)
    }
}

impl ParamField for Vec<String> {
    type Value = [String];

    fn present(&self) -> Option<&[String]> {
        Some(self)
    }
}

impl ParamField for Option<Vec<String>> {
    type Value = [String];

    fn present(&self) -> Option<&[String]> {
        self.as_deref()
    }
}
