//! Adopting a policy: the text of the policy in force is journaled, so that a replay or a
//! verification decides every command under the rules it was decided under, whatever file
//! the operator passes later. A policy may replace another while children are queued only
//! if the queues stay as they are (`docs/operations.md`, "Changing the policy").

use super::refusal::Refusal;
use crate::event::Event;
use crate::policy::Policy;
use crate::state::{Mismatch, State};
use jiff::Timestamp;

code_enum! {
    /// Why a policy is not adopted.
    pub enum Code {
        /// The text is not a valid policy.
        InvalidPolicy = "invalid_policy",
        /// It would reorder the children already queued.
        PolicyCannotFollow = "policy_cannot_follow",
        /// It is the policy in force already.
        PolicyInForce = "policy_in_force",
    }
}

/// Adopt a policy from now on.
#[derive(Debug, Clone)]
pub struct AdoptPolicy {
    /// The policy file's text.
    pub text: String,
    /// SHA-256 of `text`, hex (the caller hashes; the core does no cryptography).
    pub sha256: String,
    /// When.
    pub at: Timestamp,
}

impl AdoptPolicy {
    /// The `policy_adopted` event.
    ///
    /// # Errors
    /// A text that is not a policy, the policy already in force, or one that cannot take
    /// over while children are queued.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let policy = Policy::from_toml(&self.text)
            .map_err(|e| Refusal::invalid("policy", Code::InvalidPolicy.as_str(), e.to_string()))?;
        if state.policy_sha256() == Some(self.sha256.as_str()) {
            return Err(Refusal::conflict(
                Code::PolicyInForce.as_str(),
                format!(
                    "{} (sha256 {}) is in force already",
                    policy.name, self.sha256
                ),
            ));
        }
        if !state.holds_nothing() {
            if let Some(why) = state.policy().cannot_follow(&policy) {
                return Err(Refusal::conflict(
                    Code::PolicyCannotFollow.as_str(),
                    format!(
                        "{} cannot take over from {} while children are queued: {why}",
                        policy.name,
                        state.policy().name
                    ),
                ));
            }
        }
        Ok(vec![Event::PolicyAdopted {
            name: policy.name,
            sha256: self.sha256,
            text: self.text,
            at: self.at,
        }])
    }
}

/// Applies `policy_adopted`.
pub(crate) fn apply(state: &mut State, text: &str, sha256: &str) -> Result<(), Mismatch> {
    let policy = Policy::from_toml(text).map_err(|e| Mismatch::Policy(e.to_string()))?;
    state.adopt_policy(policy, sha256)
}
