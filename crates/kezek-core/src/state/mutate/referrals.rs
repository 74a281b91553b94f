//! Referrals, their deadlines and seats, and rounds.

use super::{unknown, Stamp};
use crate::event::RoundRecord;
use crate::model::{
    AppStatus, DistrictIx, Language, ReferralId, ReferralIx, ReferralStatus, RoundIx, Seq,
};
use crate::queue::QueueKey;
use crate::state::mismatch::Mismatch;
use crate::state::{Referral, State};
use jiff::Timestamp;

/// Referrals and rounds.
impl State {
    fn referral_mut(&mut self, r: ReferralIx) -> Result<&mut Referral, Mismatch> {
        self.referrals
            .get_mut(r.slot())
            .ok_or_else(|| unknown("referral", &r))
    }

    /// The index of referral `id`, which must be open.
    pub(crate) fn open_referral(&self, id: &ReferralId) -> Result<ReferralIx, Mismatch> {
        let r = self
            .referral_index(id)
            .ok_or_else(|| unknown("referral", &id))?;
        let status = self
            .referral_at(r)
            .ok_or_else(|| unknown("referral", &id))?
            .status;
        if status.is_open() {
            Ok(r)
        } else {
            Err(Mismatch::WrongStatus {
                what: "referral",
                id: id.to_string(),
                status: status.as_str(),
            })
        }
    }

    /// Issues a referral of round `round`: reserves a seat in its group, takes the child out of
    /// its queue (`stamp`) and marks it referred.
    pub(crate) fn issue_referral(
        &mut self,
        referral: Referral,
        stamp: Stamp,
    ) -> Result<ReferralIx, Mismatch> {
        let (a, id) = (referral.app, referral.id.clone());
        let app = self
            .application(a)
            .ok_or_else(|| unknown("application", &a))?;
        if app.status != AppStatus::Queued {
            return Err(Mismatch::WrongStatus {
                what: "application",
                id: app.id.to_string(),
                status: app.status.as_str(),
            });
        }
        if self.referral_index.contains_key(&id) {
            return Err(Mismatch::Reused {
                what: "referral",
                id: id.to_string(),
            });
        }
        let r = ReferralIx::after(self.referrals.len()).ok_or(Mismatch::Full)?;
        let group = self.group_mut(referral.kindergarten, &referral.group)?;
        if group.free() == 0 {
            return Err(Mismatch::Seats {
                group: group.id.to_string(),
                problem: "no free seat",
            });
        }
        group.reserved += 1;
        self.dequeue(a, stamp)?;
        self.deadlines.insert((referral.expires_at, r));
        self.referrals.push(referral);
        self.referral_index.insert(id, r);
        let app = self.app_mut(a)?;
        app.status = AppStatus::Referred;
        app.referral = Some(r);
        Ok(r)
    }

    /// Issues a referral for a transfer request: reserves a seat in its group; the child
    /// stays enrolled where it is, and the request notes the referral.
    pub(crate) fn issue_transfer_referral(
        &mut self,
        referral: Referral,
    ) -> Result<ReferralIx, Mismatch> {
        let (a, id) = (referral.app, referral.id.clone());
        let waiting = self.transfer(a).is_some_and(|t| t.referral.is_none());
        let enrolled = self
            .application(a)
            .is_some_and(|x| x.status == AppStatus::Enrolled);
        if !waiting || !enrolled {
            return Err(Mismatch::WrongStatus {
                what: "transfer",
                id: referral.id.to_string(),
                status: "not a waiting request of an enrolled child",
            });
        }
        if self.referral_index.contains_key(&id) {
            return Err(Mismatch::Reused {
                what: "referral",
                id: id.to_string(),
            });
        }
        let r = ReferralIx::after(self.referrals.len()).ok_or(Mismatch::Full)?;
        let group = self.group_mut(referral.kindergarten, &referral.group)?;
        if group.free() == 0 {
            return Err(Mismatch::Seats {
                group: group.id.to_string(),
                problem: "no free seat",
            });
        }
        group.reserved += 1;
        self.deadlines.insert((referral.expires_at, r));
        self.referrals.push(referral);
        self.referral_index.insert(id, r);
        if let Some(t) = self.transfer_mut(a) {
            t.referral = Some(r);
        }
        Ok(r)
    }

    /// After a transfer's referral closed without an admission: the request ends, the child
    /// stays where it is. `false` for a referral that is not a transfer's.
    pub(crate) fn closed_transfer(&mut self, r: ReferralIx) -> Result<bool, Mismatch> {
        let referral = self.referral_at(r).ok_or_else(|| unknown("referral", &r))?;
        if !referral.transfer {
            return Ok(false);
        }
        let a = referral.app;
        self.end_transfer(a);
        Ok(true)
    }

    /// Keeps a referral made already used (an exchange's: the child admitted at once) and
    /// makes it the application's.
    pub(crate) fn adopt_referral(&mut self, referral: Referral) -> Result<ReferralIx, Mismatch> {
        let (a, id) = (referral.app, referral.id.clone());
        if self.referral_index.contains_key(&id) {
            return Err(Mismatch::Reused {
                what: "referral",
                id: id.to_string(),
            });
        }
        let r = ReferralIx::after(self.referrals.len()).ok_or(Mismatch::Full)?;
        self.referrals.push(referral);
        self.referral_index.insert(id, r);
        self.app_mut(a)?.referral = Some(r);
        Ok(r)
    }

    /// Moves an open referral's deadline.
    pub(crate) fn set_deadline(&mut self, r: ReferralIx, at: Timestamp) -> Result<(), Mismatch> {
        let referral = self.referral_mut(r)?;
        let old = std::mem::replace(&mut referral.expires_at, at);
        self.deadlines.remove(&(old, r));
        self.deadlines.insert((at, r));
        Ok(())
    }

    /// Sets an open referral's status (issued → confirmed) or marks its one extension.
    pub(crate) fn update_referral(
        &mut self,
        r: ReferralIx,
        change: impl FnOnce(&mut Referral),
    ) -> Result<(), Mismatch> {
        change(self.referral_mut(r)?);
        Ok(())
    }

    /// Ends an open referral with `status` and frees its seat.
    pub(crate) fn close_referral(
        &mut self,
        r: ReferralIx,
        status: ReferralStatus,
    ) -> Result<(), Mismatch> {
        let referral = self.referral_at(r).ok_or_else(|| unknown("referral", &r))?;
        let (k, group, expires) = (
            referral.kindergarten,
            referral.group.clone(),
            referral.expires_at,
        );
        let g = self.group_mut(k, &group)?;
        g.reserved = g.reserved.checked_sub(1).ok_or_else(|| Mismatch::Seats {
            group: group.to_string(),
            problem: "no reserved seat",
        })?;
        self.deadlines.remove(&(expires, r));
        self.referral_mut(r)?.status = status;
        Ok(())
    }

    /// The child of open referral `r` is admitted: the reserved seat becomes enrolled.
    pub(crate) fn enroll(&mut self, r: ReferralIx, at: Timestamp) -> Result<(), Mismatch> {
        self.close_referral(r, ReferralStatus::Enrolled)?;
        let referral = self.referral_mut(r)?;
        referral.enrolled_at = Some(at);
        let (k, group, a) = (referral.kindergarten, referral.group.clone(), referral.app);
        let transfer = referral.transfer;
        let g = self.group_mut(k, &group)?;
        g.enrolled += 1;
        g.children.push(a);
        if transfer {
            // The old seat opened by the `child_left` just before; the child is here now.
            self.end_transfer(a);
            self.app_mut(a)?.referral = Some(r);
        }
        self.set_status(a, AppStatus::Enrolled)
    }

    /// Sets the interleave phase of a block of a cohort queue after a round.
    pub(crate) fn set_phase(
        &mut self,
        district: DistrictIx,
        (cohort, language): (i16, Language),
        block: usize,
        phase: u32,
        seq: Seq,
    ) -> Result<(), Mismatch> {
        let key = QueueKey {
            district,
            cohort,
            language,
        };
        let q = self
            .queues
            .get_mut(&key)
            .ok_or_else(|| unknown("cohort queue", &format!("{cohort}/{}", language.as_str())))?;
        if block >= q.phases().len() {
            return Err(unknown("interleave block", &block));
        }
        q.set_phase(block, phase, seq);
        Ok(())
    }

    /// The index the next round gets, unless its id is taken.
    pub(crate) fn next_round(&self, record: &RoundRecord) -> Result<RoundIx, Mismatch> {
        if self.round_id_taken(&record.round_id) {
            return Err(Mismatch::Reused {
                what: "round",
                id: record.round_id.to_string(),
            });
        }
        RoundIx::after(self.rounds.len()).ok_or(Mismatch::Full)
    }

    /// Keeps a round's record.
    pub(crate) fn add_round(
        &mut self,
        record: RoundRecord,
        certificate: crate::event::RoundCertificate,
    ) -> Result<RoundIx, Mismatch> {
        let r = self.next_round(&record)?;
        self.round_index.insert(record.round_id.clone(), r);
        self.rounds.push(record);
        self.certificates.push(certificate);
        Ok(r)
    }
}
