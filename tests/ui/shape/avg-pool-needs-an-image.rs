use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        pool: AvgPool <- images,
        flat: Flatten <- pool,
        fc: Dense { units: 10 } <- flat,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
