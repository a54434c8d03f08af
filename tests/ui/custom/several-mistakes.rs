use percept::prelude::*;

#[component(shape = [n] -> [m])]
pub struct Gain<B: Backend> {
    gain: Param<Tensor<B, 1>>,
    #[weight]
    #[setting]
    other: f32,
}

fn main() {}
