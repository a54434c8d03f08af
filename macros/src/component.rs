//! `#[component(shape = ...)]`: makes a user's struct a custom component.
//!
//! The attribute keeps the struct (without its `#[weight]`, `#[bias]` and `#[setting]`
//! markers) and adds:
//! - `{Type}Settings`, the `#[setting]` fields with their defaults, implementing
//!   `CustomType` (type name, signature, the user's source, parameter names);
//! - `CustomComponent<B>` for the struct, calling the user's `init` and `call`;
//! - a callback `macro_rules!` under the struct's own name (macros live in their own namespace,
//!   so wherever `Type` can be named, so can `Type!`). `model!` cannot read another item, so when
//!   it meets an entry of a type it does not know it expands to `Type! { .. }`, and the callback
//!   expands to `model!` again with the signature and settings of `Type` added in front.

use percept_catalogue::{FieldKind, Signature};
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Attribute, Error, Fields, GenericParam, Ident, ItemStruct, Token};

use crate::callback::{self, Resolved};
use crate::diagnostics::Diagnostics;

/// The expansion of `#[component(args)] item`; on an error, the error and the struct without
/// its markers, so that the user's `impl` adds no follow-on errors.
pub fn component(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut strukt: ItemStruct = match syn::parse2(item) {
        Ok(s) => s,
        Err(e) => {
            return Error::new(e.span(), format!("`#[component]` goes on a struct: {e}"))
                .to_compile_error();
        }
    };
    let roles = take_roles(&mut strukt);
    match expand(args, &strukt, roles) {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#error #strukt)
        }
    }
}

/// What a field is for.
enum Role {
    Weight,
    Bias,
    /// A setting, with its default (`None`: `Default::default()`).
    Setting(Option<syn::Expr>),
    /// A `PhantomData` marker (for a component without parameters, to use `B`).
    Phantom,
}

fn is_phantom(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "PhantomData"))
}

/// Removes the `#[weight]`, `#[bias]` and `#[setting]` markers, returning each field's role or
/// the error about it.
fn take_roles(strukt: &mut ItemStruct) -> Vec<syn::Result<Role>> {
    let Fields::Named(fields) = &mut strukt.fields else {
        return Vec::new();
    };
    fields
        .named
        .iter_mut()
        .map(|field| {
            let mut roles = Vec::new();
            field.attrs.retain(|attr| {
                let marker = ["weight", "bias", "setting"]
                    .into_iter()
                    .find(|m| attr.path().is_ident(m));
                if let Some(marker) = marker {
                    roles.push((marker, attr.clone()));
                }
                marker.is_none()
            });
            let name = field.ident.as_ref().expect("named fields");
            match roles.as_slice() {
                [] if is_phantom(&field.ty) => Ok(Role::Phantom),
                [] => Err(Error::new(
                    name.span(),
                    format!(
                        "`{name}` needs a role: mark it `#[weight]` or `#[bias]` (a `Param<Tensor<B, D>>` that training updates) or `#[setting]` (a value `model!` can set, with a default); only a `PhantomData` needs none"
                    ),
                )),
                [(_, first), (_, second), ..] => Err(Error::new_spanned(
                    quote!(#first #second),
                    format!("`{name}` has two roles; keep one of `#[weight]`, `#[bias]` and `#[setting]`"),
                )),
                [("weight", attr)] | [("bias", attr)] if !matches!(attr.meta, syn::Meta::Path(_)) => {
                    Err(Error::new_spanned(attr, "`#[weight]` and `#[bias]` take no arguments"))
                }
                [("weight", _)] => Ok(Role::Weight),
                [("bias", _)] => Ok(Role::Bias),
                [(_, attr)] => setting_default(attr).map(Role::Setting),
            }
        })
        .collect()
}

/// `#[setting]` or `#[setting(default = expr)]`.
fn setting_default(attr: &Attribute) -> syn::Result<Option<syn::Expr>> {
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return Ok(None);
    }
    let wrong = || {
        Error::new_spanned(
            attr,
            "write `#[setting]` (the default is the type's `Default`) or `#[setting(default = value)]`",
        )
    };
    let parser = |input: syn::parse::ParseStream<'_>| {
        let key: Ident = input.parse()?;
        if key != "default" {
            return Err(wrong());
        }
        input.parse::<Token![=]>()?;
        input.parse::<syn::Expr>()
    };
    attr.parse_args_with(parser).map(Some).map_err(|_| wrong())
}

fn expand(
    args: TokenStream,
    strukt: &ItemStruct,
    roles: Vec<syn::Result<Role>>,
) -> syn::Result<TokenStream> {
    let name = &strukt.ident;
    let Fields::Named(fields) = &strukt.fields else {
        return Err(Error::new(
            name.span(),
            "a `#[component]` struct has named fields: `#[weight]`s, `#[bias]`es and `#[setting]`s",
        ));
    };
    // Every independent mistake is reported in one build.
    let mut diagnostics = Diagnostics::default();
    let backend = backend_param(strukt).map_err(|e| diagnostics.push(e)).ok();
    let mut weights = Vec::new();
    let mut biases = Vec::new();
    let mut settings = Vec::new();
    let mut phantoms = Vec::new();
    for (field, role) in fields.named.iter().zip(roles) {
        match role {
            Ok(Role::Weight) => weights.push(field),
            Ok(Role::Bias) => biases.push(field),
            Ok(Role::Setting(default)) => settings.push((field, default)),
            Ok(Role::Phantom) => phantoms.push(&field.ident),
            Err(e) => diagnostics.push(e),
        }
    }
    // Integer settings may size the signature's dimensions.
    let integers: Vec<String> = settings
        .iter()
        .filter(|(field, _)| matches!(setting_kind(field), FieldKind::Integer(_)))
        .map(|(field, _)| field.ident.as_ref().expect("named").to_string())
        .collect();
    let signature = signature(args, &integers)
        .map_err(|e| diagnostics.push(e))
        .ok();
    // Those it names must have a default `model!` can read.
    let mut sizes = Vec::new();
    for (field, default) in &settings {
        let ident = field.ident.as_ref().expect("named");
        if !signature
            .as_ref()
            .is_some_and(|s| s.settings.contains(&ident.to_string()))
        {
            continue;
        }
        match default.as_ref().and_then(integer_literal) {
            Some(value) => sizes.push((ident, value)),
            None => diagnostics.at(
                ident.span(),
                format!(
                    "`{ident}` sizes the shape signature, so `model!` needs its default written as a number: `#[setting(default = 10)]`"
                ),
            ),
        }
    }
    diagnostics.finish()?;
    let (Some(signature), Some(backend)) = (signature, backend) else {
        unreachable!("a failed check reported an error")
    };

    let burn = quote!(::percept::__private::burn);
    let rt = quote!(::percept::__private::percept_runtime);
    let custom = quote!(#rt::components::custom);
    let vis = &strukt.vis;
    let settings_name = format_ident!("{name}Settings");
    let type_text = name.to_string();
    let signature_text = signature.text.clone();

    // The settings struct.
    let setting_fields = settings.iter().map(|(field, _)| {
        let docs: Vec<&Attribute> = field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .collect();
        let ident = field.ident.as_ref().expect("named");
        let ty = &field.ty;
        // The field becomes public here: it needs docs in crates that ask for them.
        let fallback = docs
            .is_empty()
            .then(|| format!(" The `{ident}` setting of [`{type_text}`]."));
        let fallback = fallback.map(|doc| quote!(#[doc = #doc]));
        quote!(#(#docs)* #fallback pub #ident: #ty,)
    });
    let defaults = settings.iter().map(|(field, default)| {
        let ident = &field.ident;
        match default {
            // A string literal may stand for a `String`.
            Some(
                value @ syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(_),
                    ..
                }),
            ) => quote_spanned!(value.span()=> #ident: ::core::convert::Into::into(#value),),
            Some(value) => quote_spanned!(value.span()=> #ident: #value,),
            None => quote!(#ident: ::core::default::Default::default(),),
        }
    });
    let values = settings.iter().map(|(field, _)| {
        let ident = field.ident.as_ref().expect("named");
        let key = ident.to_string();
        quote!((::std::string::String::from(#key), ::std::format!("{:?}", self.#ident)))
    });
    let settings_doc = format!(
        " The settings of [`{type_text}`]: its `#[setting]` fields, as `model!` writes them (`{type_text} {{ key: value }}`), with their defaults."
    );

    // The parameters, weights first.
    let params: Vec<&syn::Field> = weights.iter().chain(&biases).copied().collect();
    let weight_names = weights
        .iter()
        .map(|f| f.ident.as_ref().expect("named").to_string());
    let bias_names = biases
        .iter()
        .map(|f| f.ident.as_ref().expect("named").to_string());
    let into_params = params.iter().map(|field| {
        let ident = &field.ident;
        let ty = &field.ty;
        quote_spanned!(ty.span()=> <#ty as #custom::ParamField<#backend>>::into_any(self.#ident))
    });
    let from_params = params.iter().enumerate().map(|(i, field)| {
        let ident = &field.ident;
        let ty = &field.ty;
        quote_spanned! {ty.span()=>
            #ident: <#ty as #custom::ParamField<#backend>>::from_any(&params[#i])
                .expect("the graph keeps each parameter's rank"),
        }
    });
    let setting_idents: Vec<&Option<Ident>> = settings.iter().map(|(f, _)| &f.ident).collect();

    // The calls into the user's `init` and `call`, ranked by the signature; errors in them
    // point at the signature.
    let at = signature.span;
    let dims = signature
        .ranks
        .iter()
        .enumerate()
        .map(|(i, rank)| quote_spanned!(at=> #custom::input_dims::<#rank>(&inputs[#i])));
    let tensors = signature.ranks.iter().enumerate().map(|(i, rank)| {
        let rank = rank + 1;
        quote_spanned!(at=> inputs[#i].user_tensor::<#rank>(this)?)
    });
    let out_rank = signature.output_rank + 1;
    // A component whose signature a setting sizes gets its settings in `init`, to size its
    // parameters; the others get them assigned after `init`.
    let (init_settings, init_settings_param) = if sizes.is_empty() {
        (None, None)
    } else {
        (Some(quote!(settings,)), Some(quote!(_: &#settings_name,)))
    };
    let init = quote_spanned!(name.span()=> Self::init(#(#dims,)* #init_settings device));
    let call = quote_spanned!(name.span()=> self.call(#(#tensors,)* is_training));
    let output_type = quote_spanned!(at=> #burn::prelude::Tensor<#backend, #out_rank>);
    // Stand-ins that the user's own `init` and `call` take precedence over (inherent items
    // come first); used only when one is missing, they fail with a message saying what to add.
    let init_args = signature.ranks.iter().map(|rank| quote!([usize; #rank]));
    let call_args = signature.ranks.iter().map(|rank| {
        let rank = rank + 1;
        quote!(#burn::prelude::Tensor<#backend, #rank>)
    });
    let stand_ins = quote_spanned! {name.span()=>
        #[allow(dead_code, clippy::too_many_arguments)]
        trait __PerceptStandIn<#backend: #burn::prelude::Backend>: ::core::marker::Sized {
            fn init(#(_: #init_args,)* #init_settings_param _: &#backend::Device) -> Self
            where
                Self: #custom::MissingInit,
            {
                ::core::unreachable!()
            }
            fn call(&self, #(_: #call_args,)* _: bool) -> #output_type
            where
                Self: #custom::MissingCall,
            {
                ::core::unreachable!()
            }
        }
        impl<#backend: #burn::prelude::Backend> __PerceptStandIn<#backend> for #name<#backend> {}
    };
    let arity = signature.ranks.len();

    let size_values = sizes.iter().map(|(ident, _)| {
        let key = ident.to_string();
        quote!((::std::string::String::from(#key), self.#ident as i64))
    });
    let source = source_of(strukt);
    let callback = callback::answer(
        &strukt.ident,
        &strukt.vis,
        &Resolved {
            path: String::new(),
            type_name: strukt.ident.to_string(),
            signature: signature_text.clone(),
            settings: settings
                .iter()
                .map(|(field, _)| {
                    let key = field.ident.as_ref().expect("named").to_string();
                    (key, setting_kind(field))
                })
                .collect(),
            sizes: sizes
                .iter()
                .map(|(ident, value)| (ident.to_string(), *value))
                .collect(),
        },
    );

    Ok(quote! {
        #strukt

        #[doc = #settings_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone)]
        #vis struct #settings_name {
            #(#setting_fields)*
        }

        impl ::core::default::Default for #settings_name {
            fn default() -> Self {
                Self { #(#defaults)* }
            }
        }

        impl #custom::CustomType for #settings_name {
            type Component<#backend: #burn::prelude::Backend> = #name<#backend>;
            const TYPE: &'static str = #type_text;
            const SIGNATURE: &'static str = #signature_text;
            const SOURCE: &'static str = #source;
            const WEIGHTS: &'static [&'static str] = &[#(#weight_names),*];
            const BIASES: &'static [&'static str] = &[#(#bias_names),*];

            fn values(&self) -> ::std::vec::Vec<(::std::string::String, ::std::string::String)> {
                ::std::vec![#(#values),*]
            }

            fn sizes(&self) -> ::std::vec::Vec<(::std::string::String, i64)> {
                ::std::vec![#(#size_values),*]
            }
        }

        impl<#backend: #burn::prelude::Backend> #custom::CustomComponent<#backend> for #name<#backend> {
            type Settings = #settings_name;

            fn build(
                settings: &#settings_name,
                inputs: &[#rt::catalogue::Shape],
                device: &#backend::Device,
            ) -> Self {
                ::core::assert_eq!(inputs.len(), #arity, "the signature fixed the number of inputs");
                #stand_ins
                #[allow(unused_mut)]
                let mut component: Self = #init;
                #(component.#setting_idents = ::core::clone::Clone::clone(&settings.#setting_idents);)*
                component
            }

            fn into_params(self) -> ::std::vec::Vec<#custom::AnyParam<#backend>> {
                ::std::vec![#(#into_params),*]
            }

            #[allow(unused_variables)]
            fn from_params(settings: &#settings_name, params: &[#custom::AnyParam<#backend>]) -> Self {
                Self {
                    #(#from_params)*
                    #(#setting_idents: ::core::clone::Clone::clone(&settings.#setting_idents),)*
                    #(#phantoms: ::core::marker::PhantomData,)*
                }
            }

            fn run(
                &self,
                this: &str,
                inputs: &[&#rt::Value<#backend>],
                is_training: bool,
            ) -> #rt::Result<#rt::Value<#backend>> {
                #stand_ins
                let output: #output_type = #call;
                ::core::result::Result::Ok(#rt::Value::from_user(output))
            }
        }

        #callback
    })
}

/// The kind of value a setting field takes, from its type.
fn setting_kind(field: &syn::Field) -> FieldKind {
    let ty = &field.ty;
    FieldKind::of_type(&quote!(#ty).to_string())
}

/// The value of an integer literal default (`10`, `-1`).
fn integer_literal(expr: &syn::Expr) -> Option<i64> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(int),
            ..
        }) => int.base10_parse().ok(),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => integer_literal(expr).map(|v| -v),
        _ => None,
    }
}

/// The struct's one generic parameter, the backend.
fn backend_param(strukt: &ItemStruct) -> syn::Result<Ident> {
    let params: Vec<&GenericParam> = strukt.generics.params.iter().collect();
    match params.as_slice() {
        [GenericParam::Type(t)] => Ok(t.ident.clone()),
        _ => Err(Error::new(
            if params.is_empty() {
                strukt.ident.span()
            } else {
                strukt.generics.span()
            },
            format!(
                "a `#[component]` struct is generic over the burn backend and nothing else: `struct {}<B: Backend>`",
                strukt.ident
            ),
        )),
    }
}

/// A parsed `shape = ...` argument.
struct ParsedSignature {
    /// As `Signature` prints it.
    text: String,
    /// Each input's per-element rank.
    ranks: Vec<usize>,
    /// The output's per-element rank.
    output_rank: usize,
    /// The settings it names.
    settings: Vec<String>,
    /// The argument's tokens, for errors in the code that uses the ranks.
    span: Span,
}

/// Parses `shape = [..] -> [..]`, pointing errors at the token at fault.
fn signature(args: TokenStream, integers: &[String]) -> syn::Result<ParsedSignature> {
    let usage = "`#[component]` needs the component's shape signature, as in `#[component(shape = [n] -> [n])]`";
    let parser = |input: syn::parse::ParseStream<'_>| {
        let key: Ident = input.parse().map_err(|e| Error::new(e.span(), usage))?;
        if key != "shape" {
            return Err(Error::new(
                key.span(),
                format!(
                    "`#[component]` takes `shape = ...`, not `{key}`; as in `#[component(shape = [n] -> [n])]`"
                ),
            ));
        }
        input
            .parse::<Token![=]>()
            .map_err(|e| Error::new(e.span(), usage))?;
        input.parse::<TokenStream>()
    };
    if args.is_empty() {
        return Err(Error::new(Span::call_site(), usage));
    }
    let tokens = parser.parse2(args)?;
    let span = tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    let span = tokens
        .clone()
        .into_iter()
        .last()
        .and_then(|t| span.join(t.span()))
        .unwrap_or(span);
    let (text, spans) = flatten(tokens);
    let integers: Vec<&str> = integers.iter().map(String::as_str).collect();
    let parsed = Signature::parse_with(&text, &integers).map_err(
        |e: percept_catalogue::SignatureError| {
            let at = spans
                .iter()
                .rev()
                .find(|(start, _)| *start <= e.at)
                .map_or(span, |(_, s)| *s);
            Error::new(at, format!("in the shape signature: {}", e.message))
        },
    )?;
    Ok(ParsedSignature {
        settings: integers
            .iter()
            .filter(|i| parsed.names().contains(i))
            .map(|i| i.to_string())
            .collect(),
        text: parsed.to_string(),
        ranks: parsed.inputs.iter().map(Vec::len).collect(),
        output_rank: parsed.output.len(),
        span,
    })
}

/// The tokens as text, with the character offset and span of each token.
fn flatten(tokens: TokenStream) -> (String, Vec<(usize, Span)>) {
    fn push(piece: &str, span: Span, text: &mut String, spans: &mut Vec<(usize, Span)>) {
        if !text.is_empty() && !text.ends_with('-') {
            text.push(' ');
        }
        spans.push((text.chars().count(), span));
        text.push_str(piece);
    }
    fn walk(tokens: TokenStream, text: &mut String, spans: &mut Vec<(usize, Span)>) {
        for token in tokens {
            match token {
                TokenTree::Group(group) => {
                    let (open, close) = match group.delimiter() {
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::None => ("", ""),
                    };
                    push(open, group.span_open(), text, spans);
                    walk(group.stream(), text, spans);
                    push(close, group.span_close(), text, spans);
                }
                other => push(&other.to_string(), other.span(), text, spans),
            }
        }
    }
    let mut text = String::new();
    let mut spans = Vec::new();
    walk(tokens, &mut text, &mut spans);
    (text, spans)
}

/// The user's source for the code view: the struct as written and its inherent `impl` blocks
/// from the same module, pretty-printed; the struct alone when the file cannot be read.
fn source_of(strukt: &ItemStruct) -> String {
    let from_file = proc_macro::Span::call_site()
        .local_file()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| syn::parse_file(&text).ok())
        .and_then(|file| items_of(&file.items, &strukt.ident));
    let items = from_file.unwrap_or_else(|| vec![syn::Item::Struct(strukt.clone())]);
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items,
    })
}

/// The `#[component]` struct named `name` and the inherent impls of `name` next to it, searching
/// inline modules too.
fn items_of(items: &[syn::Item], name: &Ident) -> Option<Vec<syn::Item>> {
    let is_it = |item: &syn::Item| {
        matches!(item, syn::Item::Struct(s) if s.ident == *name
            && s.attrs.iter().any(|a| a.path().segments.last().is_some_and(|p| p.ident == "component")))
    };
    if let Some(strukt) = items.iter().find(|i| is_it(i)) {
        let impls = items.iter().filter(|item| {
            matches!(item, syn::Item::Impl(i) if i.trait_.is_none()
                && matches!(&*i.self_ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == *name)))
        });
        return Some(std::iter::once(strukt).chain(impls).cloned().collect());
    }
    items.iter().find_map(|item| match item {
        syn::Item::Mod(m) => m
            .content
            .as_ref()
            .and_then(|(_, items)| items_of(items, name)),
        _ => None,
    })
}
