//! Buffers that the kernels reuse from step to step.
//!
//! A training step needs the same large buffers every time (patches, per-group outputs and
//! gradients). Freshly allocated, each is mapped from the system and faulted in page by page,
//! which cost as much as the products themselves; kept here, a buffer of last step is handed
//! out again. A reused buffer holds stale values, not zeros: a kernel writes every value
//! before reading it.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, PoisonError};

/// The buffers kept for each element type: at most this many, and none below `MIN_LEN` or
/// above `MAX_LEN`. The allocator serves small buffers from its own free lists at little
/// cost, and kept, dozens of them (a bias gradient per layer and step) would fill the list
/// and leave no room for the large ones that are worth keeping.
const KEPT: usize = 64;
const MIN_LEN: usize = 1 << 12;
const MAX_LEN: usize = 1 << 26;

/// At most this many kept buffers of one length. A buffer that burn allocated (a reshaped
/// batch) and a kernel recycled comes back every step and is asked for by none: unbounded,
/// its copies filled the list, and the buffers that kernels do ask for were dropped and
/// allocated again, cleared, every step. Beyond either bound, the oldest goes.
const SAME_LEN: usize = 4;

/// An element type whose buffers are kept.
pub(crate) trait Element: Copy + Default + Send + 'static {
    /// The buffers kept.
    fn kept() -> &'static Mutex<Vec<Vec<Self>>>;
}

impl Element for f32 {
    fn kept() -> &'static Mutex<Vec<Vec<Self>>> {
        static KEPT_F32: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());
        &KEPT_F32
    }
}

impl Element for u32 {
    fn kept() -> &'static Mutex<Vec<Vec<Self>>> {
        static KEPT_U32: Mutex<Vec<Vec<u32>>> = Mutex::new(Vec::new());
        &KEPT_U32
    }
}

/// A buffer of `len` values that goes back to be kept when dropped.
#[derive(Debug, Default)]
pub(crate) struct Buffer<T: Element> {
    values: Vec<T>,
    /// How many values of the allocation hold values written before: at least `len`. A
    /// kept buffer keeps them all, so handing it out again for more values than the last
    /// user took writes nothing.
    initialized: usize,
}

/// A buffer of `len` values, reused where one is kept: its values are stale, to be
/// overwritten.
pub(crate) fn buffer<T: Element>(len: usize) -> Buffer<T> {
    let reused = {
        let mut kept = T::kept().lock().unwrap_or_else(PoisonError::into_inner);
        // The smallest kept buffer that is large enough, and not more than twice as large:
        // a small request that took a large buffer would leave the next large request
        // (a weight gradient after a layer's output) to allocate and fault in a new one.
        let best = kept
            .iter()
            .enumerate()
            .filter(|(_, v)| v.len() >= len && v.len() / 2 <= len)
            .min_by_key(|(_, v)| v.len())
            .map(|(i, _)| i);
        best.map(|i| kept.remove(i))
    };
    let mut values = reused.unwrap_or_else(|| vec![T::default(); len]);
    let initialized = values.len();
    values.truncate(len);
    Buffer {
        values,
        initialized,
    }
}

impl<T: Element> Drop for Buffer<T> {
    fn drop(&mut self) {
        let mut values = std::mem::take(&mut self.values);
        if !(MIN_LEN..=MAX_LEN).contains(&self.initialized) {
            return;
        }
        // SAFETY: the first `initialized` values were written (by `vec!` or by a user
        // before `truncate`, which leaves `Copy` values in place), and lie within the
        // allocation.
        unsafe { values.set_len(self.initialized) };
        let mut kept = T::kept().lock().unwrap_or_else(PoisonError::into_inner);
        // Oldest first.
        let same = kept.iter().filter(|v| v.len() == values.len()).count();
        if same >= SAME_LEN {
            let oldest = kept.iter().position(|v| v.len() == values.len());
            oldest.map(|i| kept.remove(i));
        } else if kept.len() >= KEPT {
            kept.remove(0);
        }
        kept.push(values);
    }
}

/// Keeps `values` for a later [`buffer`] (a gradient that burn handed over, say).
pub(crate) fn keep<T: Element>(values: Vec<T>) {
    drop(Buffer {
        initialized: values.len(),
        values,
    });
}

impl<T: Element> Buffer<T> {
    /// The values, to hand to burn as a tensor's data (they are not kept then).
    pub fn into_vec(mut self) -> Vec<T> {
        self.initialized = 0;
        std::mem::take(&mut self.values)
    }
}

impl<T: Element> Deref for Buffer<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.values
    }
}

impl<T: Element> DerefMut for Buffer<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An element type of this test alone, so that no other test takes its buffers.
    #[derive(Clone, Copy, Default, Debug, PartialEq)]
    struct Probe(u8);

    impl Element for Probe {
        fn kept() -> &'static Mutex<Vec<Vec<Self>>> {
            static KEPT_PROBE: Mutex<Vec<Vec<Probe>>> = Mutex::new(Vec::new());
            &KEPT_PROBE
        }
    }

    #[test]
    fn a_dropped_buffer_is_handed_out_again_with_its_values() {
        let mut first = buffer::<Probe>(10_000);
        first.fill(Probe(7));
        let at = first.as_ptr();
        drop(first);
        let again = buffer::<Probe>(9_000);
        assert_eq!(
            (again.as_ptr(), again.len()),
            (at, 9_000),
            "the same allocation"
        );
        assert!(
            again.iter().all(|v| *v == Probe(7)),
            "stale values, not zeros"
        );
        drop(again);
        // Less than half of it: left for a request of its size.
        let small = buffer::<Probe>(4_500);
        assert_ne!(small.as_ptr(), at, "a small request leaves a large buffer");
        drop(small.into_vec());
        // Larger than any kept: a fresh allocation, of default values.
        let fresh = buffer::<Probe>(12_000);
        assert_eq!(fresh.len(), 12_000);
        assert!(fresh.iter().all(|v| *v == Probe(0)));
        let given = fresh.into_vec();
        assert_eq!(given.len(), 12_000);
        assert_eq!(
            Probe::kept().lock().unwrap().len(),
            1,
            "a buffer given away is not kept"
        );
        // Too small to be worth keeping: left to the allocator.
        keep(vec![Probe(1); MIN_LEN - 1]);
        assert_eq!(
            Probe::kept().lock().unwrap().len(),
            1,
            "a small buffer is not kept"
        );
    }

    /// An element type of this test alone.
    #[derive(Clone, Copy, Default, Debug, PartialEq)]
    struct Flood(u8);

    impl Element for Flood {
        fn kept() -> &'static Mutex<Vec<Vec<Self>>> {
            static KEPT_FLOOD: Mutex<Vec<Vec<Flood>>> = Mutex::new(Vec::new());
            &KEPT_FLOOD
        }
    }

    #[test]
    fn buffers_that_nobody_asks_for_leave_room_for_those_that_kernels_ask_for() {
        let lengths = || -> Vec<usize> {
            let kept = Flood::kept().lock().unwrap();
            kept.iter().map(|v| v.len()).collect()
        };
        keep(vec![Flood(1); 50_000]);
        // Each step, a buffer of one length comes back and none is asked for.
        for step in 0..3 * KEPT {
            keep(vec![Flood(2); 20_000]);
            assert!(lengths().iter().filter(|&&len| len == 20_000).count() <= SAME_LEN);
            if step % 7 == 0 {
                // A kernel's own buffer, asked for and given back.
                drop(buffer::<Flood>(50_000));
            }
        }
        assert!(lengths().contains(&50_000), "{:?}", lengths());
        // Buffers of many lengths: the oldest go first.
        for len in 0..2 * KEPT {
            keep(vec![Flood(3); 10_000 + len]);
        }
        let kept = lengths();
        assert_eq!(kept.len(), KEPT);
        assert_eq!(kept[0], 10_000 + KEPT, "the newest {KEPT}, oldest first");
    }
}
