use percept::prelude::*;
use percept_tests::layers::Linear;

model! {
    pub M {
        images:  Data { source: Digits::Images },
        labels:  Data { source: Digits::Labels },
        hidden:  Linear { unit: 32 } <- images,
        fc:      Dense { units: 10 } <- hidden,
        train:   Classification <- (fc, labels),
    }
}

fn main() {}
