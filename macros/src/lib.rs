//! The procedural macros of percept.
//!
//! `#[component]` makes a user's struct a custom component ([`component`](mod@component)).
//!
//! `model!` declares a model inline: it parses the declaration ([`ast`]), checks its
//! settings, wiring, data files and shapes with the catalogue ([`check`], collecting every
//! error), and generates one typed struct per component plus the model struct ([`expand`]).
//! Use it through the `percept` crate.

mod ast;
mod callback;
mod check;
mod component;
mod diagnostics;
mod expand;
mod tokens;

use proc_macro::TokenStream;

/// Declares a model: see the book's "Declaring a model" chapter.
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    let start = std::time::Instant::now();
    let (resolved, done, rest) = match callback::split_resolved(input.into()) {
        Ok(split) => split,
        Err(e) => return e.to_compile_error().into(),
    };
    let mut model = match syn::parse2::<ast::ModelInput>(rest.clone()) {
        Ok(model) => model,
        Err(e) => return expand::stub(rest, e).into(),
    };
    model.resolved = resolved;
    // A type `model!` does not know is asked about through the callback `#[component]` made
    // under its name; the callback expands to `model!` again, with the answer in front.
    if let Some(entry) = check::first_unresolved(&model) {
        let path = &entry.path;
        return quote::quote!(#path! { @percept_component (#path) [#done] #rest }).into();
    }
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

/// Makes a struct a custom component: see the book's "Custom components" chapter, and the
/// example on `percept::component`, which is compiled and run as a test.
///
/// ```text
/// #[component(shape = [n] -> [n])]
/// pub struct Gain<B: Backend> {
///     #[weight]
///     gain: Param<Tensor<B, 1>>,
/// }
/// ```
#[proc_macro_attribute]
pub fn component(args: TokenStream, item: TokenStream) -> TokenStream {
    component::component(args.into(), item.into()).into()
}
