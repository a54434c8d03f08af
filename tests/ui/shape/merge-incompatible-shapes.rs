use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        a: Dense { units: 8 } <- images,
        b: Dense { units: 4 } <- images,
        sum: Merge { op: Add } <- (a, b),
        fc: Dense { units: 10 } <- sum,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
