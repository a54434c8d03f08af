use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        image: Reshape { shape: [8, 8, 2] } <- images,
        conv: Conv { filters: 16, kernal: 3 } <- image,
        flat: Flatten <- conv,
        fc: Dense { units: 10, activation: Rleu } <- flat,
        train: Classification { epochs: 1.5 } <- (fc, labels),
    }
}

fn main() {}
