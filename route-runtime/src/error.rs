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
/// Any `std::error::Error` converts into it with `?` and becomes a logged `500`; client errors and
/// navigation are built with the constructors below or the helpers in
/// [`navigation`](crate::navigation).
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

    /// A status with an empty body, e.g. `404`.
    pub fn status_only(status: StatusCode) -> Self {
        RouteError {
            kind: Kind::Status(status),
        }
    }

    /// An internal error: answered with an empty `500`, `error` logged.
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

impl<E> From<E> for RouteError
where
    E: std::error::Error + Send + Sync + 'static,
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
