use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        fc: Dense { units: 10 } <- images,
        train: Classification { optimizer: Adma { learning_rate: 0.01 } } <- (fc, labels),
    }
}

fn main() {}
