use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        fc: Dense { activation: Softmax } <- images,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
