//! The typed view of a `model!` invocation, every node keeping its spans.
//!
//! ```text
//! /// docs
//! pub Name {
//!     /// docs
//!     instance: Type { key: value, ... } <- input,
//!     instance: Type <- (a, b),
//! }
//! ```

use percept_catalogue::{FieldKind, Written};
use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Token, Visibility, braced, bracketed, parenthesized};

/// A whole `model!` invocation.
pub struct ModelInput {
    /// The custom component types already looked up (see [`Resolved`]).
    pub resolved: Vec<Resolved>,
    /// Doc comments and other attributes of the model.
    pub attrs: Vec<Attribute>,
    /// The visibility of the generated items.
    pub vis: Visibility,
    /// The model's name (`DigitClassifier`).
    pub name: Ident,
    /// The entries, in declaration order.
    pub entries: Vec<Entry>,
}

/// What `#[component]`'s callback told `model!` about a custom type:
/// `(path) { name: "Gain", shape: "[n] -> [n]", settings: [scale: number], sizes: [] }`.
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

/// One `instance: Type { .. } <- inputs,` entry.
pub struct Entry {
    /// Its doc comments.
    pub attrs: Vec<Attribute>,
    /// The instance name.
    pub name: Ident,
    /// The component type as written (`Dense`, `layers::Gain`).
    pub path: syn::Path,
    /// The type's name: the path's last segment.
    pub ty: Ident,
    /// The settings, as written.
    pub settings: Vec<SettingAst>,
    /// The inputs, in order.
    pub inputs: Vec<Ident>,
}

/// One `key: value` setting.
pub struct SettingAst {
    /// The key.
    pub key: Ident,
    /// The value.
    pub value: Written,
    /// The value's tokens, for errors that point at all of it.
    pub tokens: TokenStream,
}

/// What comes before a model's `{ ... }`: enough to emit the model's struct when the rest
/// does not parse.
pub struct ModelHead {
    /// Doc comments and other attributes of the model.
    pub attrs: Vec<Attribute>,
    /// The visibility of the generated items.
    pub vis: Visibility,
    /// The model's name.
    pub name: Ident,
}

impl Parse for ModelHead {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let head = ModelHead {
            attrs: input.call(Attribute::parse_outer)?,
            vis: input.parse()?,
            name: input.parse()?,
        };
        input.parse::<proc_macro2::TokenStream>()?;
        Ok(head)
    }
}

impl Parse for ModelInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let name = input.parse()?;
        let body;
        braced!(body in input);
        let mut entries = Vec::new();
        while !body.is_empty() {
            entries.push(body.parse()?);
            if body.is_empty() {
                break;
            }
            body.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(
                input.error("`model!` declares one model: nothing may follow its `{ ... }`")
            );
        }
        Ok(ModelInput {
            resolved: Vec::new(),
            attrs,
            vis,
            name,
            entries,
        })
    }
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let path = syn::Path::parse_mod_style(input)?;
        let ty = path
            .segments
            .last()
            .expect("a path has a segment")
            .ident
            .clone();
        let mut settings = Vec::new();
        if input.peek(syn::token::Brace) {
            let body;
            braced!(body in input);
            while !body.is_empty() {
                let key: Ident = body.parse()?;
                body.parse::<Token![:]>()?;
                // The value's tokens run to the next comma at this level.
                let mut tokens = TokenStream::new();
                while !body.is_empty() && !body.peek(Token![,]) {
                    tokens.extend([body.parse::<TokenTree>()?]);
                }
                if tokens.is_empty() {
                    return Err(body.error("expected a setting value after `:`"));
                }
                let value = parse_value.parse2(tokens.clone())?;
                settings.push(SettingAst { key, value, tokens });
                if body.is_empty() {
                    break;
                }
                body.parse::<Token![,]>()?;
            }
        }
        let mut inputs = Vec::new();
        if input.peek(Token![<-]) {
            input.parse::<Token![<-]>()?;
            if input.peek(syn::token::Paren) {
                let list;
                parenthesized!(list in input);
                inputs = Punctuated::<Ident, Token![,]>::parse_terminated(&list)?
                    .into_iter()
                    .collect();
            } else {
                inputs.push(input.parse()?);
            }
        }
        Ok(Entry {
            attrs,
            name,
            path,
            ty,
            settings,
            inputs,
        })
    }
}

impl Entry {
    /// The type's path without spaces, as [`Resolved::path`] holds it.
    pub fn path_text(&self) -> String {
        let path = &self.path;
        quote::quote!(#path).to_string().replace(' ', "")
    }
}

/// Splits `@resolved [ ... ]` (what `#[component]` callbacks put in front of the model) from the
/// model's own tokens.
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

/// `(path) { name: "...", shape: "...", settings: [key: kind, ...], sizes: [key: value, ...] } ...`
fn parse_resolved(input: ParseStream<'_>) -> syn::Result<Vec<Resolved>> {
    let mut resolved = Vec::new();
    while !input.is_empty() {
        let path;
        parenthesized!(path in input);
        let path: TokenStream = path.parse()?;
        let body;
        braced!(body in input);
        let key: Ident = body.parse()?;
        body.parse::<Token![:]>()?;
        if key != "name" {
            return Err(syn::Error::new(key.span(), "expected `name`"));
        }
        let type_name: syn::LitStr = body.parse()?;
        body.parse::<Token![,]>()?;
        let key: Ident = body.parse()?;
        body.parse::<Token![:]>()?;
        let signature: syn::LitStr = body.parse()?;
        body.parse::<Token![,]>()?;
        if key != "shape" {
            return Err(syn::Error::new(key.span(), "expected `shape`"));
        }
        let key: Ident = body.parse()?;
        body.parse::<Token![:]>()?;
        if key != "settings" {
            return Err(syn::Error::new(key.span(), "expected `settings`"));
        }
        let list;
        bracketed!(list in body);
        let mut settings = Vec::new();
        while !list.is_empty() {
            let name: Ident = list.parse()?;
            list.parse::<Token![:]>()?;
            let kind: Ident = list.parse()?;
            let kind = FieldKind::from_name(&kind.to_string())
                .ok_or_else(|| syn::Error::new(kind.span(), "unknown value kind"))?;
            settings.push((name.to_string(), kind));
            if list.is_empty() {
                break;
            }
            list.parse::<Token![,]>()?;
        }
        body.parse::<Token![,]>()?;
        let key: Ident = body.parse()?;
        body.parse::<Token![:]>()?;
        if key != "sizes" {
            return Err(syn::Error::new(key.span(), "expected `sizes`"));
        }
        let list;
        bracketed!(list in body);
        let mut sizes = Vec::new();
        while !list.is_empty() {
            let name: Ident = list.parse()?;
            list.parse::<Token![:]>()?;
            let negative = list.peek(Token![-]);
            if negative {
                list.parse::<Token![-]>()?;
            }
            let value: i64 = list.parse::<syn::LitInt>()?.base10_parse()?;
            sizes.push((name.to_string(), if negative { -value } else { value }));
            if list.is_empty() {
                break;
            }
            list.parse::<Token![,]>()?;
        }
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

/// A setting's value: a number (or a product or quotient of numbers, `1.0 / 255.0`), a
/// boolean, a string, `[dims]`, `a..b`, a name or a path, or `Name { key: value, .. }`.
fn parse_value(input: ParseStream<'_>) -> syn::Result<Written> {
    let mut value = parse_term(input)?;
    while input.peek(Token![/]) || input.peek(Token![*]) {
        let divide = input.peek(Token![/]);
        if divide {
            input.parse::<Token![/]>()?;
        } else {
            input.parse::<Token![*]>()?;
        }
        let (Some(a), Some(b)) = (number(&value), number(&parse_term(input)?)) else {
            return Err(input.error("`*` and `/` combine numbers only"));
        };
        value = Written::Float(if divide { a / b } else { a * b });
    }
    Ok(value)
}

fn number(value: &Written) -> Option<f64> {
    match value {
        Written::Integer(n) => Some(*n as f64),
        Written::Float(x) => Some(*x),
        _ => None,
    }
}

fn parse_term(input: ParseStream<'_>) -> syn::Result<Written> {
    let negative = input.peek(Token![-]);
    if negative {
        input.parse::<Token![-]>()?;
    }
    if input.peek(syn::LitFloat) {
        let lit: syn::LitFloat = input.parse()?;
        let value: f64 = lit.base10_parse()?;
        return Ok(Written::Float(if negative { -value } else { value }));
    }
    if input.peek(syn::LitInt) {
        let lit: syn::LitInt = input.parse()?;
        if negative {
            let value: f64 = lit.base10_parse()?;
            return Ok(Written::Float(-value));
        }
        let start: u64 = lit.base10_parse()?;
        if input.peek(Token![..]) {
            input.parse::<Token![..]>()?;
            let end: syn::LitInt = input.parse()?;
            return Ok(Written::Range(start, end.base10_parse()?));
        }
        return Ok(Written::Integer(start));
    }
    if negative {
        return Err(input.error("expected a number after `-`"));
    }
    if input.peek(syn::LitBool) {
        return Ok(Written::Bool(input.parse::<syn::LitBool>()?.value));
    }
    if input.peek(syn::LitStr) {
        return Ok(Written::Text(input.parse::<syn::LitStr>()?.value()));
    }
    if input.peek(syn::token::Bracket) {
        let list;
        bracketed!(list in input);
        let dims = Punctuated::<syn::LitInt, Token![,]>::parse_terminated(&list)?;
        return dims
            .iter()
            .map(|d| d.base10_parse())
            .collect::<syn::Result<_>>()
            .map(Written::List);
    }
    if input.peek(Ident) {
        let path: syn::Path = input.parse()?;
        let name = path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::");
        if input.peek(syn::token::Brace) {
            let body;
            braced!(body in input);
            let mut fields = Vec::new();
            while !body.is_empty() {
                let key: Ident = body.parse()?;
                body.parse::<Token![:]>()?;
                fields.push((key.to_string(), parse_value(&body)?));
                if body.is_empty() {
                    break;
                }
                body.parse::<Token![,]>()?;
            }
            return Ok(Written::Struct(name, fields));
        }
        return Ok(Written::Name(name));
    }
    Err(input.error(
        "expected a setting value: a number, `true`/`false`, a string, `[dims]`, `a..b`, a name like `Relu`, or `Adam { learning_rate: 0.001 }`",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_design_model() {
        let model: ModelInput = syn::parse_str(
            r#"
            /// Classifies digits.
            pub DigitClassifier {
                images:  Data { source: Digits::Images },
                labels:  Data { source: Digits::Labels },
                reshape: Reshape { shape: [8, 8, 1] } <- images,
                conv:    Conv { filters: 16, kernel: 3, activation: Relu } <- reshape,
                flat:    Flatten <- conv,
                fc:      Dense { units: 10, activation: Softmax } <- flat,
                train:   Classification { epochs: 30, batch_size: 32,
                                          optimizer: Adam { learning_rate: 0.001 } } <- (fc, labels),
            }
            "#,
        )
        .unwrap();
        assert_eq!(model.name, "DigitClassifier");
        assert_eq!(model.entries.len(), 7);
        let train = &model.entries[6];
        assert_eq!(
            train
                .inputs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["fc", "labels"]
        );
        assert_eq!(
            train.settings[2].value,
            Written::Struct(
                "Adam".into(),
                vec![("learning_rate".into(), Written::Float(0.001))]
            )
        );
        assert_eq!(
            model.entries[0].settings[0].value,
            Written::Name("Digits::Images".into())
        );
        assert_eq!(
            model.entries[2].settings[0].value,
            Written::List(vec![8, 8, 1])
        );
        assert!(model.entries[4].settings.is_empty());
    }

    #[test]
    fn parses_every_kind_of_value() {
        let entry: Entry = syn::parse_str(
            r#"x: T { a: 1, b: -0.5, c: true, d: "f.csv", e: 0..4, f: Name, g: -2 } <- y"#,
        )
        .unwrap();
        let values: Vec<Written> = entry.settings.into_iter().map(|s| s.value).collect();
        assert_eq!(
            values,
            [
                Written::Integer(1),
                Written::Float(-0.5),
                Written::Bool(true),
                Written::Text("f.csv".into()),
                Written::Range(0, 4),
                Written::Name("Name".into()),
                Written::Float(-2.0),
            ]
        );
    }

    #[test]
    fn numbers_may_be_divided_and_multiplied() {
        let entry: Entry = syn::parse_str("x: T { a: 1.0 / 255.0, b: 2 * 3 }").unwrap();
        assert_eq!(entry.settings[0].value, Written::Float(1.0 / 255.0));
        assert_eq!(entry.settings[1].value, Written::Float(6.0));
    }

    #[test]
    fn a_bad_value_says_what_is_expected() {
        let err = syn::parse_str::<Entry>("x: T { a: + }").err().unwrap();
        assert!(
            err.to_string().starts_with("expected a setting value"),
            "{err}"
        );
    }
}
