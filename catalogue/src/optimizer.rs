//! The optimizers a Training component can use.

use serde::{Deserialize, Serialize};

/// An optimizer and its settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Optimizer {
    /// Stochastic gradient descent with optional momentum.
    Sgd {
        /// The step size (default 0.01).
        learning_rate: f64,
        /// The momentum, 0 for none (default 0).
        momentum: f64,
    },
    /// Adam (default learning rate 0.001).
    Adam {
        /// The step size.
        learning_rate: f64,
    },
    /// RMSProp (default learning rate 0.001).
    RmsProp {
        /// The step size.
        learning_rate: f64,
    },
}

impl std::fmt::Display for Optimizer {
    /// As written in `model!`: `Adam { learning_rate: 0.001 }`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Optimizer::Sgd {
                learning_rate,
                momentum,
            } => write!(
                f,
                "Sgd {{ learning_rate: {learning_rate}, momentum: {momentum} }}"
            ),
            Optimizer::Adam { learning_rate } => {
                write!(f, "Adam {{ learning_rate: {learning_rate} }}")
            }
            Optimizer::RmsProp { learning_rate } => {
                write!(f, "RmsProp {{ learning_rate: {learning_rate} }}")
            }
        }
    }
}

impl Optimizer {
    /// Every optimizer's name, as written in `model!`.
    pub const NAMES: &'static [&'static str] = &["Sgd", "Adam", "RmsProp"];

    /// SGD with the default learning rate 0.01 and no momentum.
    pub const fn sgd() -> Self {
        Optimizer::Sgd {
            learning_rate: 0.01,
            momentum: 0.0,
        }
    }

    /// Adam with the default learning rate 0.001.
    pub const fn adam() -> Self {
        Optimizer::Adam {
            learning_rate: 0.001,
        }
    }

    /// RMSProp with the default learning rate 0.001.
    pub const fn rms_prop() -> Self {
        Optimizer::RmsProp {
            learning_rate: 0.001,
        }
    }

    /// The learning rate.
    pub fn learning_rate(&self) -> f64 {
        match *self {
            Optimizer::Sgd { learning_rate, .. }
            | Optimizer::Adam { learning_rate }
            | Optimizer::RmsProp { learning_rate } => learning_rate,
        }
    }

    /// The name as written in `model!`.
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd { .. } => "Sgd",
            Optimizer::Adam { .. } => "Adam",
            Optimizer::RmsProp { .. } => "RmsProp",
        }
    }
}

impl Default for Optimizer {
    fn default() -> Self {
        Optimizer::adam()
    }
}
