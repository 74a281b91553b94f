//! Logs: to stderr, as text or JSON, filtered by `KEZEK_LOG` or `RUST_LOG` (default `info`).
//! Lines are written by a thread of their own, buffered and flushed whenever it has nothing
//! more to write: a request does not pay a write(2) for its log line. Logs never carry a
//! path, query, header or body (the HTTP layer logs route patterns only).

use crate::config::env;
use std::io::IsTerminal;
use tracing_appender::non_blocking::WorkerGuard;

/// Starts logging; keep the guard until the end (it flushes what is left).
pub fn init(json: bool) -> WorkerGuard {
    let filter = std::env::var(env::LOG)
        .ok()
        .and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok())
        .or_else(|| tracing_subscriber::EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| "info".into());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::new(std::io::stderr()));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colours only for a person at a terminal, not in a log file or a journal.
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
    guard
}
