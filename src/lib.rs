//! percept: neural-network models as graphs of components, the way PerceptiLabs draws them,
//! declared in Rust, checked for shape errors, and trained with [burn](https://burn.dev).
//!
//! A model is a graph of components (Data, Processing, Deep Learning, Mathematics, Training),
//! declared inline with [`model!`], which checks every setting, the wiring and every shape when
//! it compiles and generates one typed struct per component:
//!
//! ```no_run
//! use percept::prelude::*;
//!
//! model! {
//!     /// Classifies the 8x8 handwritten digits that ship with percept.
//!     pub DigitClassifier {
//!         images:  Data { source: Digits::Images },
//!         labels:  Data { source: Digits::Labels },
//!         reshape: Reshape { shape: [8, 8, 1] }                      <- images,
//!         conv:    Conv { filters: 16, kernel: 3, activation: Relu } <- reshape,
//!         pool:    MaxPool { size: 2 }                               <- conv,
//!         flat:    Flatten                                           <- pool,
//!         fc:      Dense { units: 10, activation: Softmax }          <- flat,
//!         train:   Classification { epochs: 30 }                     <- (fc, labels),
//!     }
//! }
//!
//! let mut model = DigitClassifier::<TrainingBackend>::new(&Default::default());
//! let report = model.run()?;
//! println!("validation accuracy {:.3}", report.last().unwrap().accuracy_validation);
//! assert_eq!(Component::<TrainingBackend>::class_name(&model.conv), "DeepLearningConv_Conv_1");
//! # Ok::<(), percept::Error>(())
//! ```
//!
//! The same model can be wired entry by entry in plain Rust with [`ModelBuilder`], which runs
//! the same checks when it builds.
//!
//! The backend is chosen by a cargo feature: `ndarray` (the default, CPU), `flex` (burn's
//! newer pure-Rust CPU backend) or `cuda` (NVIDIA GPUs). When several are enabled, `cuda`
//! wins, then `flex`. [`DefaultBackend`] is the selected backend and [`TrainingBackend`] the
//! same with autodiff.
#![warn(missing_docs)]

/// Makes a struct of your own a component that `model!` uses like a built-in: its shape
/// signature takes part in the compile-time checks, its `#[weight]` and `#[bias]` fields are
/// trained, and `#[setting]` fields are set in the model's entry. See the book's "Custom
/// components" chapter.
///
/// ```
/// use percept::prelude::*;
///
/// /// Multiplies every feature by a learned gain, times `scale`.
/// #[component(shape = [n] -> [n])]
/// pub struct Gain<B: Backend> {
///     #[weight]
///     gain: Param<Tensor<B, 1>>,
///     #[setting(default = 1.0)]
///     scale: f32,
/// }
///
/// impl<B: Backend> Gain<B> {
///     /// Called once, with the input's per-element shape.
///     pub fn init(input: [usize; 1], device: &B::Device) -> Self {
///         Self { gain: Param::from_tensor(Tensor::ones([input[0]], device)), scale: 1.0 }
///     }
///     /// The computation, batch first.
///     pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
///         x * self.gain.val().unsqueeze() * self.scale
///     }
/// }
///
/// model! {
///     pub Gained {
///         images: Data { source: Digits::Images },
///         labels: Data { source: Digits::Labels },
///         gain:   Gain { scale: 0.5 }                      <- images,
///         fc:     Dense { units: 10, activation: Softmax } <- gain,
///         train:  Classification                           <- (fc, labels),
///     }
/// }
///
/// fn main() -> Result<(), percept::Error> {
///     let model = Gained::<DefaultBackend>::new(&Default::default());
///     assert_eq!(model.gain.class_name(), "CustomGain_Gain_1");
///     model.preview()?;
///     let image = model.images.get_sample().unwrap().to_vec::<f32>().unwrap();
///     let gained = model.gain.get_sample().unwrap().to_vec::<f32>().unwrap();
///     assert_eq!(gained[10], image[10] * 0.5);
///
///     // The same component in plain Rust, through its generated settings struct.
///     let built = Gained::<DefaultBackend>::builder().build::<DefaultBackend>(&Default::default())?;
///     assert_eq!(built.summary().to_string().matches("CustomGain_Gain_1").count(), 1);
///     let _ = GainSettings { scale: 2.0 };
///     Ok(())
/// }
/// ```
pub use percept_macros::component;

/// burn, the version percept is built on, for the tensor operations of custom components
/// (`percept::burn::tensor::module::avg_pool2d`) without a second dependency to keep in step.
pub use burn;
pub use percept_macros::model;
pub use percept_runtime::catalogue::{self, schema};
pub use percept_runtime::*;

/// What a program using percept needs in scope.
pub mod prelude {
    pub use burn::module::{Module, Param};
    pub use burn::prelude::{Backend, Tensor, TensorData};
    pub use burn::tensor::backend::AutodiffBackend;
    pub use percept_macros::{component, model};
    #[cfg(feature = "dashboard")]
    pub use percept_runtime::Dashboard;
    // Every built-in's settings and the types they use, from the catalogue's list.
    pub use percept_runtime::catalogue::builtins::*;
    pub use percept_runtime::catalogue::{Activation, Optimizer, Shape, TrainingSettings};
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
