use percept::prelude::*;

model! {
    pub M {
        images: Data { source: Digits::Images },
        fc: Flatten <- images,
    }
}

fn main() {}
