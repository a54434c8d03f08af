use percept::prelude::*;
use percept_tests::layers::Linear;

model! {
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels },
        hidden: Linear { units: 0 }                      <- images,
        fc:     Dense { units: 10, activation: Softmax } <- hidden,
        train:  Classification                           <- (fc, labels),
    }
}

fn main() {}
