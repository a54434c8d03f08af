//! Loops compiled for the widest vectors the processor has.
//!
//! percept builds for the baseline x86-64 (SSE2), so a plain loop works on four values at a
//! time. [`widest`] runs a closure inside a function compiled for AVX-512 (with the `avx512`
//! feature) or AVX2 when the processor has them, so that the closure's loops, inlined there,
//! work on sixteen or eight. Each value's arithmetic is the same IEEE operations on every path
//! (Rust never fuses a multiply and an add by itself, and `f32::mul_add`, which does, is one
//! correctly rounded operation everywhere: an instruction on these paths, a library call on
//! the plain one), so the bits do not depend on the processor. AVX2's path also enables FMA,
//! which every processor with AVX2 that percept meets has, and which it checks.

/// Runs `f` compiled for AVX-512 or AVX2 where the processor has them, plainly otherwise.
#[inline(always)]
pub(crate) fn widest<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[cfg(feature = "avx512")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor has AVX-512F, checked just above.
            return unsafe { avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the processor has AVX2 and FMA, checked just above.
            return unsafe { avx2(f) };
        }
    }
    f()
}

#[cfg(all(target_arch = "x86_64", feature = "avx512"))]
#[target_feature(enable = "avx512f")]
unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `fn $name(args)`: runs the `#[inline(always)]` function `$body` compiled for AVX-512 (with
/// the `avx512` feature) or AVX2 where the processor has them, plainly otherwise. This is
/// [`widest`] for bodies too large for a closure: the compiler would not inline a large
/// closure into the wide function, and would run it on four values at a time, where an
/// `#[inline(always)]` function is always inlined.
macro_rules! widest_fn {
    ($(#[$attr:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) = $body:path) => {
        $(#[$attr])*
        fn $name($($arg: $ty),*) {
            #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
            #[target_feature(enable = "avx512f")]
            unsafe fn avx512($($arg: $ty),*) {
                $body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2($($arg: $ty),*) {
                $body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            {
                #[cfg(feature = "avx512")]
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the processor has AVX-512F, checked just above.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the processor has AVX2 and FMA, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}

pub(crate) use widest_fn;
