//! The priority claims of the applications in progress, by district, claim state and the
//! time each was claimed: what the staff's claims worklist, the overdue counts and the
//! dashboard read, a district's claims in order without looking at its other applications
//! (issue 29). The apply arms keep it: after every event, the applications it touched are
//! filed again ([`State::touched`]); the property tests compare it with a scan.

use super::State;
use crate::event::Event;
use crate::model::{AppIx, ClaimStatus, DistrictIx};
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// Where a claim is filed: district, claim state (as a number: pending 0, verified 1,
/// rejected 2), when claimed.
type Place = (DistrictIx, u8, Timestamp);

/// The claims of applications in progress.
#[derive(Debug, Clone, Default)]
pub(crate) struct Claims {
    ordered: BTreeSet<(Place, AppIx)>,
    place: FxHashMap<AppIx, Place>,
}

fn code(c: ClaimStatus) -> Option<u8> {
    match c {
        ClaimStatus::None => None,
        ClaimStatus::Pending => Some(0),
        ClaimStatus::Verified => Some(1),
        ClaimStatus::Rejected => Some(2),
    }
}

impl Claims {
    /// Files application `a` where it belongs now (`None`: nowhere).
    fn file(&mut self, a: AppIx, place: Option<Place>) {
        if self.place.get(&a) == place.as_ref() {
            return;
        }
        if let Some(old) = self.place.remove(&a) {
            self.ordered.remove(&(old, a));
        }
        if let Some(p) = place {
            self.place.insert(a, p);
            self.ordered.insert((p, a));
        }
    }
}

impl State {
    /// The applications `event` may change the claim, district or progress of (those that
    /// exist before it is applied; the application a registration adds is filed after).
    pub(crate) fn touched(&self, event: &Event) -> Vec<AppIx> {
        let app = |id| self.application_index(id);
        let of_referral = |r| self.referral(r).map(|x| x.app);
        match event {
            Event::Withdrawn { application_id, .. }
            | Event::AgedOut { application_id, .. }
            | Event::ChildLeft { application_id, .. }
            | Event::ClaimDecided { application_id, .. }
            | Event::PriorityClaimed { application_id, .. } => {
                app(application_id).into_iter().collect()
            }
            Event::ApplicationCorrected(c) => app(&c.application_id).into_iter().collect(),
            Event::ReferralDeclined { referral_id, .. }
            | Event::ReferralLapsed { referral_id, .. }
            | Event::Enrolled { referral_id, .. } => of_referral(referral_id).into_iter().collect(),
            Event::GroupsRolledOver { leavers, .. } => leavers.iter().filter_map(app).collect(),
            _ => Vec::new(),
        }
    }

    /// Files again the claims of `apps`: where each belongs now.
    pub(crate) fn file_claims(&mut self, apps: Vec<AppIx>) {
        for a in apps {
            let place = self.application(a).and_then(|x| {
                let c = code(x.claim).filter(|_| x.status.is_active())?;
                Some((x.district, c, self.claimed_at(a).unwrap_or(x.registered_at)))
            });
            self.claims.file(a, place);
        }
    }

    /// Files every application's claim (a state read from a snapshot).
    pub(crate) fn file_all_claims(&mut self) {
        let all: Vec<AppIx> = self.applications().map(|(a, _)| a).collect();
        self.claims = Claims::default();
        self.file_claims(all);
    }

    /// The claims in `status` of district `d`'s applications in progress, with when each was
    /// claimed, oldest first (none for `ClaimStatus::None`).
    pub fn claims_in(
        &self,
        d: DistrictIx,
        status: ClaimStatus,
    ) -> impl Iterator<Item = (AppIx, Timestamp)> + '_ {
        let c = code(status);
        let range = c.map(|c| {
            (
                ((d, c, Timestamp::MIN), AppIx::from_slot(0)),
                ((d, c, Timestamp::MAX), AppIx::from_slot(u32::MAX as usize)),
            )
        });
        range
            .into_iter()
            .flat_map(move |(from, to)| self.claims.ordered.range(from..=to))
            .map(|((_, _, at), a)| (*a, *at))
    }

    /// How many of district `d`'s pending claims are past the day their proof had to be
    /// checked by, at `now` (the due day grows with the claim's time: they are the oldest).
    #[must_use]
    pub fn overdue_claims_in(&self, d: DistrictIx, now: Timestamp) -> usize {
        let p = self.policy();
        self.claims_in(d, ClaimStatus::Pending)
            .take_while(|(_, at)| p.calendar.deadline(*at, p.claim_check_working_days) < now)
            .count()
    }
}
