//! `OneHot`: class indices into one-hot vectors.

use burn::prelude::*;
use percept_catalogue::OneHotSettings;

use crate::component::{Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::Value;

/// A OneHot component.
#[derive(Module, Debug, Clone)]
pub struct OneHot {
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    classes: usize,
}

impl OneHot {
    /// A OneHot component with `classes` outputs (the width its shape rule inferred).
    pub fn new(meta: Meta, _settings: OneHotSettings) -> Self {
        let classes = meta.output.shape.element_count();
        OneHot { meta, classes }
    }

    /// One-hot encodes class indices (stored as floats).
    ///
    /// # Shapes
    /// - input: `[batch]`
    /// - output: `[batch, classes]`
    pub fn forward<B: Backend>(&self, x: Tensor<B, 1>) -> Tensor<B, 2> {
        x.int().one_hot::<2>(self.classes).float()
    }

    pub(crate) fn forward_value<B: Backend>(&self, x: &Value<B>) -> Result<Value<B>> {
        let this = &self.meta.instance;
        let indices = match x.rank() {
            1 => x.tensor::<1>(this)?,
            _ => x.tensor::<2>(this)?.reshape([-1]),
        };
        Ok(self.forward(indices).into())
    }
}

impl Parts for OneHot {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn describe(&self) -> String {
        format!("OneHotSettings {{ classes: {} }}", self.classes)
    }

    fn formula(&self) -> &'static str {
        "a 1 at the class index, 0 elsewhere"
    }
}

impl_component!(OneHot, "Process", "OneHot");

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn puts_a_one_at_the_class_index() {
        let one_hot = OneHot::new(
            Meta::new("o", "OneHot", 1, Signal::new([3])),
            OneHotSettings::default(),
        );
        let x = Tensor::<NdArray, 1>::from_floats([2.0, 0.0], &Default::default());
        let y = one_hot.forward(x);
        assert_eq!(y.dims(), [2, 3]);
        assert_eq!(
            y.into_data().to_vec::<f32>().unwrap(),
            [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
        );
    }
}
