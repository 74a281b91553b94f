//! Districts, kindergartens and groups.

use super::unknown;
use crate::model::{DistrictId, DistrictIx, GroupId, KgIx, KindergartenId};
use crate::state::mismatch::Mismatch;
use crate::state::{District, Group, Kindergarten, State};

/// Places.
impl State {
    /// The index of district `id`, created on first mention.
    pub(crate) fn district_or_create(&mut self, id: &DistrictId) -> Result<DistrictIx, Mismatch> {
        if let Some(d) = self.district_index.get(id) {
            return Ok(*d);
        }
        let d = DistrictIx::after(self.districts.len()).ok_or(Mismatch::Full)?;
        self.districts.push(District {
            id: id.clone(),
            kindergartens: Vec::new(),
            names: None,
        });
        self.district_index.insert(id.clone(), d);
        Ok(d)
    }

    /// Creates kindergarten `id` in district `d` with `groups`, or replaces the name and
    /// groups of the existing one, which must be in `d`.
    pub(crate) fn put_kindergarten(
        &mut self,
        id: &KindergartenId,
        (name, labels): (&str, &crate::event::KindergartenLabels),
        d: DistrictIx,
        mut groups: Vec<Group>,
    ) -> Result<KgIx, Mismatch> {
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(k) = self.kindergarten_index(id) {
            let kg = self
                .kindergartens
                .get_mut(k.slot())
                .ok_or_else(|| unknown("kindergarten", &id))?;
            if kg.district != d {
                return Err(Mismatch::Moved {
                    kindergarten: id.to_string(),
                    district: self
                        .district(d)
                        .map(|x| x.id.to_string())
                        .unwrap_or_default(),
                });
            }
            name.clone_into(&mut kg.name);
            kg.labels = labels.clone();
            kg.groups = groups;
            return Ok(k);
        }
        let k = KgIx::after(self.kindergartens.len()).ok_or(Mismatch::Full)?;
        let district = self
            .districts
            .get_mut(d.slot())
            .ok_or_else(|| unknown("district", &d))?;
        district.kindergartens.push(k);
        self.kindergartens.push(Kindergarten {
            id: id.clone(),
            name: name.to_owned(),
            labels: labels.clone(),
            district: d,
            groups,
            rolled_over: None,
        });
        self.kindergarten_index.insert(id.clone(), k);
        self.kindergarten_districts.push(d);
        Ok(k)
    }

    /// Names district `d` and its authority.
    pub(crate) fn name_district(
        &mut self,
        d: DistrictIx,
        names: crate::event::DistrictNames,
    ) -> Result<(), Mismatch> {
        self.districts
            .get_mut(d.slot())
            .ok_or_else(|| unknown("district", &d))?
            .names = Some(Box::new(names));
        Ok(())
    }

    /// Notes that kindergarten `k`'s groups entered `academic_year`.
    pub(crate) fn set_rolled_over(&mut self, k: KgIx, academic_year: i16) -> Result<(), Mismatch> {
        self.kindergartens
            .get_mut(k.slot())
            .ok_or_else(|| unknown("kindergarten", &k))?
            .rolled_over = Some(academic_year);
        Ok(())
    }

    /// A group of kindergarten `k`, to change its seats.
    pub(crate) fn group_mut(&mut self, k: KgIx, group: &GroupId) -> Result<&mut Group, Mismatch> {
        self.kindergartens
            .get_mut(k.slot())
            .ok_or_else(|| unknown("kindergarten", &k))?
            .groups
            .iter_mut()
            .find(|g| &g.id == group)
            .ok_or_else(|| unknown("group", &group))
    }
}
