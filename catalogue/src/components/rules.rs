//! Checks that several shape rules share.

use crate::error::ShapeError;
use crate::shape::{Input, MAX_RANK, Shape, Signal};

/// The single input of a one-input component.
pub(crate) fn one_input<'a>(
    this: &str,
    type_name: &'static str,
    inputs: &[Input<'a>],
) -> Result<Input<'a>, ShapeError> {
    match inputs {
        [input] => Ok(*input),
        _ => Err(ShapeError::Arity {
            component: this.to_string(),
            type_name,
            expected: "one input",
            found: inputs.len(),
            fix: "write `<- name` with the one component that feeds it",
        }),
    }
}

/// A signal of `shape`, if percept supports its rank.
pub(crate) fn output(this: &str, shape: Shape) -> Result<Signal, ShapeError> {
    if shape.rank() > MAX_RANK {
        return Err(ShapeError::RankTooHigh {
            component: this.to_string(),
            rank: shape.rank(),
            shape,
        });
    }
    Ok(Signal::new(shape))
}

/// Rejects a zero where a count or size is needed.
pub(crate) fn positive(this: &str, setting: &'static str, value: usize) -> Result<(), ShapeError> {
    if value == 0 {
        return Err(ShapeError::InvalidSetting {
            component: this.to_string(),
            setting,
            problem: "must be at least 1, found 0".to_string(),
        });
    }
    Ok(())
}

/// Rejects a class count below 2: one class leaves nothing to learn.
pub(crate) fn class_count(
    this: &str,
    setting: &'static str,
    classes: usize,
) -> Result<(), ShapeError> {
    if classes < 2 {
        return Err(ShapeError::InvalidSetting {
            component: this.to_string(),
            setting,
            problem: format!("must be at least 2, found {classes}"),
        });
    }
    Ok(())
}

/// Rejects a value outside `[low, high)`, or not finite.
pub(crate) fn in_range(
    this: &str,
    setting: &'static str,
    value: f64,
    low: f64,
    high: f64,
) -> Result<(), ShapeError> {
    if !(value.is_finite() && value >= low && value < high) {
        return Err(ShapeError::InvalidSetting {
            component: this.to_string(),
            setting,
            problem: format!("must be at least {low} and below {high}, found {value}"),
        });
    }
    Ok(())
}

/// The error for an input of the wrong rank.
pub(crate) fn wrong_rank(
    this: &str,
    type_name: &'static str,
    input: Input<'_>,
    expected: &'static str,
    fix: String,
) -> ShapeError {
    ShapeError::Rank {
        component: this.to_string(),
        type_name,
        input: input.name.to_string(),
        expected,
        found: input.signal.shape.clone(),
        fix,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Builds inputs for rule tests.

    use crate::shape::{Input, Signal};

    /// Inputs named `a`, `b`, ... with the given signals.
    pub(crate) fn inputs(signals: &[Signal]) -> Vec<Input<'_>> {
        const NAMES: [&str; 4] = ["a", "b", "c", "d"];
        signals
            .iter()
            .zip(NAMES)
            .map(|(signal, name)| Input { name, signal })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    //! Error paths that several components share, checked once per component here.

    use super::test_support::inputs;
    use crate::components::*;
    use crate::error::ShapeError;
    use crate::shape::Signal;

    fn setting(err: ShapeError) -> &'static str {
        match err {
            ShapeError::InvalidSetting { setting, .. } => setting,
            other => panic!("expected an invalid setting, got {other}"),
        }
    }

    #[test]
    fn invalid_settings_name_the_key() {
        let flat = [Signal::new([4])];
        let image = [Signal::new([4, 4, 1])];
        let momentum = BatchNormSettings {
            momentum: 1.5,
            ..Default::default()
        };
        assert_eq!(
            setting(momentum.infer("bn", &inputs(&flat)).unwrap_err()),
            "momentum"
        );
        let pool = MaxPoolSettings {
            size: 0,
            stride: None,
        };
        assert_eq!(
            setting(pool.infer("p", &inputs(&image)).unwrap_err()),
            "size"
        );
        let pool = MaxPoolSettings {
            size: 2,
            stride: Some(0),
        };
        assert_eq!(
            setting(pool.infer("p", &inputs(&image)).unwrap_err()),
            "stride"
        );
        let drop = DropoutSettings { rate: -0.1 };
        assert_eq!(
            setting(drop.infer("d", &inputs(&flat)).unwrap_err()),
            "rate"
        );
        let hot = OneHotSettings { classes: Some(1) };
        assert_eq!(
            setting(
                hot.infer("o", &inputs(&[Signal::class_indices(1)]))
                    .unwrap_err()
            ),
            "classes"
        );
        let conv = ConvSettings {
            kernel: 0,
            ..ConvSettings::new(2, 3)
        };
        assert_eq!(
            setting(conv.infer("c", &inputs(&image)).unwrap_err()),
            "kernel"
        );
    }

    #[test]
    fn one_input_components_reject_two() {
        let two = [Signal::new([4]), Signal::new([4])];
        for settings in [
            Settings::from(SoftmaxSettings {}),
            ArgmaxSettings {}.into(),
            FlattenSettings {}.into(),
            RescaleSettings::default().into(),
            DropoutSettings::default().into(),
            BatchNormSettings::default().into(),
            DenseSettings::new(2, crate::Activation::None).into(),
        ] {
            let err = settings.infer("x", &inputs(&two)).unwrap_err();
            assert!(
                matches!(err, ShapeError::Arity { found: 2, .. }),
                "{}: {err}",
                settings.type_name()
            );
        }
        let err = RegressionSettings::default()
            .infer("t", &inputs(&two[..1]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::Arity { found: 1, .. }));
    }

    #[test]
    fn a_single_column_without_classes_is_not_one_hot() {
        let err = ClassificationSettings::default()
            .infer("t", &inputs(&[Signal::new([1]), Signal::new([1])]))
            .unwrap_err();
        assert!(matches!(err, ShapeError::UnknownClasses { .. }), "{err}");
    }
}
