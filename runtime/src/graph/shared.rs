//! A model shared by the typed handles that `model!` generates: one handle per component, all
//! looking into the same model, so that what a handle shows is what training left there.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use burn::prelude::*;

use super::model::Model;
use crate::component::Pass;
use crate::component::Tensors;
use crate::error::Result;
use crate::value::Value;

/// A model behind a lock, shared with its component handles.
#[derive(Debug, Clone)]
pub struct Shared<B: Backend>(Arc<Mutex<Model<B>>>);

impl<B: Backend> Shared<B> {
    /// Shares `model`.
    pub fn new(model: Model<B>) -> Self {
        Shared(Arc::new(Mutex::new(model)))
    }

    /// The model, locked.
    pub fn lock(&self) -> MutexGuard<'_, Model<B>> {
        // A panic inside a model call leaves it as consistent as the call left it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A handle on the component `index` (in declaration order).
    pub fn handle(&self, index: usize) -> Handle<B> {
        let model = self.lock();
        let meta = model.components()[index].meta();
        Handle {
            model: self.clone(),
            index,
            name: meta.name.clone(),
            instance: meta.instance.clone(),
        }
    }
}

/// One component of a [`Shared`] model: what a generated component struct holds.
#[derive(Debug, Clone)]
pub struct Handle<B: Backend> {
    model: Shared<B>,
    index: usize,
    name: String,
    instance: String,
}

impl<B: Backend> Handle<B> {
    /// `{TYPE}_{n}`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instance name.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The weights.
    pub fn weights(&self) -> Tensors {
        self.model.lock().components()[self.index].weights()
    }

    /// The biases.
    pub fn biases(&self) -> Tensors {
        self.model.lock().components()[self.index].biases()
    }

    /// The trainable variables.
    pub fn trainable_variables(&self) -> Tensors {
        self.model.lock().components()[self.index].trainable_variables()
    }

    /// The variables.
    pub fn variables(&self) -> Tensors {
        self.model.lock().components()[self.index].variables()
    }

    /// The last sample.
    pub fn get_sample(&self) -> Option<TensorData> {
        self.model.lock().components()[self.index].get_sample()
    }

    /// The last captured gradients.
    pub fn gradients(&self) -> Tensors {
        self.model.lock().components()[self.index].gradients()
    }

    /// The code view of the runtime component.
    pub fn code(&self) -> String {
        self.model.lock().components()[self.index].code()
    }

    /// The component's computation on typed tensors, batch first; the ranks are the ones
    /// `model!` inferred.
    pub fn forward<const O: usize>(
        &self,
        inputs: Vec<Value<B>>,
        is_training: bool,
    ) -> Result<Tensor<B, O>> {
        let model = self.model.lock();
        let refs: Vec<&Value<B>> = inputs.iter().collect();
        model
            .compute(
                self.index,
                &refs,
                Pass {
                    is_training,
                    capture: false,
                    logits: false,
                },
            )?
            .tensor::<O>(&self.instance)
    }
}
