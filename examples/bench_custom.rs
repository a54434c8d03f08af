//! Benchmark: what a custom component costs next to the built-in that computes the same thing.
//!
//! Two models of the embedded digits differ in one component: `Dense { units: 64 }` (no
//! activation) in one, a `#[component]` `Affine` computing the same `x W + b` with a 64x64
//! weight and a bias in the other. Both are followed by the same ReLU-free Dense 10 softmax
//! and trained headless (no captures) with Adam, batch 32, validation 0.2, on `TrainingBackend`.
//! The custom path differs in what percept does around the computation: the parameters are
//! held as a rank-erased list, and every call rebuilds the user's struct around them and
//! converts the inputs and output.
//!
//! Each round builds both models from the same seed and trains each for `epochs` epochs
//! (default 10), in alternating order; round 0 is a warm-up and is not counted. The table
//! shows the median of the per-epoch times over the timed rounds and the ratio custom / built-in.
//!
//! ```text
//! cargo run --release --example bench_custom [epochs] [rounds]
//! ```

use std::time::Duration;

use percept::prelude::*;

/// `x W + b`, as a Dense of 64 units without activation computes it.
#[component(shape = [n] -> [64])]
pub struct Affine<B: Backend> {
    #[weight]
    weight: Param<Tensor<B, 2>>,
    #[bias]
    bias: Param<Tensor<B, 1>>,
}

impl<B: Backend> Affine<B> {
    /// Weights uniform in ±1/√n, as burn's Linear initialises them; biases 0.
    pub fn init(input: [usize; 1], device: &B::Device) -> Self {
        let bound = 1.0 / (input[0] as f64).sqrt();
        let distribution = percept::burn::tensor::Distribution::Uniform(-bound, bound);
        Self {
            weight: Param::from_tensor(Tensor::random([input[0], 64], distribution, device)),
            bias: Param::from_tensor(Tensor::zeros([64], device)),
        }
    }

    /// `x W + b`, batch first.
    pub fn call(&self, x: Tensor<B, 2>, _is_training: bool) -> Tensor<B, 2> {
        x.matmul(self.weight.val()) + self.bias.val().unsqueeze()
    }
}

model! {
    /// The built-in version.
    pub BuiltIn {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        hidden: Dense { units: 64 }                        <- images,
        fc:     Dense { units: 10, activation: Softmax }   <- hidden,
        train:  Classification { headless: true, optimizer: Adam { learning_rate: 0.001 } } <- (fc, labels),
    }
}

model! {
    /// The custom version.
    pub Custom {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        hidden: Affine                                     <- images,
        fc:     Dense { units: 10, activation: Softmax }   <- hidden,
        train:  Classification { headless: true, optimizer: Adam { learning_rate: 0.001 } } <- (fc, labels),
    }
}

fn settings(epochs: usize) -> TrainingSettings {
    TrainingSettings {
        epochs,
        headless: true,
        ..TrainingSettings::default()
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), percept::Error> {
    let mut args = std::env::args().skip(1);
    let epochs: usize = args
        .next()
        .map_or(10, |a| a.parse().expect("epochs: a number"));
    let rounds: usize = args
        .next()
        .map_or(3, |a| a.parse().expect("rounds: a number"));
    let device = Default::default();
    let mut built_in_times = Vec::new();
    let mut custom_times = Vec::new();
    let mut accuracies = (0.0, 0.0);
    for round in 0..=rounds {
        for which in [round % 2, 1 - round % 2] {
            let report = if which == 0 {
                let mut model = BuiltIn::<TrainingBackend>::new(&device);
                model.set_progress(Progress::Hidden);
                model.preview()?;
                model.run_with(settings(epochs))?
            } else {
                let mut model = Custom::<TrainingBackend>::new(&device);
                model.set_progress(Progress::Hidden);
                model.preview()?;
                model.run_with(settings(epochs))?
            };
            let accuracy = report.last().expect("epochs ran").accuracy_validation;
            if round == 0 {
                continue;
            }
            let times = report.epochs.iter().map(|e| e.duration);
            if which == 0 {
                built_in_times.extend(times);
                accuracies.0 = accuracy;
            } else {
                custom_times.extend(times);
                accuracies.1 = accuracy;
            }
        }
    }
    let (built_in, custom) = (median(built_in_times), median(custom_times));
    println!("backend: {}", percept::BACKEND_NAME);
    println!("{epochs} epochs x {rounds} rounds, median epoch time (digits, batch 32):");
    println!(
        "  built-in Dense 64:    {:>8.2} ms   (last validation accuracy {:.4})",
        built_in.as_secs_f64() * 1e3,
        accuracies.0
    );
    println!(
        "  custom Affine 64:     {:>8.2} ms   (last validation accuracy {:.4})",
        custom.as_secs_f64() * 1e3,
        accuracies.1
    );
    println!(
        "  custom / built-in:    {:>8.1} %",
        100.0 * custom.as_secs_f64() / built_in.as_secs_f64()
    );
    Ok(())
}
