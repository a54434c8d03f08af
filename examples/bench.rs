//! Benchmark: percept's training loop against the same loops written by hand in burn, for an
//! MLP and a CNN on MNIST, and the batch-1 inference latency of the MLP.
//!
//! Both models train on the first `--samples N` MNIST training images (default 20,000; pixels
//! rescaled by 1/255): batch 128, Adam with learning rate 0.001, softmax cross-entropy,
//! validation 0, one epoch. The models:
//!
//! - **MLP**: 784 -> Dense 800 ReLU -> Dense 10 (softmax);
//! - **CNN**: `[28, 28, 1]` -> Conv 32 filters 3x3, stride 1, Valid padding, ReLU -> MaxPool 2
//!   -> Conv 64 3x3 Valid ReLU -> MaxPool 2 -> Flatten (`[5, 5, 64]`, 1,600 values) -> Dense 10
//!   (softmax).
//!
//! Each runs on every CPU backend built in (`NdArray` always, `Flex` with `--features flex`),
//! wrapped in `Autodiff`, in five variants:
//!
//! - **percept headless**: the model built with `ModelBuilder` (Data, Data, Rescale, then
//!   Flatten and two Dense for the MLP, or Reshape, Conv, MaxPool, Conv, MaxPool, Flatten and
//!   Dense for the CNN, and Classification with `headless: true`), trained with `model.run()`;
//! - **percept with captures**: the same with `headless: false`, so every step also captures
//!   each component's first output element (and the last step every parameter's gradient);
//! - **percept with checkpoint**: headless, writing a checkpoint at the end of the epoch;
//! - **percept with dashboard**: with captures, watched by a `Dashboard` whose event stream a
//!   client reads all along, as an open browser tab does ("vs captures" is its overhead);
//! - **burn by hand**: a `#[derive(Module)]` struct (two `Linear`s and a `Relu`; or two
//!   `Conv2d` with `PaddingConfig2d::Valid`, two `MaxPool2d`, a `Relu` and a `Linear` on NCHW
//!   input `[batch, 1, 28, 28]`), the same images read with `percept::formats::idx::read` and
//!   rescaled once up front, and a plain loop that shuffles with `rand`, gathers each batch
//!   into a `Vec<f32>`, runs forward, computes `CrossEntropyLoss`, reads the loss and the
//!   number of correct predictions back to the host each step, and steps Adam.
//!
//! What is timed, per variant and round, is the wall time of one epoch of training, from the
//! first shuffle to the last optimizer step: for percept, `model.run()` (after
//! `model.preview()` has loaded the data, so reading files is not timed); for the hand-written
//! loop, the loop itself. Both include batching, shuffling and the per-step read-back of loss
//! and accuracy. The figure reported is **samples per second**: the samples trained in that
//! epoch divided by its wall time.
//!
//! Max steps: samples/s is a rate, so a variant may be timed over fewer optimizer steps than
//! the samples make (`ceil(N / 128)`). With `--max-steps S`, every variant trains one epoch
//! over only the first `min(N, 128 S)` samples, i.e. at most `S` steps (percept's model is
//! built on files holding just those samples, written to a temporary directory). Without it,
//! every variant takes all the steps, except the hand-written CNN, which takes at most 6:
//! burn-ndarray's convolution backward is a scalar loop, about 60 samples/s, so a full epoch
//! would take minutes per round. The steps and samples each row was timed over are listed
//! under the table.
//!
//! Warm-up and rounds: every variant starts each epoch from the same freshly initialised
//! parameters (a clone of one initialised model) and a fresh Adam. One untimed round of every
//! variant warms up allocators, thread pools and caches; then `--rounds R` rounds (default 5,
//! at least 1) are timed, the order of the variants of a model rotating from round to
//! round so that none always runs first. The table shows the median and the best samples/s
//! over the rounds; "vs burn by hand" is the median of a percept variant divided by the median
//! of the hand-written loop of the same model and backend (above 100% means percept is
//! faster). Progress goes to stderr, one line per variant and round.
//!
//! Latency: the MLP (freshly initialised) answers one element at a time on the backend without
//! autodiff: percept's `model.valid().predict(...)` on an element `[1, 28, 28]` of raw pixels
//! (the model rescales, flattens and ends in softmax), against the hand-written MLP's
//! `valid()`, given the same pixels as a `[1, 784]` tensor, rescaled, forward, softmax and
//! `.into_data()` back to the host. Each is called 200 times untimed, then the median of 2,000
//! timed calls is reported in microseconds.
//!
//! Run (MNIST IDX files `train-images-idx3-ubyte.gz` and `train-labels-idx1-ubyte.gz` in the
//! directory given, by default `../shared/data/mnist`):
//!
//! ```text
//! cargo run --release --example bench
//! cargo run --release --example bench --features flex
//! cargo run --release --example bench -- --data path/to/mnist --rounds 3 --samples 60000
//! cargo run --release --example bench -- --model cnn --max-steps 20
//! ```
//!
//! Options: `--data DIR`, `--rounds R` (default 5), `--samples N` (default 20000),
//! `--max-steps S` (default: all, and 6 for the hand-written CNN), `--model mlp|cnn|all`
//! (default all), `--only headless|captures|checkpoint|dashboard|hand` (one training variant
//! alone, for a profiler) or `--only latency` (the batch-1 latency alone).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use burn::backend::{Autodiff, NdArray};
use burn::module::{AutodiffModule, Module, ModuleVisitor, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::optim::{AdamConfig, GradientsParams, Optimizer as _};
use burn::prelude::*;
use burn::tensor::activation::softmax;
use burn::tensor::backend::AutodiffBackend;
use percept::prelude::{
    Activation, ClassificationSettings, ConvSettings, Dashboard, DataSettings, DenseSettings,
    FlattenSettings, MaxPoolSettings, Model, ModelBuilder, Optimizer, Padding, Progress,
    RescaleSettings, ReshapeSettings, TrainingSettings,
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
/// The side of an MNIST image.
const SIDE: usize = 28;
const PIXELS: usize = SIDE * SIDE;
/// The CNN's filters, kernel side and pool size.
const FILTERS: [usize; 2] = [32, 64];
const KERNEL: usize = 3;
const POOL: usize = 2;
/// The values the CNN's last pool gives its Dense: 28 -> 26 -> 13 -> 11 -> 5, times 64.
const CNN_FEATURES: usize = {
    let side = (SIDE - KERNEL + 1) / POOL;
    let side = (side - KERNEL + 1) / POOL;
    side * side * FILTERS[1]
};
/// The most steps the hand-written CNN is timed over per round when `--max-steps` is not given.
const HAND_CNN_STEPS: usize = 6;
const LATENCY_WARMUP: usize = 200;
const LATENCY_CALLS: usize = 2000;
const IMAGES_FILE: &str = "train-images-idx3-ubyte.gz";
const LABELS_FILE: &str = "train-labels-idx1-ubyte.gz";
const USAGE: &str = "usage: cargo run --release --example bench -- [--data DIR] [--rounds R] \
                     [--samples N] [--max-steps S] [--model mlp|cnn|all] \
                     [--only headless|captures|checkpoint|dashboard|hand|latency]";

type Error = Box<dyn std::error::Error>;

/// Runs the benchmark; prints any error on stderr and exits with status 1.
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Parses the command line, reads the data, benchmarks every backend and prints the results.
fn run() -> Result<(), Error> {
    let mut args = Args::parse()?;
    check_data_dir(&args.data)?;
    let data = Mnist::read(&args.data, args.samples)?;
    args.samples = data.count;
    let subsets = Subsets::new()?;
    println!("{}", header(&args));

    let mut rows = Vec::new();
    let mut latencies = Vec::new();
    let (r, l) = bench::<Autodiff<NdArray>>("ndarray", &args, &data, &subsets)?;
    rows.extend(r);
    latencies.extend(l);
    #[cfg(feature = "flex")]
    {
        let (r, l) = bench::<Autodiff<burn::backend::Flex>>("flex", &args, &data, &subsets)?;
        rows.extend(r);
        latencies.extend(l);
    }
    print_table(&rows);
    print_latencies(&latencies);
    Ok(())
}

// ------------------------------------------------------------------------- command line

/// The command-line settings.
struct Args {
    data: PathBuf,
    rounds: usize,
    samples: usize,
    max_steps: Option<usize>,
    nets: Vec<Net>,
    /// The variants to run (`--only`): all by default.
    only: Option<Variant>,
    /// `--only latency`: the MLP's batch-1 latency alone, no training.
    latency_only: bool,
}

impl Args {
    /// Reads `--data`, `--rounds`, `--samples`, `--max-steps` and `--model` (each as
    /// `--flag value` or `--flag=value`) from the command line.
    fn parse() -> Result<Self, Error> {
        let mut args = Args {
            data: PathBuf::from("../shared/data/mnist"),
            rounds: 5,
            samples: 20_000,
            max_steps: None,
            nets: vec![Net::Mlp, Net::Cnn],
            only: None,
            latency_only: false,
        };
        let mut words = std::env::args().skip(1);
        while let Some(word) = words.next() {
            if word == "--help" || word == "-h" {
                println!("{USAGE}");
                std::process::exit(0);
            }
            let (flag, inline) = match word.split_once('=') {
                Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
                None => (word, None),
            };
            let value = match inline {
                Some(value) => value,
                None if flag.starts_with("--") => words
                    .next()
                    .ok_or_else(|| format!("`{flag}` needs a value\n{USAGE}"))?,
                None => return Err(format!("unexpected argument `{flag}`\n{USAGE}").into()),
            };
            match flag.as_str() {
                "--data" => args.data = PathBuf::from(value),
                "--rounds" => args.rounds = positive(&flag, &value)?,
                "--samples" => args.samples = positive(&flag, &value)?,
                "--max-steps" => args.max_steps = Some(positive(&flag, &value)?),
                "--model" => {
                    args.nets = match value.to_ascii_lowercase().as_str() {
                        "mlp" => vec![Net::Mlp],
                        "cnn" => vec![Net::Cnn],
                        "all" => vec![Net::Mlp, Net::Cnn],
                        _ => {
                            return Err(format!(
                                "`--model` takes mlp, cnn or all, not `{value}`\n{USAGE}"
                            )
                            .into());
                        }
                    }
                }
                "--only" if value == "latency" => args.latency_only = true,
                "--only" => args.only = Some(
                    Variant::ALL
                        .into_iter()
                        .find(|v| v.flag() == value)
                        .ok_or_else(|| {
                            format!(
                                "`--only` takes headless, captures, checkpoint, dashboard, hand or latency, not `{value}`\n{USAGE}"
                            )
                        })?,
                ),
                _ => return Err(format!("unknown option `{flag}`\n{USAGE}").into()),
            }
        }
        Ok(args)
    }
}

/// `value` as a number of at least 1, or an error naming `flag`.
fn positive(flag: &str, value: &str) -> Result<usize, Error> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{flag}` takes a whole number of at least 1, not `{value}`").into()),
    }
}

/// Checks that `dir` exists and holds the two MNIST training files.
fn check_data_dir(dir: &Path) -> Result<(), Error> {
    let hint = format!(
        "put `{IMAGES_FILE}` and `{LABELS_FILE}` there, or pass the directory that holds them \
         with `--data DIR`"
    );
    if !dir.is_dir() {
        return Err(format!(
            "the MNIST directory `{}` does not exist: {hint}",
            dir.display()
        )
        .into());
    }
    for file in [IMAGES_FILE, LABELS_FILE] {
        if !dir.join(file).is_file() {
            return Err(format!(
                "`{}` not found in the MNIST directory: {hint}",
                dir.join(file).display()
            )
            .into());
        }
    }
    Ok(())
}

/// The settings and the machine, on one line.
fn header(args: &Args) -> String {
    let nets: Vec<&str> = args.nets.iter().map(|n| n.name()).collect();
    let steps = match args.max_steps {
        Some(s) => format!("at most {s}"),
        None => format!("all (burn-by-hand CNN: at most {HAND_CNN_STEPS})"),
    };
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "bench: {} on the first {} MNIST training images from `{}` (pixels / 255), batch \
         {BATCH}, Adam {LEARNING_RATE}, softmax cross-entropy, 1 epoch; 1 warm-up round + {} \
         timed round{}; steps per round: {steps}; machine: {threads} threads, AVX-512 {}, \
         percept's AVX-512 kernels {}",
        nets.join(" and "),
        args.samples,
        args.data.display(),
        args.rounds,
        if args.rounds == 1 { "" } else { "s" },
        avx512(),
        if cfg!(feature = "avx512") {
            "compiled in"
        } else {
            "not compiled in"
        },
    )
}

/// Whether this processor has AVX-512 (`avx512f`).
fn avx512() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            "yes"
        } else {
            "no"
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        "no (not x86_64)"
    }
}

// --------------------------------------------------------------------------------- data

/// The first training images and their labels: raw pixels (to write percept's files) and
/// rescaled ones (for the hand-written loops).
struct Mnist {
    pixels: Vec<u8>,
    images: Vec<f32>,
    labels: Vec<i64>,
    count: usize,
}

impl Mnist {
    /// Reads the first `samples` images and labels (all of them if there are fewer) in `dir`.
    fn read(dir: &Path, samples: usize) -> Result<Self, Error> {
        let images = percept::formats::idx::read(&dir.join(IMAGES_FILE))?;
        let labels = percept::formats::idx::read(&dir.join(LABELS_FILE))?;
        if images.element_shape != [SIDE, SIDE] || labels.count != images.count {
            return Err(format!(
                "expected {SIDE}x{SIDE} images and as many labels, found {} images of {:?} and \
                 {} labels",
                images.count, images.element_shape, labels.count
            )
            .into());
        }
        let count = samples.min(images.count);
        if count < samples {
            eprintln!("only {count} images in the file: training on those");
        }
        let pixels: Vec<u8> = images.values[..count * PIXELS]
            .iter()
            .map(|&v| v as u8)
            .collect();
        Ok(Mnist {
            images: pixels.iter().map(|&p| f32::from(p) * SCALE).collect(),
            pixels,
            labels: labels.values[..count].iter().map(|&v| v as i64).collect(),
            count,
        })
    }
}

/// IDX files holding the first `n` images and labels, for percept's Data components, in a
/// temporary directory removed when this is dropped.
struct Subsets {
    dir: PathBuf,
}

impl Subsets {
    /// Creates the temporary directory.
    fn new() -> Result<Self, Error> {
        let dir = std::env::temp_dir().join(format!("percept-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Subsets { dir })
    }

    /// The paths of an images and a labels file holding the first `n` elements of `data`,
    /// written on first use.
    fn files(&self, data: &Mnist, n: usize) -> Result<(String, String), Error> {
        let images = self.dir.join(format!("train-images-{n}-idx3-ubyte"));
        let labels = self.dir.join(format!("train-labels-{n}-idx1-ubyte"));
        if !images.exists() {
            let classes: Vec<u8> = data.labels[..n].iter().map(|&l| l as u8).collect();
            write_idx(&labels, &[n], &classes)?;
            write_idx(&images, &[n, SIDE, SIDE], &data.pixels[..n * PIXELS])?;
        }
        Ok((images.display().to_string(), labels.display().to_string()))
    }
}

impl Drop for Subsets {
    /// Removes the temporary directory.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes an uncompressed IDX file of unsigned bytes with dimensions `dims`.
fn write_idx(path: &Path, dims: &[usize], values: &[u8]) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(4 + 4 * dims.len() + values.len());
    bytes.extend_from_slice(&[0, 0, 0x08, dims.len() as u8]);
    for &d in dims {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(values);
    std::fs::write(path, bytes)
}

// ------------------------------------------------------------------------------ harness

/// The two models.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Net {
    Mlp,
    Cnn,
}

impl Net {
    /// The name in the table.
    fn name(self) -> &'static str {
        match self {
            Net::Mlp => "MLP",
            Net::Cnn => "CNN",
        }
    }
}

/// The ways each model is trained.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    PerceptHeadless,
    PerceptCaptures,
    /// Headless, writing a checkpoint at the end of the epoch.
    PerceptCheckpoint,
    /// With captures, watched by a dashboard with a client reading its event stream.
    PerceptDashboard,
    Hand,
}

impl Variant {
    const ALL: [Variant; 5] = [
        Variant::PerceptHeadless,
        Variant::PerceptCaptures,
        Variant::PerceptCheckpoint,
        Variant::PerceptDashboard,
        Variant::Hand,
    ];

    /// The name in the table.
    /// The variant's name in `--only`.
    fn flag(self) -> &'static str {
        match self {
            Variant::PerceptHeadless => "headless",
            Variant::PerceptCaptures => "captures",
            Variant::PerceptCheckpoint => "checkpoint",
            Variant::PerceptDashboard => "dashboard",
            Variant::Hand => "hand",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Variant::PerceptHeadless => "percept headless",
            Variant::PerceptCaptures => "percept with captures",
            Variant::PerceptCheckpoint => "percept with checkpoint",
            Variant::PerceptDashboard => "percept with dashboard",
            Variant::Hand => "burn by hand",
        }
    }
}

/// The optimizer steps `variant` of `net` is timed over per round: `--max-steps`, or all the
/// steps of the samples (at most 6 for the hand-written CNN), never more than the samples make.
fn timed_steps(args: &Args, net: Net, variant: Variant) -> usize {
    let all = args.samples.div_ceil(BATCH);
    let cap = match (args.max_steps, net, variant) {
        (Some(steps), _, _) => steps,
        (None, Net::Cnn, Variant::Hand) => HAND_CNN_STEPS,
        (None, _, _) => all,
    };
    cap.min(all)
}

/// One epoch's result.
struct Epoch {
    time: Duration,
    steps: usize,
    samples: usize,
    loss: f32,
}

impl Epoch {
    /// Samples trained per second.
    fn rate(&self) -> f64 {
        self.samples as f64 / self.time.as_secs_f64()
    }
}

/// A table row: one variant of one model on one backend over the timed rounds.
struct Row {
    net: Net,
    backend: &'static str,
    variant: Variant,
    steps: usize,
    samples: usize,
    rates: Vec<f64>,
    loss: f32,
}

impl Row {
    /// The median samples/s over the rounds.
    fn median(&self) -> f64 {
        let mut r = self.rates.clone();
        r.sort_by(f64::total_cmp);
        let n = r.len();
        if n % 2 == 1 {
            r[n / 2]
        } else {
            (r[n / 2 - 1] + r[n / 2]) / 2.0
        }
    }

    /// The best samples/s over the rounds.
    fn best(&self) -> f64 {
        self.rates.iter().copied().fold(0.0, f64::max)
    }
}

/// Every selected model's three variants on backend `B`, and the MLP's latency if the MLP is
/// selected.
fn bench<B: AutodiffBackend>(
    backend: &'static str,
    args: &Args,
    data: &Mnist,
    subsets: &Subsets,
) -> Result<(Vec<Row>, Option<Latency>), Error> {
    let device = B::Device::default();
    let mut rows = Vec::new();
    if args.latency_only {
        return Ok((rows, Some(latency::<B>(backend, data, subsets, &device)?)));
    }
    for &net in &args.nets {
        rows.extend(match net {
            Net::Mlp => group::<B, Mlp<B>>(backend, net, args, data, subsets, &device)?,
            Net::Cnn => group::<B, Cnn<B>>(backend, net, args, data, subsets, &device)?,
        });
    }
    // `--only` times one training variant alone (for a profiler): no latency then.
    let latency = if args.nets.contains(&Net::Mlp) && args.only.is_none() {
        Some(latency::<B>(backend, data, subsets, &device)?)
    } else {
        None
    };
    Ok((rows, latency))
}

/// The three variants of `net` (hand-written as `M`) on backend `B`: one warm-up round, then
/// the timed rounds in rotating order.
fn group<B: AutodiffBackend, M: Hand<B> + AutodiffModule<B>>(
    backend: &'static str,
    net: Net,
    args: &Args,
    data: &Mnist,
    subsets: &Subsets,
    device: &B::Device,
) -> Result<Vec<Row>, Error> {
    let percept_samples =
        (timed_steps(args, net, Variant::PerceptHeadless) * BATCH).min(data.count);
    let hand_samples = (timed_steps(args, net, Variant::Hand) * BATCH).min(data.count);
    eprintln!(
        "[{backend} {}] loading {percept_samples} samples into percept's models",
        net.name()
    );
    let (images, labels) = subsets.files(data, percept_samples)?;
    let headless = percept_model::<B>(net, &images, &labels, true, None, device)?;
    let captures = percept_model::<B>(net, &images, &labels, false, None, device)?;
    let checkpoints =
        std::env::temp_dir().join(format!("percept-bench-checkpoints-{}", std::process::id()));
    let checkpointed = percept_model::<B>(net, &images, &labels, true, Some(&checkpoints), device)?;
    let mut watched = percept_model::<B>(net, &images, &labels, false, None, device)?;
    let dashboard = Dashboard::start()?;
    watched.set_dashboard(&dashboard);
    let browser = event_reader(dashboard.address());
    // Loads the data (shared by every clone of the model) and initialises the parameters.
    headless.preview()?;
    captures.preview()?;
    checkpointed.preview()?;
    watched.preview()?;
    let hand = M::new(device);

    let mut rows: Vec<Row> = Variant::ALL
        .iter()
        .map(|&variant| Row {
            net,
            backend,
            variant,
            steps: 0,
            samples: 0,
            rates: Vec::new(),
            loss: f32::NAN,
        })
        .collect();
    for round in 0..=args.rounds {
        for k in 0..Variant::ALL.len() {
            let v = (k + round) % Variant::ALL.len();
            let variant = Variant::ALL[v];
            if args.only.is_some_and(|only| only != variant) {
                continue;
            }
            let epoch = match variant {
                Variant::PerceptHeadless => percept_epoch(&headless)?,
                Variant::PerceptCaptures => percept_epoch(&captures)?,
                Variant::PerceptCheckpoint => percept_epoch(&checkpointed)?,
                Variant::PerceptDashboard => percept_epoch(&watched)?,
                Variant::Hand => hand_epoch(&hand, data, hand_samples, device),
            };
            eprintln!(
                "[{backend} {}] {} {:<22} {:>4} steps {:>8.3} s {:>9.0} samples/s  loss {:.4}",
                net.name(),
                if round == 0 {
                    "warm-up ".to_string()
                } else {
                    format!("round {round:<2}")
                },
                variant.name(),
                epoch.steps,
                epoch.time.as_secs_f64(),
                epoch.rate(),
                epoch.loss
            );
            if round > 0 {
                let row = &mut rows[v];
                row.rates.push(epoch.rate());
                row.steps = epoch.steps;
                row.samples = epoch.samples;
                row.loss = epoch.loss;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&checkpoints);
    drop(dashboard);
    let received = browser.join().unwrap_or(0);
    eprintln!(
        "[{backend} {}] the dashboard's event stream sent {received} bytes",
        net.name()
    );
    rows.retain(|row| !row.rates.is_empty());
    Ok(rows)
}

/// A client of the dashboard's event stream, as an open browser tab is: it reads every
/// event until the dashboard closes, and returns how many bytes came.
fn event_reader(address: std::net::SocketAddr) -> std::thread::JoinHandle<usize> {
    use std::io::{Read, Write};
    std::thread::spawn(move || {
        let Ok(mut stream) = std::net::TcpStream::connect(address) else {
            return 0;
        };
        if write!(stream, "GET /events HTTP/1.1\r\nHost: {address}\r\n\r\n").is_err() {
            return 0;
        }
        let (mut buf, mut received) = (vec![0u8; 1 << 16], 0);
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            received += n;
        }
        received
    })
}

// ------------------------------------------------------------------------------- percept

/// `net` built with `ModelBuilder` on the IDX files `images` and `labels`, progress hidden.
fn percept_model<B: AutodiffBackend>(
    net: Net,
    images: &str,
    labels: &str,
    headless: bool,
    checkpoint: Option<&std::path::Path>,
    device: &B::Device,
) -> Result<Model<B>, Error> {
    let builder = ModelBuilder::new(match net {
        Net::Mlp => "Mlp",
        Net::Cnn => "Cnn",
    })
    .add("images", DataSettings::file(images), &[])
    .add(
        "labels",
        DataSettings::file(labels).with_classes(CLASSES),
        &[],
    )
    .add(
        "scaled",
        RescaleSettings {
            scale: SCALE,
            offset: 0.0,
        },
        &["images"],
    );
    let builder = match net {
        // IDX images are [28, 28]; Dense takes a flat [784].
        Net::Mlp => builder.add("flat", FlattenSettings {}, &["scaled"]).add(
            "hidden",
            DenseSettings::new(HIDDEN, Activation::Relu),
            &["flat"],
        ),
        // Conv takes an image [height, width, channels].
        Net::Cnn => {
            let conv = |filters| ConvSettings {
                padding: Padding::Valid,
                ..ConvSettings::new(filters, KERNEL).with_activation(Activation::Relu)
            };
            builder
                .add("image", ReshapeSettings::new([SIDE, SIDE, 1]), &["scaled"])
                .add("conv1", conv(FILTERS[0]), &["image"])
                .add("pool1", MaxPoolSettings::new(POOL), &["conv1"])
                .add("conv2", conv(FILTERS[1]), &["pool1"])
                .add("pool2", MaxPoolSettings::new(POOL), &["conv2"])
                .add("hidden", FlattenSettings {}, &["pool2"])
        }
    };
    let mut model = builder
        .add(
            "out",
            DenseSettings::new(CLASSES, Activation::Softmax),
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
                    checkpoint: checkpoint.map(|dir| dir.display().to_string()),
                },
            },
            &["out", "labels"],
        )
        .build::<B>(device)?;
    model.set_progress(Progress::Hidden);
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
    })
}

// ------------------------------------------------------------------------------ by hand

/// A network written by hand in burn: flat rescaled images `[batch, 784]` in, logits out.
trait Hand<B: Backend>: Module<B> {
    /// Seeds the backend as percept does before it initialises, and initialises now (burn
    /// initialises parameters lazily, on first use: that must not fall in the timed loop).
    fn new(device: &B::Device) -> Self;

    /// The logits `[batch, 10]`.
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2>;
}

/// The MLP: 784 -> 800 ReLU -> 10.
#[derive(Module, Debug)]
struct Mlp<B: Backend> {
    hidden: Linear<B>,
    relu: Relu,
    out: Linear<B>,
}

impl<B: Backend> Hand<B> for Mlp<B> {
    fn new(device: &B::Device) -> Self {
        B::seed(device, SEED);
        let mlp = Mlp {
            hidden: LinearConfig::new(PIXELS, HIDDEN).init(device),
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

/// The CNN on NCHW images: Conv 32 3x3 Valid ReLU, MaxPool 2, Conv 64 3x3 Valid ReLU,
/// MaxPool 2, Linear 1600 -> 10.
#[derive(Module, Debug)]
struct Cnn<B: Backend> {
    conv1: Conv2d<B>,
    pool1: MaxPool2d,
    conv2: Conv2d<B>,
    pool2: MaxPool2d,
    relu: Relu,
    out: Linear<B>,
}

impl<B: Backend> Hand<B> for Cnn<B> {
    fn new(device: &B::Device) -> Self {
        B::seed(device, SEED);
        let conv = |channels| {
            Conv2dConfig::new(channels, [KERNEL, KERNEL])
                .with_padding(PaddingConfig2d::Valid)
                .init(device)
        };
        let pool = || MaxPool2dConfig::new([POOL, POOL]).init();
        let cnn = Cnn {
            conv1: conv([1, FILTERS[0]]),
            pool1: pool(),
            conv2: conv([FILTERS[0], FILTERS[1]]),
            pool2: pool(),
            relu: Relu::new(),
            out: LinearConfig::new(CNN_FEATURES, CLASSES).init(device),
        };
        cnn.visit(&mut Initialise);
        cnn
    }

    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [batch, _] = x.dims();
        let x = x.reshape([batch, 1, SIDE, SIDE]);
        let x = self.pool1.forward(self.relu.forward(self.conv1.forward(x)));
        let x = self.pool2.forward(self.relu.forward(self.conv2.forward(x)));
        self.out.forward(x.flatten::<2>(1, 3))
    }
}

/// Reads every parameter once, which initialises it.
struct Initialise;

impl<B: Backend> ModuleVisitor<B> for Initialise {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let _ = param.val();
    }
}

/// One epoch of the hand-written loop over the first `samples` elements, on a clone of
/// `initial` with a fresh Adam.
fn hand_epoch<B: AutodiffBackend, M: Hand<B> + AutodiffModule<B>>(
    initial: &M,
    data: &Mnist,
    samples: usize,
    device: &B::Device,
) -> Epoch {
    let mut model = initial.clone();
    let mut optim = AdamConfig::new().init::<B, M>();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    // The same draws as percept's run(): one shuffle for the (empty) validation split, then
    // one per epoch.
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut order: Vec<usize> = (0..samples).collect();
    order.shuffle(&mut rng);

    let start = Instant::now();
    order.shuffle(&mut rng);
    let (mut loss_sum, mut steps) = (0.0f64, 0);
    for chunk in order.chunks(BATCH) {
        let batch = chunk.len();
        let mut x = Vec::with_capacity(batch * PIXELS);
        let mut y = Vec::with_capacity(batch);
        for &i in chunk {
            x.extend_from_slice(&data.images[i * PIXELS..(i + 1) * PIXELS]);
            y.push(data.labels[i]);
        }
        let x = Tensor::<B, 2>::from_data(TensorData::new(x, [batch, PIXELS]), device);
        let y = Tensor::<B, 1, Int>::from_data(TensorData::new(y, [batch]), device);

        let logits = model.forward(x);
        // Read back as a loop that reports accuracy does.
        let _correct = logits
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
        steps += 1;

        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(LEARNING_RATE, model, grads);
    }
    Epoch {
        time: start.elapsed(),
        steps,
        samples,
        loss: (loss_sum / samples as f64) as f32,
    }
}

// ------------------------------------------------------------------------------ latency

/// The MLP's batch-1 inference latency on one backend, in microseconds (medians).
struct Latency {
    backend: &'static str,
    percept_us: f64,
    hand_us: f64,
}

/// Times percept's `predict` on the MLP's `valid()` model against the hand-written MLP's
/// `valid()` forward, one element of raw pixels at a time, on `B`'s inner backend.
fn latency<B: AutodiffBackend>(
    backend: &'static str,
    data: &Mnist,
    subsets: &Subsets,
    device: &B::Device,
) -> Result<Latency, Error> {
    eprintln!("[{backend} MLP] batch-1 inference latency");
    let (images, labels) = subsets.files(data, BATCH.min(data.count))?;
    let model = percept_model::<B>(Net::Mlp, &images, &labels, true, None, device)?.valid();
    let hand = Mlp::<B>::new(device).valid();
    let element: Vec<f32> = data.pixels[..PIXELS]
        .iter()
        .map(|&p| f32::from(p))
        .collect();
    let percept_us = median_us(|| {
        model.predict(TensorData::new(element.clone(), [1, SIDE, SIDE]))?;
        Ok(())
    })?;
    let hand_us = median_us(|| {
        let x = Tensor::<B::InnerBackend, 2>::from_data(
            TensorData::new(element.clone(), [1, PIXELS]),
            device,
        ) * SCALE;
        let _ = softmax(hand.forward(x), 1).into_data();
        Ok(())
    })?;
    Ok(Latency {
        backend,
        percept_us,
        hand_us,
    })
}

/// The median wall time of `call` in microseconds, over 2,000 calls after 200 untimed ones.
fn median_us(mut call: impl FnMut() -> Result<(), Error>) -> Result<f64, Error> {
    for _ in 0..LATENCY_WARMUP {
        call()?;
    }
    let mut times = Vec::with_capacity(LATENCY_CALLS);
    for _ in 0..LATENCY_CALLS {
        let start = Instant::now();
        call()?;
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[LATENCY_CALLS / 2 - 1] + times[LATENCY_CALLS / 2]) / 2.0)
}

// -------------------------------------------------------------------------------- output

/// The markdown table of training rates, then what each row was timed over.
fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| model | backend | variant | samples/s (median) | best | vs burn by hand | vs headless | vs captures |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let median_of = |variant: Variant| {
            rows.iter()
                .find(|r| r.net == row.net && r.backend == row.backend && r.variant == variant)
                .map_or(f64::NAN, Row::median)
        };
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.1}% | {:.1}% | {:.1}% |",
            row.net.name(),
            row.backend,
            row.variant.name(),
            row.median(),
            row.best(),
            100.0 * row.median() / median_of(Variant::Hand),
            100.0 * row.median() / median_of(Variant::PerceptHeadless),
            100.0 * row.median() / median_of(Variant::PerceptCaptures)
        );
    }
    println!();
    println!("Timed per round (samples/s of each round; training loss of the last):");
    for row in rows {
        let rates: Vec<String> = row.rates.iter().map(|r| format!("{r:.0}")).collect();
        println!(
            "- {} {} {}: {} steps, {} samples; {}; loss {:.4}",
            row.net.name(),
            row.backend,
            row.variant.name(),
            row.steps,
            row.samples,
            rates.join(", "),
            row.loss
        );
    }
    println!(
        "\nvs burn by hand: median samples/s / the hand-written loop's median for the same \
         model and backend (above 100%: percept is faster)"
    );
}

/// The MLP's batch-1 latencies, one line per backend.
fn print_latencies(latencies: &[Latency]) {
    if latencies.is_empty() {
        return;
    }
    println!(
        "\nMLP batch-1 inference latency (no autodiff; median of {LATENCY_CALLS} calls after \
         {LATENCY_WARMUP} warm-up calls):"
    );
    for l in latencies {
        println!(
            "- {}: percept predict {:.1} µs, burn by hand {:.1} µs (percept / hand {:.1}%)",
            l.backend,
            l.percept_us,
            l.hand_us,
            100.0 * l.percept_us / l.hand_us
        );
    }
}
