//! The runtime of percept: components, the graph, data and training on burn.
//!
//! Users normally reach it through the `percept` crate (its `model!` macro generates code that
//! wires these pieces together); everything a model can do lives and is tested here.
//!
//! - [`component`]: the [`Component`] interface (class names, weights, biases, variables,
//!   samples, code).
//! - [`components`]: the built-in catalogue, one file per component, by category.
//! - [`graph`]: [`ModelBuilder`] checks and wires components into a [`Model`].
//! - [`training`]: `run()`, `evaluate()`, the [`TrainingReport`], and the previews of what
//!   each component computed.
//! - [`view`]: the training view, as a report file and as a live dashboard in the browser; it
//!   depends on `training`, never the reverse.
//! - [`backend`]: the burn backend the cargo features select.
//! - [`engine`]: the model operations compiled here for those backends, which the code of
//!   `model!` calls, so that a user's crate does not compile them again.
//! - `kernels` (private): percept's own CPU kernels for Dense, Conv, MaxPool, Dropout,
//!   Rescale, Reshape, Flatten and Classification's loss, custom autodiff operations on the
//!   CPU backends.
#![warn(missing_docs)]

pub mod backend;
pub mod component;
pub mod components;
pub mod engine;
mod error;
pub mod graph;
mod kernels;
mod persist;
mod seed;
pub mod training;
mod value;
pub mod view;

pub use backend::{BACKEND_NAME, DefaultBackend, TrainingBackend};
pub use component::{Component, Tensors};
pub use components::custom::{CustomComponent, CustomType};
pub use engine::{Engine, TrainingEngine};
pub use error::{Error, Result};
pub use graph::{Model, ModelBuilder, Summary};
pub use training::{EpochStats, Evaluation, Progress, TrainingReport};
pub use value::Value;
#[cfg(feature = "dashboard")]
pub use view::Dashboard;

/// The catalogue: settings, defaults and shape rules of every built-in.
pub use percept_catalogue as catalogue;
/// The data file readers.
pub use percept_formats as formats;
