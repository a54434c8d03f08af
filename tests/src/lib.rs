//! Integration tests of percept live in `tests/`. The library holds what they share across
//! crates: custom components defined here are used by models in the test crates, as a user's
//! crate would use components from a library.
// Generated items must not make a documented crate warn: `Linear`'s `units` has no docs of its
// own, and its public twin in `LinearSettings` gets generated ones.
#![deny(missing_docs)]

pub mod layers {
    //! Custom components for the tests.

    use percept::prelude::*;

    /// Joins two feature vectors into one, `[left, right]`, each value scaled by a learned
    /// weight and shifted by a learned bias, then multiplied by `scale`.
    #[component(shape = [a], [b] -> [a + b])]
    pub struct Join<B: Backend> {
        /// One factor per output value.
        #[weight]
        weight: Param<Tensor<B, 1>>,
        /// One offset per output value.
        #[bias]
        bias: Param<Tensor<B, 1>>,
        /// A constant factor on the result.
        #[setting(default = 1.0)]
        scale: f32,
    }

    impl<B: Backend> Join<B> {
        /// Weights start at 1 and biases at 0: the join starts as a plain concatenation.
        pub fn init(left: [usize; 1], right: [usize; 1], device: &B::Device) -> Self {
            let n = left[0] + right[0];
            Self {
                weight: Param::from_tensor(Tensor::ones([n], device)),
                bias: Param::from_tensor(Tensor::zeros([n], device)),
                scale: 1.0,
            }
        }

        /// `scale * (concat(left, right) * weight + bias)`.
        pub fn call(
            &self,
            left: Tensor<B, 2>,
            right: Tensor<B, 2>,
            _is_training: bool,
        ) -> Tensor<B, 2> {
            let joined = Tensor::cat(vec![left, right], 1);
            (joined * self.weight.val().unsqueeze() + self.bias.val().unsqueeze()) * self.scale
        }
    }

    /// A fully connected layer whose width is a setting: `x W + b` with `units` outputs.
    #[component(shape = [n] -> [units])]
    pub struct Linear<B: Backend> {
        /// `[inputs, units]`, uniform in ±1/√inputs.
        #[weight]
        weight: Param<Tensor<B, 2>>,
        /// `[units]`, zeros.
        #[bias]
        bias: Param<Tensor<B, 1>>,
        #[setting(default = 10)]
        units: usize,
    }

    impl<B: Backend> Linear<B> {
        /// The signature names `units`, so `init` gets the settings to size the weight.
        pub fn init(input: [usize; 1], settings: &LinearSettings, device: &B::Device) -> Self {
            let bound = 1.0 / (input[0] as f64).sqrt();
            let uniform = percept::burn::tensor::Distribution::Uniform(-bound, bound);
            Self {
                weight: Param::from_tensor(Tensor::random(
                    [input[0], settings.units],
                    uniform,
                    device,
                )),
                bias: Param::from_tensor(Tensor::zeros([settings.units], device)),
                units: settings.units,
            }
        }

        /// `x W + b`.
        pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
            x.matmul(self.weight.val()) + self.bias.val().unsqueeze()
        }
    }
}

pub mod resumable {
    //! The model of the checkpoint and resume tests, shared with the `train_until_killed`
    //! binary that the kill test runs and kills.

    use std::path::Path;

    use percept::prelude::*;

    /// The epochs of a whole run.
    pub const EPOCHS: usize = 6;

    /// A digits classifier with dropout (so that the backend's random draws matter), Adam (so
    /// that the optimizer has state) and captures (so that the report has histories), writing
    /// a checkpoint into `checkpoint` at the end of every epoch.
    pub fn model(checkpoint: Option<&Path>) -> Model<TrainingBackend> {
        let settings = TrainingSettings {
            epochs: EPOCHS,
            batch_size: 64,
            checkpoint: checkpoint.map(|dir| dir.display().to_string()),
            ..TrainingSettings::default()
        };
        let mut model = ModelBuilder::new("Resumed")
            .add("images", DataSettings::digits(Digits::Images), &[])
            .add("labels", DataSettings::digits(Digits::Labels), &[])
            .add(
                "hidden",
                DenseSettings::new(32, Activation::Relu),
                &["images"],
            )
            .add("drop", DropoutSettings { rate: 0.3 }, &["hidden"])
            .add("fc", DenseSettings::new(10, Activation::Softmax), &["drop"])
            .add(
                "train",
                ClassificationSettings { training: settings },
                &["fc", "labels"],
            )
            .build::<TrainingBackend>(&Default::default())
            .expect("the model builds");
        model.set_progress(Progress::Hidden);
        model
    }
}
