//! The example app: every Next.js Route Handlers example, served on 127.0.0.1:3000.
//!
//! `cargo run --example app` (`PORT=8080` to change the port). Ctrl-C or SIGTERM shuts down gracefully.

mod routes;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let port: u16 = match std::env::var("PORT") {
        Ok(value) => value.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("PORT={value} is not a port"),
            )
        })?,
        Err(_) => 3000,
    };
    let routes = routes::routes();
    println!("Route (app)                  Methods                                        Caching");
    print!("{}", routes.table());

    // Render the cacheable static routes before accepting requests, as `next build` does.
    let app = routes.into_prerendered_router().await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("\nListening on http://{}", listener.local_addr()?);
    route_runtime::serve(listener, app).await
}
