//! One collector for every error a macro reports, as serde's `Ctxt`: a check adds what it
//! finds and goes on, and the expansion emits them all at once, so one build shows every
//! independent problem.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::Error;

/// The errors found so far, in the order found.
#[derive(Default)]
pub struct Diagnostics {
    errors: Vec<Error>,
}

impl Diagnostics {
    /// An error underlining `span`.
    pub fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.errors.push(Error::new(span, message));
    }

    /// An error underlining all of `tokens`.
    pub fn spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.errors.push(Error::new_spanned(tokens, message));
    }

    /// An error already made (a parser's).
    pub fn push(&mut self, error: Error) {
        self.errors.push(error);
    }

    /// Whether nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The messages, for tests.
    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.errors.iter().map(ToString::to_string).collect()
    }

    /// Every error as a `compile_error!`.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.errors.iter().map(Error::to_compile_error).collect()
    }

    /// `Ok` if nothing was reported, or every error as one.
    pub fn finish(self) -> syn::Result<()> {
        let mut errors = self.errors.into_iter();
        let Some(mut all) = errors.next() else {
            return Ok(());
        };
        all.extend(errors);
        Err(all)
    }
}
