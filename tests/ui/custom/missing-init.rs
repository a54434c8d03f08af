use percept::prelude::*;

#[component(shape = [n] -> [n])]
pub struct Gain<B: Backend> {
    #[weight]
    gain: Param<Tensor<B, 1>>,
}

impl<B: Backend> Gain<B> {
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        x * self.gain.val().unsqueeze()
    }
}

fn main() {}
