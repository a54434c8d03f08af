use percept::prelude::*;

#[component(shape = [n] -> n)]
pub struct Gain<B: Backend> {
    #[weight]
    gain: Param<Tensor<B, 1>>,
}

fn main() {}
