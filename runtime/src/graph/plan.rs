//! The checked structure of a model: who feeds whom, in which order, with which shapes.

use std::path::PathBuf;

use percept_catalogue::{Settings, Signal};

/// One component of a checked model.
#[derive(Debug, Clone)]
pub struct PlanEntry {
    /// The instance name.
    pub instance: String,
    /// The settings.
    pub settings: Settings,
    /// The indices of its inputs, in order.
    pub inputs: Vec<usize>,
    /// The indices of the components it feeds.
    pub consumers: Vec<usize>,
    /// What it outputs.
    pub output: Signal,
}

/// The checked structure of a model.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The model's name.
    pub name: String,
    /// The components, in declaration order.
    pub entries: Vec<PlanEntry>,
    /// The components in an order where every input comes before its consumers.
    pub order: Vec<usize>,
    /// The index of the Training component.
    pub training: usize,
    /// The indices of the Data components.
    pub data: Vec<usize>,
    /// The directory relative data files are resolved against.
    pub base_dir: PathBuf,
}

impl Plan {
    /// The index of the component named `instance`.
    pub fn index_of(&self, instance: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.instance == instance)
    }

    /// The prediction and label inputs of the Training component.
    pub fn prediction_and_labels(&self) -> (usize, usize) {
        let inputs = &self.entries[self.training].inputs;
        (inputs[0], inputs[1])
    }

    /// The MaxPool that alone reads component `i`'s output, when `i` is a Conv and that
    /// MaxPool reads nothing else: the two then run as one fused operation.
    pub fn pool_after(&self, i: usize) -> Option<usize> {
        let entry = &self.entries[i];
        let [j] = entry.consumers[..] else {
            return None;
        };
        let pool = &self.entries[j];
        (matches!(entry.settings, Settings::Conv(_))
            && matches!(pool.settings, Settings::MaxPool(_))
            && pool.inputs == [i])
        .then_some(j)
    }

    // The logits rule, in one place: a Classification trains on logits (softmax
    // cross-entropy computed from them, as stable as it gets) when the prediction ends in a
    // Softmax that nothing else reads; each component's settings say whether it ends in a
    // Softmax (`ends_in_softmax`) and whether it passes values on unchanged
    // (`passes_values`).

    /// The component whose output the forward pass computes as logits when asked: the
    /// prediction, when it ends in a Softmax and only the Training component reads it.
    pub fn logits_at(&self) -> Option<usize> {
        let (prediction, _) = self.prediction_and_labels();
        let only_training = self.entries[prediction]
            .consumers
            .iter()
            .all(|&c| c == self.training);
        (only_training && self.entries[prediction].settings.ends_in_softmax()).then_some(prediction)
    }

    /// True when the prediction's values, as the forward pass of training computes them,
    /// are probabilities: they are not computed as logits, but a Softmax comes before them,
    /// passed on unchanged (by a Dropout, a Reshape, a Flatten).
    pub fn prediction_holds_probabilities(&self) -> bool {
        let (mut i, _) = self.prediction_and_labels();
        if self.logits_at().is_some() {
            return false;
        }
        loop {
            let entry = &self.entries[i];
            if entry.settings.ends_in_softmax() {
                return true;
            }
            match entry.inputs.as_slice() {
                [input] if entry.settings.passes_values() => i = *input,
                _ => return false,
            }
        }
    }
}
