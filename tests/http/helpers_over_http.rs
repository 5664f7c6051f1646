//! Helpers whose edge cases were only unit-tested, now over real HTTP (docs/spec security.md,
//! "Tests that prove it"): `redirect_local` driven by a `?next=` search param, and a cookie with
//! the largest `Max-Age` the API takes (`u64::MAX`).

use reqwest::StatusCode;
use route_runtime::{route, routes};

use crate::common::{client, header, TestServer};

/// The login flow's "continue to": `?next=` comes from the client, so it goes through
/// `redirect_local`. A missing `next` is handed over as an empty target.
#[route("/helpers/continue")]
mod continue_to {
    use route_runtime::navigation::redirect_local;
    use route_runtime::{Request, RouteError};

    pub async fn GET(request: Request) -> Result<&'static str, RouteError> {
        let next = request
            .next_url()
            .search_params()
            .get("next")
            .unwrap_or_default();
        redirect_local(next)?;
        Ok("unreachable: redirect_local always returns Err")
    }
}

/// A cookie kept "forever": the largest `Max-Age` the API takes, both ways of giving it.
#[route("/helpers/forever-cookie")]
mod forever_cookie {
    use std::time::Duration;

    use route_runtime::{cookies, RouteError, SetCookie};

    pub async fn GET() -> Result<&'static str, RouteError> {
        cookies().set_cookie(SetCookie::new("sess", "a").max_age(u64::MAX))?;
        cookies().set_cookie(SetCookie::new("dur", "b").max_age_duration(Duration::MAX))?;
        Ok("set")
    }
}

#[route("/helpers/ping")]
mod ping {
    pub async fn GET() -> &'static str {
        "pong"
    }
}

async fn server() -> TestServer {
    TestServer::start(routes![continue_to, forever_cookie, ping].into_router()).await
}

/// `GET /helpers/continue?next=<value>`, the value form-encoded by the client (so the handler
/// reads exactly `value`), on `client`.
async fn continue_to_next(
    client: &reqwest::Client,
    server: &TestServer,
    value: &str,
) -> reqwest::Response {
    let mut url = reqwest::Url::parse(&server.url("/helpers/continue")).expect("url");
    url.query_pairs_mut().append_pair("next", value);
    client.get(url).send().await.expect("request")
}

#[tokio::test]
async fn redirect_local_refuses_targets_off_the_site_with_400_and_a_message() {
    let server = server().await;
    let client = client();
    for bad in [
        "//evil.com",
        "/\\evil.com",
        "https://evil.com",
        "javascript:alert(1)",
        "/%2F%2Fevil.com",
        "",
    ] {
        let res = continue_to_next(&client, &server, bad).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "next={bad:?}");
        assert!(
            res.headers().get("location").is_none(),
            "next={bad:?}: {:?}",
            res.headers()
        );
        assert_eq!(header(&res, "content-type"), "application/json", "{bad:?}");
        let body: serde_json::Value = res.json().await.expect("a JSON body");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "next={bad:?}: no message in {body}");
        // The value the handler saw is the one sent (decoded once, not twice).
        assert_eq!(body["target"], bad, "next={bad:?}: {body}");
    }

    // No `next` at all: an empty target, refused the same way.
    let res = client
        .get(server.url("/helpers/continue"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());

    // The refusals took nothing down: an accepted target on the same client still works.
    let res = continue_to_next(&client, &server, "/dashboard?x=1").await;
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
}

#[tokio::test]
async fn redirect_local_accepts_a_local_path_with_its_query() {
    let server = server().await;
    let res = continue_to_next(&client(), &server, "/dashboard?x=1").await;
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    let locations: Vec<&str> = res
        .headers()
        .get_all("location")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(locations, ["/dashboard?x=1"]);
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn max_age_of_u64_max_does_not_panic_and_is_capped_in_expires() {
    let server = server().await;
    let client = client();
    let res = client
        .get(server.url("/helpers/forever-cookie"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let lines: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    // `Max-Age` is written as given; `Expires` (now + max-age, which overflows) is clamped to the
    // last date an HTTP date can show.
    assert_eq!(
        lines,
        [
            format!(
                "sess=a; Path=/; Expires=Fri, 31 Dec 9999 23:59:59 GMT; Max-Age={}",
                u64::MAX
            ),
            format!(
                "dur=b; Path=/; Expires=Fri, 31 Dec 9999 23:59:59 GMT; Max-Age={}",
                u64::MAX
            ),
        ]
    );
    assert_eq!(res.text().await.unwrap(), "set");

    // The server keeps serving, on the same client and on a new one, the same route included.
    let res = client
        .get(server.url("/helpers/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "pong");
    let res = server.get("/helpers/forever-cookie").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get_all("set-cookie").iter().count(), 2);
}
