use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        fc: Dense { units: + } <- images,
    }
}

fn main() {}
