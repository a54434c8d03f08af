use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        drop: Dropout { rate: 1.5 } <- images,
        fc: Dense { units: 10 } <- drop,
        train: Classification <- (fc, labels),
    }
}

fn main() {}
