//! Every built-in component type: its category, settings (with defaults) and shape rule,
//! one file each.
//!
//! A file here that implements [`ComponentSettings`] is a built-in: `build.rs` lists it in
//! `__builtins!`, from which this module declares it, re-exports its public items, and adds
//! its variant to [`Settings`]. The runtime's node enum and the prelude follow from the same
//! list. The book's catalogue reference lists the types by category.

mod custom;
mod rules;
mod training;

pub use custom::CustomSettings;
pub use training::TrainingSettings;

use serde::{Deserialize, Serialize};

use crate::error::ShapeError;
use crate::schema::Setting;
use crate::shape::{Input, Signal};
use crate::written::{ValueError, Written};

/// The category of a component, the first part of its PerceptiLabs class name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    /// Data sources.
    Data,
    /// Processing: reshaping and rescaling.
    Process,
    /// Deep learning layers.
    DeepLearning,
    /// Mathematics.
    Math,
    /// Training components.
    Train,
    /// User-written components.
    Custom,
}

impl Category {
    /// The class-name prefix (`"DeepLearning"`).
    pub const fn prefix(self) -> &'static str {
        match self {
            Category::Data => "Data",
            Category::Process => "Process",
            Category::DeepLearning => "DeepLearning",
            Category::Math => "Math",
            Category::Train => "Train",
            Category::Custom => "Custom",
        }
    }

    /// The name a person reads (`"Deep Learning"`).
    pub const fn title(self) -> &'static str {
        match self {
            Category::Data => "Data",
            Category::Process => "Processing",
            Category::DeepLearning => "Deep Learning",
            Category::Math => "Mathematics",
            Category::Train => "Training",
            Category::Custom => "Custom",
        }
    }
}

/// The settings of one built-in component type: what the catalogue knows about it.
pub trait ComponentSettings: Clone + Default + Into<Settings> {
    /// The category.
    const CATEGORY: Category;
    /// The type name as written in `model!` (`"Dense"`).
    const TYPE: &'static str;
    /// What it computes, in a few words (the book's catalogue tables show it).
    const ABOUT: &'static str;
    /// Its shape rule, in a few words (`"[features] → [units]"`).
    const SHAPES: &'static str;
    /// The keys it takes.
    const SCHEMA: &'static [Setting];
    /// True when its output holds its input's values, moved or copied but not changed (in
    /// inference): a Softmax before it is still a Softmax after it, which the logits rule of
    /// training relies on.
    const PASSES_VALUES: bool = false;

    /// True when its output ends in a Softmax that the forward pass can leave out, so that a
    /// Classification trains on the logits before it (the logits rule; see `Plan::logits_at`
    /// in the runtime). A Dense with `activation: Softmax` and a Softmax do; a Conv does not,
    /// since its kernel applies the activation itself.
    fn ends_in_softmax(&self) -> bool {
        false
    }

    /// Assigns the written `value` of `key`, a key of [`SCHEMA`](Self::SCHEMA), or says what
    /// the value should have been. Every key of the schema has its own arm; any other key is
    /// an error, never assigned to a field.
    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError>;
    /// The shape rule: the output for these inputs, or why they do not fit.
    ///
    /// `this` is the instance name, used in error messages.
    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError>;
}

macro_rules! settings_enum {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// The settings of any component: a built-in, or a custom component's signature and
        /// setting values.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub enum Settings {
            $(
                #[doc = concat!("A `", stringify!($variant), "` component.")]
                $variant($ty),
            )*
            /// A custom component, made with `#[component]`.
            Custom(CustomSettings),
        }

        $(
            impl From<$ty> for Settings {
                fn from(settings: $ty) -> Self {
                    Settings::$variant(settings)
                }
            }
        )*

        impl Settings {
            /// The category.
            pub fn category(&self) -> Category {
                match self {
                    $(Settings::$variant(_) => <$ty as ComponentSettings>::CATEGORY,)*
                    Settings::Custom(_) => Category::Custom,
                }
            }

            /// The type name as written in `model!`.
            pub fn type_name(&self) -> &str {
                match self {
                    $(Settings::$variant(_) => <$ty as ComponentSettings>::TYPE,)*
                    Settings::Custom(c) => &c.type_name,
                }
            }

            /// What a built-in computes, in a few words (see [`ComponentSettings::ABOUT`]).
            pub fn about(&self) -> &'static str {
                match self {
                    $(Settings::$variant(_) => <$ty as ComponentSettings>::ABOUT,)*
                    Settings::Custom(_) => "",
                }
            }

            /// A built-in's shape rule in a few words (see [`ComponentSettings::SHAPES`]).
            pub fn shapes(&self) -> &'static str {
                match self {
                    $(Settings::$variant(_) => <$ty as ComponentSettings>::SHAPES,)*
                    Settings::Custom(_) => "",
                }
            }

            /// The keys a built-in type takes (a custom component's are its `#[setting]` fields).
            pub fn schema(&self) -> &'static [Setting] {
                match self {
                    $(Settings::$variant(_) => <$ty as ComponentSettings>::SCHEMA,)*
                    Settings::Custom(_) => &[],
                }
            }

            /// Assigns the written `value` of `key` (see [`ComponentSettings::assign`]).
            pub fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
                match self {
                    $(Settings::$variant(s) => s.assign(key, value),)*
                    Settings::Custom(c) => Err(crate::values::not_a_key(&c.type_name, key)),
                }
            }

            /// See [`ComponentSettings::PASSES_VALUES`]; false for a custom component.
            pub fn passes_values(&self) -> bool {
                match self {
                    $(Settings::$variant(_) => <$ty as ComponentSettings>::PASSES_VALUES,)*
                    Settings::Custom(_) => false,
                }
            }

            /// See [`ComponentSettings::ends_in_softmax`]; false for a custom component.
            pub fn ends_in_softmax(&self) -> bool {
                match self {
                    $(Settings::$variant(s) => s.ends_in_softmax(),)*
                    Settings::Custom(_) => false,
                }
            }

            /// The shape rule of this type.
            pub fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
                match self {
                    $(Settings::$variant(s) => s.infer(this, inputs),)*
                    Settings::Custom(c) => {
                        c.signature.infer_with(this, &c.type_name, inputs, &c.sizes)
                    }
                }
            }

            /// The default settings of the type named `type_name`, if it is a built-in.
            pub fn default_for(type_name: &str) -> Option<Settings> {
                $(
                    if type_name == <$ty as ComponentSettings>::TYPE {
                        return Some(<$ty>::default().into());
                    }
                )*
                None
            }

            /// The names of every built-in type.
            pub const TYPE_NAMES: &'static [&'static str] =
                &[$(<$ty as ComponentSettings>::TYPE,)*];
        }
    };
}

/// Declares each built-in's module, re-exports what it makes public, and makes [`Settings`].
macro_rules! declare_builtins {
    ($(($category:ident $family:ident $ty:ident $settings:ident $file:ident))*) => {
        $(
            mod $file;
            pub use $file::*;
        )*

        /// The settings types of every built-in and what they use, for the prelude.
        pub mod builtins {
            $(pub use super::$file::*;)*
        }

        settings_enum! { $($ty($settings)),* }
    };
}

__builtins!(declare_builtins);

impl Settings {
    /// The training settings, for a Training component.
    pub fn training(&self) -> Option<&TrainingSettings> {
        match self {
            Settings::Classification(s) => Some(&s.training),
            Settings::Regression(s) => Some(&s.training),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ValueKind;

    /// The default as written in a schema, read as `model!` would, when it is a value rather
    /// than prose (`"none"`, `"every column"`).
    fn written_default(text: &str, kind: ValueKind) -> Option<Written> {
        match kind {
            ValueKind::Integer => text.parse().ok().map(Written::Integer),
            ValueKind::Float => text.parse().ok().map(Written::Float),
            ValueKind::Bool => text.parse().ok().map(Written::Bool),
            ValueKind::Choice(names) => names.contains(&text).then(|| Written::Name(text.into())),
            ValueKind::Optimizer => {
                // `Adam { learning_rate: 0.001 }`
                let (name, rest) = text.split_once(" { ")?;
                let fields = rest
                    .trim_end_matches(" }")
                    .split(", ")
                    .map(|field| {
                        let (key, value) = field.split_once(": ")?;
                        Some((key.to_string(), Written::Float(value.parse().ok()?)))
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(Written::Struct(name.into(), fields))
            }
            ValueKind::Shape | ValueKind::Path | ValueKind::Columns => None,
        }
    }

    #[test]
    fn the_types_say_whether_they_end_in_a_softmax_or_pass_values_on() {
        let dense = |a| Settings::from(DenseSettings::new(10, a));
        assert!(dense(crate::Activation::Softmax).ends_in_softmax());
        assert!(!dense(crate::Activation::Relu).ends_in_softmax());
        let conv = ConvSettings::new(4, 3).with_activation(crate::Activation::Softmax);
        assert!(
            !Settings::from(conv).ends_in_softmax(),
            "a Conv applies it in its kernel"
        );
        assert!(Settings::from(SoftmaxSettings::default()).ends_in_softmax());
        let passing: Vec<&str> = Settings::TYPE_NAMES
            .iter()
            .copied()
            .filter(|n| Settings::default_for(n).unwrap().passes_values())
            .collect();
        assert_eq!(passing, ["Flatten", "Reshape", "Dropout"]);
    }

    #[test]
    fn a_key_outside_the_schema_is_an_error_and_assigns_nothing() {
        for name in Settings::TYPE_NAMES {
            let mut settings = Settings::default_for(name).unwrap();
            let err = settings
                .assign("no_such_key", &Written::Integer(1))
                .unwrap_err();
            assert!(
                err.message.contains("no setting `no_such_key`"),
                "{name}: {err}"
            );
            assert_eq!(settings, Settings::default_for(name).unwrap(), "{name}");
        }
    }

    #[test]
    fn every_default_in_a_schema_is_the_types_default() {
        let mut checked = 0;
        for name in Settings::TYPE_NAMES {
            for setting in Settings::default_for(name).unwrap().schema() {
                let Some(value) = setting
                    .default
                    .and_then(|d| written_default(d, setting.kind))
                else {
                    continue;
                };
                // A Data key that refines a source has its default on that source.
                let mut base = Settings::default_for(name).unwrap();
                let source = match setting.name {
                    "samples" | "seed" => Some(("random", Written::List(vec![2]))),
                    "columns" | "delimiter" | "allow_non_finite" => {
                        Some(("file", Written::Text("x.csv".into())))
                    }
                    _ => None,
                };
                if let (Settings::Data(_), Some((key, source))) = (&base, source) {
                    base.assign(key, &source).unwrap();
                }
                let mut settings = base.clone();
                settings.assign(setting.name, &value).unwrap();
                assert_eq!(
                    settings, base,
                    "`{name}.{}` documents the default {:?}",
                    setting.name, setting.default
                );
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} defaults were values");
    }

    #[test]
    fn every_type_has_defaults_and_a_schema() {
        for name in Settings::TYPE_NAMES {
            let settings = Settings::default_for(name).unwrap();
            assert_eq!(settings.type_name(), *name);
            let mut keys: Vec<_> = settings.schema().iter().map(|s| s.name).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), settings.schema().len(), "{name} repeats a key");
        }
        assert!(Settings::default_for("Dense2").is_none());
    }

    #[test]
    fn categories_give_class_prefixes() {
        assert_eq!(
            Settings::default_for("Reshape")
                .unwrap()
                .category()
                .prefix(),
            "Process"
        );
        assert_eq!(
            Settings::default_for("Dense").unwrap().category().prefix(),
            "DeepLearning"
        );
        assert_eq!(
            Settings::default_for("Merge").unwrap().category().prefix(),
            "Math"
        );
        assert_eq!(
            Settings::default_for("Classification")
                .unwrap()
                .category()
                .prefix(),
            "Train"
        );
        assert_eq!(
            Settings::default_for("Data").unwrap().category().prefix(),
            "Data"
        );
    }
}
