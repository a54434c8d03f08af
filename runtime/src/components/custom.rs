//! Custom components: a user's struct made a component by `#[component]`, in the graph like a
//! built-in.
//!
//! The user's struct (`Gain<B>`) is generic over the backend, but the graph holds its
//! components as one burn module that the optimizer, the recorder and `valid()` walk. So the
//! graph keeps a custom component's parameters in a [`Custom`] node, as a list of
//! [`AnyParam`]s, and rebuilds the user's struct around them (cloning a parameter clones a
//! handle, not its values) whenever it runs the user's `call`. The settings, which do not
//! depend on the backend, are the generated `{Type}Settings` struct ([`CustomType`]); it
//! carries the user's code to any backend, which is how the inference copy of a trained model
//! (`valid()`) runs the same component without autodiff.

use std::fmt::Debug;
use std::sync::Arc;

use burn::module::{Module, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use percept_catalogue::{CustomSettings, Shape, Signature};

use crate::component::{Component, Meta, Parts, Tensors};
use crate::error::Result;
use crate::value::Value;

/// A float parameter of any rank from 1 to 4: how the graph stores a custom component's
/// `#[weight]` and `#[bias]` fields.
#[derive(Module, Debug)]
pub enum AnyParam<B: Backend> {
    /// A parameter of rank 1.
    Rank1(Param<Tensor<B, 1>>),
    /// A parameter of rank 2.
    Rank2(Param<Tensor<B, 2>>),
    /// A parameter of rank 3.
    Rank3(Param<Tensor<B, 3>>),
    /// A parameter of rank 4.
    Rank4(Param<Tensor<B, 4>>),
}

impl<B: Backend> AnyParam<B> {
    /// The parameter's values.
    pub fn data(&self) -> TensorData {
        match self {
            AnyParam::Rank1(p) => p.val().into_data(),
            AnyParam::Rank2(p) => p.val().into_data(),
            AnyParam::Rank3(p) => p.val().into_data(),
            AnyParam::Rank4(p) => p.val().into_data(),
        }
    }

    fn gradient(&self, grads: &GradientsParams) -> Option<TensorData>
    where
        B: AutodiffBackend,
    {
        match self {
            AnyParam::Rank1(p) => grads.get::<B::InnerBackend, 1>(p.id).map(|g| g.into_data()),
            AnyParam::Rank2(p) => grads.get::<B::InnerBackend, 2>(p.id).map(|g| g.into_data()),
            AnyParam::Rank3(p) => grads.get::<B::InnerBackend, 3>(p.id).map(|g| g.into_data()),
            AnyParam::Rank4(p) => grads.get::<B::InnerBackend, 4>(p.id).map(|g| g.into_data()),
        }
    }
}

/// The type of a `#[weight]` or `#[bias]` field: a float parameter of rank 1 to 4.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a `#[weight]` or `#[bias]` field",
    label = "not a `Param<Tensor<B, D>>`",
    note = "a parameter field holds a `Param<Tensor<B, D>>` with D from 1 to 4; other state belongs in `#[setting]` fields"
)]
pub trait ParamField<B: Backend>: Sized {
    /// The parameter, rank erased.
    fn into_any(self) -> AnyParam<B>;
    /// The parameter back, if `param` has this rank.
    fn from_any(param: &AnyParam<B>) -> Option<Self>;
}

macro_rules! param_field {
    ($($rank:literal => $variant:ident),*) => {$(
        impl<B: Backend> ParamField<B> for Param<Tensor<B, $rank>> {
            fn into_any(self) -> AnyParam<B> {
                AnyParam::$variant(self)
            }
            fn from_any(param: &AnyParam<B>) -> Option<Self> {
                match param {
                    AnyParam::$variant(p) => Some(p.clone()),
                    _ => None,
                }
            }
        }
    )*};
}

param_field!(1 => Rank1, 2 => Rank2, 3 => Rank3, 4 => Rank4);

/// A custom component type, through its settings: `#[component]` implements it for the
/// `{Type}Settings` struct it generates next to the user's `Type<B>`.
///
/// The settings do not depend on the backend, so they name the component on every backend
/// ([`Component`](CustomType::Component)) and can be handed to
/// [`ModelBuilder::add_custom`](crate::ModelBuilder::add_custom).
pub trait CustomType: Clone + Debug + Default + Send + Sync + 'static {
    /// The user's struct on backend `B` (`Gain<B>`).
    type Component<B: Backend>: CustomComponent<B, Settings = Self>;
    /// The type name (`"Gain"`).
    const TYPE: &'static str;
    /// The shape signature, as `Signature` prints it (`"[n] -> [n]"`).
    const SIGNATURE: &'static str;
    /// The user's source: the struct and its `impl` blocks, pretty-printed.
    const SOURCE: &'static str;
    /// The names of the `#[weight]` fields, in order.
    const WEIGHTS: &'static [&'static str];
    /// The names of the `#[bias]` fields, in order.
    const BIASES: &'static [&'static str];

    /// Each setting and its value, as `Debug` prints it.
    fn values(&self) -> Vec<(String, String)>;

    /// The integer settings that the signature names, and their values.
    fn sizes(&self) -> Vec<(String, i64)>;

    /// What the catalogue needs to know: type, signature and setting values.
    fn catalogue_settings(&self) -> CustomSettings {
        let sizes = self.sizes();
        let names: Vec<&str> = sizes.iter().map(|(n, _)| n.as_str()).collect();
        CustomSettings {
            type_name: Self::TYPE.to_string(),
            signature: Signature::parse_with(Self::SIGNATURE, &names)
                .expect("`#[component]` checked the signature"),
            values: self.values(),
            sizes,
        }
    }
}

/// A user's struct made a component by `#[component]`: the glue between its `init` and `call`
/// and the graph.
pub trait CustomComponent<B: Backend>: Sized {
    /// Its settings type (`GainSettings`).
    type Settings: CustomType;

    /// Calls the user's `init` with these per-element input shapes (which fit the signature),
    /// and `settings` when the signature names one, then sets the `#[setting]` fields from
    /// `settings`.
    fn build(settings: &Self::Settings, inputs: &[Shape], device: &B::Device) -> Self;

    /// The parameters: the `#[weight]` fields, then the `#[bias]` fields, each in field order.
    fn into_params(self) -> Vec<AnyParam<B>>;

    /// The struct around `params` (as [`into_params`](Self::into_params) gave them) with
    /// `settings`.
    fn from_params(settings: &Self::Settings, params: &[AnyParam<B>]) -> Self;

    /// Calls the user's `call` on inputs in percept's layout, converting to and from the
    /// user's. `this` names the instance in errors.
    fn run(&self, this: &str, inputs: &[&Value<B>], is_training: bool) -> Result<Value<B>>;
}

/// A custom component's code for one backend, with the user's type erased.
pub(crate) trait ErasedCustom<B: Backend>: Send + Sync + Debug {
    /// The parameters of a fresh component for these per-element input shapes.
    fn init(&self, inputs: &[Shape], device: &B::Device) -> Vec<AnyParam<B>>;

    /// The computation.
    fn forward(
        &self,
        params: &[AnyParam<B>],
        this: &str,
        inputs: &[&Value<B>],
        is_training: bool,
    ) -> Result<Value<B>>;

    /// The same code for the inner backend, for the inference copy of a trained model.
    fn valid(&self) -> Arc<dyn ErasedCustom<B::InnerBackend>>
    where
        B: AutodiffBackend;
}

impl<B: Backend, K: CustomType> ErasedCustom<B> for K {
    fn init(&self, inputs: &[Shape], device: &B::Device) -> Vec<AnyParam<B>> {
        K::Component::<B>::build(self, inputs, device).into_params()
    }

    fn forward(
        &self,
        params: &[AnyParam<B>],
        this: &str,
        inputs: &[&Value<B>],
        is_training: bool,
    ) -> Result<Value<B>> {
        K::Component::<B>::from_params(self, params).run(this, inputs, is_training)
    }

    fn valid(&self) -> Arc<dyn ErasedCustom<B::InnerBackend>>
    where
        B: AutodiffBackend,
    {
        Arc::new(self.clone())
    }
}

/// Implemented by no type: `#[component]`'s stand-in for a missing `init` requires it, so that
/// the build says what to write.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `init` function, which a `#[component]` needs",
    label = "`init` is not found in an `impl` of this struct",
    note = "add `pub fn init(input: [usize; R], device: &B::Device) -> Self` to an `impl<B: Backend>` block, with one `[usize; R]` argument per input of the shape signature (R is that input's rank), and the settings struct `#[component]` generates (`&GainSettings` for `Gain`) before `device` when the signature names a setting"
)]
pub trait MissingInit {}

/// Implemented by no type: `#[component]`'s stand-in for a missing `call` requires it, so that
/// the build says what to write.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `call` method, which a `#[component]` needs",
    label = "`call` is not found in an `impl` of this struct",
    note = "add `pub fn call(&self, x: Tensor<B, D>, is_training: bool) -> Tensor<B, D>` to an `impl<B: Backend>` block, with one tensor argument per input of the shape signature (D is that input's rank plus one for the batch)"
)]
pub trait MissingCall {}

/// The dimensions of a per-element shape as the array a custom component's `init` takes.
///
/// # Panics
/// If the rank is not `R`; the signature check rules that out before `init` is called.
pub fn input_dims<const R: usize>(shape: &Shape) -> [usize; R] {
    shape
        .dims()
        .try_into()
        .expect("the shape signature fixed the input's rank")
}

/// What a custom node knows about its type, whatever the backend.
#[derive(Debug, Clone)]
pub struct CustomTypeInfo {
    /// The type name.
    pub type_name: &'static str,
    /// The user's source.
    pub source: &'static str,
    /// The names of the weights, in parameter order.
    pub weights: &'static [&'static str],
    /// The names of the biases, after the weights.
    pub biases: &'static [&'static str],
    /// The settings, as declared.
    pub settings: CustomSettings,
}

impl CustomTypeInfo {
    /// The information about custom type `K` with these settings.
    pub fn of<K: CustomType>(settings: &K) -> Self {
        CustomTypeInfo {
            type_name: K::TYPE,
            source: K::SOURCE,
            weights: K::WEIGHTS,
            biases: K::BIASES,
            settings: settings.catalogue_settings(),
        }
    }
}

/// A custom component in the graph: its parameters, in the order its type lists them.
#[derive(Module, Debug)]
pub struct Custom<B: Backend> {
    params: Vec<AnyParam<B>>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    info: Arc<CustomTypeInfo>,
}

impl<B: Backend> Custom<B> {
    pub(crate) fn new(meta: Meta, info: Arc<CustomTypeInfo>, params: Vec<AnyParam<B>>) -> Self {
        Custom { params, meta, info }
    }

    /// The parameters, weights first.
    pub fn params(&self) -> &[AnyParam<B>] {
        &self.params
    }

    /// What the node knows about its type.
    pub fn info(&self) -> &CustomTypeInfo {
        &self.info
    }

    fn named(&self, names: &[&str], skip: usize) -> Tensors {
        names
            .iter()
            .zip(&self.params[skip..])
            .map(|(name, param)| (name.to_string(), param.data()))
            .collect()
    }

    /// Stores the gradients of its parameters in its probe, named as in `weights()` and
    /// `biases()`.
    pub(crate) fn capture_gradients(&self, grads: &GradientsParams)
    where
        B: AutodiffBackend,
    {
        let names = self.info.weights.iter().chain(self.info.biases);
        let out: Tensors = names
            .zip(&self.params)
            .filter_map(|(name, p)| Some((name.to_string(), p.gradient(grads)?)))
            .collect();
        if !out.is_empty() {
            self.meta.probe.with(|c| c.gradients = out);
        }
    }
}

impl<B: Backend> Parts for Custom<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.info.settings)
    }

    fn formula(&self) -> &'static str {
        "the user's `call`"
    }
}

impl<B: Backend> Component<B> for Custom<B> {
    const CATEGORY: &'static str = "Custom";
    /// The graph holds every custom type in this one node type: [`class_name`] and
    /// [`CustomTypeInfo::type_name`] give the instance's own type.
    const TYPE: &'static str = "Custom";

    fn name(&self) -> &str {
        &self.meta.name
    }

    fn instance(&self) -> &str {
        &self.meta.instance
    }

    fn class_name(&self) -> String {
        format!("Custom{}_{}", self.info.type_name, self.meta.name)
    }

    fn weights(&self) -> Tensors {
        self.named(self.info.weights, 0)
    }

    fn biases(&self) -> Tensors {
        self.named(self.info.biases, self.info.weights.len())
    }

    fn variables(&self) -> Tensors {
        let mut all = self.trainable_variables();
        if let Some(sample) = self.meta.probe.sample() {
            all.insert("output".to_string(), sample);
        }
        all
    }

    fn get_sample(&self) -> Option<TensorData> {
        self.meta.probe.sample()
    }

    fn gradients(&self) -> Tensors {
        self.meta.probe.with(|c| c.gradients.clone())
    }

    fn code(&self) -> String {
        let settings: Vec<String> = self
            .info
            .settings
            .values
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let declared = if settings.is_empty() {
            self.info.type_name.to_string()
        } else {
            format!("{} {{ {} }}", self.info.type_name, settings.join(", "))
        };
        format!(
            "// `{}`: {declared}, shape {}\n{}",
            self.meta.instance, self.info.settings.signature, self.info.source
        )
    }
}
