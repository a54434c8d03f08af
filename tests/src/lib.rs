//! Integration tests of percept live in `tests/`; this crate has no library code.
