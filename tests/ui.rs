//! Compile-time diagnostics of `#[route]` and `routes!`: one case per file in tests/ui/, each with its checked-in `.stderr`.
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
