use percept::prelude::*;

/// A layer whose width is a setting, without a default `model!` can read.
#[component(shape = [n] -> [units])]
pub struct Wide<B: Backend> {
    #[weight]
    weight: Param<Tensor<B, 2>>,
    #[setting]
    units: usize,
}

fn main() {}
