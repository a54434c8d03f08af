//! Deep-learning components: the layers that learn.
//!
//! - [`Dense`]: a fully connected layer.
//! - [`Conv`]: a 2-D convolution.
//! - [`MaxPool`]: max pooling.
//! - [`Dropout`]: random zeroing while training.
//! - [`BatchNorm`]: batch normalisation.
//!
//! Each wraps the burn module that does the work (`burn::nn::Linear`, `Conv2d`, ...).

mod activation;
mod batch_norm;
mod conv;
mod dense;
mod dropout;
mod max_pool;

pub use batch_norm::BatchNorm;
pub use conv::Conv;
pub use dense::Dense;
pub use dropout::Dropout;
pub use max_pool::MaxPool;
pub use percept_catalogue::{
    Activation, BatchNormSettings, ConvSettings, DenseSettings, DropoutSettings, MaxPoolSettings,
    Padding,
};

pub(crate) use activation::activate;
