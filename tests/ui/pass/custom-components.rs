use percept::prelude::*;

mod layers {
    use percept::prelude::*;

    /// Multiplies every feature by a learned gain.
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

model! {
    /// Custom components named by path: from a module here, and from another crate.
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        gain:   layers::Gain                                 <- images,
        hidden: Dense { units: 8 }                           <- gain,
        join:   percept_tests::layers::Join { scale: 0.5 }   <- (gain, hidden),
        fc:     Dense { units: 10, activation: Softmax }     <- join,
        train:  Classification                               <- (fc, labels),
    }
}

fn main() {
    let _: Option<m::CustomGain_Gain_1<DefaultBackend>> = None;
    let _: Option<m::CustomJoin_Join_1<DefaultBackend>> = None;
    let _ = M::<DefaultBackend>::new;
}
