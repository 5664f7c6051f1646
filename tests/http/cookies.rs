//! `cookies()` and `headers()` over real HTTP: reading, the Set-Cookie format, cookies on every
//! kind of response (redirects, 404s, errors), any call depth, and behaviour outside a request.

use reqwest::StatusCode;
use route_runtime::{route, routes};

use crate::common::{client, header, TestServer};

/// A helper deep in the call tree: no jar is passed around.
fn remember_visit() -> Result<(), route_runtime::CookieError> {
    route_runtime::cookies().set("visited", "yes")
}

#[route("/cookies/read")]
mod read {
    use route_runtime::{cookies, IntoResponse, Json};
    use serde_json::json;

    pub async fn GET() -> impl IntoResponse {
        let jar = cookies();
        Json(json!({
            "token": jar.get("token"),
            "has_token": jar.has("token"),
            "missing": jar.get("missing"),
            "all": jar.get_all(),
        }))
    }
}

#[route("/cookies/set")]
mod set {
    use std::time::Duration;

    use route_runtime::{cookies, Priority, RouteError, SameSite, SetCookie};

    pub async fn GET() -> Result<String, RouteError> {
        let jar = cookies();
        jar.set("plain", "v a;l=,ü")?;
        jar.set("twice", "first")?;
        jar.set("twice", "second")?;
        jar.set_cookie(
            SetCookie::new("full", "1")
                .path("/app")
                .domain("example.com")
                .max_age_duration(Duration::from_secs(60))
                .secure(true)
                .http_only(true)
                .same_site(SameSite::Lax)
                .partitioned(true)
                .priority(Priority::High),
        )?;
        jar.delete("old")?;
        super::remember_visit()?;
        // Reads see what was set during the request.
        Ok(format!("{:?} {:?}", jar.get("twice"), jar.get("old")))
    }
}

#[route("/cookies/own-header")]
mod own_header {
    use route_runtime::{cookies, IntoResponse, RouteError};

    pub async fn GET() -> Result<impl IntoResponse, RouteError> {
        cookies().set("clash", "from-jar")?;
        cookies().set("extra", "from-jar")?;
        Ok(([("set-cookie", "clash=from-response; Path=/")], "own"))
    }
}

#[route("/cookies/redirect")]
mod on_redirect {
    use route_runtime::navigation::redirect;
    use route_runtime::{cookies, RouteError};

    pub async fn GET() -> Result<&'static str, RouteError> {
        cookies().set("flash", "saved")?;
        redirect("/login")?;
        Ok("unreachable")
    }
}

#[route("/cookies/not-found")]
mod on_not_found {
    use route_runtime::navigation::not_found;
    use route_runtime::{cookies, RouteError};

    pub async fn GET() -> Result<&'static str, RouteError> {
        cookies().set("seen", "1")?;
        not_found()?;
        Ok("unreachable")
    }
}

#[route("/cookies/error")]
mod on_error {
    use route_runtime::{cookies, RouteError};

    pub async fn GET() -> Result<&'static str, RouteError> {
        cookies().set("attempt", "1")?;
        Err(RouteError::bad_request("nope"))
    }
}

#[route("/cookies/bad-name")]
mod bad_name {
    use route_runtime::{cookies, RouteError};

    pub async fn GET() -> Result<&'static str, RouteError> {
        cookies().set("bad name;", "x")?;
        Ok("set")
    }
}

#[route("/cookies/spawned")]
mod spawned {
    use route_runtime::{cookies, in_request_scope, try_cookies};

    pub async fn GET() -> String {
        let without = tokio::spawn(async { try_cookies().is_ok() }).await.unwrap();
        let with = tokio::spawn(in_request_scope(async { cookies().get("token") }))
            .await
            .unwrap();
        format!("{without} {with:?}")
    }
}

#[route("/headers/echo")]
mod headers_echo {
    use route_runtime::{headers, IntoResponse};

    pub async fn GET() -> impl IntoResponse {
        let h = headers();
        let referer = h.get("referer").unwrap_or_default();
        let accept = h.get_all("x-multi").join("|");
        ([("referer", referer), ("x-multi", accept)], "Hello")
    }
}

async fn server() -> TestServer {
    TestServer::start(
        routes![
            read,
            set,
            own_header,
            on_redirect,
            on_not_found,
            on_error,
            bad_name,
            spawned,
            headers_echo
        ]
        .into_router(),
    )
    .await
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn reads_the_request_cookies() {
    let server = server().await;
    let res = client()
        .get(server.url("/cookies/read"))
        .header("cookie", "token=abc%20d; other=1")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["token"], "abc d");
    assert_eq!(body["has_token"], true);
    assert!(body["missing"].is_null());
    assert_eq!(
        body["all"],
        serde_json::json!([["token", "abc d"], ["other", "1"]])
    );
}

#[tokio::test]
async fn set_cookie_lines_are_formatted_as_nextjs_does() {
    let server = server().await;
    let res = client()
        .get(server.url("/cookies/set"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let lines = set_cookies(&res);
    assert_eq!(lines[0], "plain=v%20a%3Bl%3D%2C%C3%BC; Path=/");
    assert_eq!(lines[1], "twice=second; Path=/", "one line, last value");
    let full = &lines[2];
    assert!(full.starts_with("full=1; Path=/app; Expires="), "{full}");
    assert!(
        full.ends_with(
            " GMT; Max-Age=60; Domain=example.com; Secure; HttpOnly; SameSite=Lax; Partitioned; Priority=High"
        ),
        "{full}"
    );
    assert_eq!(
        lines[3],
        "old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    );
    assert_eq!(lines[4], "visited=yes; Path=/", "set from a nested helper");
    assert_eq!(lines.len(), 5);
    assert_eq!(res.text().await.unwrap(), "Some(\"second\") None");
}

#[tokio::test]
async fn the_responses_own_set_cookie_comes_first_and_wins() {
    let server = server().await;
    let res = client()
        .get(server.url("/cookies/own-header"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        set_cookies(&res),
        ["clash=from-response; Path=/", "extra=from-jar; Path=/"]
    );
}

#[tokio::test]
async fn cookies_reach_redirects_404s_and_errors() {
    let server = server().await;
    let res = client()
        .get(server.url("/cookies/redirect"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(header(&res, "location"), "/login");
    assert_eq!(set_cookies(&res), ["flash=saved; Path=/"]);

    let res = client()
        .get(server.url("/cookies/not-found"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(set_cookies(&res), ["seen=1; Path=/"]);

    let res = client()
        .get(server.url("/cookies/error"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(set_cookies(&res), ["attempt=1; Path=/"]);
}

#[tokio::test]
async fn an_invalid_cookie_name_never_reaches_a_header() {
    let server = server().await;
    let res = client()
        .get(server.url("/cookies/bad-name"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(set_cookies(&res).is_empty());
}

#[tokio::test]
async fn spawned_tasks_need_in_request_scope() {
    let server = server().await;
    let res = client()
        .get(server.url("/cookies/spawned"))
        .header("cookie", "token=t")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "false Some(\"t\")");
}

#[test]
fn outside_a_request_the_helpers_fail_clearly() {
    let error = route_runtime::try_cookies().unwrap_err().to_string();
    assert!(error.contains("cookies"), "{error}");
    assert!(route_runtime::try_headers().is_err());
    let panic = std::panic::catch_unwind(route_runtime::headers).unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("headers()") || message.contains("headers"),
        "{message}"
    );
}

#[tokio::test]
async fn headers_are_read_only_request_headers() {
    let server = server().await;
    let res = client()
        .get(server.url("/headers/echo"))
        .header("referer", "https://example.com/page")
        .header("x-multi", "a")
        .header("x-multi", "b")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "referer"), "https://example.com/page");
    assert_eq!(header(&res, "x-multi"), "a|b");
    assert_eq!(res.text().await.unwrap(), "Hello");
}
