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
