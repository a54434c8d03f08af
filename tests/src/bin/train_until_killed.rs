//! The child process of the checkpoint kill test (`tests/tests/test_resume.rs`): trains the
//! resumable model with checkpoints in the directory given as its argument, resuming from the
//! last one when there is one, until the test kills it.

use std::path::Path;

fn main() -> Result<(), percept::Error> {
    let dir = std::env::args_os()
        .nth(1)
        .expect("usage: train_until_killed CHECKPOINT_DIR");
    let dir = Path::new(&dir);
    let mut model = percept_tests::resumable::model(Some(dir));
    if dir.join("model.json").exists() {
        model.resume()?;
    } else {
        model.run()?;
    }
    Ok(())
}
