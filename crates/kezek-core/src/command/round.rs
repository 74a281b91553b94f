//! Running an allocation round in a district: the children past the age leave first, then
//! the free seats go out in queue order (`crate::allocation`). The round's record holds every
//! referral and the interleave phases it moved; applying it reserves the seats.

use super::age_out::aged_out;
use super::refusal::Refusal;
use crate::allocation::RoundSpec;
use crate::event::{Event, RoundRecord};
use crate::model::ReferralStatus;
use crate::model::{DistrictId, RoundId, Seq};
use crate::queue::Cause;
use crate::state::{Mismatch, Referral, Stamp, State};
use jiff::Timestamp;

/// Longest round id: referral ids are `<round>-<n>` and at most 32 characters.
pub const MAX_ROUND_ID: usize = 24;

code_enum! {
    /// Why a round does not run.
    pub enum Code {
        /// A round id over 24 characters.
        RoundIdTooLong = "round_id_too_long",
        /// A round id already used.
        RoundIdTaken = "round_id_taken",
        /// An academic year outside 1900–2200.
        InvalidAcademicYear = "invalid_academic_year",
    }
}

/// Run an allocation round in a district.
#[derive(Debug, Clone)]
pub struct RunRound {
    /// Round id (at most 24 characters).
    pub round_id: RoundId,
    /// District.
    pub district: DistrictId,
    /// Academic year; default: the one in progress at `at`.
    pub academic_year: Option<i16>,
    /// When.
    pub at: Timestamp,
}

impl RunRound {
    /// The `aged_out` events of the district, then the `round_run` event.
    ///
    /// # Errors
    /// A round id too long or taken, an unknown district, or an academic year out of range.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        check_round_id(state, &self.round_id)?;
        let d = state
            .district_index(&self.district)
            .ok_or_else(|| Refusal::not_found("district", &self.district))?;
        let policy = state.policy();
        let year = self.academic_year.unwrap_or_else(|| {
            policy
                .cutoff
                .academic_year_of(policy.calendar.local_date(self.at))
        });
        if !(1900..=2200).contains(&year) {
            return Err(Refusal::invalid(
                "academic_year",
                Code::InvalidAcademicYear.as_str(),
                "must be between 1900 and 2200",
            ));
        }
        // The children who age out are of cohorts no usable group takes this year, so the
        // round decided on the state before they leave is the round after they left.
        let mut events = aged_out(state, d, year, self.at);
        let spec = RoundSpec {
            round_id: self.round_id,
            district: d,
            academic_year: year,
            at: self.at,
            scope: None,
            newcomer: None,
        };
        let record = state
            .allocate(&spec)
            .ok_or_else(|| Refusal::not_found("district", &self.district))?;
        events.push(Event::RoundRun(Box::new(record)));
        Ok(events)
    }
}

/// Refuses a round id that is too long or already used.
pub(crate) fn check_round_id(state: &State, id: &RoundId) -> Result<(), Refusal> {
    if id.as_str().len() > MAX_ROUND_ID {
        return Err(Refusal::invalid(
            "round_id",
            Code::RoundIdTooLong.as_str(),
            "at most 24 characters",
        ));
    }
    if state.round_id_taken(id) {
        return Err(Refusal::conflict(
            Code::RoundIdTaken.as_str(),
            format!("round id {id} is already used"),
        ));
    }
    Ok(())
}

/// Decides again the round recorded in `record`, on `state` (which must be the state just
/// before it): what an auditor compares with the journaled referrals.
///
/// # Errors
/// Unknown district, or a round id over 24 characters.
pub fn replan(state: &State, record: &RoundRecord) -> Result<RoundRecord, Refusal> {
    if record.round_id.as_str().len() > MAX_ROUND_ID {
        return Err(Refusal::invalid(
            "round_id",
            Code::RoundIdTooLong.as_str(),
            "at most 24 characters",
        ));
    }
    let d = state
        .district_index(&record.district)
        .ok_or_else(|| Refusal::not_found("district", &record.district))?;
    let spec = RoundSpec {
        round_id: record.round_id.clone(),
        district: d,
        academic_year: record.academic_year,
        at: record.ran_at,
        scope: record.scope,
        newcomer: None,
    };
    state
        .allocate(&spec)
        .ok_or_else(|| Refusal::not_found("district", &record.district))
}

/// Applies `round_run`: every referral reserves its seat, then the phases move.
pub(crate) fn apply(state: &mut State, seq: Seq, record: &RoundRecord) -> Result<(), Mismatch> {
    let round = state.next_round(record)?;
    let district = state
        .district_index(&record.district)
        .ok_or_else(|| Mismatch::Unknown {
            what: "district",
            id: record.district.to_string(),
        })?;
    let stamp = Stamp {
        seq,
        cause: Cause::Round,
    };
    let before = state.certificate_before(district, record);
    for issued in &record.referrals {
        let a = state.known_app(&issued.application_id)?;
        let kindergarten = state.known_kindergarten(&issued.kindergarten_id)?;
        let (tier, registered_seq) = state
            .application(a)
            .map_or((0, 0), |x| (x.tier, x.seq.get()));
        // A cohort round follows its registration in the same command: that child's
        // registration is decided by this referral.
        if record.scope.is_some() && registered_seq + 1 == seq.get() {
            state.mark_referred_at_once(a)?;
        }
        let referral = Referral {
            id: issued.referral_id.clone(),
            app: a,
            kindergarten,
            group: issued.group_id.clone(),
            round,
            tier: tier.into(),
            issued_at: record.ran_at,
            expires_at: issued.expires_at,
            status: ReferralStatus::Issued,
            extended: false,
            enrolled_at: None,
            reminded_for: None,
            transfer: issued.transfer,
            exchange: false,
        };
        if issued.transfer {
            state.issue_transfer_referral(referral)?;
        } else {
            state.issue_referral(referral, stamp)?;
        }
    }
    for p in &record.phases {
        state.set_phase(district, (p.cohort, p.language), p.block, p.phase, seq)?;
    }
    super::exchange::apply_offers(state, round, &record.exchanges)?;
    let certificate = state.certificate_after(&before, record);
    state.add_round(record.clone(), certificate)?;
    Ok(())
}
