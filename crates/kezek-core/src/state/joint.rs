//! Joint applications: siblings who should go to one kindergarten together (twins). Each
//! half names the other; a round refers both to one kindergarten or neither
//! (`allocation`).

use super::State;
use crate::model::AppIx;

impl State {
    /// The sibling application `a` is joint with, if any (whatever became of either).
    #[must_use]
    pub fn partner(&self, a: AppIx) -> Option<AppIx> {
        self.partners.get(&a).copied()
    }

    /// The sibling `a` goes together with in a round: its partner, while both wait in the
    /// same queue (same district, birth cohort and language). Once one of them is referred,
    /// enrolled or gone, the other waits on its own.
    #[must_use]
    pub fn waiting_partner(&self, a: AppIx) -> Option<AppIx> {
        let p = self.partner(a)?;
        let (x, y) = (self.application(a)?, self.application(p)?);
        let queued = |s: crate::model::AppStatus| s == crate::model::AppStatus::Queued;
        let same = (x.district, x.cohort, x.language) == (y.district, y.cohort, y.language);
        (queued(x.status) && queued(y.status) && same).then_some(p)
    }

    /// Every joint pair, each once (the earlier application first).
    pub fn joint_pairs(&self) -> impl Iterator<Item = (AppIx, AppIx)> + '_ {
        self.partners
            .iter()
            .filter(|(a, b)| a < b)
            .map(|(a, b)| (*a, *b))
    }

    /// Joins `a` and `b`.
    pub(crate) fn join(&mut self, a: AppIx, b: AppIx) {
        self.partners.insert(a, b);
        self.partners.insert(b, a);
    }
}
