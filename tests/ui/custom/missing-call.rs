use percept::prelude::*;

#[component(shape = [n] -> [n])]
pub struct Gain<B: Backend> {
    #[weight]
    gain: Param<Tensor<B, 1>>,
}

impl<B: Backend> Gain<B> {
    pub fn init(input: [usize; 1], device: &B::Device) -> Self {
        Self { gain: Param::from_tensor(Tensor::ones([input[0]], device)) }
    }
}

fn main() {}
