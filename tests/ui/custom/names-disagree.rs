use percept::prelude::*;

/// Adds two feature vectors of the same size.
#[component(shape = [n], [n] -> [n])]
pub struct Sum<B: Backend> {
    backend: std::marker::PhantomData<B>,
}

impl<B: Backend> Sum<B> {
    pub fn init(_a: [usize; 1], _b: [usize; 1], _device: &B::Device) -> Self {
        Self { backend: std::marker::PhantomData }
    }
    pub fn call(&self, a: Tensor<B, 2>, b: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        a + b
    }
}

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        hidden: Dense { units: 32 } <- images,
        sum:    Sum <- (images, hidden),
        fc:     Dense { units: 10 } <- sum,
        train:  Classification <- (fc, labels),
    }
}

fn main() {}
