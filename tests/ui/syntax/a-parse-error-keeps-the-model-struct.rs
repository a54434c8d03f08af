use percept::prelude::*;

model! {
    /// One mistake in the body: the model's struct is still there, so the code below adds
    /// no error of its own.
    pub M {
        images: Data { source: Digits::Images },
        labels: Data { source: Digits::Labels }
        fc: Dense { units: 10 } <- images,
        train: Classification <- (fc, labels),
    }
}

fn main() -> Result<(), percept::Error> {
    let mut model = M::<TrainingBackend>::new(&Default::default());
    model.set_progress(Progress::Hidden);
    let report = model.run()?;
    println!("{:?}", report.last());
    println!("{}", model.summary());
    Ok(())
}
