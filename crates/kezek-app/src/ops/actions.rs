//! What a family does from what it is told, with no key: each referral notification carries a
//! link (`/act/{referral}?until=…&sig=…`) signed with a key the authority key derives, bound to
//! that referral and good until its confirmation deadline. Whoever holds the link sees the
//! referral — the child's first name, the kindergarten with its address and telephone, the
//! group, the deadline — and may confirm or decline it, as the portal would for the family
//! (journaled as the actor `family-link`). The `/status` page, where the family proves itself
//! with the application number and the child's IIN, gives the same link.

use crate::access::{Caller, Role};
use crate::app::write::Written;
use crate::error::AppError;
use crate::App;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use kezek_core::command::referral::{Confirm, Decline};
use kezek_core::model::ReferralId;
use sha2::Sha256;
use std::sync::Arc;

/// The actor a family acting through its link is journaled as.
pub const FAMILY_ACTOR: &str = "family-link";

/// What a family acting on its referral may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyAct {
    /// Take the seat.
    Confirm,
    /// Turn it down.
    Decline,
}

/// A kindergarten as a family is shown it.
#[derive(Debug, Clone)]
pub struct KindergartenCard {
    /// Its id.
    pub id: String,
    /// Its name (Kazakh where it has both).
    pub name: String,
    /// Its Russian name.
    pub name_ru: Option<String>,
    /// Its street address (Kazakh where it has both).
    pub address: Option<String>,
    /// Its street address in Russian.
    pub address_ru: Option<String>,
    /// Its telephone number.
    pub phone: Option<String>,
}

/// A referral as its family sees it.
#[derive(Debug, Clone)]
pub struct FamilyReferral {
    /// The referral.
    pub referral_id: String,
    /// The application.
    pub application_id: String,
    /// The child's name.
    pub child_name: String,
    /// `issued`, `confirmed`, `enrolled`, `declined`, `lapsed`, `no_show`, `not_admitted`, ….
    pub status: &'static str,
    /// The kindergarten.
    pub kindergarten: KindergartenCard,
    /// The group's age in years.
    pub age_years: i16,
    /// The group's language (code).
    pub language: &'static str,
    /// The referral's current deadline (to confirm, then to come).
    pub deadline: Timestamp,
    /// Its signed document.
    pub document_id: String,
    /// The authority's offset from UTC.
    pub offset: jiff::tz::Offset,
    /// Working days the family has to come once it confirmed (the policy's).
    pub enroll_days: u32,
    /// Whether declining returns the child to the queue (else it ends the application).
    pub decline_requeues: bool,
}

type HmacSha256 = Hmac<Sha256>;

impl App {
    fn action_mac(&self, referral: &str, until: i64) -> HmacSha256 {
        let key = self.authority.derive_key("family actions");
        // An HMAC takes a key of any length: this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"act\x1f");
        mac.update(referral.as_bytes());
        mac.update(b"\x1f");
        mac.update(until.to_string().as_bytes());
        mac
    }

    /// The path of the link that acts on `referral` until `until` (its confirmation
    /// deadline): `/act/{referral}?until={seconds}&sig={hex}`.
    #[must_use]
    pub fn action_path(&self, referral: &str, until: Timestamp) -> String {
        let until = until.as_second();
        let sig = hex::encode(self.action_mac(referral, until).finalize().into_bytes());
        format!("/act/{referral}?until={until}&sig={sig}")
    }

    /// [`Self::action_path`] under the public URL.
    #[must_use]
    pub fn action_url(&self, referral: &str, until: Timestamp) -> String {
        let base = self.public_url.get().map_or("", String::as_str);
        format!("{base}{}", self.action_path(referral, until))
    }

    /// Whether `sig` signs `referral` until `until`, and that has not passed.
    #[must_use]
    pub fn action_link_holds(&self, referral: &str, until: i64, sig: &str) -> bool {
        let Ok(sig) = hex::decode(sig) else {
            return false;
        };
        self.action_mac(referral, until).verify_slice(&sig).is_ok()
            && self.now().as_second() < until
    }

    /// The CSRF token of the forms on the page of the link whose signature is `sig`.
    #[must_use]
    pub fn action_csrf(&self, sig: &str) -> String {
        let key = self.authority.derive_key("family actions");
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"csrf\x1f");
        mac.update(sig.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Referral `raw` as its family sees it (`None` for an unknown one).
    ///
    /// # Errors
    /// The service unavailable.
    pub async fn family_referral(&self, raw: &str) -> Result<Option<FamilyReferral>, AppError> {
        let Ok(id) = ReferralId::parse(raw) else {
            return Ok(None);
        };
        self.read(move |state| {
            let r = state.referral(&id)?;
            let app = state.application(r.app)?;
            let kg = state.kindergarten(r.kindergarten)?;
            let group = kg.group(&r.group);
            Some(FamilyReferral {
                referral_id: r.id.to_string(),
                application_id: app.id.to_string(),
                child_name: app.child_name.to_string(),
                status: r.status.as_str(),
                kindergarten: KindergartenCard {
                    id: kg.id.to_string(),
                    name: kg.name.clone(),
                    name_ru: kg.labels.name_ru.clone(),
                    address: kg.labels.address.clone(),
                    address_ru: kg.labels.address_ru.clone(),
                    phone: kg.labels.phone.clone(),
                },
                age_years: group.map_or(0, |g| g.age_years),
                language: group.map_or("", |g| g.language.as_str()),
                deadline: r.expires_at,
                document_id: crate::views::referral_document_id(r.id.as_str()),
                offset: state.policy().calendar.offset,
                enroll_days: state.policy().referral.enroll_working_days,
                decline_requeues: state.policy().referral.on_decline
                    == kezek_core::policy::AfterReferral::Requeue,
            })
        })
        .await
    }

    /// The family confirms or declines referral `raw` through its link.
    ///
    /// # Errors
    /// As the portal's confirm and decline: the referral not open, past its deadline, or
    /// the service unavailable.
    pub async fn family_act(
        self: &Arc<Self>,
        raw: &str,
        act: FamilyAct,
    ) -> Result<Written, AppError> {
        let family = Caller {
            key_id: FAMILY_ACTOR.into(),
            role: Role::Portal,
            scope: Vec::new(),
            official: None,
            citizen: crate::access::Citizen::Unbound,
        };
        self.act_on_referral(&family, None, raw, move |referral_id, at| match act {
            FamilyAct::Confirm => Confirm { referral_id, at }.into(),
            FamilyAct::Decline => Decline { referral_id, at }.into(),
        })
        .await
    }

    /// A stored notification as every channel delivers it (the portal's pull, the push,
    /// e-mail): its body with its id, and — for a referral still to confirm — the link the
    /// family acts with.
    #[must_use]
    pub fn notification_body(&self, n: &kezek_store::Notification) -> serde_json::Value {
        let mut body = crate::outbox::body(n);
        let text = |k: &str| body.get(k).and_then(serde_json::Value::as_str);
        let until = match n.kind.as_str() {
            "referral_issued" => text("confirm_by"),
            "referral_reminder" if text("to_do") == Some("confirm") => text("deadline"),
            _ => None,
        }
        .and_then(|t| t.parse::<Timestamp>().ok());
        let referral = text("referral_id").map(str::to_owned);
        if let (Some(until), Some(referral), Some(map)) = (until, referral, body.as_object_mut()) {
            map.insert(
                "action_url".into(),
                self.action_url(&referral, until).into(),
            );
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::keys::authority::Authority;
    use kezek_core::Policy;
    use kezek_store::memory::MemoryStore;

    #[test]
    fn a_link_holds_for_its_referral_until_its_time_and_nothing_else() {
        let clock = Arc::new(ManualClock::at(Timestamp::from_second(1_000).unwrap()));
        let app = App::start(
            Arc::new(MemoryStore::new()),
            Policy::kz_2013(),
            Authority::from_seed([3; 32]),
            clock.clone(),
        )
        .unwrap();
        let until = Timestamp::from_second(2_000).unwrap();
        let path = app.action_path("R1-1", until);
        let sig = path.rsplit("sig=").next().unwrap();
        assert!(app.action_link_holds("R1-1", 2_000, sig));
        assert!(
            !app.action_link_holds("R1-2", 2_000, sig),
            "another referral"
        );
        assert!(!app.action_link_holds("R1-1", 3_000, sig), "a later time");
        assert!(
            !app.action_link_holds("R1-1", 2_000, "00"),
            "another signature"
        );
        clock.advance(1_000);
        assert!(!app.action_link_holds("R1-1", 2_000, sig), "past its time");
    }
}
