//! Black-box tests of the real `kezek` binary: started as a process, spoken to over HTTP on
//! 127.0.0.1, killed with SIGKILL, its data directory checked with `kezek verify`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]
#![allow(clippy::too_many_lines, reason = "a scenario test reads top to bottom")]

mod authority;
mod cases;
mod certificates;
mod cli;
mod cluster;
mod common;
mod compat;
mod crash;
mod failover;
mod integrity;
mod keys;
mod limits;
mod logs;
mod migrate;
mod notify;
mod officials;
mod policy;
mod portal;
mod public;
mod restart;
mod rewrite;
mod snapshot;
mod sweep;
mod verify;
