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

    /// True when the Training component is the only consumer of the prediction, so that the
    /// prediction may be computed as logits.
    pub fn prediction_feeds_only_training(&self) -> bool {
        let (prediction, _) = self.prediction_and_labels();
        self.entries[prediction]
            .consumers
            .iter()
            .all(|&c| c == self.training)
    }
}
