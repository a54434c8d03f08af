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

/// Named one letter from `MaxPool`: `model!` would read `MixPool` as a misspelling, so the
/// model names it by path.
#[component(shape = [h, w, c] -> [h / 2, w / 2, c])]
pub struct MixPool<B: Backend> {
    backend: std::marker::PhantomData<B>,
}

impl<B: Backend> MixPool<B> {
    pub fn init(_input: [usize; 3], _device: &B::Device) -> Self {
        Self { backend: std::marker::PhantomData }
    }
    pub fn call(&self, x: Tensor<B, 4>, _is_training: bool) -> Tensor<B, 4> {
        let x = x.permute([0, 3, 1, 2]);
        percept::burn::tensor::module::avg_pool2d(x, [2, 2], [2, 2], [0, 0], true, false)
            .permute([0, 2, 3, 1])
    }
}

model! {
    /// Custom components named by path: from a module here, and from another crate.
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        gain:   layers::Gain                                 <- images,
        image:  Reshape { shape: [8, 8, 1] }                 <- images,
        pool:   self::MixPool                                <- image,
        flat:   Flatten                                      <- pool,
        join:   percept_tests::layers::Join { scale: 0.5 }   <- (gain, flat),
        fc:     Dense { units: 10, activation: Softmax }     <- join,
        train:  Classification                               <- (fc, labels),
    }
}

fn main() {
    let _: Option<m::CustomGain_Gain_1<DefaultBackend>> = None;
    let _: Option<m::CustomJoin_Join_1<DefaultBackend>> = None;
    let _: Option<m::CustomMixPool_MixPool_1<DefaultBackend>> = None;
    let _ = M::<DefaultBackend>::new;
}
