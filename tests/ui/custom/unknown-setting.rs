use percept::prelude::*;

/// Multiplies every feature by a learned gain.
#[component(shape = [n] -> [n])]
pub struct Gain<B: Backend> {
    #[weight]
    gain: Param<Tensor<B, 1>>,
    /// A constant factor.
    #[setting(default = 1.0)]
    scale: f32,
}

impl<B: Backend> Gain<B> {
    pub fn init(input: [usize; 1], device: &B::Device) -> Self {
        Self { gain: Param::from_tensor(Tensor::ones([input[0]], device)), scale: 1.0 }
    }
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        x * self.gain.val().unsqueeze() * self.scale
    }
}

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        gain: Gain { scael: 2.0 } <- images,
        fc:     Dense { units: 10 } <- gain,
        train:  Classification <- (fc, labels),
    }
}

fn main() {}
