//! The policy in force changes: freely while nothing is queued, otherwise only as far as the
//! queues already there stay as they are ([`Policy::cannot_follow`]).

use super::Mismatch;
use crate::policy::Policy;
use crate::state::State;

impl State {
    /// Whether nothing that a policy places (kindergartens, children, refusals, rounds) is
    /// here yet.
    #[must_use]
    pub fn holds_nothing(&self) -> bool {
        self.districts.is_empty()
            && self.applications.is_empty()
            && self.refusals.is_empty()
            && self.rounds.is_empty()
    }

    /// Puts `policy` (journaled with text digest `sha256`) in force.
    pub(crate) fn adopt_policy(&mut self, policy: Policy, sha256: &str) -> Result<(), Mismatch> {
        if !self.holds_nothing() {
            if let Some(why) = self.policy.cannot_follow(&policy) {
                return Err(Mismatch::Policy(format!(
                    "{} cannot take over from {}: {why}",
                    policy.name, self.policy.name
                )));
            }
        }
        self.policy = policy;
        self.policy_sha256 = Some(sha256.into());
        Ok(())
    }
}
