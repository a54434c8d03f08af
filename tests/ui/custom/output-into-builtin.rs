use percept::prelude::*;

/// Pairs every feature with its square.
#[component(shape = [n] -> [n, 2])]
pub struct Squares<B: Backend> {
    backend: std::marker::PhantomData<B>,
}

impl<B: Backend> Squares<B> {
    pub fn init(_input: [usize; 1], _device: &B::Device) -> Self {
        Self { backend: std::marker::PhantomData }
    }
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 3> {
        Tensor::stack(vec![x.clone(), x.clone() * x], 2)
    }
}

model! {
    pub M {
        images:  Data { source: Digits::Images },
        labels:  Data { source: Digits::Labels },
        squares: Squares <- images,
        fc:      Dense { units: 10 } <- squares,
        train:   Classification <- (fc, labels),
    }
}

fn main() {}
