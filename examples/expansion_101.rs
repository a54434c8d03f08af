//! A model of 101 components, wired in a chain, to measure what `model!` costs at compile
//! time (the book's "Performance" page gives the figures and the command). Running it
//! times `new()` and the run-time check that `new()` no longer runs (`builder().check()`,
//! what a `ModelBuilder` of the same entries runs), the median of 21 rounds each, previews the
//! model once and prints its summary.

use percept::prelude::*;

model! {
    /// 97 Dense layers between the digits and the classifier.
    pub DeepChain {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        d1: Dense { units: 32, activation: Relu } <- images,
        d2: Dense { units: 32, activation: Relu } <- d1,
        d3: Dense { units: 32, activation: Relu } <- d2,
        d4: Dense { units: 32, activation: Relu } <- d3,
        d5: Dense { units: 32, activation: Relu } <- d4,
        d6: Dense { units: 32, activation: Relu } <- d5,
        d7: Dense { units: 32, activation: Relu } <- d6,
        d8: Dense { units: 32, activation: Relu } <- d7,
        d9: Dense { units: 32, activation: Relu } <- d8,
        d10: Dense { units: 32, activation: Relu } <- d9,
        d11: Dense { units: 32, activation: Relu } <- d10,
        d12: Dense { units: 32, activation: Relu } <- d11,
        d13: Dense { units: 32, activation: Relu } <- d12,
        d14: Dense { units: 32, activation: Relu } <- d13,
        d15: Dense { units: 32, activation: Relu } <- d14,
        d16: Dense { units: 32, activation: Relu } <- d15,
        d17: Dense { units: 32, activation: Relu } <- d16,
        d18: Dense { units: 32, activation: Relu } <- d17,
        d19: Dense { units: 32, activation: Relu } <- d18,
        d20: Dense { units: 32, activation: Relu } <- d19,
        d21: Dense { units: 32, activation: Relu } <- d20,
        d22: Dense { units: 32, activation: Relu } <- d21,
        d23: Dense { units: 32, activation: Relu } <- d22,
        d24: Dense { units: 32, activation: Relu } <- d23,
        d25: Dense { units: 32, activation: Relu } <- d24,
        d26: Dense { units: 32, activation: Relu } <- d25,
        d27: Dense { units: 32, activation: Relu } <- d26,
        d28: Dense { units: 32, activation: Relu } <- d27,
        d29: Dense { units: 32, activation: Relu } <- d28,
        d30: Dense { units: 32, activation: Relu } <- d29,
        d31: Dense { units: 32, activation: Relu } <- d30,
        d32: Dense { units: 32, activation: Relu } <- d31,
        d33: Dense { units: 32, activation: Relu } <- d32,
        d34: Dense { units: 32, activation: Relu } <- d33,
        d35: Dense { units: 32, activation: Relu } <- d34,
        d36: Dense { units: 32, activation: Relu } <- d35,
        d37: Dense { units: 32, activation: Relu } <- d36,
        d38: Dense { units: 32, activation: Relu } <- d37,
        d39: Dense { units: 32, activation: Relu } <- d38,
        d40: Dense { units: 32, activation: Relu } <- d39,
        d41: Dense { units: 32, activation: Relu } <- d40,
        d42: Dense { units: 32, activation: Relu } <- d41,
        d43: Dense { units: 32, activation: Relu } <- d42,
        d44: Dense { units: 32, activation: Relu } <- d43,
        d45: Dense { units: 32, activation: Relu } <- d44,
        d46: Dense { units: 32, activation: Relu } <- d45,
        d47: Dense { units: 32, activation: Relu } <- d46,
        d48: Dense { units: 32, activation: Relu } <- d47,
        d49: Dense { units: 32, activation: Relu } <- d48,
        d50: Dense { units: 32, activation: Relu } <- d49,
        d51: Dense { units: 32, activation: Relu } <- d50,
        d52: Dense { units: 32, activation: Relu } <- d51,
        d53: Dense { units: 32, activation: Relu } <- d52,
        d54: Dense { units: 32, activation: Relu } <- d53,
        d55: Dense { units: 32, activation: Relu } <- d54,
        d56: Dense { units: 32, activation: Relu } <- d55,
        d57: Dense { units: 32, activation: Relu } <- d56,
        d58: Dense { units: 32, activation: Relu } <- d57,
        d59: Dense { units: 32, activation: Relu } <- d58,
        d60: Dense { units: 32, activation: Relu } <- d59,
        d61: Dense { units: 32, activation: Relu } <- d60,
        d62: Dense { units: 32, activation: Relu } <- d61,
        d63: Dense { units: 32, activation: Relu } <- d62,
        d64: Dense { units: 32, activation: Relu } <- d63,
        d65: Dense { units: 32, activation: Relu } <- d64,
        d66: Dense { units: 32, activation: Relu } <- d65,
        d67: Dense { units: 32, activation: Relu } <- d66,
        d68: Dense { units: 32, activation: Relu } <- d67,
        d69: Dense { units: 32, activation: Relu } <- d68,
        d70: Dense { units: 32, activation: Relu } <- d69,
        d71: Dense { units: 32, activation: Relu } <- d70,
        d72: Dense { units: 32, activation: Relu } <- d71,
        d73: Dense { units: 32, activation: Relu } <- d72,
        d74: Dense { units: 32, activation: Relu } <- d73,
        d75: Dense { units: 32, activation: Relu } <- d74,
        d76: Dense { units: 32, activation: Relu } <- d75,
        d77: Dense { units: 32, activation: Relu } <- d76,
        d78: Dense { units: 32, activation: Relu } <- d77,
        d79: Dense { units: 32, activation: Relu } <- d78,
        d80: Dense { units: 32, activation: Relu } <- d79,
        d81: Dense { units: 32, activation: Relu } <- d80,
        d82: Dense { units: 32, activation: Relu } <- d81,
        d83: Dense { units: 32, activation: Relu } <- d82,
        d84: Dense { units: 32, activation: Relu } <- d83,
        d85: Dense { units: 32, activation: Relu } <- d84,
        d86: Dense { units: 32, activation: Relu } <- d85,
        d87: Dense { units: 32, activation: Relu } <- d86,
        d88: Dense { units: 32, activation: Relu } <- d87,
        d89: Dense { units: 32, activation: Relu } <- d88,
        d90: Dense { units: 32, activation: Relu } <- d89,
        d91: Dense { units: 32, activation: Relu } <- d90,
        d92: Dense { units: 32, activation: Relu } <- d91,
        d93: Dense { units: 32, activation: Relu } <- d92,
        d94: Dense { units: 32, activation: Relu } <- d93,
        d95: Dense { units: 32, activation: Relu } <- d94,
        d96: Dense { units: 32, activation: Relu } <- d95,
        d97: Dense { units: 32, activation: Relu } <- d96,
        fc: Dense { units: 10, activation: Softmax } <- d97,
        train: Classification { epochs: 1 } <- (fc, labels),
    }
}

fn main() -> Result<(), percept::Error> {
    let device = Default::default();
    let mut times: Vec<std::time::Duration> = (0..21)
        .map(|_| {
            let start = std::time::Instant::now();
            let model = DeepChain::<DefaultBackend>::new(&device);
            let elapsed = start.elapsed();
            drop(model);
            elapsed
        })
        .collect();
    times.sort();
    println!(
        "new(): {:.2?} (median of {})",
        times[times.len() / 2],
        times.len()
    );
    let mut checks: Vec<std::time::Duration> = (0..21)
        .map(|_| {
            let start = std::time::Instant::now();
            let plan = DeepChain::<DefaultBackend>::builder().check();
            let elapsed = start.elapsed();
            plan.expect("the model is valid");
            elapsed
        })
        .collect();
    checks.sort();
    println!(
        "the run-time check new() skips: {:.2?} (median of {})",
        checks[checks.len() / 2],
        checks.len()
    );
    let model = DeepChain::<DefaultBackend>::new(&device);
    model.preview()?;
    println!(
        "{} components, {} parameters",
        model.summary().rows.len(),
        model.summary().total_parameters()
    );
    Ok(())
}
