use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        image: Reshape { shape: [8, 8, 1] } <- images,
        fc: Dense { units: 10 } <- image,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
