//! What flows along an edge of the graph: a per-element shape, and for class labels their count.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The largest per-element rank a built-in accepts (`[height, width, channels]`).
pub const MAX_RANK: usize = 3;

/// A per-element shape: the batch dimension is implicit and never written.
///
/// Image-like shapes are `[height, width, channels]`, as in TensorFlow and PerceptiLabs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    /// The shape of a scalar element (a class index, a single target).
    pub fn scalar() -> Self {
        Shape(Vec::new())
    }

    /// The number of dimensions (0 for a scalar element).
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// The number of values in one element (1 for a scalar element).
    pub fn element_count(&self) -> usize {
        self.0.iter().product()
    }

    /// The dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// True when both hold one value per element (`[]` and `[1]` are interchangeable).
    pub fn same_values(&self, other: &Shape) -> bool {
        self == other || (self.element_count() == 1 && other.element_count() == 1)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Self {
        Shape(dims)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Self {
        Shape(dims.to_vec())
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Shape(dims.to_vec())
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

/// What a component outputs, as far as shape checks are concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// The per-element shape.
    pub shape: Shape,
    /// For class indices (per-element shape `[]`): how many classes there are.
    pub classes: Option<usize>,
}

impl Signal {
    /// A signal of plain values.
    pub fn new(shape: impl Into<Shape>) -> Self {
        Signal {
            shape: shape.into(),
            classes: None,
        }
    }

    /// A signal of class indices `0..classes`, one per element.
    pub fn class_indices(classes: usize) -> Self {
        Signal {
            shape: Shape::scalar(),
            classes: Some(classes),
        }
    }
}

/// One input of a component during shape inference: the name of the component that feeds it
/// and what that component outputs.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The instance name of the feeding component (`pool`).
    pub name: &'a str,
    /// What it outputs.
    pub signal: &'a Signal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_the_user_writes_it() {
        assert_eq!(Shape::from([8, 8, 1]).to_string(), "[8, 8, 1]");
        assert_eq!(Shape::scalar().to_string(), "[]");
    }

    #[test]
    fn counts_elements() {
        assert_eq!(Shape::from([3, 3, 16]).element_count(), 144);
        assert_eq!(Shape::scalar().element_count(), 1);
        assert!(Shape::scalar().same_values(&Shape::from([1])));
        assert!(!Shape::from([2]).same_values(&Shape::from([1, 2])));
    }
}
