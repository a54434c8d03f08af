//! percept: neural-network models as graphs of components, the way PerceptiLabs draws them,
//! declared in Rust, checked for shape errors, and trained with [burn](https://burn.dev).
//!
//! A model is a graph of components (Data, Processing, Deep Learning, Mathematics, Training).
//! Until the `model!` macro lands, a model is declared entry by entry with [`ModelBuilder`]:
//!
//! ```no_run
//! use percept::prelude::*;
//!
//! let mut model = ModelBuilder::new("DigitClassifier")
//!     .add("images", DataSettings::digits(Digits::Images), &[])
//!     .add("labels", DataSettings::digits(Digits::Labels), &[])
//!     .add("reshape", ReshapeSettings::new([8, 8, 1]), &["images"])
//!     .add("conv", ConvSettings::new(16, 3).with_activation(Activation::Relu), &["reshape"])
//!     .add("pool", MaxPoolSettings::new(2), &["conv"])
//!     .add("flat", FlattenSettings {}, &["pool"])
//!     .add("fc", DenseSettings::new(10, Activation::Softmax), &["flat"])
//!     .add("train", ClassificationSettings::default(), &["fc", "labels"])
//!     .build::<TrainingBackend>(&Default::default())?;
//! let report = model.run()?;
//! println!("validation accuracy {:.3}", report.last().unwrap().accuracy_validation);
//! # Ok::<(), percept::Error>(())
//! ```
//!
//! The backend is chosen by a cargo feature: `ndarray` (the default, CPU), `flex` (burn's
//! newer pure-Rust CPU backend) or `cuda` (NVIDIA GPUs). When several are enabled, `cuda`
//! wins, then `flex`. [`DefaultBackend`] is the selected backend and [`TrainingBackend`] the
//! same with autodiff.
#![warn(missing_docs)]

pub use percept_macros::model;
pub use percept_runtime::catalogue::{self, schema};
pub use percept_runtime::*;

/// What a program using percept needs in scope.
pub mod prelude {
    pub use burn::module::{Module, Param};
    pub use burn::prelude::{Backend, Tensor, TensorData};
    pub use burn::tensor::backend::AutodiffBackend;
    pub use percept_macros::model;
    pub use percept_runtime::catalogue::{
        Activation, ArgmaxSettings, BatchNormSettings, ClassificationSettings, Columns,
        ConvSettings, DataSettings, DenseSettings, Digits, DropoutSettings, FlattenSettings,
        MaxPoolSettings, MergeOp, MergeSettings, OneHotSettings, Optimizer, Padding,
        RegressionSettings, RescaleSettings, ReshapeSettings, Shape, SoftmaxSettings,
        TrainingSettings,
    };
    pub use percept_runtime::{
        Component, DefaultBackend, Error, Model, ModelBuilder, Progress, TrainingBackend,
    };
}

/// What generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use burn;
    pub use percept_runtime;
}
