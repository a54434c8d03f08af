//! `Classification`: softmax cross-entropy and accuracy.

use std::marker::PhantomData;

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use percept_catalogue::{ClassificationSettings, Signal};

use super::BatchLoss;
use crate::component::{Builtin, Meta, Parts, Pass, Place, impl_component};
use crate::error::Result;
use crate::value::Value;

/// A Classification component.
#[derive(Module, Debug)]
pub struct Classification<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    settings: ClassificationSettings,
}

impl<B: Backend> Classification<B> {
    /// The settings.
    pub fn settings(&self) -> &ClassificationSettings {
        &self.settings
    }

    /// The mean cross-entropy of `logits` against class indices, and the number of correct
    /// predictions.
    ///
    /// # Shapes
    /// - logits: `[batch, classes]` (the prediction before any softmax)
    /// - labels: `[batch]` class indices (as floats)
    pub fn forward(&self, logits: Tensor<B, 2>, labels: Tensor<B, 1>) -> BatchLoss<B> {
        let (loss, correct) = crate::kernels::cross_entropy::cross_entropy(logits, labels);
        BatchLoss {
            loss,
            sums: correct,
        }
    }

    /// The same for one-hot (or probability) labels `[batch, classes]`.
    pub fn forward_one_hot(
        &self,
        logits: Tensor<B, 2>,
        labels: Tensor<B, 2>,
    ) -> BatchLoss<B> {
        let [batch, _] = logits.dims();
        let log_probs = log_softmax(logits.clone(), 1);
        let loss = (log_probs * labels.clone())
            .sum()
            .div_scalar(batch as f32)
            .neg();
        let correct = logits.argmax(1).equal(labels.argmax(1)).int().sum().float();
        BatchLoss {
            loss,
            sums: correct,
        }
    }

    pub(crate) fn loss_value(
        &self,
        logits: &Value<B>,
        labels: &Value<B>,
    ) -> Result<BatchLoss<B>> {
        let this = &self.meta.instance;
        let logits = logits.tensor::<2>(this)?;
        Ok(match labels.rank() {
            1 => self.forward(logits, labels.tensor::<1>(this)?),
            _ => {
                let labels = labels.tensor::<2>(this)?;
                // A single column of class indices, or one-hot vectors.
                if labels.dims()[1] == 1 && logits.dims()[1] != 1 {
                    self.forward(logits, labels.reshape([-1]))
                } else {
                    self.forward_one_hot(logits, labels)
                }
            }
        })
    }
}

impl<B: Backend> Builtin<B> for Classification<B> {
    type Settings = ClassificationSettings;

    fn new(meta: Meta, settings: ClassificationSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        Classification {
            backend: PhantomData,
            meta,
            settings,
        }
    }

    /// The loss of the prediction (the first input) against the labels (the second).
    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        Ok(self.loss_value(inputs[0], inputs[1])?.loss.into())
    }
}

impl<B: Backend> Parts for Classification<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("{:#?}", self.settings)
    }

    fn formula(&self) -> &'static str {
        "loss = cross_entropy(softmax(logits), labels); accuracy = mean(argmax(logits) == labels)"
    }
}

impl_component!(Classification);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    fn classification() -> Classification<NdArray> {
        Classification::<NdArray>::new(
            Meta::new("t", "Classification", 1, Signal::new([])),
            Default::default(),
            &[],
            &place(),
        )
    }

    #[test]
    fn cross_entropy_and_accuracy() {
        let device = Default::default();
        // Uniform logits over 2 classes: loss ln 2 whatever the label.
        let logits = Tensor::<NdArray, 2>::from_floats([[0.0, 0.0], [3.0, 1.0]], &device);
        let labels = Tensor::<NdArray, 1>::from_floats([1.0, 0.0], &device);
        let (loss, sums) = classification().forward(logits, labels).read();
        // second row: -log(e^3 / (e^3 + e^1)) = log(1 + e^-2)
        let want = (2f32.ln() + (1.0 + (-2f32).exp()).ln()) / 2.0;
        assert!((loss - want).abs() < 1e-6, "{loss} vs {want}");
        // argmax of [0, 0] is 0 (wrong), of [3, 1] is 0 (right)
        assert_eq!(sums, [1.0]);
    }

    #[test]
    fn one_hot_labels_give_the_same_loss() {
        let device = Default::default();
        let logits = Tensor::<NdArray, 2>::from_floats([[0.5, -1.0, 2.0]], &device);
        let indices = Tensor::<NdArray, 1>::from_floats([2.0], &device);
        let one_hot = Tensor::<NdArray, 2>::from_floats([[0.0, 0.0, 1.0]], &device);
        let (a, _) = classification().forward(logits.clone(), indices).read();
        let (b, sums) = classification().forward_one_hot(logits, one_hot).read();
        assert!((a - b).abs() < 1e-6);
        assert_eq!(sums, [1.0]);
    }
}
