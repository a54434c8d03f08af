use percept::prelude::*;

/// Keeps every other row and column.
#[component(shape = [h, w, c] -> [h / 2, w / 2, c])]
pub struct Halve<B: Backend> {
    backend: std::marker::PhantomData<B>,
}

impl<B: Backend> Halve<B> {
    pub fn init(_input: [usize; 3], _device: &B::Device) -> Self {
        Self { backend: std::marker::PhantomData }
    }
    pub fn call(&self, x: Tensor<B, 4>, _is_training: bool) -> Tensor<B, 4> {
        let [b, h, w, c] = x.dims();
        x.reshape([b, h / 2, 2, w / 2, 2 * c]).narrow(2, 0, 1).narrow(4, 0, c).reshape([b, h / 2, w / 2, c])
    }
}

model! {
    pub M {
        images: Data { random: [7, 7, 1], samples: 20 },
        labels: Data { random: [10], samples: 20 },
        half:   Halve <- images,
        flat:   Flatten <- half,
        fc:     Dense { units: 10 } <- flat,
        train:  Regression <- (fc, labels),
    }
}

fn main() {}
