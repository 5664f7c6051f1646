//! `redirect`, `permanent_redirect`, `redirect_with`, `not_found`, `forbidden` and
//! `unauthorized` over real HTTP: statuses, `Location`, empty bodies, the form-submission 303,
//! and the `Location` header's safety (no CRLF injection, never built from `Host`).

use std::time::Duration;

use reqwest::StatusCode;
use route_runtime::{route, routes};

use crate::common::{client, header, TestServer};

/// Two calls deep, as in Next.js where `redirect()` throws from anywhere in the call tree.
fn require_session() -> Result<String, route_runtime::RouteError> {
    let session = current_session()?;
    Ok(format!("welcome {session}"))
}

fn current_session() -> Result<String, route_runtime::RouteError> {
    match route_runtime::headers().get("x-session") {
        Some(session) => Ok(session),
        None => {
            route_runtime::navigation::redirect("/login")?;
            unreachable!("redirect always returns Err")
        }
    }
}

#[route("/nav/dashboard")]
mod dashboard {
    use route_runtime::RouteError;

    pub async fn GET() -> Result<String, RouteError> {
        super::require_session()
    }
}

#[route("/nav/moved")]
mod moved {
    use route_runtime::navigation::permanent_redirect;
    use route_runtime::RouteError;

    pub async fn GET() -> Result<&'static str, RouteError> {
        permanent_redirect("/new-home")?;
        Ok("unreachable")
    }
}

#[route("/nav/see-other")]
mod see_other {
    use route_runtime::navigation::redirect_with;
    use route_runtime::{RouteError, StatusCode};

    pub async fn GET() -> Result<&'static str, RouteError> {
        redirect_with("/done?from=see-other", StatusCode::SEE_OTHER)?;
        Ok("unreachable")
    }

    /// A status that is not a redirect: a bug, answered with an empty 500.
    pub async fn POST() -> Result<&'static str, RouteError> {
        redirect_with("/done", StatusCode::OK)?;
        Ok("unreachable")
    }
}

#[route("/nav/external")]
mod external {
    use route_runtime::navigation::redirect;
    use route_runtime::RouteError;

    pub async fn GET() -> Result<&'static str, RouteError> {
        redirect("https://example.com/a?b=c")?;
        Ok("unreachable")
    }
}

#[route("/nav/submit")]
mod submit {
    use route_runtime::navigation::redirect;
    use route_runtime::RouteError;

    pub async fn POST() -> Result<&'static str, RouteError> {
        redirect("/thanks")?;
        Ok("unreachable")
    }
}

#[route("/nav/status/[which]")]
mod status {
    use route_runtime::navigation::{forbidden, not_found, unauthorized};
    use route_runtime::{RouteContext, RouteError};

    pub async fn GET(ctx: RouteContext<Params>) -> Result<&'static str, RouteError> {
        let never = match ctx.params.which.as_str() {
            "not-found" => not_found()?,
            "forbidden" => forbidden()?,
            "unauthorized" => unauthorized()?,
            _ => return Ok("fine"),
        };
        match never {}
    }
}

#[route("/nav/inject/[how]")]
mod inject {
    use route_runtime::navigation::{permanent_redirect, redirect, redirect_with};
    use route_runtime::{RouteContext, RouteError, StatusCode};

    pub async fn GET(ctx: RouteContext<Params>) -> Result<&'static str, RouteError> {
        let target = "/a\r\nSet-Cookie: injected=1\r\nX-Injected: yes";
        let never = match ctx.params.how.as_str() {
            "redirect" => redirect(target)?,
            "permanent" => permanent_redirect(target)?,
            "with" => redirect_with(target, StatusCode::SEE_OTHER)?,
            "lf" => redirect("/a\nX-Injected: yes")?,
            _ => return Ok("fine"),
        };
        match never {}
    }
}

async fn server() -> TestServer {
    TestServer::start(
        routes![dashboard, moved, see_other, external, submit, status, inject].into_router(),
    )
    .await
}

#[tokio::test]
async fn redirect_from_a_nested_helper_is_307_with_location() {
    let server = server().await;
    let response = client()
        .get(server.url("/nav/dashboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(header(&response, "location"), "/login");
    assert_eq!(response.text().await.unwrap(), "");

    // With a session the helper returns normally.
    let response = client()
        .get(server.url("/nav/dashboard"))
        .header("x-session", "ada")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("location").is_none());
    assert_eq!(response.text().await.unwrap(), "welcome ada");
}

#[tokio::test]
async fn permanent_redirect_is_308() {
    let server = server().await;
    let response = client().get(server.url("/nav/moved")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&response, "location"), "/new-home");
    assert_eq!(response.text().await.unwrap(), "");
}

#[tokio::test]
async fn redirect_with_sets_the_chosen_status() {
    let server = server().await;
    let response = client()
        .get(server.url("/nav/see-other"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&response, "location"), "/done?from=see-other");

    // Not a redirect status: an empty 500, no Location.
    let response = client()
        .post(server.url("/nav/see-other"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get("location").is_none());
    assert_eq!(response.text().await.unwrap(), "");
}

#[tokio::test]
async fn an_absolute_target_is_kept_as_given() {
    let server = server().await;
    let response = client()
        .get(server.url("/nav/external"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(header(&response, "location"), "https://example.com/a?b=c");
}

#[tokio::test]
async fn redirect_after_a_form_post_is_303_and_after_a_json_post_307() {
    let server = server().await;
    let response = client()
        .post(server.url("/nav/submit"))
        .form(&[("name", "ada")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "an HTML form POST is followed with a GET"
    );
    assert_eq!(header(&response, "location"), "/thanks");

    let form = reqwest::multipart::Form::new().text("name", "ada");
    let response = client()
        .post(server.url("/nav/submit"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "multipart form");
    assert_eq!(header(&response, "location"), "/thanks");

    let response = client()
        .post(server.url("/nav/submit"))
        .json(&serde_json::json!({ "name": "ada" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::TEMPORARY_REDIRECT,
        "JSON POST"
    );
    assert_eq!(header(&response, "location"), "/thanks");

    // A POST without a body or content type is not a form submission either.
    let response = client()
        .post(server.url("/nav/submit"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
}

#[tokio::test]
async fn not_found_forbidden_unauthorized_have_empty_bodies() {
    let server = server().await;
    for (which, status) in [
        ("not-found", StatusCode::NOT_FOUND),
        ("forbidden", StatusCode::FORBIDDEN),
        ("unauthorized", StatusCode::UNAUTHORIZED),
    ] {
        let response = client()
            .get(server.url(&format!("/nav/status/{which}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{which}");
        assert!(response.headers().get("location").is_none(), "{which}");
        assert_eq!(response.text().await.unwrap(), "", "{which}");
    }
    let response = client()
        .get(server.url("/nav/status/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "fine");
}

#[tokio::test]
async fn a_redirect_target_with_crlf_is_an_empty_500_with_no_injected_header() {
    let server = server().await;
    for how in ["redirect", "permanent", "with", "lf"] {
        let request = format!(
            "GET /nav/inject/{how} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        );
        let raw = server.raw(request.as_bytes(), Duration::from_secs(3)).await;
        assert!(raw.starts_with("HTTP/1.1 500"), "{how}: {raw:?}");
        let (head, body) = raw.split_once("\r\n\r\n").expect("a complete head");
        let head = head.to_ascii_lowercase();
        assert!(!head.contains("\r\nlocation:"), "{how}: {raw:?}");
        assert!(!head.contains("set-cookie"), "{how}: {raw:?}");
        assert!(!head.contains("injected"), "{how}: {raw:?}");
        assert_eq!(body, "", "{how}: a 500 has no body");
    }
    // The server keeps serving.
    let response = client()
        .get(server.url("/nav/inject/none"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "fine");
}

#[tokio::test]
async fn the_host_header_never_changes_location() {
    let server = server().await;
    let response = client()
        .get(server.url("/nav/dashboard"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil2.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(header(&response, "location"), "/login");

    for path in ["/nav/dashboard", "/nav/moved"] {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil2.example\r\n\
             X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n"
        );
        let raw = server.raw(request.as_bytes(), Duration::from_secs(3)).await;
        let lower = raw.to_ascii_lowercase();
        assert!(!lower.contains("evil"), "{path}: {raw:?}");
        assert!(
            lower.contains("\r\nlocation: /login\r\n")
                || lower.contains("\r\nlocation: /new-home\r\n"),
            "{path}: {raw:?}"
        );
    }
}
