//! The procedural macros of percept.
//!
//! `model!` declares a model inline: it parses the declaration ([`ast`]), checks its
//! settings, wiring, data files and shapes with the catalogue ([`check`], collecting every
//! error), and generates one typed struct per component plus the model struct ([`expand`]).
//! Use it through the `percept` crate.

mod ast;
mod check;
mod expand;

use proc_macro::TokenStream;

/// Declares a model: see the book's "Declaring a model" chapter.
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    let start = std::time::Instant::now();
    let model = syn::parse_macro_input!(input as ast::ModelInput);
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_string());
    let checked = check::check(&model, std::path::Path::new(&manifest_dir));
    let output = expand::expand(&model, &checked);
    // `PERCEPT_MACRO_TIMING=1 cargo build` reports what each model costs to expand.
    if std::env::var_os("PERCEPT_MACRO_TIMING").is_some() {
        eprintln!(
            "model! {}: {} components expanded in {:.1} ms",
            model.name,
            model.entries.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    output.into()
}
