//! Processing components: reshaping and rescaling values without learning anything.
//!
//! - [`Reshape`]: the same values in another per-element shape.
//! - [`Flatten`]: every value of an element in one row.
//! - [`Rescale`]: `x * scale + offset`.
//! - [`OneHot`]: class indices into one-hot vectors.

mod flatten;
mod one_hot;
mod rescale;
mod reshape;

pub use flatten::Flatten;
pub use one_hot::OneHot;
pub use percept_catalogue::{FlattenSettings, OneHotSettings, RescaleSettings, ReshapeSettings};
pub use rescale::Rescale;
pub use reshape::Reshape;
