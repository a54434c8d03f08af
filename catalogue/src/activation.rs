//! Activation functions that Dense and Conv apply to their output.

use serde::{Deserialize, Serialize};

/// An activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Activation {
    /// No activation: the layer is linear (the default).
    #[default]
    None,
    /// `max(0, x)`.
    Relu,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// The hyperbolic tangent.
    Tanh,
    /// The softmax over the last axis (features, or channels of an image).
    Softmax,
}

impl Activation {
    /// Every activation's name, as written in `model!`.
    pub const NAMES: &'static [&'static str] = &["None", "Relu", "Sigmoid", "Tanh", "Softmax"];

    /// The name as written in `model!`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::None => "None",
            Activation::Relu => "Relu",
            Activation::Sigmoid => "Sigmoid",
            Activation::Tanh => "Tanh",
            Activation::Softmax => "Softmax",
        }
    }

    /// The activation of that name.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::None,
            Self::Relu,
            Self::Sigmoid,
            Self::Tanh,
            Self::Softmax,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in Activation::NAMES {
            assert_eq!(Activation::from_name(name).unwrap().name(), *name);
        }
        assert_eq!(Activation::from_name("relu"), None);
    }
}
