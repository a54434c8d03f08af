//! Generates the code of a checked model: one struct per component, in a module named after
//! the model, and the model struct. The generated code only wires runtime pieces together:
//! the settings are replayed as written through the catalogue, the behaviour is the runtime's.

use percept_catalogue::{FieldKind, Settings, Written};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use crate::ast::Entry;
use crate::ast::ModelInput;
use crate::check::Checked;

/// On a parse error: the error, and the model's struct with its methods (never run), so that
/// code that names the model, calls `new()` or `run()` adds no error of its own.
pub fn stub(tokens: TokenStream, error: syn::Error) -> TokenStream {
    let Ok(head) = syn::parse2::<crate::ast::ModelHead>(tokens) else {
        return error.to_compile_error();
    };
    let model = ModelInput {
        resolved: Vec::new(),
        attrs: head.attrs,
        vis: head.vis,
        name: head.name,
        entries: Vec::new(),
    };
    let mut diagnostics = crate::diagnostics::Diagnostics::default();
    diagnostics.push(error);
    let checked = Checked {
        entries: Vec::new(),
        files_read: Vec::new(),
        wiring: None,
        diagnostics,
    };
    expand(&model, &checked)
}

/// The model's code, with the errors (if any) as `compile_error!`s next to it.
pub fn expand(model: &ModelInput, checked: &Checked) -> TokenStream {
    let failed = !checked.diagnostics.is_empty();
    let errors = checked.diagnostics.to_compile_errors();
    let rt = quote!(::percept::__private::percept_runtime);
    let backend = quote!(::percept::__private::burn::prelude::Backend);
    let vis = &model.vis;
    let attrs = &model.attrs;
    let name = &model.name;
    let name_text = name.to_string();
    let module = Ident::new(&snake_case(&name_text), name.span());

    let mut counts = std::collections::HashMap::<String, usize>::new();
    let classes: Vec<Ident> = model
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            // A custom type imported under another name keeps its own name.
            let ty = checked.entries[i]
                .settings
                .as_ref()
                .map_or_else(|| entry.ty.to_string(), |s| s.type_name().to_string());
            let n = counts.entry(ty.clone()).or_default();
            *n += 1;
            let category = checked.entries[i]
                .settings
                .as_ref()
                .map_or("Unknown", |s| s.category().prefix());
            format_ident!("{category}{ty}_{ty}_{n}", span = entry.ty.span())
        })
        .collect();

    let structs = model.entries.iter().enumerate().map(|(i, entry)| {
        let class = &classes[i];
        let docs = &entry.attrs;
        let (category, type_name) = checked.entries[i].settings
            .as_ref()
            .map_or(("Unknown", "Unknown"), |s| (s.category().prefix(), s.type_name()));
        let forward = forward(model, checked, i, class);
        let definition = quote! {
            #(#docs)*
            #[allow(non_camel_case_types)]
            pub struct #class<B: #backend>(pub(super) #rt::graph::Handle<B>);

            #forward
        };
        // What PerceptiLabs' code view shows: the component's generated class, its computation
        // included, pretty-printed once here; for a custom component, the user's own source.
        let code = if checked.entries[i].custom.is_some() {
            quote!(self.0.code())
        } else {
            let source = match syn::parse2::<syn::File>(definition.clone()) {
                Ok(file) => format!("// {}: {}\n{}", entry.name, declaration(entry), prettyplease::unparse(&file)),
                Err(_) => String::new(),
            };
            quote!(::std::string::String::from(#source))
        };
        quote! {
            #definition

            impl<B: #backend> ::percept::Component<B> for #class<B> {
                const CATEGORY: &'static str = #category;
                const TYPE: &'static str = #type_name;
                fn name(&self) -> &str { self.0.name() }
                fn instance(&self) -> &str { self.0.instance() }
                fn weights(&self) -> #rt::Tensors { self.0.weights() }
                fn biases(&self) -> #rt::Tensors { self.0.biases() }
                fn trainable_variables(&self) -> #rt::Tensors { self.0.trainable_variables() }
                fn variables(&self) -> #rt::Tensors { self.0.variables() }
                fn get_sample(&self) -> ::core::option::Option<::percept::__private::burn::prelude::TensorData> { self.0.get_sample() }
                fn gradients(&self) -> #rt::Tensors { self.0.gradients() }
                fn code(&self) -> ::std::string::String { #code }
            }
        }
    });

    // A second entry of a name already taken was reported; it gets no field, so that the
    // struct adds no error of its own.
    let first = |i: usize| {
        !model.entries[..i]
            .iter()
            .any(|e| e.name == model.entries[i].name)
    };
    let fields = model
        .entries
        .iter()
        .enumerate()
        .filter(|&(i, _)| first(i))
        .map(|(i, entry)| {
            let docs = &entry.attrs;
            let field = &entry.name;
            let class = &classes[i];
            quote!(#(#docs)* pub #field: #module::#class<B>,)
        });
    let handles = model
        .entries
        .iter()
        .enumerate()
        .filter(|&(i, _)| first(i))
        .map(|(i, entry)| {
            let field = &entry.name;
            let class = &classes[i];
            quote!(#field: #module::#class(__percept_shared.handle(#i)),)
        });
    let builder = if failed {
        quote!(::core::unreachable!("`model!` reported errors"))
    } else {
        let adds = model.entries.iter().enumerate().map(|(i, entry)| {
            let instance = entry.name.to_string();
            let inputs = entry.inputs.iter().map(ToString::to_string);
            if let Some(custom) = checked.entries[i].custom {
                return add_custom(entry, custom);
            }
            // The typed settings as checked, a data file's shape included (read from its
            // header at expansion: no need to read it again).
            let settings = checked.entries[i]
                .settings
                .as_ref()
                .expect("a model without errors has every setting");
            let settings = crate::tokens::expression(settings).unwrap_or_else(|e| {
                syn::Error::new(
                    entry.ty.span(),
                    format!("percept cannot write these settings: {e} (please report this)"),
                )
                .to_compile_error()
            });
            quote! {
                .add(
                    #instance,
                    #settings,
                    &[#(#inputs),*],
                )
            }
        });
        quote! {
            #rt::ModelBuilder::new(#name_text)
                .base_dir(::core::env!("CARGO_MANIFEST_DIR"))
                #(#adds)*
        }
    };
    // The builder with what the compile-time check found, so that `new()` does not check the
    // model again.
    let checked_builder = match (&checked.wiring, failed) {
        (Some(wiring), false) => {
            let outputs = checked.entries.iter().map(|e| {
                let signal = e
                    .output
                    .as_ref()
                    .expect("a model without errors has every output");
                crate::tokens::expression(signal).expect("a signal is plain data")
            });
            let lists = |lists: &[Vec<usize>]| -> Vec<TokenStream> {
                lists.iter().map(|l| quote!(::std::vec![#(#l),*])).collect()
            };
            let (inputs, consumers) = (lists(&wiring.inputs), lists(&wiring.consumers));
            let (order, training) = (&wiring.order, wiring.training);
            quote! {
                Self::builder().checked_at_compile_time(
                    ::percept::catalogue::Wiring {
                        inputs: ::std::vec![#(#inputs),*],
                        consumers: ::std::vec![#(#consumers),*],
                        order: ::std::vec![#(#order),*],
                        training: #training,
                    },
                    ::std::vec![#(#outputs),*],
                )
            }
        }
        _ => quote!(Self::builder()),
    };
    let module_doc = format!(
        "The components of [`{name_text}`], one struct each, named as PerceptiLabs names its classes."
    );

    // Each data file whose header the check read, included and unused: cargo then rebuilds
    // the model when the file changes (an unused constant adds nothing to the binary).
    let files_read = checked
        .files_read
        .iter()
        .filter_map(|path| path.to_str())
        .map(|path| {
            quote!(
                const _: &[u8] = ::core::include_bytes!(#path);
            )
        });

    quote! {
        #errors
        #(#files_read)*

        #(#attrs)*
        #vis struct #name<B: #backend> {
            #(#fields)*
            __percept_shared: #rt::graph::Shared<B>,
        }

        #[doc = #module_doc]
        #vis mod #module {
            #[allow(unused_imports)]
            use super::*;
            #(#structs)*
        }

        impl<B: #backend> #name<B> {
            /// The model's declaration, wired for the runtime.
            pub fn builder() -> #rt::ModelBuilder {
                #builder
            }

            /// Wraps a model built from [`builder`](Self::builder).
            pub fn from_model(model: #rt::Model<B>) -> Self {
                let __percept_shared = #rt::graph::Shared::new(model);
                Self { #(#handles)* __percept_shared }
            }

            /// The runtime model, locked: everything [`percept::Model`] offers.
            pub fn model(&self) -> ::std::sync::MutexGuard<'_, #rt::Model<B>> {
                self.__percept_shared.lock()
            }

            /// How `run()` shows its progress.
            pub fn set_progress(&self, progress: #rt::Progress) {
                self.model().set_progress(progress)
            }

            /// Shows the next runs and evaluations on `dashboard` (a `percept::Dashboard`).
            pub fn set_dashboard(&self, dashboard: &impl #rt::view::Watch) {
                self.model().set_dashboard(dashboard)
            }

            // Every operation below goes through percept's `Engine`, compiled in percept for
            // the backends its features enable, so that this crate does not compile it again.
            // The bound is on each method, so that another backend gets the trait's message.
            /// Initialises every component on `device` (from the Training component's seed);
            /// reads no data.
            pub fn new(device: &B::Device) -> Self where B: #rt::Engine {
                Self::from_model(<B as #rt::Engine>::build(#checked_builder, device).expect("`model!` checked this model"))
            }

            /// Runs the first data element through every component (see `Model::preview`).
            pub fn preview(&self) -> #rt::Result<()> where B: #rt::Engine {
                <B as #rt::Engine>::preview(&self.model())
            }

            /// The prediction for `elements` (see `Model::predict`).
            pub fn predict(&self, elements: ::percept::__private::burn::prelude::TensorData) -> #rt::Result<::percept::__private::burn::prelude::TensorData> where B: #rt::Engine {
                <B as #rt::Engine>::predict(&self.model(), elements)
            }

            /// Loss and accuracy on the test set (see `Model::evaluate`).
            pub fn evaluate(&self) -> #rt::Result<#rt::Evaluation> where B: #rt::Engine {
                <B as #rt::Engine>::evaluate(&self.model())
            }

            /// Saves the parameters and structure into `dir` (see `Model::save`).
            pub fn save(&self, dir: impl ::core::convert::AsRef<::std::path::Path>) -> #rt::Result<()> where B: #rt::Engine {
                <B as #rt::Engine>::save(&self.model(), dir.as_ref())
            }

            /// Builds the model and loads the parameters saved in `dir`.
            pub fn load(dir: impl ::core::convert::AsRef<::std::path::Path>, device: &B::Device) -> #rt::Result<Self> where B: #rt::Engine {
                Ok(Self::from_model(<B as #rt::Engine>::load(Self::builder(), dir.as_ref(), device)?))
            }

            /// A Keras-style table of the components.
            pub fn summary(&self) -> #rt::Summary where B: #rt::Engine {
                <B as #rt::Engine>::summary(&self.model())
            }

            /// The graph in Graphviz DOT.
            pub fn to_dot(&self) -> ::std::string::String where B: #rt::Engine {
                <B as #rt::Engine>::to_dot(&self.model())
            }

            /// The graph as a standalone SVG drawing.
            pub fn to_svg(&self) -> ::std::string::String where B: #rt::Engine {
                <B as #rt::Engine>::to_svg(&self.model())
            }

            /// Trains the model with its Training component's settings.
            pub fn run(&mut self) -> #rt::Result<#rt::TrainingReport> where B: #rt::TrainingEngine {
                <B as #rt::TrainingEngine>::run(&mut self.model())
            }

            /// Continues an interrupted run from the last checkpoint in the Training
            /// component's `checkpoint` directory (see `Model::resume`).
            pub fn resume(&mut self) -> #rt::Result<#rt::TrainingReport> where B: #rt::TrainingEngine {
                let settings = self.model().training_settings();
                <B as #rt::TrainingEngine>::resume_with(&mut self.model(), settings)
            }

            /// Continues an interrupted run with other settings (see `Model::resume_with`).
            pub fn resume_with(&mut self, settings: ::percept::catalogue::TrainingSettings) -> #rt::Result<#rt::TrainingReport> where B: #rt::TrainingEngine {
                <B as #rt::TrainingEngine>::resume_with(&mut self.model(), settings)
            }

            /// Trains with other settings than the Training component's.
            pub fn run_with(&mut self, settings: ::percept::catalogue::TrainingSettings) -> #rt::Result<#rt::TrainingReport> where B: #rt::TrainingEngine {
                <B as #rt::TrainingEngine>::run_with(&mut self.model(), settings)
            }
        }
    }
}

/// `.add_custom::<B, _>(instance, settings, inputs)` for a custom entry: its settings struct,
/// with each written value assigned over the defaults.
fn add_custom(entry: &Entry, custom: &crate::callback::Resolved) -> TokenStream {
    let instance = entry.name.to_string();
    let path = &entry.path;
    let inputs = entry.inputs.iter().map(ToString::to_string);
    let assignments = entry.settings.iter().map(|s| {
        let key = &s.key;
        let kind = custom
            .settings
            .iter()
            .find(|(name, _)| *key == name)
            .map_or(FieldKind::Any, |(_, kind)| *kind);
        let value = match (kind, &s.value) {
            (FieldKind::Number, Written::Float(x)) => signed(*x),
            (FieldKind::Number, Written::Integer(n)) => signed(*n as f64),
            (FieldKind::Text, Written::Text(t)) => quote!(::core::convert::Into::into(#t)),
            // As written, so that rustc's checks point at the user's tokens; `Into` makes
            // `[1, 2]` a `Vec`.
            (FieldKind::Any, _) => {
                let tokens = &s.tokens;
                quote!(::core::convert::Into::into(#tokens))
            }
            _ => s.tokens.clone(),
        };
        quote!(settings.#key = #value;)
    });
    quote! {
        .add_custom::<B, _>(
            #instance,
            {
                #[allow(unused_mut)]
                let mut settings: <#path<B> as ::percept::CustomComponent<B>>::Settings =
                    ::core::default::Default::default();
                #(#assignments)*
                settings
            },
            &[#(#inputs),*],
        )
    }
}

/// A float literal, negative ones as `-x`.
fn signed(x: f64) -> TokenStream {
    let literal = proc_macro2::Literal::f64_unsuffixed(x.abs());
    if x < 0.0 {
        quote!(-#literal)
    } else {
        quote!(#literal)
    }
}

/// The typed `forward` of a computing component, with the ranks inferred at expansion.
fn forward(model: &ModelInput, checked: &Checked, i: usize, class: &Ident) -> TokenStream {
    let Some(settings) = &checked.entries[i].settings else {
        return TokenStream::new();
    };
    if matches!(settings, Settings::Data(_)) || settings.training().is_some() {
        return TokenStream::new();
    }
    let Some(output) = &checked.entries[i].output else {
        return TokenStream::new();
    };
    let names: Vec<String> = model.entries.iter().map(|e| e.name.to_string()).collect();
    let mut args = Vec::new();
    let mut ranks = Vec::new();
    for input in &model.entries[i].inputs {
        let Some(j) = names.iter().position(|n| input == n) else {
            return TokenStream::new();
        };
        let Some(signal) = &checked.entries[j].output else {
            return TokenStream::new();
        };
        args.push(input.clone());
        ranks.push(proc_macro2::Literal::usize_unsuffixed(
            signal.shape.rank() + 1,
        ));
    }
    let out = proc_macro2::Literal::usize_unsuffixed(output.shape.rank() + 1);
    let tensor = quote!(::percept::__private::burn::prelude::Tensor);
    let doc = format!(
        " The computation, batch first: inputs of rank {}, output of rank {out} (the per-element shapes plus the batch).",
        ranks
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        impl<B: ::percept::__private::burn::prelude::Backend> #class<B> {
            #[doc = #doc]
            pub fn forward(&self, #(#args: #tensor<B, #ranks>,)* is_training: bool) -> #tensor<B, #out> {
                self.0
                    .forward::<#out>(::std::vec![#(::percept::__private::percept_runtime::Value::from(#args)),*], is_training)
                    .expect("`model!` checked the ranks")
            }
        }
    }
}

/// The entry as declared, on one line: `Dense { units: 10 } <- flat`.
fn declaration(entry: &crate::ast::Entry) -> String {
    let settings: Vec<String> = entry
        .settings
        .iter()
        .map(|s| format!("{}: {}", s.key, text(&s.value)))
        .collect();
    let mut text = entry.ty.to_string();
    if !settings.is_empty() {
        text += &format!(" {{ {} }}", settings.join(", "));
    }
    match entry.inputs.as_slice() {
        [] => {}
        [one] => text += &format!(" <- {one}"),
        many => {
            text += &format!(
                " <- ({})",
                many.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
    text
}

/// A value as it would be written in `model!`.
fn text(value: &Written) -> String {
    match value {
        Written::Integer(n) => n.to_string(),
        Written::Float(x) => format!("{x:?}"),
        Written::Bool(b) => b.to_string(),
        Written::Text(t) => format!("{t:?}"),
        Written::List(dims) => format!("{dims:?}"),
        Written::Name(n) => n.clone(),
        Written::Range(a, b) => format!("{a}..{b}"),
        Written::Struct(name, fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{k}: {}", text(v)))
                .collect();
            format!("{name} {{ {} }}", fields.join(", "))
        }
    }
}

/// `DigitClassifier` -> `digit_classifier`, `MLPNet` -> `mlp_net`: a word starts at an
/// upper-case letter after a lower-case one, or at the last of several upper-case letters
/// before a lower-case one.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let after_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
        let ends_acronym = i > 0
            && chars[i - 1].is_uppercase()
            && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        if c.is_uppercase() && (after_lower || ends_acronym) {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_are_snake_case() {
        assert_eq!(snake_case("DigitClassifier"), "digit_classifier");
        assert_eq!(snake_case("Mlp"), "mlp");
        assert_eq!(snake_case("MLPNet"), "mlp_net");
        assert_eq!(snake_case("Iris2Classifier"), "iris2_classifier");
    }
}
