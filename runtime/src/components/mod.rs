//! The built-in components, one file each, grouped by category as in PerceptiLabs.
//!
//! | category (class prefix) | components |
//! | --- | --- |
//! | Data (`Data`) | [`data::Data`] |
//! | Processing (`Process`) | [`process::Reshape`], [`process::Flatten`], [`process::Rescale`], [`process::OneHot`] |
//! | Deep Learning (`DeepLearning`) | [`deep_learning::Dense`], [`deep_learning::Conv`], [`deep_learning::MaxPool`], [`deep_learning::Dropout`], [`deep_learning::BatchNorm`] |
//! | Mathematics (`Math`) | [`math::Merge`], [`math::Argmax`], [`math::Softmax`] |
//! | Training (`Train`) | [`train::Classification`], [`train::Regression`] |
//! | Custom (`Custom`) | [`custom::Custom`]: a user's struct made a component by `#[component]` |
//!
//! [`Node`] holds any of them, so that a graph can be wired at run time.

pub mod custom;
pub mod data;
pub mod deep_learning;
pub mod math;
pub mod process;
pub mod train;

use std::path::Path;

use burn::prelude::*;
use percept_catalogue::{Activation, Settings, Signal};

use crate::component::{Component, Meta, Tensors};
use crate::error::Result;
use crate::value::Value;

/// Any component: what a graph node holds.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Node<B: Backend> {
    /// A Data component.
    Data(data::Data),
    /// A Reshape component.
    Reshape(process::Reshape),
    /// A Flatten component.
    Flatten(process::Flatten),
    /// A Rescale component.
    Rescale(process::Rescale),
    /// A OneHot component.
    OneHot(process::OneHot),
    /// A Dense component.
    Dense(deep_learning::Dense<B>),
    /// A Conv component.
    Conv(deep_learning::Conv<B>),
    /// A MaxPool component.
    MaxPool(deep_learning::MaxPool),
    /// A Dropout component.
    Dropout(deep_learning::Dropout),
    /// A BatchNorm component.
    BatchNorm(deep_learning::BatchNorm<B>),
    /// A Merge component.
    Merge(math::Merge),
    /// An Argmax component.
    Argmax(math::Argmax),
    /// A Softmax component.
    Softmax(math::Softmax),
    /// A Classification component.
    Classification(train::Classification),
    /// A Regression component.
    Regression(train::Regression),
    /// A custom component's parameters (its code is kept by the model).
    Custom(custom::Custom<B>),
}

/// Runs `$body` with `$c` bound to the component inside `$node`, whatever its type.
macro_rules! each {
    ($node:expr, $c:ident => $body:expr) => {
        match $node {
            Node::Data($c) => $body,
            Node::Reshape($c) => $body,
            Node::Flatten($c) => $body,
            Node::Rescale($c) => $body,
            Node::OneHot($c) => $body,
            Node::Dense($c) => $body,
            Node::Conv($c) => $body,
            Node::MaxPool($c) => $body,
            Node::Dropout($c) => $body,
            Node::BatchNorm($c) => $body,
            Node::Merge($c) => $body,
            Node::Argmax($c) => $body,
            Node::Softmax($c) => $body,
            Node::Classification($c) => $body,
            Node::Regression($c) => $body,
            Node::Custom($c) => $body,
        }
    };
}

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
    /// Builds the built-in component for `settings`, with the input signals and the output
    /// signal its shape rule inferred. (A custom component needs its code: the model builder
    /// makes those.)
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
        let width = |i: usize| inputs[i].shape.dims().last().copied().unwrap_or(1);
        match settings.clone() {
            Settings::Data(s) => Node::Data(data::Data::new(meta, s, base_dir.to_path_buf())),
            Settings::Reshape(s) => Node::Reshape(process::Reshape::new(meta, s)),
            Settings::Flatten(s) => Node::Flatten(process::Flatten::new(meta, s)),
            Settings::Rescale(s) => Node::Rescale(process::Rescale::new(meta, s)),
            Settings::OneHot(s) => Node::OneHot(process::OneHot::new(meta, s)),
            Settings::Dense(s) => Node::Dense(deep_learning::Dense::new(meta, s, width(0), device)),
            Settings::Conv(s) => Node::Conv(deep_learning::Conv::new(meta, s, width(0), device)),
            Settings::MaxPool(s) => Node::MaxPool(deep_learning::MaxPool::new(meta, s)),
            Settings::Dropout(s) => Node::Dropout(deep_learning::Dropout::new(meta, s)),
            Settings::BatchNorm(s) => {
                Node::BatchNorm(deep_learning::BatchNorm::new(meta, s, width(0), device))
            }
            Settings::Merge(s) => Node::Merge(math::Merge::new(meta, s)),
            Settings::Argmax(s) => Node::Argmax(math::Argmax::new(meta, s)),
            Settings::Softmax(s) => Node::Softmax(math::Softmax::new(meta, s)),
            Settings::Classification(s) => {
                Node::Classification(train::Classification::new(meta, s))
            }
            Settings::Regression(s) => Node::Regression(train::Regression::new(meta, s)),
            Settings::Custom(_) => unreachable!("the model builder makes custom components"),
        }
    }

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
        matches!(self, Node::Classification(_) | Node::Regression(_))
    }

    /// The computation of a built-in processing, deep-learning or math component. With
    /// `logits` (given only to a component whose settings end in a Softmax, see
    /// `Plan::logits_at`), it stops before that Softmax. (The model runs custom
    /// components with their code.)
    pub(crate) fn forward(
        &self,
        inputs: &[&Value<B>],
        is_training: bool,
        logits: bool,
    ) -> Result<Value<B>> {
        let first = inputs[0];
        match self {
            Node::Reshape(c) => c.forward_value(first),
            Node::Flatten(c) => c.forward_value(first),
            Node::Rescale(c) => c.forward_value(first),
            Node::OneHot(c) => c.forward_value(first),
            Node::Dense(c) => c.forward_value(first, logits),
            Node::Conv(c) => c.forward_value(first),
            Node::MaxPool(c) => c.forward_value(first),
            Node::Dropout(c) => c.forward_value(first, is_training),
            Node::BatchNorm(c) => c.forward_value(first, is_training),
            Node::Merge(c) => c.forward_value(inputs),
            Node::Argmax(c) => c.forward_value(first),
            Node::Softmax(_) if logits => Ok(first.clone()),
            Node::Softmax(c) => c.forward_value(first),
            Node::Data(_) | Node::Classification(_) | Node::Regression(_) => {
                unreachable!("the graph feeds data and computes losses itself")
            }
            Node::Custom(_) => unreachable!("the model runs custom components with their code"),
        }
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
