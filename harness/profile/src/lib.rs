#![warn(clippy::unwrap_used)]
