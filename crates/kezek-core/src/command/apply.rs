//! Applying an event: the sequence number is checked, then the event goes to the apply arm
//! of the command that makes it. Commands apply their own events through this same code, so
//! a replay of the journal from empty rebuilds exactly the state that produced it. An event
//! that does not fit the state (a corrupt or reordered journal) is an error, never a panic.

use super::{
    admission, age_out, claim, district, kindergarten, lapse, policy, preferences, referral,
    register,
};
use super::{leave, round, vacancies, withdraw};
use crate::event::Event;
use crate::model::Seq;
use crate::state::{ApplyError, State};

impl State {
    /// Applies one event with sequence number `seq`, which must follow the last one.
    ///
    /// # Errors
    /// The sequence number is out of order, or the event refers to something that does not
    /// exist or is in the wrong state. The state may then be partly changed and must be
    /// thrown away: a journal that does not apply stops start-up, naming the seq.
    #[allow(
        clippy::too_many_lines,
        reason = "one arm per kind of event, each a call: splitting it hides the dispatch"
    )]
    pub fn apply(&mut self, seq: Seq, event: &Event) -> Result<(), ApplyError> {
        let fail = |mismatch| ApplyError { seq, mismatch };
        self.expect_next(seq).map_err(fail)?;
        let mut touched = self.touched(event);
        let finishing = self.finishing(event, &touched);
        let counted = self.days_before(event);
        match event {
            Event::KindergartenUpserted { .. } => kindergarten::apply_event(self, event),
            Event::DistrictNamed { district, names } => district::apply(self, district, names),
            Event::VacanciesOpened {
                kindergarten_id,
                group_id,
                seats,
            } => vacancies::apply(self, kindergarten_id, group_id, *seats),
            Event::Registered(r) => register::apply(self, seq, r),
            Event::ChildLeft { .. }
            | Event::GroupsRolledOver { .. }
            | Event::TransferRequested { .. }
            | Event::TransferWithdrawn { .. }
            | Event::ExchangeConfirmed { .. }
            | Event::ExchangeDone { .. }
            | Event::ExchangeLapsed { .. }
            | Event::ApplicationCorrected(_)
            | Event::PriorityClaimed { .. }
            | Event::FileAttached(_) => later(self, seq, event),
            Event::RegistrationRefused {
                application_id,
                at,
                grounds,
                about,
                ..
            } => register::apply_refused(
                self,
                application_id,
                *at,
                grounds,
                about.as_ref().and_then(|a| a.child_iin),
            ),
            Event::PreferencesChanged {
                application_id,
                preferences,
                ..
            } => preferences::apply(self, seq, application_id, preferences),
            Event::Withdrawn { application_id, .. } => withdraw::apply(self, seq, application_id),
            Event::ClaimDecided {
                application_id,
                verified,
                ..
            } => claim::apply(self, seq, application_id, *verified),
            Event::RoundRun(record) => round::apply(self, seq, record),
            Event::ReferralConfirmed {
                referral_id,
                enroll_by,
                ..
            } => referral::apply_confirmed(self, referral_id, *enroll_by),
            Event::ReferralExtended {
                referral_id,
                enroll_by,
                ..
            } => referral::apply_extended(self, referral_id, *enroll_by),
            Event::ReferralDeclined {
                referral_id,
                requeue,
                ..
            } => referral::apply_declined(self, seq, referral_id, *requeue),
            Event::Enrolled { referral_id, at } => admission::apply(self, referral_id, *at),
            Event::ReferralLapsed {
                referral_id,
                reason,
                requeue,
                drop_claim,
                stopped_until,
                ..
            } => lapse::apply(
                self,
                seq,
                referral_id,
                *reason,
                (*requeue, *drop_claim),
                *stopped_until,
            ),
            Event::AgedOut { application_id, .. } => age_out::apply(self, seq, application_id),
            // A record for auditors: nothing in the state changes.
            Event::JournalRewound { .. } => Ok(()),
            Event::ReferralReminded {
                referral_id,
                deadline,
                ..
            } => super::remind::apply(self, referral_id, *deadline),
            Event::KeyRevoked { key_id, .. } => {
                self.revoke_key(key_id);
                Ok(())
            }
            Event::PolicyAdopted { text, sha256, .. } => policy::apply(self, text, sha256),
            Event::AuthorityAdopted(a) => super::authority::apply(self, seq, a),
            Event::OfficialNamed(o) => super::official::apply_named(self, seq, o),
            Event::OfficialLeft { official_id, at } => {
                super::official::apply_left(self, official_id, *at)
            }
            Event::KeyBound {
                key_id,
                official_id,
                ..
            } => super::official::apply_bound(self, key_id, official_id),
            Event::CertificateInstalled(c) => self.install_certificate(c),
            Event::PortalTrusted(k) => {
                self.trust_portal(k);
                Ok(())
            }
            Event::PublicationStarted { secret, .. } => {
                self.start_publication(secret);
                Ok(())
            }
            Event::PersonErased(e) => super::erase::apply(self, seq, e),
            Event::Extension(e) => {
                self.keep_extension(seq, e);
                Ok(())
            }
        }
        .map_err(fail)?;
        self.note_finished(finishing);
        if let Event::Registered(r) = event {
            touched.extend(self.application_index(&r.application_id));
        }
        self.file_claims(touched);
        self.count_days(&counted);
        self.advance(seq);
        Ok(())
    }
}

/// The events of a child's life after registration: leavings, roll-overs, transfers,
/// exchanges, corrections, late claims, proof files.
fn later(state: &mut State, seq: Seq, event: &Event) -> Result<(), crate::state::Mismatch> {
    match event {
        Event::ApplicationCorrected(_) | Event::PriorityClaimed { .. } => {
            super::correction::apply_event(state, seq, event)
        }
        Event::ChildLeft { .. } | Event::GroupsRolledOver { .. } => {
            leave::apply_event(state, event)
        }
        Event::TransferRequested { .. } | Event::TransferWithdrawn { .. } => {
            super::transfer::apply_event(state, event)
        }
        Event::FileAttached(f) => super::file::apply(state, f),
        _ => super::exchange::apply_event(state, event),
    }
}
