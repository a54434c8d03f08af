//! The protocol between `#[component]` and `model!`, written and read in this one module.
//!
//! A proc macro cannot look up a type, so `model!` asks: for an entry of a type it does not
//! know, it expands to a call of the macro `#[component]` made under the type's name,
//! `Type! { @percept_component (path) [answers so far] model }`. That macro answers by
//! calling `model!` again with one more description in front:
//!
//! ```text
//! model! { @resolved [(path) { name: "Gain", shape: "[n] -> [n]", settings: [scale: number], sizes: [] } ...] model }
//! ```
//!
//! [`answer`] writes the macro (and so the description), [`split_resolved`] reads the
//! descriptions back, and a test checks that what one writes the other reads.

use percept_catalogue::FieldKind;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Token, Visibility, braced, bracketed, parenthesized};

/// What `#[component]`'s callback told `model!` about a custom type.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The type's path as written in the entry, without spaces (`layers::Gain`).
    pub path: String,
    /// The type's own name, whatever name it was imported under.
    pub type_name: String,
    /// The shape signature.
    pub signature: String,
    /// Each `#[setting]` field and the kind of value it takes.
    pub settings: Vec<(String, FieldKind)>,
    /// The integer settings that the signature names, with their defaults.
    pub sizes: Vec<(String, i64)>,
}

/// The `macro_rules!` that answers `model!`'s question about the struct `name`, exported
/// under the struct's name. `about.path` is not used: the question carries it.
pub fn answer(name: &Ident, vis: &Visibility, about: &Resolved) -> TokenStream {
    // `#[macro_export]` puts the macro at the crate root, so its name must be unique there: it
    // carries where the struct is written.
    let at = proc_macro::Span::call_site();
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(
        &(at.file(), at.line(), at.column(), name.to_string()),
        &mut hasher,
    );
    let hidden = format_ident!(
        "__percept_component_{}_{:016x}",
        name,
        std::hash::Hasher::finish(&hasher)
    );
    let description = describe(about);
    let doc = format!(
        " Answers `model!` with the shape signature and settings of [`{name}`]; not for direct use."
    );
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[macro_export]
        macro_rules! #hidden {
            (@percept_component ($($path:tt)*) [$($done:tt)*] $($model:tt)*) => {
                ::percept::model! {
                    @resolved [$($done)* ($($path)*) #description]
                    $($model)*
                }
            };
        }

        #[doc(hidden)]
        #[allow(unused_imports)]
        #vis use #hidden as #name;
    }
}

/// `{ name: "..", shape: "..", settings: [key: kind, ..], sizes: [key: value, ..] }`.
fn describe(about: &Resolved) -> TokenStream {
    let type_name = &about.type_name;
    let signature = &about.signature;
    let settings = about.settings.iter().map(|(key, kind)| {
        let key = Ident::new(key, Span::call_site());
        let kind = Ident::new(kind.name(), Span::call_site());
        quote!(#key: #kind)
    });
    let sizes = about.sizes.iter().map(|(key, value)| {
        let key = Ident::new(key, Span::call_site());
        quote!(#key: #value)
    });
    quote!({ name: #type_name, shape: #signature, settings: [#(#settings),*], sizes: [#(#sizes),*] })
}

/// Splits `@resolved [ ... ]` (what the callbacks put in front of the model) from the
/// model's own tokens: the descriptions, their tokens as they came, and the model.
pub fn split_resolved(
    input: TokenStream,
) -> syn::Result<(Vec<Resolved>, TokenStream, TokenStream)> {
    let tokens: Vec<TokenTree> = input.clone().into_iter().collect();
    match tokens.as_slice() {
        [
            TokenTree::Punct(at),
            TokenTree::Ident(word),
            TokenTree::Group(list),
            rest @ ..,
        ] if at.as_char() == '@' && word == "resolved" => {
            let resolved = parse_resolved.parse2(list.stream())?;
            Ok((resolved, list.stream(), rest.iter().cloned().collect()))
        }
        _ => Ok((Vec::new(), TokenStream::new(), input)),
    }
}

/// `(path) { .. } (path) { .. } ...`, each description as [`describe`] writes it.
fn parse_resolved(input: ParseStream<'_>) -> syn::Result<Vec<Resolved>> {
    let mut resolved = Vec::new();
    while !input.is_empty() {
        let path;
        parenthesized!(path in input);
        let path: TokenStream = path.parse()?;
        let body;
        braced!(body in input);
        key(&body, "name")?;
        let type_name: syn::LitStr = body.parse()?;
        body.parse::<Token![,]>()?;
        key(&body, "shape")?;
        let signature: syn::LitStr = body.parse()?;
        body.parse::<Token![,]>()?;
        key(&body, "settings")?;
        let settings = list(&body, |item| {
            let name: Ident = item.parse()?;
            item.parse::<Token![:]>()?;
            let kind: Ident = item.parse()?;
            let kind = FieldKind::from_name(&kind.to_string())
                .ok_or_else(|| syn::Error::new(kind.span(), "unknown value kind"))?;
            Ok((name.to_string(), kind))
        })?;
        body.parse::<Token![,]>()?;
        key(&body, "sizes")?;
        let sizes = list(&body, |item| {
            let name: Ident = item.parse()?;
            item.parse::<Token![:]>()?;
            let negative = item.peek(Token![-]);
            if negative {
                item.parse::<Token![-]>()?;
            }
            let value: i64 = item.parse::<syn::LitInt>()?.base10_parse()?;
            Ok((name.to_string(), if negative { -value } else { value }))
        })?;
        resolved.push(Resolved {
            path: path.to_string().replace(' ', ""),
            type_name: type_name.value(),
            signature: signature.value(),
            settings,
            sizes,
        });
    }
    Ok(resolved)
}

/// `expected:`, or an error at the word found instead.
fn key(input: ParseStream<'_>, expected: &str) -> syn::Result<()> {
    let key: Ident = input.parse()?;
    if key != expected {
        return Err(syn::Error::new(
            key.span(),
            format!("expected `{expected}`"),
        ));
    }
    input.parse::<Token![:]>()?;
    Ok(())
}

/// `[item, item, ..]`.
fn list<T>(
    input: ParseStream<'_>,
    item: impl Fn(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<Vec<T>> {
    let content;
    bracketed!(content in input);
    let mut items = Vec::new();
    while !content.is_empty() {
        items.push(item(&content)?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_answer_writes_model_reads() {
        let about = Resolved {
            path: "layers::Gain".into(),
            type_name: "Gain".into(),
            signature: "[n] -> [n * factor]".into(),
            settings: vec![
                ("factor".into(), FieldKind::Integer("usize")),
                ("scale".into(), FieldKind::Number),
                ("name".into(), FieldKind::Text),
            ],
            sizes: vec![("factor".into(), 2), ("offset".into(), -3)],
        };
        let description = describe(&about);
        let written = quote!(@resolved [(layers::Gain) #description] pub M {});
        let (read, _, rest) = split_resolved(written).unwrap();
        assert_eq!(read, [about]);
        assert_eq!(rest.to_string(), quote!(pub M {}).to_string());
    }

    #[test]
    fn a_model_without_answers_is_left_whole() {
        let model = quote!(pub M { x: Data { random: [1], samples: 2 } });
        let (read, done, rest) = split_resolved(model.clone()).unwrap();
        assert!(read.is_empty() && done.is_empty());
        assert_eq!(rest.to_string(), model.to_string());
    }
}
