//! The catalogue of percept's built-in components, with no burn dependency.
//!
//! For every built-in component type it holds the category (the first part of the
//! PerceptiLabs-style class name), the settings with their documented defaults, the settings
//! schema, and the shape rule from input shapes to output shape. The `model!` macro uses it at
//! compile time and the runtime when it builds a graph and loads data, so both give the same
//! messages.
//!
//! ```
//! use percept_catalogue::{ComponentSettings, DenseSettings, Activation, Input, Signal};
//!
//! let dense = DenseSettings::new(10, Activation::Softmax);
//! let pooled = Signal::new([3, 3, 16]);
//! let err = dense.infer("fc", &[Input { name: "pool", signal: &pooled }]).unwrap_err();
//! assert!(err.to_string().ends_with("insert `Flatten` between `pool` and `fc`"));
//! ```
#![warn(missing_docs)]
// Errors carry the names and shapes their messages need; they are built on the cold path
// of a failed check, so their size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

// `__builtins!`, the list of built-ins, made by `build.rs` from `src/components/`.
include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

mod activation;
pub mod check;
mod components;
mod error;
mod optimizer;
pub mod schema;
mod shape;
mod signature;
mod values;
mod wiring;
mod written;

pub use activation::Activation;
pub use components::*;
pub use error::ShapeError;
pub use optimizer::Optimizer;
pub use shape::{Input, MAX_RANK, Shape, Signal};
pub use signature::{Dim, Op, Signature, SignatureError};
pub use wiring::{Wiring, WiringError, wire};
pub use written::{FieldKind, SettingError, ValueError, ValuePart, Written};

/// What `percept-macros` uses beyond the public API: not part of it, and may change.
#[doc(hidden)]
pub mod __macro_support {
    pub use crate::written::{as_integer, check_custom_written, closest};
}
