//! The model operations, compiled once in percept for each backend its features enable.
//!
//! The struct that `model!` generates is generic over the backend. If its methods called
//! [`Model`]'s generic methods, every user's crate would instantiate burn's training code for
//! its backend, and compile it again after every edit (about 40 s in release, where cargo
//! compiles without incremental). They call these traits instead. Their implementations for
//! the concrete backends are ordinary functions of this crate: the user's crate links them and
//! compiles little more than its own code.
//!
//! The traits are sealed: they are implemented for the backends of the enabled features
//! (`NdArray`, `Flex`, `Cuda`) and for the same with `Autodiff`. A model on any other backend
//! is built with [`ModelBuilder`] and used through [`Model`], whose methods stay generic.

use std::path::Path;

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use percept_catalogue::TrainingSettings;

use crate::error::Result;
use crate::graph::{Model, ModelBuilder, Summary};
use crate::training::{Evaluation, TrainingReport};

mod sealed {
    pub trait Sealed {}
}

/// A backend whose model operations percept compiled: what the methods of a `model!` struct
/// need. Each method is the [`Model`] or [`ModelBuilder`] method of the same name.
#[diagnostic::on_unimplemented(
    message = "percept's model operations are not compiled for the backend `{Self}`",
    label = "not a backend that percept's features enable",
    note = "use `DefaultBackend` (or `TrainingBackend` to train), or enable the backend's feature of percept (`ndarray`, `flex`, `cuda`)",
    note = "a model on any other backend is built with `ModelBuilder` and used through `Model`, whose methods are generic"
)]
pub trait Engine: Backend + sealed::Sealed {
    /// [`ModelBuilder::build`].
    fn build(builder: ModelBuilder, device: &Self::Device) -> Result<Model<Self>>;
    /// [`ModelBuilder::load`].
    fn load(builder: ModelBuilder, dir: &Path, device: &Self::Device) -> Result<Model<Self>>;
    /// [`Model::preview`].
    fn preview(model: &Model<Self>) -> Result<()>;
    /// [`Model::predict`].
    fn predict(model: &Model<Self>, elements: TensorData) -> Result<TensorData>;
    /// [`Model::evaluate`].
    fn evaluate(model: &Model<Self>) -> Result<Evaluation>;
    /// [`Model::save`].
    fn save(model: &Model<Self>, dir: &Path) -> Result<()>;
    /// [`Model::summary`].
    fn summary(model: &Model<Self>) -> Summary;
    /// [`Model::to_dot`].
    fn to_dot(model: &Model<Self>) -> String;
    /// [`Model::to_svg`].
    fn to_svg(model: &Model<Self>) -> String;
}

/// An [`Engine`] with autodiff, whose training percept compiled: what `run()` needs.
#[diagnostic::on_unimplemented(
    message = "percept's training is not compiled for the backend `{Self}`",
    label = "not an autodiff backend that percept's features enable",
    note = "train on `TrainingBackend` (the selected backend with autodiff)"
)]
pub trait TrainingEngine: Engine + AutodiffBackend {
    /// [`Model::run`].
    fn run(model: &mut Model<Self>) -> Result<TrainingReport>;
    /// [`Model::run_with`].
    fn run_with(model: &mut Model<Self>, settings: TrainingSettings) -> Result<TrainingReport>;
    /// [`Model::resume_with`].
    fn resume_with(model: &mut Model<Self>, settings: TrainingSettings) -> Result<TrainingReport>;
}

/// Implements the traits for a concrete backend and the same with autodiff. `#[inline(never)]` keeps each body here:
/// inlined into the user's crate, the generic code it calls would be instantiated there again.
macro_rules! engine {
    (@inference $backend:ty) => {
        impl sealed::Sealed for $backend {}

        impl Engine for $backend {
            #[inline(never)]
            fn build(builder: ModelBuilder, device: &Self::Device) -> Result<Model<Self>> {
                builder.build::<Self>(device)
            }
            #[inline(never)]
            fn load(builder: ModelBuilder, dir: &Path, device: &Self::Device) -> Result<Model<Self>> {
                builder.load::<Self>(dir, device)
            }
            #[inline(never)]
            fn preview(model: &Model<Self>) -> Result<()> {
                model.preview()
            }
            #[inline(never)]
            fn predict(model: &Model<Self>, elements: TensorData) -> Result<TensorData> {
                model.predict(elements)
            }
            #[inline(never)]
            fn evaluate(model: &Model<Self>) -> Result<Evaluation> {
                model.evaluate()
            }
            #[inline(never)]
            fn save(model: &Model<Self>, dir: &Path) -> Result<()> {
                model.save(dir)
            }
            #[inline(never)]
            fn summary(model: &Model<Self>) -> Summary {
                model.summary()
            }
            #[inline(never)]
            fn to_dot(model: &Model<Self>) -> String {
                model.to_dot()
            }
            #[inline(never)]
            fn to_svg(model: &Model<Self>) -> String {
                model.to_svg()
            }
        }
    };
    ($backend:ty) => {
        engine!(@inference $backend);
        engine!(@inference burn::backend::Autodiff<$backend>);

        impl TrainingEngine for burn::backend::Autodiff<$backend> {
            #[inline(never)]
            fn run(model: &mut Model<Self>) -> Result<TrainingReport> {
                model.run()
            }
            #[inline(never)]
            fn run_with(model: &mut Model<Self>, settings: TrainingSettings) -> Result<TrainingReport> {
                model.run_with(settings)
            }
            #[inline(never)]
            fn resume_with(
                model: &mut Model<Self>,
                settings: TrainingSettings,
            ) -> Result<TrainingReport> {
                model.resume_with(settings)
            }
        }
    };
}

#[cfg(feature = "ndarray")]
engine!(burn::backend::NdArray);
#[cfg(feature = "flex")]
engine!(burn::backend::Flex);
#[cfg(feature = "cuda")]
engine!(burn::backend::Cuda);
