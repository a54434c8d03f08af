//! The burn backend that the enabled cargo features select.
//!
//! Exactly one backend is used. When several features are enabled, the GPU one wins, then
//! `flex`, then `ndarray`: `--all-features` builds and picks CUDA.

#[cfg(feature = "cuda")]
mod selected {
    /// The backend the enabled features select: CUDA (`cuda`).
    pub type DefaultBackend = burn::backend::Cuda;
    /// The name of the selected backend.
    pub const BACKEND_NAME: &str = "cuda";
}

#[cfg(all(feature = "flex", not(feature = "cuda")))]
mod selected {
    /// The backend the enabled features select: burn-flex (`flex`).
    pub type DefaultBackend = burn::backend::Flex;
    /// The name of the selected backend.
    pub const BACKEND_NAME: &str = "flex";
}

#[cfg(all(feature = "ndarray", not(feature = "flex"), not(feature = "cuda")))]
mod selected {
    /// The backend the enabled features select: burn-ndarray (`ndarray`, the default).
    pub type DefaultBackend = burn::backend::NdArray;
    /// The name of the selected backend.
    pub const BACKEND_NAME: &str = "ndarray";
}

#[cfg(not(any(feature = "ndarray", feature = "flex", feature = "cuda")))]
compile_error!(
    "percept needs a backend: enable one of the features `ndarray` (the default), `flex` or `cuda`"
);

pub use selected::{BACKEND_NAME, DefaultBackend};

/// The selected backend with automatic differentiation, for training.
pub type TrainingBackend = burn::backend::Autodiff<DefaultBackend>;
