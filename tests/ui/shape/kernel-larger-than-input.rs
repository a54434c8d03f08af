use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        image: Reshape { shape: [8, 8, 1] } <- images,
        conv: Conv { filters: 4, kernel: 9 } <- image,
        flat: Flatten <- conv,
        fc: Dense { units: 10 } <- flat,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
