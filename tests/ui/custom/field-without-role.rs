use percept::prelude::*;

#[component(shape = [n] -> [n])]
pub struct Gain<B: Backend> {
    gain: Param<Tensor<B, 1>>,
}

impl<B: Backend> Gain<B> {
    pub fn init(input: [usize; 1], device: &B::Device) -> Self {
        Self { gain: Param::from_tensor(Tensor::ones([input[0]], device)) }
    }
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        x * self.gain.val().unsqueeze()
    }
}

fn main() {}
