use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        merged: Merge <- (images, b),
        a: Dense { units: 64 } <- merged,
        b: Dense { units: 64 } <- a,
        train: Classification <- (b, labels),
    }
}

fn main() {}
