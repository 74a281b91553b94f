//! The authority key in force: the journal pins it. The first key is adopted when a journal
//! first starts (or, for a journal of an earlier Kezek, at its first start after the
//! upgrade); a later one is rotated in (endorsed by the key before it) or, when that key was
//! lost, replaced with a reason. Every signature the installation makes — documents, heads,
//! API keys — is checked against the key that was in force when it was made.
//!
//! The core does no cryptography: the caller computes the key id and checks the endorsement;
//! the core keeps the order of keys and refuses what cannot follow.

use super::refusal::Refusal;
use crate::event::{AuthorityAdoption, AuthorityChange, Event};
use crate::model::Seq;
use crate::state::{AuthorityKey, Mismatch, State};
use jiff::Timestamp;

code_enum! {
    /// Why an authority key is not adopted.
    pub enum Code {
        /// The journal has an authority already: a first key cannot be adopted again.
        AuthorityAdopted = "authority_adopted",
        /// A rotation or replacement on a journal with no authority yet.
        NoAuthority = "no_authority",
        /// The key is (or was) the journal's already.
        AuthorityKeyUsed = "authority_key_used",
        /// A rotation not endorsed by the key in force, or a replacement without a reason.
        AuthorityUnjustified = "authority_unjustified",
    }
}

/// Put an authority key in force from now on.
#[derive(Debug, Clone)]
pub struct AdoptAuthority {
    /// The key's id (`ed25519-` and 16 hex digits of the public key's SHA-256).
    pub key_id: String,
    /// The public key, base64.
    pub public_key: String,
    /// How it comes into force.
    pub change: AuthorityChange,
    /// For a rotation: the key in force's signature over the new key (base64; checked by
    /// the caller, which holds the cryptography).
    pub endorsement: Option<String>,
    /// For a replacement: why (the old key was lost, stolen, …).
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}

impl AdoptAuthority {
    /// The `authority_adopted` event.
    ///
    /// # Errors
    /// A first key on a journal that has one; a rotation or replacement on one that has
    /// none; a key the journal had already; a rotation without its endorsement or a
    /// replacement without a reason.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let current = state.authority();
        let previous = match (self.change, current) {
            (AuthorityChange::First, Some(k)) => {
                return Err(Refusal::conflict(
                    Code::AuthorityAdopted.as_str(),
                    format!("the journal's authority is {} already", k.key_id),
                ))
            }
            (AuthorityChange::First, None) => None,
            (_, None) => {
                return Err(Refusal::conflict(
                    Code::NoAuthority.as_str(),
                    "the journal has no authority key yet: start a node to adopt the first",
                ))
            }
            (_, Some(k)) => Some(k.key_id.to_string()),
        };
        if state.authorities().iter().any(|k| *k.key_id == self.key_id) {
            return Err(Refusal::conflict(
                Code::AuthorityKeyUsed.as_str(),
                format!("key {} was the journal's authority already", self.key_id),
            ));
        }
        let reason = self
            .reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        let justified = match self.change {
            AuthorityChange::First => true,
            AuthorityChange::Rotated => self.endorsement.is_some(),
            AuthorityChange::Replaced => reason.is_some(),
        };
        if !justified {
            return Err(Refusal::invalid(
                "reason",
                Code::AuthorityUnjustified.as_str(),
                "a rotation is endorsed by the key in force; a replacement says why",
            ));
        }
        Ok(vec![Event::AuthorityAdopted(Box::new(AuthorityAdoption {
            key_id: self.key_id,
            public_key: self.public_key,
            change: self.change,
            previous,
            endorsement: self.endorsement,
            reason,
            at: self.at,
        }))])
    }
}

/// Applies `authority_adopted`: the key is in force from `seq` on, after the key in force.
pub(crate) fn apply(state: &mut State, seq: Seq, a: &AuthorityAdoption) -> Result<(), Mismatch> {
    let current = state.authority().map(|k| &*k.key_id);
    if current != a.previous.as_deref() || (a.change == AuthorityChange::First) != current.is_none()
    {
        return Err(Mismatch::WrongStatus {
            what: "authority key",
            id: a.key_id.clone(),
            status: if current.is_some() {
                "not the successor of the key in force"
            } else {
                "not the first key"
            },
        });
    }
    if state.authorities().iter().any(|k| *k.key_id == a.key_id) {
        return Err(Mismatch::Reused {
            what: "authority key",
            id: a.key_id.clone(),
        });
    }
    state.adopt_authority(AuthorityKey {
        key_id: a.key_id.as_str().into(),
        public_key: a.public_key.as_str().into(),
        since: seq,
        change: a.change,
        reason: a.reason.as_deref().map(Into::into),
        endorsement: a.endorsement.as_deref().map(Into::into),
        at: a.at,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;
    use crate::policy::Policy;

    fn adopt(id: &str, change: AuthorityChange) -> AdoptAuthority {
        AdoptAuthority {
            key_id: id.into(),
            public_key: format!("pk-{id}"),
            change,
            endorsement: (change == AuthorityChange::Rotated).then(|| "sig".into()),
            reason: (change == AuthorityChange::Replaced).then(|| "disk lost".into()),
            at: Timestamp::UNIX_EPOCH,
        }
    }

    /// The refusal's code, if it refused.
    fn run(state: &mut State, a: AdoptAuthority) -> Result<(), &'static str> {
        match state.execute(Command::AdoptAuthority(a)) {
            Ok(_) => Ok(()),
            Err(crate::command::CommandError::Refused(Refusal::Conflict { code, .. })) => Err(code),
            Err(crate::command::CommandError::Refused(Refusal::Invalid(v))) => Err(v[0].code),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn keys_follow_one_another_and_each_is_in_force_from_its_seq() {
        let mut state = State::new(Policy::kz_2013());
        assert!(state.authority().is_none());
        let refused = run(&mut state, adopt("b", AuthorityChange::Rotated)).unwrap_err();
        assert_eq!(refused, "no_authority");
        run(&mut state, adopt("a", AuthorityChange::First)).unwrap();
        let refused = run(&mut state, adopt("c", AuthorityChange::First)).unwrap_err();
        assert_eq!(refused, "authority_adopted");
        run(&mut state, adopt("b", AuthorityChange::Rotated)).unwrap();
        let refused = run(&mut state, adopt("a", AuthorityChange::Replaced)).unwrap_err();
        assert_eq!(refused, "authority_key_used", "a retired key never returns");
        let mut unendorsed = adopt("c", AuthorityChange::Rotated);
        unendorsed.endorsement = None;
        assert_eq!(
            run(&mut state, unendorsed).unwrap_err(),
            "authority_unjustified"
        );
        let mut unexplained = adopt("c", AuthorityChange::Replaced);
        unexplained.reason = Some("  ".into());
        assert_eq!(
            run(&mut state, unexplained).unwrap_err(),
            "authority_unjustified"
        );
        run(&mut state, adopt("c", AuthorityChange::Replaced)).unwrap();
        let ids: Vec<(&str, u64)> = state
            .authorities()
            .iter()
            .map(|k| (&*k.key_id, k.since.get()))
            .collect();
        assert_eq!(ids, [("a", 1), ("b", 2), ("c", 3)]);
        // Before the first adoption (a journal of an earlier Kezek), the first key was in
        // force.
        assert_eq!(&*state.authority_at(Seq::new(0)).unwrap().key_id, "a");
        assert_eq!(&*state.authority_at(Seq::new(1)).unwrap().key_id, "a");
        assert_eq!(&*state.authority_at(Seq::new(2)).unwrap().key_id, "b");
        assert_eq!(&*state.authority_at(Seq::new(9)).unwrap().key_id, "c");
        assert_eq!(
            state.authority_until(&state.authorities()[0]),
            Some(Seq::new(2))
        );
        assert_eq!(state.authority_until(&state.authorities()[2]), None);
        // Snapshots keep them.
        let restored = State::from_snapshot(&state.to_snapshot().unwrap()).unwrap();
        assert_eq!(restored.authorities(), state.authorities());
    }

    #[test]
    fn a_replayed_adoption_out_of_order_does_not_apply() {
        let mut state = State::new(Policy::kz_2013());
        let event = Event::AuthorityAdopted(Box::new(AuthorityAdoption {
            key_id: "b".into(),
            public_key: "pk".into(),
            change: AuthorityChange::Rotated,
            previous: Some("a".into()),
            endorsement: Some("sig".into()),
            reason: None,
            at: Timestamp::UNIX_EPOCH,
        }));
        assert!(state.apply(Seq::new(1), &event).is_err());
    }
}
