use percept::prelude::*;

#[component(shape = [h, w, c] -> [h / 2, width / 2, c])]
pub struct Halve<B: Backend> {
    #[weight]
    scale: Param<Tensor<B, 1>>,
}

fn main() {}
