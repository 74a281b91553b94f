//! In-process tests of the HTTP API, split by area: each starts the service with the wiring
//! `kezek serve` runs (`harness::spawn_app`) and speaks HTTP to it on 127.0.0.1:0.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]
#![allow(clippy::too_many_lines, reason = "a scenario test reads top to bottom")]

mod access;
mod admission;
mod applications;
mod audit;
mod cases;
mod corrections;
mod counters;
mod crawl;
mod documents;
mod durability;
mod erasure;
mod errors;
mod family;
mod files;
mod forecast;
mod golden;
mod harness;
mod joint;
mod leaving;
mod notifications;
mod officials;
mod places;
mod portal;
mod printed;
mod public;
mod sealed;
mod transfers;
mod worklists;
