//! Custom components: user code that takes part in the model like a built-in.
//!
//! Run it with `cargo run --release --example custom_component`. It declares two components
//! with `#[component]`, uses them in a model of the digits, trains it, and shows that the
//! learned gain moved and what the code view shows.

use percept::prelude::*;

// ANCHOR: gain
/// Multiplies every feature by a learned gain.
#[component(shape = [n] -> [n])]
pub struct Gain<B: Backend> {
    #[weight]
    gain: Param<Tensor<B, 1>>,
}

impl<B: Backend> Gain<B> {
    /// Called once, with the input's per-element shape.
    pub fn init(input: [usize; 1], device: &B::Device) -> Self {
        Self {
            gain: Param::from_tensor(Tensor::ones([input[0]], device)),
        }
    }

    /// The computation, batch first.
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        x * self.gain.val().unsqueeze()
    }
}
// ANCHOR_END: gain

// ANCHOR: pool
/// Halves an image's height and width, keeping for each 2x2 block a mix of its mean and its
/// maximum.
#[component(shape = [h, w, c] -> [h / 2, w / 2, c])]
pub struct BlendPool<B: Backend> {
    /// How much of each block's maximum to keep, from 0 (the mean only) to 1 (the maximum only).
    #[setting(default = 0.5)]
    max_share: f32,
    backend: std::marker::PhantomData<B>,
}

impl<B: Backend> BlendPool<B> {
    /// No parameters to make: the input's shape is not needed.
    pub fn init(_input: [usize; 3], _device: &B::Device) -> Self {
        Self {
            max_share: 0.5,
            backend: std::marker::PhantomData,
        }
    }

    /// Images arrive as `[batch, height, width, channels]`, as the user lays them out.
    pub fn call(&self, x: Tensor<B, 4>, _is_training: bool) -> Tensor<B, 4> {
        // burn pools channels first.
        let x = x.permute([0, 3, 1, 2]);
        let mean = percept::burn::tensor::module::avg_pool2d(
            x.clone(),
            [2, 2],
            [2, 2],
            [0, 0],
            true,
            false,
        );
        let max =
            percept::burn::tensor::module::max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], false);
        let mixed = mean * (1.0 - self.max_share) + max * self.max_share;
        mixed.permute([0, 2, 3, 1])
    }
}
// ANCHOR_END: pool

// ANCHOR: model
model! {
    /// Classifies the digits through a learned gain on every pixel and a custom pooling.
    pub GainedDigits {
        images:  Data { source: Digits::Images },
        labels:  Data { source: Digits::Labels },
        gain:    Gain                                      <- images,
        reshape: Reshape { shape: [8, 8, 1] }              <- gain,
        conv:    Conv { filters: 16, kernel: 3, activation: Relu } <- reshape,
        pool:    BlendPool { max_share: 0.25 }               <- conv,
        flat:    Flatten                                   <- pool,
        fc:      Dense { units: 10, activation: Softmax }  <- flat,
        train:   Classification { epochs: 15, batch_size: 32,
                                  optimizer: Adam { learning_rate: 0.003 } } <- (fc, labels),
    }
}
// ANCHOR_END: model

/// What training did to the custom components.
pub struct Outcome {
    /// The final validation accuracy.
    pub accuracy: f32,
    /// The largest change of any gain, from its initial 1.
    pub gain_moved: f32,
    /// The code view of the gain.
    pub code: String,
    /// The class names of the custom components.
    pub classes: [String; 2],
}

/// Trains for `epochs` epochs.
pub fn train(epochs: usize) -> Result<Outcome, percept::Error> {
    let mut model = GainedDigits::<TrainingBackend>::new(&Default::default());
    model.model().set_progress(Progress::Hidden);
    // The declared training settings, with another number of epochs.
    let settings = TrainingSettings {
        epochs,
        ..model.model().training_settings()
    };
    let report = model.run_with(settings)?;
    let gains = model.gain.weights()["gain"]
        .to_vec::<f32>()
        .expect("floats");
    Ok(Outcome {
        accuracy: report.last().expect("epochs ran").accuracy_validation,
        gain_moved: gains.iter().map(|g| (g - 1.0).abs()).fold(0.0, f32::max),
        code: model.gain.code(),
        classes: [model.gain.class_name(), model.pool.class_name()],
    })
}

#[allow(dead_code)]
fn main() -> Result<(), percept::Error> {
    let model = GainedDigits::<TrainingBackend>::new(&Default::default());
    println!("{}", model.summary());
    let outcome = train(15)?;
    println!("{}", outcome.code);
    println!(
        "{} and {}: validation accuracy {:.4}, largest change of a gain {:.4}",
        outcome.classes[0], outcome.classes[1], outcome.accuracy, outcome.gain_moved
    );
    Ok(())
}
