//! The example binaries run as a user runs them: started as processes, driven over their
//! ports and standard input, read through `/metrics` and the real servers they push to. One
//! module per binary or subject, in one test binary.

mod batch_job;
mod binaries;
mod common;
mod otel_remote_write;
mod prometheus;
mod remote_write;
mod repl;
mod worker;
