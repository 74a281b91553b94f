//! Registration: every refusal ground checked and reported at once (a refusal is itself
//! journaled, with its document); an accepted child is queued, and if a seat it could use is
//! free, its cohort queue's round runs at once, decided on the state as the registration
//! will leave it, so that the result is a referral exactly when a staff-triggered round would
//! have given one.

mod checks;

pub(crate) use checks::{age as check_age, preferences as check_preferences};
pub(crate) use checks::{category as check_category, district as check_district};
pub(crate) use checks::{name as check_name, representative as check_representative};

use super::refusal::Refusal;
use super::round::check_round_id;
use crate::allocation::{Newcomer, RoundSpec};
use crate::event::{Event, Ground, Person, RefusedChild, Registration, Representative};
use crate::model::{
    AppIx, AppStatus, ApplicationId, Category, Channel, ClaimStatus, DistrictId, DistrictIx,
    Document, Iin, IinError, KgIx, Language, RoundId, Seq,
};
use crate::queue::order::Entry;
use crate::queue::QueueKey;
use crate::state::{Applicant, Application, Mismatch, Refusal as Refused, State};
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
    /// The applicant's e-mail address, where Kezek tells the family itself (optional).
    pub applicant_email: Option<String>,
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
    /// The application of a sibling to go together with (a joint application), raw.
    pub together_with: Option<String>,
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
        let child = Iin::parse(&self.child_iin);
        let active = child
            .as_ref()
            .ok()
            .and_then(|i| state.active_application_of(i))
            .and_then(|a| state.application(a));
        if let Some(app) = active {
            return Err(Refusal::ActiveApplicationExists {
                application_id: app.id.clone(),
            });
        }
        let (at, round_id) = (self.at, self.round_id.clone());
        match self.check(state, id, child) {
            Ok(checked) => with_round(state, checked, at, round_id),
            Err(refused) => Ok(vec![refused]),
        }
    }

    /// Every ground checked; the registration, or the refusal event listing the grounds.
    fn check(
        &self,
        state: &State,
        id: ApplicationId,
        child: Result<Iin, IinError>,
    ) -> Result<Checked, Event> {
        let mut grounds = Vec::new();
        let iin = child.as_ref().ok().copied();
        let parsed = self.parse(state, child, &mut grounds);
        // One ground per field and code (the checks give one each; this keeps it so).
        let mut seen = Vec::with_capacity(grounds.len());
        grounds.retain(|g| {
            let key = (g.field.clone(), g.code);
            let new = !seen.contains(&key);
            seen.push(key);
            new
        });
        if let Some(p) = parsed.filter(|_| grounds.is_empty()) {
            return Ok(self.accepted(state, id, p));
        }
        let valid = |field: &str| !grounds.iter().any(|g| g.field == field);
        let about = RefusedChild {
            child_name: Some(self.child_name.trim())
                .filter(|n| !n.is_empty() && valid("child.name"))
                .map(str::to_owned),
            child_iin: iin.filter(|_| valid("child.iin")),
            district: DistrictId::parse(&self.district)
                .ok()
                .filter(|d| state.district_index(d).is_some()),
        };
        Err(Event::RegistrationRefused {
            application_id: id,
            at: self.at,
            channel: Channel::parse(&self.channel),
            about: (about != RefusedChild::default()).then(|| Box::new(about)),
            grounds,
        })
    }

    /// Every field checked, each broken rule added to `grounds`; the typed request when the
    /// fields it needs parse.
    fn parse(
        &self,
        state: &State,
        child: Result<Iin, IinError>,
        grounds: &mut Vec<Ground>,
    ) -> Option<Parsed> {
        let child = checks::child(state, child, self.birth_date.as_deref(), self.at, grounds);
        checks::name("child.name", &self.child_name, grounds);
        let applicant = checks::iin("applicant.iin", &self.applicant_iin, grounds);
        checks::name("applicant.name", &self.applicant_name, grounds);
        let email = checks::email("applicant.email", self.applicant_email.as_deref(), grounds);
        let representative = self
            .representative
            .as_ref()
            .and_then(|(iin, poa)| checks::representative((iin, poa), grounds));
        let district = checks::district(state, &self.district, grounds);
        let language = checks::language(&self.language, grounds);
        let preferences = checks::preferences(
            state,
            district.as_ref().map(|d| d.1),
            &self.preferences,
            grounds,
        );
        let category = checks::category(state, self.category.as_deref(), grounds);
        let claimed = self.category.as_deref().is_some_and(|c| c != "none");
        let channel = checks::channel(&self.channel, grounds);
        let documents = checks::documents(
            state,
            &self.documents,
            (claimed, child.map(|c| c.1)),
            channel.unwrap_or(Channel::Portal),
            grounds,
        );
        let ((child_iin, birth), applicant) = (child?, applicant?);
        let together_with = self.together_with.as_deref().and_then(|raw| {
            let queue = (
                district.as_ref()?.1,
                state.policy().cutoff.cohort_of(birth),
                language?,
            );
            checks::partner(state, raw, queue, &preferences, grounds)
        });
        Some(Parsed {
            child_iin,
            birth,
            applicant,
            email,
            representative,
            district: district?,
            language: language?,
            preferences,
            category,
            documents,
            channel: channel?,
            together_with,
        })
    }

    /// The registration of an accepted request.
    fn accepted(&self, state: &State, id: ApplicationId, p: Parsed) -> Checked {
        let claim = match (&p.category, self.claim_verified) {
            (None, _) => ClaimStatus::None,
            (Some(_), true) => ClaimStatus::Verified,
            (Some(_), false) => ClaimStatus::Pending,
        };
        let registration = Registration {
            application_id: id,
            child: Person {
                iin: p.child_iin,
                name: self.child_name.trim().to_owned(),
            },
            birth_date: p.birth,
            applicant: Some(Person {
                iin: p.applicant,
                name: self.applicant_name.trim().to_owned(),
            }),
            email: p.email,
            representative: p.representative,
            district: p.district.0,
            language: p.language,
            preferences: state.kindergarten_ids(&p.preferences),
            category: p.category,
            claim,
            documents: p.documents,
            channel: p.channel,
            registered_at: self.at,
            together_with: p.together_with,
        };
        Checked {
            registration,
            district: p.district.1,
            preferences: p.preferences,
        }
    }
}

/// A request whose fields parsed.
struct Parsed {
    child_iin: Iin,
    birth: jiff::civil::Date,
    applicant: Iin,
    email: Option<String>,
    representative: Option<Representative>,
    district: (DistrictId, DistrictIx),
    language: Language,
    preferences: Vec<KgIx>,
    category: Option<Category>,
    documents: Vec<Document>,
    channel: Channel,
    together_with: Option<ApplicationId>,
}

/// The registration's events: `registered`, and when it meets a free seat the `round_run`
/// of its cohort queue, decided with the newcomer taking part.
fn with_round(
    state: &State,
    checked: Checked,
    at: Timestamp,
    round_id: Option<RoundId>,
) -> Result<Vec<Event>, Refusal> {
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
    let index = AppIx::after(state.application_count())
        .ok_or_else(|| Refusal::conflict(Code::TableFull.as_str(), "no more applications fit"))?;
    let newcomer = Newcomer {
        id: &r.application_id,
        entry: Entry::new(at, index),
        tier: state.tier_for(r.category.as_ref(), r.claim).into(),
        queue,
        preferences: &checked.preferences,
        partner: r
            .together_with
            .as_ref()
            .and_then(|id| state.application_index(id)),
        applicant: r.applicant.as_ref().map(|p| p.iin),
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
    let preferences = state.known_kindergartens(&r.preferences)?;
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
                email: r.email.as_deref().map(Box::from),
            })
        }),
        district,
        language: r.language,
        preferences,
        category: r
            .category
            .as_ref()
            .map(|c| state.category_ix(c))
            .transpose()?,
        claim: r.claim,
        tier: state.tier_for(r.category.as_ref(), r.claim),
        documents,
        channel: r.channel,
        referred_at_once: false,
        registered_at: r.registered_at,
        seq,
        status: AppStatus::Queued,
        referral: None,
        stopped_until: None,
        previous: None,
    };
    let a = state.add_application(app)?;
    if let Some(id) = &r.together_with {
        let b = state
            .application_index(id)
            .ok_or_else(|| Mismatch::Unknown {
                what: "application",
                id: id.to_string(),
            })?;
        if state.partner(b).is_some() {
            return Err(Mismatch::Reused {
                what: "joint application",
                id: id.to_string(),
            });
        }
        state.join(a, b);
    }
    state.enqueue_registered(a, seq)
}

/// Applies `registration_refused`: the id and the grounds are kept.
pub(crate) fn apply_refused(
    state: &mut State,
    id: &ApplicationId,
    at: Timestamp,
    grounds: &[Ground],
    child: Option<Iin>,
) -> Result<(), Mismatch> {
    let refusal = Refused {
        at,
        child,
        grounds: grounds.to_vec(),
    };
    state.add_refusal(id, refusal)
}
