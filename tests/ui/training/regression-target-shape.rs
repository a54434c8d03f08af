use percept::prelude::*;

model! {
    pub M {
        x: Data { random: [4], samples: 10 },
        y: Data { random: [2], samples: 10 },
        out: Dense { units: 3 } <- x,
        train: Regression <- (out, y),
    }
}

fn main() {}
