//! Mathematics components: combining and summarising values.
//!
//! - [`Merge`]: concatenation, sum or product of several inputs.
//! - [`Argmax`]: the index of the largest value.
//! - [`Softmax`]: probabilities over the last axis.

mod argmax;
mod merge;
mod softmax;

pub use argmax::Argmax;
pub use merge::Merge;
pub use percept_catalogue::{ArgmaxSettings, MergeOp, MergeSettings, SoftmaxSettings};
pub use softmax::Softmax;
