//! Helpers may be named like methods: a private `get`/`delete`, or a `pub` one beside its
//! uppercase handler, and a private all-uppercase `OK`, are not handlers (Next.js would ignore
//! them too).
use route_runtime::route;

#[route("/items")]
mod items {
    async fn get() -> &'static str {
        "from the helper"
    }

    pub async fn delete(id: &str) -> bool {
        !id.is_empty()
    }

    #[allow(clippy::upper_case_acronyms)]
    fn OK() -> &'static str {
        "ok"
    }

    pub async fn GET() -> &'static str {
        let _ = OK();
        get().await
    }

    pub async fn DELETE() -> &'static str {
        if delete("1").await {
            "deleted"
        } else {
            "kept"
        }
    }
}

fn main() {
    assert_eq!(items::METHODS.len(), 2);
}
