//! Applying the events that change places: kindergartens and their groups, and rounds
//! (which reserve seats and issue referrals).

use super::Result;
use crate::event::{GroupSpec, RoundRecord};
use crate::ids::{DistrictId, KindergartenId};
use crate::state::{AppStatus, District, Group, Kindergarten, Referral, ReferralStatus, State};

impl State {
    fn district_idx_or_create(&mut self, id: &DistrictId) -> u32 {
        if let Some(d) = self.district_index.get(id) {
            return *d;
        }
        let d = self.districts.len() as u32;
        self.districts.push(District {
            id: id.clone(),
            kindergartens: Vec::new(),
        });
        self.district_index.insert(id.clone(), d);
        d
    }

    pub(super) fn apply_upsert(
        &mut self,
        id: &KindergartenId,
        name: &str,
        district: &DistrictId,
        specs: &[GroupSpec],
    ) -> Result<()> {
        let d = self.district_idx_or_create(district);
        let k = match self.kindergarten_index.get(id) {
            Some(k) => *k,
            None => {
                let k = self.kindergartens.len() as u32;
                self.kindergartens.push(Kindergarten {
                    id: id.clone(),
                    name: String::new(),
                    district: d,
                    groups: Vec::new(),
                });
                self.kindergarten_index.insert(id.clone(), k);
                self.districts[d as usize].kindergartens.push(k);
                k
            }
        };
        let kg = &mut self.kindergartens[k as usize];
        if kg.district != d {
            return Err(format!(
                "kindergarten {id} cannot move to district {district}"
            ));
        }
        let mut groups = Vec::with_capacity(specs.len());
        for s in specs {
            let old = kg.groups.iter().find(|g| g.id == s.group_id);
            let (enrolled, reserved) = old.map_or((s.enrolled, 0), |g| (g.enrolled, g.reserved));
            if enrolled + reserved > s.capacity {
                return Err(format!(
                    "group {} capacity below occupied seats",
                    s.group_id
                ));
            }
            groups.push(Group {
                id: s.group_id.clone(),
                age_years: s.age_years,
                language: s.language,
                capacity: s.capacity,
                enrolled,
                reserved,
            });
        }
        for g in &kg.groups {
            if g.enrolled + g.reserved > 0 && !groups.iter().any(|n| n.id == g.id) {
                return Err(format!("group {} removed while occupied", g.id));
            }
        }
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        kg.name = name.to_owned();
        kg.groups = groups;
        Ok(())
    }

    pub(super) fn apply_round(&mut self, record: &RoundRecord) -> Result<()> {
        if self.round_index.contains_key(&record.round_id) {
            return Err(format!("round id {} reused", record.round_id));
        }
        let district = *self
            .district_index
            .get(&record.district)
            .ok_or("unknown district")?;
        let round = self.rounds.len() as u32;
        for issued in &record.referrals {
            let a = self.application_idx(&issued.application_id)?;
            let k = self.kindergarten_idx(&issued.kindergarten_id)?;
            if self.applications[a as usize].status != AppStatus::Queued {
                return Err(format!("{} is not queued", issued.application_id));
            }
            if self.referral_index.contains_key(&issued.referral_id) {
                return Err(format!("referral id {} reused", issued.referral_id));
            }
            let group = self.kindergartens[k as usize]
                .groups
                .iter_mut()
                .find(|g| g.id == issued.group_id)
                .ok_or_else(|| format!("unknown group {}", issued.group_id))?;
            if group.free() == 0 {
                return Err(format!("group {} has no free seat", issued.group_id));
            }
            group.reserved += 1;
            self.queue_remove(a);
            let r = self.referrals.len() as u32;
            self.referrals.push(Referral {
                id: issued.referral_id.clone(),
                app: a,
                kindergarten: k,
                group: issued.group_id.clone(),
                round,
                tier: self.applications[a as usize].tier,
                issued_at: record.ran_at,
                expires_at: issued.expires_at,
                status: ReferralStatus::Issued,
                extended: false,
                enrolled_at: None,
            });
            self.referral_index.insert(issued.referral_id.clone(), r);
            self.deadlines.insert((issued.expires_at, r));
            let app = &mut self.applications[a as usize];
            app.status = AppStatus::Referred;
            app.referral = Some(r);
        }
        for p in &record.phases {
            let key = crate::queue::QueueKey {
                district,
                cohort: p.cohort,
                language: p.language,
            };
            let q = self
                .queues
                .get_mut(&key)
                .ok_or("phase of an unknown queue")?;
            if p.block >= q.phases().len() {
                return Err("phase of an unknown block".into());
            }
            q.set_phase(p.block, p.phase, self.applying.0);
        }
        self.round_index.insert(record.round_id.clone(), round);
        self.rounds.push(record.clone());
        Ok(())
    }
}
