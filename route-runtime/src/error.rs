//! `RouteError`: what a handler returns with `?`.
//!
//! Client errors (4xx) answer with a JSON body `{"error": "<message>"}` (plus details such as the
//! position of a JSON syntax error). Navigation (`redirect`, `not_found`, …) answers with its
//! status and `Location`. Anything else is a bug: a `500` with an empty body, its message logged
//! with `tracing` and never sent.

use std::fmt;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The error type of route handlers.
///
/// Client errors and navigation are built with the constructors below ([`RouteError::new`],
/// [`RouteError::bad_request`], [`RouteError::not_found`], …) or the helpers in
/// [`navigation`](crate::navigation); anything else is an internal error: an empty `500`, its
/// message logged with `tracing` and never sent to the client.
///
/// ```
/// use route_runtime::{RouteError, StatusCode};
///
/// fn parse_page(raw: &str) -> Result<u32, RouteError> {
///     raw.parse()
///         .map_err(|_| RouteError::new(StatusCode::BAD_REQUEST, "`page` must be a number"))
/// }
/// assert_eq!(parse_page("x").unwrap_err().status(), StatusCode::BAD_REQUEST);
/// ```
///
/// # `?` on other errors
///
/// `?` converts everything [`RouteError::internal`] takes — anything that is
/// `Into<Box<dyn Error + Send + Sync>>` — into an internal error (an empty, logged `500`):
///
/// - any `std::error::Error + Send + Sync + 'static` (`std::io::Error`, `serde_json::Error`, …);
/// - a `Box<dyn Error + Send + Sync>`, what many libraries and `main`s return;
/// - a `String` or a `&str` (the message is logged, not sent: for a message the client sees,
///   use [`RouteError::bad_request`] or [`RouteError::new`]).
///
/// ```
/// use std::error::Error;
/// use route_runtime::{RouteError, StatusCode};
///
/// fn load() -> Result<u32, Box<dyn Error + Send + Sync>> {
///     Err("database unreachable".into())
/// }
///
/// fn handler() -> Result<String, RouteError> {
///     let count = load()?; // a logged 500
///     Ok(count.to_string())
/// }
/// assert_eq!(handler().unwrap_err().status(), StatusCode::INTERNAL_SERVER_ERROR);
/// ```
///
/// A `Box<dyn Error>` *without* `Send + Sync` cannot be kept in a `RouteError` (which crosses
/// threads with the response): `?` on it fails to compile with "`dyn std::error::Error` cannot
/// be sent between threads safely". Keep its message instead:
///
/// ```
/// # use std::error::Error;
/// # use route_runtime::RouteError;
/// fn legacy() -> Result<u32, Box<dyn Error>> {
///     Err("legacy failure".into())
/// }
///
/// fn handler() -> Result<u32, RouteError> {
///     legacy().map_err(|e| RouteError::internal(e.to_string()))
/// }
/// assert_eq!(handler().unwrap_err().status(), 500);
/// ```
///
/// A user error type that is *not* a `std::error::Error` can pick its own status with its own
/// `impl From<MyError> for RouteError`.
///
/// # `Option` → `404`
///
/// `None` becomes Next.js's `notFound()` with [`OptionExt::or_not_found`](crate::OptionExt), or
/// `ok_or_else(RouteError::not_found)`:
///
/// ```
/// use route_runtime::{OptionExt, RouteError};
///
/// fn find(id: u32) -> Result<&'static str, RouteError> {
///     let title = [(1, "first post")]
///         .into_iter()
///         .find_map(|(k, v)| (k == id).then_some(v))
///         .or_not_found()?;
///     Ok(title)
/// }
/// assert_eq!(find(2).unwrap_err().status(), 404);
/// ```
pub struct RouteError {
    kind: Kind,
}

enum Kind {
    /// A 4xx with a message (and optional extra JSON fields) for the client.
    Client {
        status: StatusCode,
        message: String,
        details: Option<serde_json::Map<String, serde_json::Value>>,
    },
    /// A status with no body (`not_found()`, `forbidden()`, …).
    Status(StatusCode),
    /// A redirect.
    Redirect {
        status: StatusCode,
        location: HeaderValue,
    },
    /// A bug or an upstream failure: 500, logged, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl RouteError {
    /// A client error with `status` and a message sent to the client as `{"error": message}`.
    ///
    /// A status outside 4xx/5xx is taken as a `500`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let status = if status.is_client_error() || status.is_server_error() {
            status
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        RouteError {
            kind: Kind::Client {
                status,
                message: message.into(),
                details: None,
            },
        }
    }

    /// `400 Bad Request` with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// `404 Not Found` with an empty body: the error [`not_found()`](crate::navigation::not_found)
    /// returns, as a value (for `ok_or_else`, `map_err`, …).
    ///
    /// ```
    /// use route_runtime::RouteError;
    ///
    /// fn post(id: u32) -> Result<&'static str, RouteError> {
    ///     let posts = std::collections::HashMap::from([(1, "first post")]);
    ///     posts.get(&id).copied().ok_or_else(RouteError::not_found)
    /// }
    /// assert_eq!(post(2).unwrap_err().status(), 404);
    /// ```
    ///
    /// For an `Option`, [`OptionExt::or_not_found`](crate::OptionExt::or_not_found) says it in
    /// one call.
    pub fn not_found() -> Self {
        Self::status_only(StatusCode::NOT_FOUND)
    }

    /// `403 Forbidden` with an empty body: the error
    /// [`forbidden()`](crate::navigation::forbidden) returns, as a value.
    ///
    /// ```
    /// use route_runtime::RouteError;
    ///
    /// let error = RouteError::forbidden();
    /// assert_eq!(error.status(), 403);
    /// ```
    pub fn forbidden() -> Self {
        Self::status_only(StatusCode::FORBIDDEN)
    }

    /// `401 Unauthorized` with an empty body: the error
    /// [`unauthorized()`](crate::navigation::unauthorized) returns, as a value.
    ///
    /// ```
    /// use route_runtime::RouteError;
    ///
    /// let token: Option<&str> = None;
    /// let error = token.ok_or_else(RouteError::unauthorized).unwrap_err();
    /// assert_eq!(error.status(), 401);
    /// ```
    pub fn unauthorized() -> Self {
        Self::status_only(StatusCode::UNAUTHORIZED)
    }

    /// A status with an empty body, e.g. `404`.
    pub fn status_only(status: StatusCode) -> Self {
        RouteError {
            kind: Kind::Status(status),
        }
    }

    /// An internal error: answered with an empty `500`, `error` logged.
    ///
    /// Takes what `?` takes (see [`RouteError`]): an error, a boxed error, a `String` or a `&str`.
    ///
    /// ```
    /// use route_runtime::RouteError;
    ///
    /// let error = RouteError::internal(format!("cache shard {} is down", 3));
    /// assert_eq!(error.status(), 500);
    /// assert_eq!(error.message(), None); // never sent to the client
    /// ```
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        RouteError {
            kind: Kind::Internal(error.into()),
        }
    }

    /// Adds a field to the JSON body of a client error (ignored for other kinds).
    pub fn with_detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        if let Kind::Client { details, .. } = &mut self.kind {
            details
                .get_or_insert_with(Default::default)
                .insert(key.to_string(), value.into());
        }
        self
    }

    pub(crate) fn redirect(status: StatusCode, location: HeaderValue) -> Self {
        RouteError {
            kind: Kind::Redirect { status, location },
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match &self.kind {
            Kind::Client { status, .. } | Kind::Status(status) | Kind::Redirect { status, .. } => {
                *status
            }
            Kind::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message sent to the client, if any.
    pub fn message(&self) -> Option<&str> {
        match &self.kind {
            Kind::Client { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The `Location` of a redirect.
    pub fn location(&self) -> Option<&HeaderValue> {
        match &self.kind {
            Kind::Redirect { location, .. } => Some(location),
            _ => None,
        }
    }
}

/// `?` on an error: an internal error (an empty, logged `500`), as [`RouteError::internal`].
///
/// The bound is `Into<Box<dyn Error + Send + Sync>>` rather than `Error + Send + Sync`, so that
/// `Box<dyn Error + Send + Sync>` (which is not itself an `Error`) converts too: a separate
/// `impl From<Box<dyn Error + Send + Sync>>` beside an `Error` blanket impl is refused by
/// coherence (E0119: std may one day implement `Error` for that box).
impl<E> From<E> for RouteError
where
    E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    fn from(error: E) -> Self {
        RouteError::internal(error)
    }
}

impl fmt::Debug for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Client {
                status, message, ..
            } => write!(f, "RouteError({status}: {message})"),
            Kind::Status(status) => write!(f, "RouteError({status})"),
            Kind::Redirect { status, location } => {
                write!(f, "RouteError({status} -> {location:?})")
            }
            Kind::Internal(e) => write!(f, "RouteError(internal: {e:?})"),
        }
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Client { message, .. } => f.write_str(message),
            Kind::Status(status) => write!(f, "{status}"),
            Kind::Redirect { status, location } => write!(f, "{status} to {location:?}"),
            Kind::Internal(e) => write!(f, "internal error: {e}"),
        }
    }
}

impl IntoResponse for RouteError {
    fn into_response(self) -> Response {
        match self.kind {
            Kind::Client {
                status,
                message,
                details,
            } => {
                let mut body = details.unwrap_or_default();
                body.insert("error".into(), serde_json::Value::String(message));
                (status, axum::Json(serde_json::Value::Object(body))).into_response()
            }
            Kind::Status(status) => status.into_response(),
            Kind::Redirect { status, location } => {
                (status, [(header::LOCATION, location)]).into_response()
            }
            Kind::Internal(error) => {
                tracing::error!(error = %error, "route handler failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl RouteError {
    /// The 400 of a path param that did not decode or parse. (Not a `From` impl: the blanket
    /// conversion from `std::error::Error` would overlap it.)
    pub fn from_param_error(error: &crate::params::ParamError) -> Self {
        RouteError::bad_request(error.to_string()).with_detail("param", error.param())
    }
}
