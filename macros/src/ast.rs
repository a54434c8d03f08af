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

use percept_catalogue::{ValuePart, Written};
use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Token, Visibility, braced, bracketed, parenthesized};

use crate::callback::Resolved;

/// A whole `model!` invocation.
pub struct ModelInput {
    /// The custom component types already looked up (see [`crate::callback`]).
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

impl SettingAst {
    /// The tokens of one part of the value, for an error about that part: the name, a key or
    /// a value of `Name { key: value, .. }`, or else all of it.
    pub fn part(&self, part: ValuePart) -> TokenStream {
        let tokens: Vec<TokenTree> = self.tokens.clone().into_iter().collect();
        let Some(brace) = tokens.iter().position(
            |t| matches!(t, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace),
        ) else {
            return self.tokens.clone();
        };
        let TokenTree::Group(fields) = &tokens[brace] else {
            unreachable!("found above")
        };
        let field = |position: usize| {
            let mut fields = fields.stream().into_iter().peekable();
            for _ in 0..position {
                fields.find(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','))?;
            }
            let field: Vec<TokenTree> = fields
                .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
                .collect();
            let colon = field
                .iter()
                .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ':'))?;
            Some((
                field[..colon].iter().cloned().collect::<TokenStream>(),
                field[colon + 1..].iter().cloned().collect::<TokenStream>(),
            ))
        };
        let found = match part {
            ValuePart::Whole => None,
            ValuePart::Name => Some(tokens[..brace].iter().cloned().collect()),
            ValuePart::Key(position) => field(position).map(|(key, _)| key),
            ValuePart::Value(position) => field(position).map(|(_, value)| value),
        };
        found
            .filter(|found: &TokenStream| !found.is_empty())
            .unwrap_or_else(|| self.tokens.clone())
    }
}

impl Entry {
    /// The tokens of a setting's value, if the entry writes it.
    pub fn setting(&self, key: &str) -> Option<&TokenStream> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| &s.tokens)
    }

    /// The type's path without spaces, as [`Resolved::path`] holds it.
    pub fn path_text(&self) -> String {
        let path = &self.path;
        quote::quote!(#path).to_string().replace(' ', "")
    }
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
