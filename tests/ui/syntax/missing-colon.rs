use percept::prelude::*;

model! {
    pub M {
        images Data { source: Digits::Images },
    }
}

fn main() {}
