//! `Classification`: trains the prediction to match class labels (softmax cross-entropy) and
//! reports accuracy.

use serde::{Deserialize, Serialize};

use super::training::TrainingSettings;
use super::{Category, ComponentSettings};
use crate::error::ShapeError;
use crate::schema::Setting;
use crate::shape::{Input, Shape, Signal};
use crate::written::{ValueError, Written};

/// The settings of a `Classification` component.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClassificationSettings {
    /// Epochs, batch size, optimizer, validation split, seed, headless, checkpoint.
    pub training: TrainingSettings,
}

impl ComponentSettings for ClassificationSettings {
    const CATEGORY: Category = Category::Train;
    const TYPE: &'static str = "Classification";
    const ABOUT: &'static str = "softmax cross-entropy against class labels; reports accuracy";
    const SHAPES: &'static str = "(prediction `[n]`, labels `[]` or `[n]`) → the loss";
    const SCHEMA: &'static [Setting] = TrainingSettings::SCHEMA;

    fn assign(&mut self, key: &str, value: &Written) -> Result<(), ValueError> {
        self.training.assign(Self::TYPE, key, value)
    }

    /// The prediction must be `[classes]`; the labels either class indices of as many classes
    /// or one-hot vectors `[classes]`.
    fn infer(&self, this: &str, inputs: &[Input<'_>]) -> Result<Signal, ShapeError> {
        let (prediction, labels) = self.training.check(this, Self::TYPE, inputs)?;
        let &[width] = prediction.signal.shape.dims() else {
            return Err(ShapeError::Rank {
                component: this.to_string(),
                type_name: Self::TYPE,
                input: prediction.name.to_string(),
                expected: "a prediction `[classes]`",
                found: prediction.signal.shape.clone(),
                fix: format!(
                    "end `{}` with a `Dense {{ units: classes }}`",
                    prediction.name
                ),
            });
        };
        let classes = match (labels.signal.shape.dims(), labels.signal.classes) {
            (&[n], None) if n > 1 => n,
            (dims, Some(classes)) if dims.iter().product::<usize>() == 1 => classes,
            (dims, None) if dims.iter().product::<usize>() == 1 => {
                return Err(ShapeError::UnknownClasses {
                    component: this.to_string(),
                    type_name: Self::TYPE,
                    input: labels.name.to_string(),
                });
            }
            _ => {
                return Err(ShapeError::Rank {
                    component: this.to_string(),
                    type_name: Self::TYPE,
                    input: labels.name.to_string(),
                    expected: "labels as class indices `[]` or one-hot `[classes]`",
                    found: labels.signal.shape.clone(),
                    fix: format!("give `{}` one column with `classes: n`", labels.name),
                });
            }
        };
        if width != classes {
            return Err(ShapeError::ClassCount {
                component: this.to_string(),
                prediction: prediction.name.to_string(),
                width,
                labels: labels.name.to_string(),
                classes,
            });
        }
        Ok(Signal::new(Shape::scalar()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rules::test_support::inputs;

    fn check(prediction: Signal, labels: Signal) -> Result<Signal, ShapeError> {
        ClassificationSettings::default().infer("train", &inputs(&[prediction, labels]))
    }

    #[test]
    fn accepts_class_indices_and_one_hot() {
        assert!(check(Signal::new([10]), Signal::class_indices(10)).is_ok());
        assert!(check(Signal::new([3]), Signal::new([3])).is_ok());
    }

    #[test]
    fn names_both_widths() {
        let err = check(Signal::new([8]), Signal::class_indices(10)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`train` (Classification) gets predictions `a` of width 8 but labels `b` with 10 classes; make `a` output 10 values (e.g. `units: 10`)"
        );
    }

    #[test]
    fn needs_a_flat_prediction() {
        let err = check(Signal::new([2, 2, 10]), Signal::class_indices(10)).unwrap_err();
        assert!(matches!(err, ShapeError::Rank { .. }));
    }

    #[test]
    fn needs_known_classes() {
        let err = check(Signal::new([10]), Signal::new([])).unwrap_err();
        assert!(matches!(err, ShapeError::UnknownClasses { .. }));
    }

    #[test]
    fn rejects_image_labels() {
        let err = check(Signal::new([10]), Signal::new([2, 5])).unwrap_err();
        assert!(matches!(err, ShapeError::Rank { .. }));
    }

    #[test]
    fn takes_two_inputs() {
        let err = ClassificationSettings::default()
            .infer("train", &inputs(&[Signal::new([10])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Arity { found: 1, .. }));
    }

    #[test]
    fn checks_the_training_settings() {
        let mut s = ClassificationSettings::default();
        s.training.batch_size = 0;
        let err = s
            .infer("t", &inputs(&[Signal::new([2]), Signal::class_indices(2)]))
            .unwrap_err();
        assert!(matches!(
            err,
            ShapeError::InvalidSetting {
                setting: "batch_size",
                ..
            }
        ));
        let mut s = ClassificationSettings::default();
        s.training.validation = 1.0;
        let err = s
            .infer("t", &inputs(&[Signal::new([2]), Signal::class_indices(2)]))
            .unwrap_err();
        assert!(matches!(
            err,
            ShapeError::InvalidSetting {
                setting: "validation",
                ..
            }
        ));
        let mut s = ClassificationSettings::default();
        s.training.optimizer = crate::Optimizer::Sgd {
            learning_rate: 0.0,
            momentum: 0.0,
        };
        let err = s
            .infer("t", &inputs(&[Signal::new([2]), Signal::class_indices(2)]))
            .unwrap_err();
        assert!(
            err.to_string().contains("positive `learning_rate`"),
            "{err}"
        );
        s.training.optimizer = crate::Optimizer::Sgd {
            learning_rate: 0.1,
            momentum: 1.5,
        };
        let err = s
            .infer("t", &inputs(&[Signal::new([2]), Signal::class_indices(2)]))
            .unwrap_err();
        assert!(err.to_string().contains("`momentum`"), "{err}");
        s.training.epochs = 0;
        let err = s
            .infer("t", &inputs(&[Signal::new([2]), Signal::class_indices(2)]))
            .unwrap_err();
        assert!(matches!(
            err,
            ShapeError::InvalidSetting {
                setting: "epochs",
                ..
            }
        ));
    }
}
