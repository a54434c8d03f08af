//! The built-in components, one file each, grouped by category as in PerceptiLabs, and
//! [`custom::Custom`]: a user's struct made a component by `#[component]`.
//!
//! The list of built-ins is the catalogue's (`percept_catalogue::__builtins!`): each family
//! module declares the files of its category from it, and [`Node`], which holds any
//! component so that a graph can be wired at run time, is generated from it with its
//! dispatch. A built-in's file here is named as its catalogue file and holds a type of the
//! same name that implements `Builtin`.

// `Node` and the record its derive makes hold any component by value, the largest (a Conv)
// included: a node is built once and read on every pass.
#![allow(clippy::large_enum_variant)]

use std::path::Path;

use burn::prelude::*;
use percept_catalogue::{Activation, Settings, Signal};

use crate::component::{Builtin, Component, Meta, Pass, Place, Tensors};
use crate::error::Result;
use crate::value::Value;

/// Declares the built-ins of one family (a category), from the catalogue's list: their
/// modules, their types and their settings.
macro_rules! declare_family {
    ($(($category:ident $family:ident $ty:ident $settings:ident $file:ident))*) => {
        $(
            #[allow(clippy::module_inception)]
            mod $file;
            pub use $file::$ty;
            pub use percept_catalogue::$settings;
        )*
    };
}

pub mod custom;
pub mod data;
pub mod deep_learning;
pub mod math;
pub mod process;
pub mod train;

/// Makes [`Node`], its `each!` and its construction and forward dispatch, from the
/// catalogue's list of built-ins.
macro_rules! node_enum {
    ($(($category:ident $family:ident $ty:ident $settings:ident $file:ident))*) => {
        /// Any component: what a graph node holds.
        #[derive(Module, Debug)]
        pub enum Node<B: Backend> {
            $(
                #[doc = concat!("A `", stringify!($ty), "` component.")]
                $ty($family::$ty<B>),
            )*
            /// A custom component's parameters (its code is kept by the model).
            Custom(custom::Custom<B>),
        }

        /// Runs `$body` with `$c` bound to the component inside `$node`, whatever its type.
        macro_rules! each {
            ($node:expr, $c:ident => $body:expr) => {
                match $node {
                    $(Node::$ty($c) => $body,)*
                    Node::Custom($c) => $body,
                }
            };
        }

        impl<B: Backend> Node<B> {
            /// Builds the built-in component for `settings`, with the input signals and the
            /// output signal its shape rule inferred. (A custom component needs its code:
            /// the model builder makes those.)
            pub(crate) fn new(
                instance: &str,
                n: usize,
                settings: &Settings,
                inputs: &[Signal],
                output: Signal,
                base_dir: &Path,
                device: &B::Device,
            ) -> Self {
                let meta = Meta::new(instance, settings.type_name(), n, output);
                let place = Place { device, base_dir };
                match settings.clone() {
                    $(
                        Settings::$ty(s) => Node::$ty(
                            <$family::$ty<B> as Builtin<B>>::new(meta, s, inputs, &place),
                        ),
                    )*
                    Settings::Custom(_) => unreachable!("the model builder makes custom components"),
                }
            }

            /// The computation of a built-in on `inputs`. (The model runs custom components
            /// with their code; it feeds Data and computes losses itself.)
            pub(crate) fn forward(&self, inputs: &[&Value<B>], pass: Pass) -> Result<Value<B>> {
                match self {
                    $(Node::$ty(c) => c.forward_value(inputs, pass),)*
                    Node::Custom(_) => unreachable!("the model runs custom components with their code"),
                }
            }
        }
    };
}

percept_catalogue::__builtins!(node_enum);

/// Runs `$body` with `$c` bound to the component, and `$T` to its type, for the [`Component`]
/// items that need the backend.
macro_rules! component {
    ($node:expr, $c:ident => $body:expr) => {
        each!($node, $c => {
            #[allow(unused_imports)]
            use crate::component::Component as _;
            $body
        })
    };
}

impl<B: Backend> Node<B> {
    /// The metadata: names, output signal, captured values.
    pub fn meta(&self) -> &Meta {
        each!(self, c => crate::component::Parts::meta(c))
    }

    /// The category, the first part of the class name.
    pub fn category(&self) -> &'static str {
        fn category<B: Backend, C: Component<B>>(_: &C) -> &'static str {
            C::CATEGORY
        }
        each!(self, c => category::<B, _>(c))
    }

    /// The type, the second part of the class name.
    pub fn type_name(&self) -> &str {
        fn type_name<B: Backend, C: Component<B>>(_: &C) -> &'static str {
            C::TYPE
        }
        match self {
            Node::Custom(c) => c.info().type_name,
            _ => each!(self, c => type_name::<B, _>(c)),
        }
    }

    /// The PerceptiLabs-style class name.
    pub fn class_name(&self) -> String {
        component!(self, c => Component::<B>::class_name(c))
    }

    /// See [`Component::weights`].
    pub fn weights(&self) -> Tensors {
        component!(self, c => Component::<B>::weights(c))
    }

    /// See [`Component::biases`].
    pub fn biases(&self) -> Tensors {
        component!(self, c => Component::<B>::biases(c))
    }

    /// See [`Component::trainable_variables`].
    pub fn trainable_variables(&self) -> Tensors {
        component!(self, c => Component::<B>::trainable_variables(c))
    }

    /// See [`Component::variables`].
    pub fn variables(&self) -> Tensors {
        component!(self, c => Component::<B>::variables(c))
    }

    /// See [`Component::get_sample`].
    pub fn get_sample(&self) -> Option<TensorData> {
        component!(self, c => Component::<B>::get_sample(c))
    }

    /// See [`Component::gradients`].
    pub fn gradients(&self) -> Tensors {
        component!(self, c => Component::<B>::gradients(c))
    }

    /// See [`Component::code`].
    pub fn code(&self) -> String {
        component!(self, c => Component::<B>::code(c))
    }

    /// True for a Training component.
    pub fn is_training(&self) -> bool {
        self.category() == percept_catalogue::Category::Train.prefix()
    }

    /// The Softmax that `forward(.., logits: true)` left out, applied to `logits`.
    pub(crate) fn softmax(&self, logits: &Value<B>) -> Result<Value<B>> {
        let this = &self.meta().instance;
        Ok(crate::components::deep_learning::activate(
            logits.tensor::<2>(this)?,
            Activation::Softmax,
        )
        .into())
    }

    /// The number of values the component stores: its trainable parameters, and BatchNorm's
    /// running statistics (as Keras' total counts them).
    pub fn num_params(&self) -> usize {
        Module::<B>::num_params(self)
    }
}
