use percept::prelude::*;

model! {
    pub M {
        x: Data { file: "no/such/file.idx" },
        y: Data { random: [1], samples: 10 },
        out: Dense { units: 1 } <- x,
        train: Regression <- (out, y),
    }
}

fn main() {}
