//! Why a child was or was not referred, told from the rule that decided it. A round gives each
//! child, in queue order, the best kindergarten it chose with a seat left in the group for its
//! age and language; so a child left out found, at each kindergarten it chose, no such group,
//! none of its seats free before the round, or its free seats gone to children ahead of it.

use crate::event::RoundRecord;
use crate::model::{AppIx, ApplicationId, KgIx};
use crate::state::{Group, State};

/// What became of one kindergarten a child chose, in a round that did not refer it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The kindergarten has no group for the child's age and language.
    NoGroup,
    /// Its group had no free seat before the round.
    NoFreeSeats,
    /// Its group's free seats went to children ahead in the queue.
    TakenByAhead,
}

impl Reason {
    /// As answers and pages name it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoGroup => "no_group",
            Self::NoFreeSeats => "no_free_seats",
            Self::TakenByAhead => "taken_by_ahead",
        }
    }
}

/// One kindergarten a child chose, in a round about to run: the group that would serve the
/// child there (if any) and why the round would not refer the child to it.
#[derive(Debug, Clone, Copy)]
pub struct Choice<'s> {
    /// The kindergarten.
    pub kindergarten: KgIx,
    /// Its group for the child's age and language.
    pub group: Option<&'s Group>,
    /// Why not.
    pub reason: Reason,
}

/// One kindergarten a child chose, in a round that ran: why the round did not refer the child
/// there, and the children it referred there instead, in the order it referred them.
#[derive(Debug, Clone)]
pub struct ChoiceInRound {
    /// The kindergarten.
    pub kindergarten: KgIx,
    /// [`Reason::NoFreeSeats`] or [`Reason::TakenByAhead`].
    pub reason: Reason,
    /// Who the round referred to its group for the child's age and language.
    pub taken_by: Vec<ApplicationId>,
}

impl State {
    /// For application `a` left out of a round about to run in `academic_year`: each
    /// kindergarten it chose, best first, and why the round does not refer it there. The
    /// seats are read as they are before the round.
    #[must_use]
    pub fn why_not_referred(&self, a: AppIx, academic_year: i16) -> Vec<Choice<'_>> {
        let Some(app) = self.application(a) else {
            return Vec::new();
        };
        let age = academic_year - app.cohort;
        app.preferences
            .iter()
            .filter_map(|k| {
                let kg = self.kindergarten(*k)?;
                let group = kg.groups.iter().find(|g| g.serves(age, app.language));
                let reason = match group {
                    None => Reason::NoGroup,
                    Some(g) if g.free() == 0 => Reason::NoFreeSeats,
                    Some(_) => Reason::TakenByAhead,
                };
                Some(Choice {
                    kindergarten: *k,
                    group,
                    reason,
                })
            })
            .collect()
    }

    /// Whether application `a` took part in `round`: of its district, registered by the time
    /// it ran, and in its cohort queue when it ran in one only.
    #[must_use]
    pub fn took_part(&self, a: AppIx, round: &RoundRecord) -> bool {
        let Some(app) = self.application(a) else {
            return false;
        };
        self.district_of(a)
            .is_some_and(|d| d.id.as_str() == round.district.as_str())
            && app.registered_at <= round.ran_at
            && round
                .scope
                .is_none_or(|(cohort, language)| cohort == app.cohort && language == app.language)
    }

    /// For application `a`, which took part in `round` and was not referred: each
    /// kindergarten it chose, best first, and the children the round referred to the group
    /// that would have served it there.
    #[must_use]
    pub fn why_not_referred_in(&self, a: AppIx, round: &RoundRecord) -> Vec<ChoiceInRound> {
        let Some(app) = self.application(a) else {
            return Vec::new();
        };
        let age = round.academic_year - app.cohort;
        app.preferences
            .iter()
            .filter_map(|k| {
                let kg = self.kindergarten(*k)?;
                let group = kg.groups.iter().find(|g| g.serves(age, app.language));
                let taken_by: Vec<ApplicationId> = round
                    .referrals
                    .iter()
                    .filter(|r| {
                        r.kindergarten_id == kg.id && group.is_some_and(|g| g.id == r.group_id)
                    })
                    .map(|r| r.application_id.clone())
                    .collect();
                Some(ChoiceInRound {
                    kindergarten: *k,
                    reason: if taken_by.is_empty() {
                        Reason::NoFreeSeats
                    } else {
                        Reason::TakenByAhead
                    },
                    taken_by,
                })
            })
            .collect()
    }
}
