//! Registration: every refusal ground checked and reported at once (a refusal is itself
//! journaled, with its document); an accepted child is queued, and if a seat it could use is
//! free, its cohort queue's round runs at once, decided on the state as the registration
//! will leave it, so that the result is a referral exactly when a staff-triggered round would
//! have given one.

mod checks;

pub(crate) use checks::age as check_age;

use super::preferences::{check_preferences, kindergarten_ids, kindergarten_indexes};
use super::refusal::{ground, Refusal};
use super::round::check_round_id;
use crate::allocation::{Newcomer, RoundSpec};
use crate::event::{Event, Ground, GroundCode, Person, Registration};
use crate::model::{
    AppIx, AppStatus, ApplicationId, Category, Channel, ClaimStatus, DistrictId, DistrictIx, Iin,
    KgIx, Language, RoundId, Seq,
};
use crate::queue::order::Entry;
use crate::queue::{Cause, QueueKey};
use crate::state::{Applicant, Application, Mismatch, Refusal as Refused, Stamp, State};
use jiff::Timestamp;

code_enum! {
    /// Why a registration is not even considered (its grounds are [`GroundCode`]s, and a
    /// registration refused on them is journaled).
    pub enum Code {
        /// An id the server must give is missing.
        Required = "required",
        /// The application id is already used.
        ApplicationIdTaken = "application_id_taken",
        /// The application table holds 2^32 applications.
        TableFull = "application_table_full",
    }
}

/// A registration as it arrives: raw text, so that every ground can be reported at once.
#[derive(Debug, Clone, Default)]
pub struct Register {
    /// Id the application (or its refusal) gets.
    pub application_id: Option<ApplicationId>,
    /// Round id to use if the registration meets a free seat.
    pub round_id: Option<RoundId>,
    /// Child's IIN.
    pub child_iin: String,
    /// Child's full name.
    pub child_name: String,
    /// Birth date given separately (must agree with the IIN), ISO `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Applicant's IIN.
    pub applicant_iin: String,
    /// Applicant's full name.
    pub applicant_name: String,
    /// Representative: IIN and power-of-attorney number.
    pub representative: Option<(String, String)>,
    /// District.
    pub district: String,
    /// Language.
    pub language: String,
    /// Kindergartens, best first.
    pub preferences: Vec<String>,
    /// Claimed category (`None` or `"none"` for no claim).
    pub category: Option<String>,
    /// Documents presented.
    pub documents: Vec<String>,
    /// Channel.
    pub channel: String,
    /// Count the claim as verified (a city import whose claims were checked before).
    pub claim_verified: bool,
    /// Registration time (now, or the original time for an import).
    pub at: Timestamp,
}

/// What the checks made of the raw request.
struct Checked {
    registration: Registration,
    district: DistrictIx,
    preferences: Vec<KgIx>,
}

impl Register {
    /// `registered` (and the `round_run` of its cohort queue when it met a free seat), or
    /// `registration_refused` with every ground.
    ///
    /// # Errors
    /// No application id, an id already used, an active application of the same child, a
    /// free seat met without a round id, or a round id that cannot be used.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let id = self.application_id.clone().ok_or_else(|| {
            Refusal::invalid("application_id", Code::Required.as_str(), "an id is needed")
        })?;
        if state.application_id_taken(&id) {
            return Err(Refusal::conflict(
                Code::ApplicationIdTaken.as_str(),
                format!("application id {id} is already used"),
            ));
        }
        let active = Iin::parse(&self.child_iin)
            .ok()
            .and_then(|i| state.active_application_of(&i))
            .and_then(|a| state.application(a));
        if let Some(app) = active {
            return Err(Refusal::ActiveApplicationExists {
                application_id: app.id.clone(),
            });
        }
        let at = self.at;
        let round_id = self.round_id.clone();
        let checked = match self.check(state, id) {
            Ok(c) => c,
            Err(refused) => return Ok(vec![refused]),
        };
        let policy = state.policy();
        let year = policy
            .cutoff
            .academic_year_of(policy.calendar.local_date(at));
        let r = &checked.registration;
        let cohort = policy.cutoff.cohort_of(r.birth_date);
        let queue = QueueKey {
            district: checked.district,
            cohort,
            language: r.language,
        };
        if !usable_seat_free(state, queue, year, &checked.preferences) {
            return Ok(vec![Event::Registered(Box::new(checked.registration))]);
        }
        let round_id = round_id.ok_or_else(|| {
            Refusal::invalid(
                "round_id",
                Code::Required.as_str(),
                "a seat is free, so a round id is needed",
            )
        })?;
        check_round_id(state, &round_id)?;
        let index = AppIx::after(state.application_count()).ok_or_else(|| {
            Refusal::conflict(Code::TableFull.as_str(), "no more applications fit")
        })?;
        let newcomer = Newcomer {
            id: &r.application_id,
            entry: Entry::new(at, index),
            tier: state.tier_for(r.category.as_ref(), r.claim),
            queue,
            preferences: &checked.preferences,
        };
        let spec = RoundSpec {
            round_id,
            district: checked.district,
            academic_year: year,
            at,
            scope: Some((cohort, r.language)),
            newcomer: Some(&newcomer),
        };
        let round = state
            .allocate(&spec)
            .ok_or_else(|| Refusal::not_found("district", &r.district))?;
        let mut events = vec![Event::Registered(Box::new(checked.registration))];
        if !round.referrals.is_empty() {
            events.push(Event::RoundRun(Box::new(round)));
        }
        Ok(events)
    }

    /// Every ground checked; the registration, or the refusal event listing the grounds.
    fn check(self, state: &State, id: ApplicationId) -> Result<Checked, Event> {
        let mut grounds = Vec::new();
        let child = checks::child(
            state,
            &self.child_iin,
            self.birth_date.as_deref(),
            self.at,
            &mut grounds,
        );
        checks::name("child.name", &self.child_name, &mut grounds);
        let applicant = checks::iin("applicant.iin", &self.applicant_iin, &mut grounds);
        checks::name("applicant.name", &self.applicant_name, &mut grounds);
        let representative = self
            .representative
            .as_ref()
            .and_then(|(iin, poa)| checks::representative((iin, poa), &mut grounds));
        let district = DistrictId::parse(&self.district)
            .ok()
            .and_then(|d| state.district_index(&d).map(|i| (d, i)));
        if district.is_none() {
            grounds.push(ground(
                "district",
                GroundCode::UnknownDistrict,
                format!("no district `{}`", self.district.escape_debug()),
            ));
        }
        let language = Language::parse(&self.language);
        if language.is_none() {
            grounds.push(ground(
                "language",
                GroundCode::UnsupportedLanguage,
                "must be kk or ru",
            ));
        }
        let preferences = check_preferences(
            state,
            district.as_ref().map(|d| d.1),
            &self.preferences,
            &mut grounds,
        );
        let category = check_category(state, self.category.as_deref(), &mut grounds);
        let claimed = self.category.as_deref().is_some_and(|c| c != "none");
        let documents = checks::documents(
            state,
            &self.documents,
            claimed,
            child.map(|c| c.1),
            &mut grounds,
        );
        let channel = Channel::parse(&self.channel);
        if channel.is_none() {
            grounds.push(ground(
                "channel",
                GroundCode::UnknownChannel,
                "must be portal, service_center or office",
            ));
        }
        let (
            Some((child_iin, birth)),
            Some(applicant_iin),
            Some((district, d)),
            Some(language),
            Some(channel),
            true,
        ) = (
            child,
            applicant,
            district,
            language,
            channel,
            grounds.is_empty(),
        )
        else {
            return Err(Event::RegistrationRefused {
                application_id: id,
                at: self.at,
                grounds,
            });
        };
        let claim = match (&category, self.claim_verified) {
            (None, _) => ClaimStatus::None,
            (Some(_), true) => ClaimStatus::Verified,
            (Some(_), false) => ClaimStatus::Pending,
        };
        let registration = Registration {
            application_id: id,
            child: Person {
                iin: child_iin,
                name: self.child_name.trim().to_owned(),
            },
            birth_date: birth,
            applicant: Some(Person {
                iin: applicant_iin,
                name: self.applicant_name.trim().to_owned(),
            }),
            representative,
            district,
            language,
            preferences: kindergarten_ids(state, &preferences),
            category,
            claim,
            documents,
            channel,
            registered_at: self.at,
        };
        Ok(Checked {
            registration,
            district: d,
            preferences,
        })
    }
}

/// The claimed category: `None` or `"none"` for no claim; else a category of the policy.
fn check_category(state: &State, raw: Option<&str>, grounds: &mut Vec<Ground>) -> Option<Category> {
    let c = raw.filter(|c| *c != "none")?;
    let known = Category::parse(c).filter(|c| state.policy().tier_of(c).is_some());
    if known.is_none() {
        grounds.push(ground(
            "category",
            GroundCode::UnknownCategory,
            format!(
                "`{}` is not a category of policy {}",
                c.escape_debug(),
                state.policy().name
            ),
        ));
    }
    known
}

/// Whether a group of one of `preferences` takes the cohort queue's children in `year` and
/// has a free seat.
fn usable_seat_free(state: &State, queue: QueueKey, year: i16, preferences: &[KgIx]) -> bool {
    let age = year - queue.cohort;
    if i32::from(age) >= state.policy().max_age {
        return false;
    }
    preferences
        .iter()
        .filter_map(|k| state.kindergarten(*k))
        .any(|kg| {
            kg.district == queue.district
                && kg
                    .groups
                    .iter()
                    .any(|g| g.serves(age, queue.language) && g.free() > 0)
        })
}

/// Applies `registered`: the application is added and queued.
pub(crate) fn apply(state: &mut State, seq: Seq, r: &Registration) -> Result<(), Mismatch> {
    let district = state
        .district_index(&r.district)
        .ok_or_else(|| Mismatch::Unknown {
            what: "district",
            id: r.district.to_string(),
        })?;
    let preferences = kindergarten_indexes(state, &r.preferences)?;
    let documents = r
        .documents
        .iter()
        .fold(0u8, |acc, d| acc | (1 << (*d as u8)));
    let app = Application {
        id: r.application_id.clone(),
        child_iin: r.child.iin,
        child_name: r.child.name.clone().into_boxed_str(),
        birth_date: r.birth_date,
        cohort: state.policy().cutoff.cohort_of(r.birth_date),
        applicant: r.applicant.as_ref().map(|p| {
            Box::new(Applicant {
                iin: p.iin,
                name: p.name.clone().into_boxed_str(),
                representative: r.representative.clone(),
            })
        }),
        district,
        language: r.language,
        preferences,
        category: r.category.clone(),
        claim: r.claim,
        tier: state.tier_for(r.category.as_ref(), r.claim),
        documents,
        channel: r.channel,
        registered_at: r.registered_at,
        seq,
        status: AppStatus::Queued,
        referral: None,
        stopped_until: None,
        previous: None,
    };
    let a = state.add_application(app)?;
    let cause = Cause::RegisteredAhead;
    state.enqueue(a, Stamp { seq, cause })
}

/// Applies `registration_refused`: the id and the grounds are kept.
pub(crate) fn apply_refused(
    state: &mut State,
    id: &ApplicationId,
    at: Timestamp,
    grounds: &[Ground],
) -> Result<(), Mismatch> {
    let refusal = Refused {
        at,
        grounds: grounds.to_vec(),
    };
    state.add_refusal(id, refusal)
}
