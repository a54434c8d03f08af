//! `OneHot`: class indices into one-hot vectors.

use std::marker::PhantomData;

use burn::prelude::*;
use percept_catalogue::Signal;
use percept_catalogue::OneHotSettings;

use crate::component::{Builtin, Pass, Place, Meta, Parts, impl_component};
use crate::error::Result;
use crate::value::Value;

/// A OneHot component.
#[derive(Module, Debug)]
pub struct OneHot<B: Backend> {
    backend: PhantomData<B>,
    #[module(skip)]
    meta: Meta,
    #[module(skip)]
    classes: usize,
}

impl<B: Backend> OneHot<B> {

    /// One-hot encodes class indices (stored as floats).
    ///
    /// # Shapes
    /// - input: `[batch]`
    /// - output: `[batch, classes]`
    pub fn forward(&self, x: Tensor<B, 1>) -> Tensor<B, 2> {
        x.int().one_hot::<2>(self.classes).float()
    }

}

impl<B: Backend> Builtin<B> for OneHot<B> {
    type Settings = OneHotSettings;

    fn new(meta: Meta, _settings: OneHotSettings, _inputs: &[Signal], _place: &Place<'_, B>) -> Self {
        let classes = meta.output.shape.element_count();
        OneHot {
            backend: PhantomData, meta, classes }
    }

    fn forward_value(&self, inputs: &[&Value<B>], _pass: Pass) -> Result<Value<B>> {
        let x = inputs[0];
        let this = &self.meta.instance;
        let indices = match x.rank() {
            1 => x.tensor::<1>(this)?,
            _ => x.tensor::<2>(this)?.reshape([-1]),
        };
        Ok(self.forward(indices).into())
    }
}

impl<B: Backend> Parts for OneHot<B> {
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

impl_component!(OneHot);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::place;
    use burn::backend::NdArray;
    use percept_catalogue::Signal;

    #[test]
    fn puts_a_one_at_the_class_index() {
        let one_hot = OneHot::<NdArray>::new(
            Meta::new("o", "OneHot", 1, Signal::new([3])),
            OneHotSettings::default(),
            &[],
            &place(),
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
