use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        image: Reshape { shape: [8, 8, 1] } <- images,
        pool: AvgPool { size: 9 } <- image,
        flat: Flatten <- pool,
        fc: Dense { units: 10 } <- flat,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
