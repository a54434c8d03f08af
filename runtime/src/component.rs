//! The interface every component offers, built-in or generated: PerceptiLabs' component class.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use burn::module::Param;
use burn::prelude::*;
use percept_catalogue::{ComponentSettings, Signal};

use crate::error::Result;
use crate::value::Value;

/// Named tensors: a parameter or variable name, and its values.
pub type Tensors = BTreeMap<String, TensorData>;

/// A component of a model: its class name, parameters, last computed values and code.
///
/// `CATEGORY`, `TYPE` and [`name`](Component::name) are the parts of the PerceptiLabs-style
/// class name `{CATEGORY}{TYPE}_{name}`, e.g. `"Process"`, `"Reshape"`, `"Reshape_1"` give
/// `ProcessReshape_Reshape_1`. Each component also has a typed `forward` (its computation,
/// batch first, `Tensor<B, D>` in and out) as an inherent method.
pub trait Component<B: Backend> {
    /// The category (`"Process"`).
    const CATEGORY: &'static str;
    /// The type (`"Reshape"`).
    const TYPE: &'static str;

    /// The type and the instance count of that type in declaration order (`"Reshape_1"`).
    fn name(&self) -> &str;

    /// The instance name given in the model (`"reshape"`).
    fn instance(&self) -> &str;

    /// The PerceptiLabs-style class name (`"ProcessReshape_Reshape_1"`).
    fn class_name(&self) -> String {
        format!("{}{}_{}", Self::CATEGORY, Self::TYPE, self.name())
    }

    /// The weights that training updates (`"W"`), empty for components without any.
    fn weights(&self) -> Tensors;

    /// The biases that training updates (`"b"`), empty for components without any.
    fn biases(&self) -> Tensors;

    /// Every parameter that backpropagation updates: the weights and the biases.
    fn trainable_variables(&self) -> Tensors {
        let mut all = self.weights();
        all.extend(self.biases());
        all
    }

    /// Every tensor the component computed on its last captured call (its output under
    /// `"output"`, first element only) plus its parameters and state: what previews show.
    fn variables(&self) -> Tensors;

    /// The first data element the component computed, without the batch dimension, in the
    /// user's layout; `None` before the component has run in a preview or a captured step.
    fn get_sample(&self) -> Option<TensorData>;

    /// The gradients of the trainable variables at the last captured training step.
    fn gradients(&self) -> Tensors;

    /// The component's source: what PerceptiLabs shows in its code view.
    fn code(&self) -> String;
}

/// What every component knows about itself besides its computation: its names, its output
/// and the values captured from its last run.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The instance name (`"reshape"`).
    pub instance: String,
    /// `{TYPE}_{n}` (`"Reshape_1"`).
    pub name: String,
    /// What the component outputs.
    pub output: Signal,
    /// Values captured from its last run, shared by clones (the training model and its
    /// inference copy capture into the same place).
    pub probe: Probe,
}

impl Meta {
    /// Metadata for instance `instance`, the `n`-th of its type `type_name`.
    pub fn new(instance: &str, type_name: &str, n: usize, output: Signal) -> Self {
        Meta {
            instance: instance.to_string(),
            name: format!("{type_name}_{n}"),
            output,
            probe: Probe::default(),
        }
    }
}

/// The values captured from a component's last run.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// The first element of its output, in the user's layout.
    pub sample: Option<TensorData>,
    /// The gradients of its parameters at the last captured step.
    pub gradients: Tensors,
}

/// A shared place for [`Captured`] values.
#[derive(Debug, Clone, Default)]
pub struct Probe(Arc<Mutex<Captured>>);

impl Probe {
    /// Runs `f` on the captured values.
    pub fn with<R>(&self, f: impl FnOnce(&mut Captured) -> R) -> R {
        // A panic while holding the lock cannot leave `Captured` half-written in a way that
        // matters: every field is replaced whole.
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The captured sample.
    pub fn sample(&self) -> Option<TensorData> {
        self.with(|c| c.sample.clone())
    }
}

/// The values of a parameter, as `TensorData`.
pub(crate) fn param_data<B: Backend, const D: usize>(param: &Param<Tensor<B, D>>) -> TensorData {
    crate::kernels::host::data(param.val())
}

/// What the graph needs of every built-in, in one form whatever the type: a constructor
/// from the catalogue's settings, and the computation on the graph's values. The node enum
/// and its dispatch are generated from the catalogue's list of built-ins, calling these.
pub(crate) trait Builtin<B: Backend>: Sized {
    /// The catalogue's description of the type: its settings, category and name.
    type Settings: ComponentSettings;

    /// The component for `settings`, given the signals of its inputs (in order).
    fn new(meta: Meta, settings: Self::Settings, inputs: &[Signal], place: &Place<'_, B>) -> Self;

    /// The computation on `inputs` (in order), batch first, as `pass` asks for it.
    fn forward_value(&self, inputs: &[&Value<B>], pass: Pass) -> Result<Value<B>>;
}

/// Where a component is built: the device of its parameters and the directory its files are
/// named relative to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a, B: Backend> {
    /// The device.
    pub device: &'a B::Device,
    /// The directory relative data files are resolved against.
    pub base_dir: &'a Path,
}

/// How a forward pass runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass {
    /// Dropout and BatchNorm behave as in training.
    pub is_training: bool,
    /// Each component's first output element is captured for previews.
    pub capture: bool,
    /// Given to the whole pass: the prediction is computed as logits when it ends in Softmax.
    /// Given to one component (see `Plan::logits_at`): it leaves out its final Softmax.
    pub logits: bool,
}

/// A place for unit tests: the default device, and the current directory.
#[cfg(test)]
pub(crate) fn place<B: Backend>() -> Place<'static, B> {
    Place {
        device: Box::leak(Box::default()),
        base_dir: Path::new("."),
    }
}

/// The width of the `i`-th input: the size of its last axis (features or channels).
pub(crate) fn width(inputs: &[Signal], i: usize) -> usize {
    inputs[i].shape.dims().last().copied().unwrap_or(1)
}

/// The parameter maps and code of one built-in type; the [`Component`] impl comes from
/// [`impl_component!`].
pub(crate) trait Parts {
    /// The metadata.
    fn meta(&self) -> &Meta;
    /// The weights.
    fn weight_tensors(&self) -> Tensors {
        Tensors::new()
    }
    /// The biases.
    fn bias_tensors(&self) -> Tensors {
        Tensors::new()
    }
    /// State that is neither output nor trainable (BatchNorm's running statistics).
    fn state_tensors(&self) -> Tensors {
        Tensors::new()
    }
    /// The settings, for the code view.
    fn describe(&self) -> String;
    /// What the forward pass computes, for the code view.
    fn formula(&self) -> &'static str;
}

/// Implements [`Component`] for a built-in from its [`Parts`], with the category and type
/// of its catalogue settings.
macro_rules! impl_component {
    ($ty:ident) => {
        impl<B: burn::prelude::Backend> $crate::component::Component<B> for $ty<B> {
            const CATEGORY: &'static str =
                <<Self as $crate::component::Builtin<B>>::Settings as percept_catalogue::ComponentSettings>::CATEGORY.prefix();
            const TYPE: &'static str =
                <<Self as $crate::component::Builtin<B>>::Settings as percept_catalogue::ComponentSettings>::TYPE;

            fn name(&self) -> &str {
                &$crate::component::Parts::meta(self).name
            }

            fn instance(&self) -> &str {
                &$crate::component::Parts::meta(self).instance
            }

            fn weights(&self) -> $crate::component::Tensors {
                $crate::component::Parts::weight_tensors(self)
            }

            fn biases(&self) -> $crate::component::Tensors {
                $crate::component::Parts::bias_tensors(self)
            }

            fn variables(&self) -> $crate::component::Tensors {
                let mut all = $crate::component::Parts::weight_tensors(self);
                all.extend($crate::component::Parts::bias_tensors(self));
                all.extend($crate::component::Parts::state_tensors(self));
                if let Some(sample) = $crate::component::Parts::meta(self).probe.sample() {
                    all.insert("output".to_string(), sample);
                }
                all
            }

            fn get_sample(&self) -> Option<burn::tensor::TensorData> {
                $crate::component::Parts::meta(self).probe.sample()
            }

            fn gradients(&self) -> $crate::component::Tensors {
                $crate::component::Parts::meta(self).probe.with(|c| c.gradients.clone())
            }

            fn code(&self) -> String {
                let meta = $crate::component::Parts::meta(self);
                format!(
                    "/// `{}`: {}\n/// output per element: {}\npub struct {}{}_{};\n\n// settings\n{}\n",
                    meta.instance,
                    $crate::component::Parts::formula(self),
                    meta.output.shape,
                    <Self as $crate::component::Component<B>>::CATEGORY,
                    <Self as $crate::component::Component<B>>::TYPE,
                    meta.name,
                    $crate::component::Parts::describe(self),
                )
            }
        }
    };
}

pub(crate) use impl_component;
