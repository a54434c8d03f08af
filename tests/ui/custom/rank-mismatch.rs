use percept::prelude::*;
use percept_tests::layers::Linear;

model! {
    pub M {
        images:  Data { source: Digits::Images },
        labels:  Data { source: Digits::Labels },
        reshape: Reshape { shape: [8, 8, 1] } <- images,
        hidden:  Linear { units: 32 } <- reshape,
        fc:      Dense { units: 10 } <- hidden,
        train:   Classification <- (fc, labels),
    }
}

fn main() {}
