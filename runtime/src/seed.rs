//! Reproducible randomness.
//!
//! burn's CPU backends draw random numbers (initial weights, dropout masks) from one generator
//! per process, which `Backend::seed` resets. Two models initialised or trained at the same
//! time in one process (tests, for instance) would interleave their draws, so percept holds
//! one lock while it seeds and draws: a seed then gives the same numbers, bit for bit,
//! whatever else runs in the process.

use std::sync::{Mutex, MutexGuard, PoisonError};

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;

static RANDOM: Mutex<()> = Mutex::new(());

/// Holds the process's random numbers for the caller until the guard drops.
pub(crate) fn exclusive() -> MutexGuard<'static, ()> {
    RANDOM.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Draws every lazily initialised parameter of `module` now, while the caller holds
/// [`exclusive`], instead of at its first use.
pub(crate) fn initialise<B: Backend, M: Module<B>>(module: &M) {
    struct Draw;
    impl<B: Backend> ModuleVisitor<B> for Draw {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let _ = param.val();
        }
    }
    module.visit(&mut Draw);
}
