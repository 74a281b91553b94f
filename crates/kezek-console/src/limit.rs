//! The parents' status lookups, limited per client address: a number and an IIN are all it
//! takes, so guessing must be slow. A client gets `PER_MINUTE` lookups a minute; the table
//! forgets clients after a minute and never holds more than `MAX_CLIENTS` (when full, the
//! oldest minute's entries go).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Lookups a client may make in a minute.
pub const PER_MINUTE: u32 = 10;
const WINDOW: Duration = Duration::from_secs(60);
const MAX_CLIENTS: usize = 100_000;

/// Per client: the start of its window and the lookups in it.
#[derive(Default)]
pub struct Limiter {
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    /// Whether `client` may look up once more now (the lookup is counted).
    pub fn allow(&self, client: IpAddr, now: Instant) -> bool {
        let mut clients = self.clients.lock();
        if clients.len() >= MAX_CLIENTS {
            clients.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = clients.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= PER_MINUTE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_lookups_a_minute() {
        let l = Limiter::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..PER_MINUTE {
            assert!(l.allow(a, t0));
        }
        assert!(!l.allow(a, t0 + Duration::from_secs(30)));
        assert!(l.allow(b, t0), "another client is not held up");
        assert!(l.allow(a, t0 + WINDOW), "a new minute");
    }
}
