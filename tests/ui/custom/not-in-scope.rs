use percept::prelude::*;

mod layers {
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
        pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
            x * self.gain.val().unsqueeze()
        }
    }
}

// `Gain` lives in `layers` and is not imported.
model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        gain:   Gain <- images,
        fc:     Dense { units: 10 } <- gain,
        train:  Classification <- (fc, labels),
    }
}

fn main() {}
