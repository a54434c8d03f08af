use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        fc: Dense { unit: 10 } <- images,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
