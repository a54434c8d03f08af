//! The compile-fail suite of `model!` and `#[component]`: one small program per mistake, in folders by kind of
//! mistake, each with the compiler output it must give committed next to it (`.stderr`).
//! Regenerate with `TRYBUILD=overwrite cargo test -p percept-tests --test ui` and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    for kind in [
        "syntax", "settings", "graph", "shape", "training", "data", "several", "custom",
    ] {
        cases.compile_fail(format!("ui/{kind}/*.rs"));
    }
    cases.pass("ui/pass/*.rs");
}
