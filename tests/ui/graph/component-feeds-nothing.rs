use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        spare: Dense { units: 3 } <- images,
        fc: Dense { units: 10 } <- images,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
