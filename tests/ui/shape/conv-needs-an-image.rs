use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        conv: Conv { filters: 4 } <- images,
        flat: Flatten <- conv,
        fc: Dense { units: 10 } <- flat,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
