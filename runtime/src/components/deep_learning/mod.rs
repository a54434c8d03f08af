//! Deep-learning components: the layers that learn.
//!
//! Each wraps the burn module that does the work (`burn::nn::Linear`, `Conv2d`, ...).

percept_catalogue::__builtins!(declare_family, DeepLearning);

mod activation;

pub use percept_catalogue::{Activation, Padding};

pub(crate) use activation::activate;
