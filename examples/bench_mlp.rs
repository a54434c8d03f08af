//! Benchmark: percept's training loop against the same loop written by hand in burn.
//!
//! Trains an MLP 784-800(ReLU)-10 on the 60,000 MNIST training images (pixels rescaled by
//! 1/255) for one epoch: batch 128 (469 steps, the last one partial), Adam with learning rate
//! 0.001, softmax cross-entropy, on each CPU backend built in (`NdArray` always, `Flex` with
//! `--features flex`), both wrapped in `Autodiff`. Three variants per backend:
//!
//! - **percept headless**: the model built with `ModelBuilder` (Data, Data, Rescale, Flatten,
//!   Dense 800 ReLU, Dense 10, Classification with `headless: true`, validation 0), trained
//!   with `model.run()`;
//! - **percept captures**: the same with `headless: false`, so every step also captures each
//!   component's first output element and every parameter's gradient;
//! - **burn by hand**: a `#[derive(Module)]` struct with two `Linear`s and a `Relu`, the same
//!   data read with `percept::formats::idx::read` and rescaled once up front, a plain loop that
//!   shuffles with `rand`, gathers each batch into a `Vec<f32>`, runs forward, computes
//!   `CrossEntropyLoss`, reads the loss and the number of correct predictions back to the
//!   host each step (as a loop that reports loss and accuracy does), and steps Adam.
//!
//! What is timed is the wall time of one epoch of training, from the first shuffle to the last
//! optimizer step: for percept, `model.run()` (after `model.preview()` has loaded the data, so
//! reading the files is not timed); for the hand-written loop, the loop itself. Both include
//! batching, shuffling and the per-step read-back of loss and accuracy.
//!
//! Warm-up and repeats: every variant starts each timed epoch from the same freshly
//! initialised parameters (a clone of one initialised model) and a fresh Adam. Round 0 runs one
//! full epoch of every variant untimed, to warm up allocators, thread pools and caches; then
//! `repeats` rounds (default 3) are timed, the variants' order rotating from round to round so
//! that none always runs first. The table shows the median and the best epoch time; the ratio
//! percept / hand-written is taken on the medians (target: percept headless within 3%).
//!
//! The two variants draw the same shuffles from the same seed and start from the same
//! initial weights (percept seeds the backend before it initialises, and so does the loop
//! here), so their epoch losses should agree closely.
//!
//! Run (MNIST IDX files `train-images-idx3-ubyte.gz` and `train-labels-idx1-ubyte.gz` in the
//! directory given, by default `../shared/data/mnist`):
//!
//! ```text
//! cargo run --release --example bench_mlp
//! cargo run --release --example bench_mlp --features flex
//! cargo run --release --example bench_mlp -- path/to/mnist 5    # directory, timed repeats
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use burn::backend::{Autodiff, NdArray};
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::{AdamConfig, GradientsParams, Optimizer as _};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use percept::prelude::{
    Activation, ClassificationSettings, DataSettings, DenseSettings, FlattenSettings, Model,
    ModelBuilder, Optimizer, Progress, RescaleSettings, TrainingSettings,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

const BATCH: usize = 128;
const HIDDEN: usize = 800;
const CLASSES: usize = 10;
const LEARNING_RATE: f64 = 1e-3;
const SEED: u64 = 42;
const SCALE: f32 = 1.0 / 255.0;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/data/mnist".to_string()),
    );
    let repeats: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    let data = Mnist::read(&dir)?;
    println!(
        "MLP 784-{HIDDEN}(ReLU)-{CLASSES}, batch {BATCH}, Adam {LEARNING_RATE}, one epoch over {} \
         MNIST images; 1 warm-up round, median of {repeats} timed rounds",
        data.count
    );

    let mut rows = Vec::new();
    rows.extend(bench::<Autodiff<NdArray>>("ndarray", &dir, &data, repeats)?);
    #[cfg(feature = "flex")]
    rows.extend(bench::<Autodiff<burn::backend::Flex>>(
        "flex", &dir, &data, repeats,
    )?);
    print_table(&rows);
    Ok(())
}

/// The training images (rescaled) and labels, for the hand-written loop.
struct Mnist {
    images: Vec<f32>,
    labels: Vec<i64>,
    features: usize,
    count: usize,
}

impl Mnist {
    fn read(dir: &Path) -> Result<Self, Error> {
        let images = percept::formats::idx::read(&dir.join("train-images-idx3-ubyte.gz"))?;
        let labels = percept::formats::idx::read(&dir.join("train-labels-idx1-ubyte.gz"))?;
        assert_eq!(images.count, labels.count, "as many images as labels");
        let features = images.element_shape.iter().product();
        Ok(Mnist {
            images: images.values.iter().map(|v| v * SCALE).collect(),
            labels: labels.values.iter().map(|&v| v as i64).collect(),
            features,
            count: images.count,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    PerceptHeadless,
    PerceptCaptures,
    Hand,
}

impl Variant {
    const ALL: [Variant; 3] = [
        Variant::PerceptHeadless,
        Variant::PerceptCaptures,
        Variant::Hand,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::PerceptHeadless => "percept headless",
            Variant::PerceptCaptures => "percept with captures",
            Variant::Hand => "burn by hand",
        }
    }
}

/// One epoch's result.
struct Epoch {
    time: Duration,
    steps: usize,
    samples: usize,
    loss: f32,
    accuracy: f32,
}

/// A table row: one variant on one backend over the timed rounds.
struct Row {
    backend: &'static str,
    variant: Variant,
    steps: usize,
    samples: usize,
    times: Vec<Duration>,
    loss: f32,
    accuracy: f32,
}

impl Row {
    fn median(&self) -> f64 {
        let mut t: Vec<f64> = self.times.iter().map(Duration::as_secs_f64).collect();
        t.sort_by(f64::total_cmp);
        let n = t.len();
        if n % 2 == 1 {
            t[n / 2]
        } else {
            (t[n / 2 - 1] + t[n / 2]) / 2.0
        }
    }

    fn best(&self) -> f64 {
        self.times
            .iter()
            .map(Duration::as_secs_f64)
            .fold(f64::INFINITY, f64::min)
    }
}

fn bench<B: AutodiffBackend>(
    backend: &'static str,
    dir: &Path,
    data: &Mnist,
    repeats: usize,
) -> Result<Vec<Row>, Error> {
    let device = B::Device::default();
    eprintln!("[{backend}] loading the data into percept's models");
    let headless = percept_model::<B>(dir, true, &device)?;
    let captures = percept_model::<B>(dir, false, &device)?;
    let hand = Mlp::<B>::new(data.features, &device);

    let mut rows: Vec<Row> = Variant::ALL
        .iter()
        .map(|&variant| Row {
            backend,
            variant,
            steps: 0,
            samples: 0,
            times: Vec::new(),
            loss: f32::NAN,
            accuracy: f32::NAN,
        })
        .collect();
    for round in 0..=repeats {
        for k in 0..Variant::ALL.len() {
            let v = (k + round) % Variant::ALL.len();
            let variant = Variant::ALL[v];
            let epoch = match variant {
                Variant::PerceptHeadless => percept_epoch(&headless)?,
                Variant::PerceptCaptures => percept_epoch(&captures)?,
                Variant::Hand => hand_epoch(&hand, data, &device),
            };
            eprintln!(
                "[{backend}] {} {:<22} {:>7.3} s  loss {:.4}",
                if round == 0 {
                    "warm-up ".to_string()
                } else {
                    format!("round {round:<2}")
                },
                variant.name(),
                epoch.time.as_secs_f64(),
                epoch.loss
            );
            if round > 0 {
                let row = &mut rows[v];
                row.times.push(epoch.time);
                row.steps = epoch.steps;
                row.samples = epoch.samples;
                row.loss = epoch.loss;
                row.accuracy = epoch.accuracy;
            }
        }
    }
    Ok(rows)
}

// ------------------------------------------------------------------------------- percept

fn percept_model<B: AutodiffBackend>(
    dir: &Path,
    headless: bool,
    device: &B::Device,
) -> Result<Model<B>, Error> {
    let file = |name: &str| dir.join(name).display().to_string();
    let mut model = ModelBuilder::new("Mlp")
        .add(
            "images",
            DataSettings::file(file("train-images-idx3-ubyte.gz")),
            &[],
        )
        .add(
            "labels",
            DataSettings::file(file("train-labels-idx1-ubyte.gz")).with_classes(CLASSES),
            &[],
        )
        .add(
            "scaled",
            RescaleSettings {
                scale: SCALE,
                offset: 0.0,
            },
            &["images"],
        )
        // IDX images are [28, 28]; Dense takes a flat [784].
        .add("flat", FlattenSettings {}, &["scaled"])
        .add(
            "hidden",
            DenseSettings::new(HIDDEN, Activation::Relu),
            &["flat"],
        )
        .add(
            "out",
            DenseSettings::new(CLASSES, Activation::None),
            &["hidden"],
        )
        .add(
            "train",
            ClassificationSettings {
                training: TrainingSettings {
                    epochs: 1,
                    batch_size: BATCH,
                    optimizer: Optimizer::Adam {
                        learning_rate: LEARNING_RATE,
                    },
                    validation: 0.0,
                    seed: SEED,
                    headless,
                },
            },
            &["out", "labels"],
        )
        .build::<B>(device)?;
    model.set_progress(Progress::Hidden);
    // Loads the data (shared by every clone of the model) and initialises the parameters.
    model.preview()?;
    Ok(model)
}

/// One epoch of `model.run()` on a clone of `model` (same initial parameters every time).
fn percept_epoch<B: AutodiffBackend>(model: &Model<B>) -> Result<Epoch, Error> {
    let mut model = model.clone();
    let start = Instant::now();
    let report = model.run()?;
    let time = start.elapsed();
    let last = report.epochs.last().expect("one epoch ran");
    Ok(Epoch {
        time,
        steps: report.training_samples.div_ceil(BATCH),
        samples: report.training_samples,
        loss: last.loss_training,
        accuracy: last.accuracy_training,
    })
}

// ------------------------------------------------------------------------------ by hand

#[derive(Module, Debug)]
struct Mlp<B: Backend> {
    hidden: Linear<B>,
    relu: Relu,
    out: Linear<B>,
}

impl<B: Backend> Mlp<B> {
    /// Seeds the backend as percept does before it initialises, and initialises now (burn
    /// initialises parameters lazily, on first use: that must not fall in the timed loop).
    fn new(features: usize, device: &B::Device) -> Self {
        B::seed(device, SEED);
        let mlp = Mlp {
            hidden: LinearConfig::new(features, HIDDEN).init(device),
            relu: Relu::new(),
            out: LinearConfig::new(HIDDEN, CLASSES).init(device),
        };
        mlp.visit(&mut Initialise);
        mlp
    }

    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.out.forward(self.relu.forward(self.hidden.forward(x)))
    }
}

/// Reads every parameter once, which initialises it.
struct Initialise;

impl<B: Backend> ModuleVisitor<B> for Initialise {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let _ = param.val();
    }
}

/// One epoch of the hand-written loop on a clone of `initial`, with a fresh Adam.
fn hand_epoch<B: AutodiffBackend>(initial: &Mlp<B>, data: &Mnist, device: &B::Device) -> Epoch {
    let mut model = initial.clone();
    let mut optim = AdamConfig::new().init::<B, Mlp<B>>();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let features = data.features;
    // The same draws as percept's run(): one shuffle for the (empty) validation split, then
    // one per epoch.
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut order: Vec<usize> = (0..data.count).collect();
    order.shuffle(&mut rng);

    let start = Instant::now();
    order.shuffle(&mut rng);
    let (mut loss_sum, mut correct_sum, mut steps) = (0.0f64, 0i64, 0);
    for chunk in order.chunks(BATCH) {
        let batch = chunk.len();
        let mut x = Vec::with_capacity(batch * features);
        let mut y = Vec::with_capacity(batch);
        for &i in chunk {
            x.extend_from_slice(&data.images[i * features..(i + 1) * features]);
            y.push(data.labels[i]);
        }
        let x = Tensor::<B, 2>::from_data(TensorData::new(x, [batch, features]), device);
        let y = Tensor::<B, 1, Int>::from_data(TensorData::new(y, [batch]), device);

        let logits = model.forward(x);
        let correct = logits
            .clone()
            .argmax(1)
            .reshape([batch])
            .equal(y.clone())
            .int()
            .sum()
            .into_scalar()
            .elem::<i64>();
        let loss = loss_fn.forward(logits, y);
        let loss_value = loss.clone().into_scalar().elem::<f32>();
        loss_sum += f64::from(loss_value) * batch as f64;
        correct_sum += correct;
        steps += 1;

        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(LEARNING_RATE, model, grads);
    }
    let time = start.elapsed();
    Epoch {
        time,
        steps,
        samples: data.count,
        loss: (loss_sum / data.count as f64) as f32,
        accuracy: correct_sum as f32 / data.count as f32,
    }
}

// -------------------------------------------------------------------------------- table

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<8} {:<22} {:>5} {:>9} {:>9} {:>10} {:>9} {:>10} {:>9}",
        "backend",
        "variant",
        "steps",
        "median s",
        "best s",
        "samples/s",
        "vs hand",
        "epoch loss",
        "accuracy"
    );
    println!("{}", "-".repeat(99));
    for row in rows {
        let hand = rows
            .iter()
            .find(|r| r.backend == row.backend && r.variant == Variant::Hand)
            .map_or(f64::NAN, Row::median);
        println!(
            "{:<8} {:<22} {:>5} {:>9.3} {:>9.3} {:>10.0} {:>8.1}% {:>10.4} {:>9.4}",
            row.backend,
            row.variant.name(),
            row.steps,
            row.median(),
            row.best(),
            row.samples as f64 / row.median(),
            100.0 * row.median() / hand,
            row.loss,
            row.accuracy
        );
    }
    println!();
    for row in rows {
        let times: Vec<String> = row
            .times
            .iter()
            .map(|t| format!("{:.3}", t.as_secs_f64()))
            .collect();
        println!(
            "{:<8} {:<22} epoch times (s): {}",
            row.backend,
            row.variant.name(),
            times.join(", ")
        );
    }
    println!(
        "\nvs hand: median epoch time / the hand-written loop's median on the same backend \
         (target for percept headless: at most 103%)"
    );
}
