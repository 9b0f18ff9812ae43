//! What the CLI tests share: running the binary in a folder and reading what it printed.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub fn quarry(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quarry")).args(args).current_dir(dir).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}
