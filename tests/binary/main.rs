//! Black-box tests of the real `kezek` binary: started as a process, spoken to over HTTP on
//! 127.0.0.1, killed with SIGKILL, its data directory checked with `kezek verify`.

mod cli;
mod common;
mod compat;
mod crash;
mod logs;
mod restart;
mod sweep;
mod verify;
