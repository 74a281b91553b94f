//! Applications, their places in the queue, and referrals.

use super::{academic_year, tier_name};
use super::{referral_document_id, result_id};
use jiff::Timestamp;
use kezek_core::model::{
    AppIx, ApplicationId, Category, DistrictId, GroupId, Iin, KindergartenId, Seq,
};
use kezek_core::state::{Application, Referral};
use kezek_core::State;
use serde::Serialize;
use std::collections::BTreeMap;

/// Who is in front, per tier: serialised as `{"<tier>": n, …}` without building a map.
#[derive(Debug, Clone)]
pub struct Ahead<'a> {
    state: &'a State,
    counts: Vec<usize>,
}

impl Serialize for Ahead<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.counts
                .iter()
                .enumerate()
                .map(|(t, n)| (tier_name(self.state, t), n)),
        )
    }
}

impl utoipa::PartialSchema for Ahead<'_> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <BTreeMap<String, usize> as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Ahead<'_> {}

/// One kindergarten of an application's positions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PositionAt<'a> {
    /// Who is in front there, per tier (in the position view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<Ahead<'a>>,
    /// The group the child would get there (lowest id of its age and language).
    #[schema(value_type = Option<String>)]
    pub group_id: Option<&'a GroupId>,
    /// The kindergarten.
    #[schema(value_type = String)]
    pub kindergarten_id: &'a KindergartenId,
    /// 1-based place among the children who listed it.
    pub position: usize,
}

/// Positions at every listed kindergarten; with `ahead` counts when asked.
#[must_use]
pub fn positions(state: &State, a: AppIx, year: i16, with_ahead: bool) -> Vec<PositionAt<'_>> {
    state
        .positions(a, year)
        .into_iter()
        .filter_map(|p| {
            let kg = state.kindergarten(p.kindergarten)?;
            Some(PositionAt {
                ahead: with_ahead.then_some(Ahead {
                    state,
                    counts: p.ahead,
                }),
                group_id: p.group.and_then(|g| kg.groups.get(g)).map(|g| &g.id),
                kindergarten_id: &kg.id,
                position: p.position,
            })
        })
        .collect()
}

/// A referral.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralView<'a> {
    /// The application referred.
    #[schema(value_type = String)]
    pub application_id: &'a ApplicationId,
    /// The child's name (empty for an imported application, which carries none).
    pub child_name: &'a str,
    /// The child's birth date.
    #[schema(value_type = String, format = Date)]
    pub birth_date: jiff::civil::Date,
    /// The child's age on the cut-off date of the academic year the referral is for (the
    /// age its group is for).
    pub age_years: i32,
    /// Its signed document.
    pub document_id: String,
    /// The current deadline (confirmation, then admission).
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// The group.
    #[schema(value_type = String)]
    pub group_id: &'a GroupId,
    /// When it was issued.
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: Timestamp,
    /// The kindergarten.
    #[schema(value_type = String)]
    pub kindergarten_id: &'a KindergartenId,
    /// Its id.
    #[schema(value_type = String)]
    pub referral_id: &'a kezek_core::model::ReferralId,
    /// `issued`, `confirmed`, `enrolled`, `declined`, `lapsed`, `no_show` or `released`.
    pub status: &'static str,
    /// What its kindergarten may do with it now (`enroll`, `not_admitted`, `no_show`), in a
    /// kindergarten's list; absent elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<&'static str>,
    /// Whether it answers a request to transfer an enrolled child (who keeps its old seat
    /// until admitted here); absent when not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub transfer: bool,
}

/// What a kindergarten may do with referral `r` at `now`: admit it and decide it cannot be
/// admitted once the family confirmed (or where the policy admits unconfirmed ones), the
/// admission until the kindergarten's recording day ends; record a no-show once the family's
/// deadline has passed.
#[must_use]
pub fn kindergarten_actions(state: &State, r: &Referral, now: Timestamp) -> Vec<&'static str> {
    use kezek_core::model::ReferralStatus;
    let open = matches!(r.status, ReferralStatus::Issued | ReferralStatus::Confirmed);
    if !open {
        return Vec::new();
    }
    let decidable =
        r.status == ReferralStatus::Confirmed || state.policy().referral.enroll_unconfirmed;
    let mut actions = Vec::new();
    if decidable && now < state.lapse_time(r) {
        actions.push("enroll");
    }
    if decidable {
        actions.push("not_admitted");
    }
    if now >= r.expires_at {
        actions.push("no_show");
    }
    actions
}

/// One referral.
#[must_use]
pub fn referral<'a>(state: &'a State, r: &'a Referral) -> Option<ReferralView<'a>> {
    let app = state.application(r.app)?;
    let policy = state.policy();
    let year = state.rounds().get(r.round.slot()).map_or_else(
        || {
            policy
                .cutoff
                .academic_year_of(policy.calendar.local_date(r.issued_at))
        },
        |round| round.academic_year,
    );
    Some(ReferralView {
        application_id: &app.id,
        child_name: &app.child_name,
        birth_date: app.birth_date,
        age_years: kezek_core::model::age_on(app.birth_date, policy.cutoff.in_year(year)),
        document_id: referral_document_id(r.id.as_str()),
        expires_at: r.expires_at,
        group_id: &r.group,
        issued_at: r.issued_at,
        kindergarten_id: &state.kindergarten(r.kindergarten)?.id,
        referral_id: &r.id,
        status: r.status.as_str(),
        actions: Vec::new(),
        transfer: r.transfer,
    })
}

/// The answer to an act on a referral: the referral, and where its application stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralAnswer<'a> {
    /// The referral.
    #[serde(flatten)]
    pub referral: ReferralView<'a>,
    /// The application's status after the act.
    pub application_status: &'static str,
    /// The kindergarten's signed decision the act issued (an `admission` document: admitted,
    /// or not admitted with grounds); absent for the family's acts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_document_id: Option<String>,
    /// The journal seq the answer reflects.
    pub as_of_seq: u64,
}

/// Referrals, with the seq they reflect.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralList<'a> {
    /// The referrals, in issue order.
    pub referrals: Vec<ReferralView<'a>>,
    /// The journal seq the list reflects.
    pub as_of_seq: u64,
}

/// An application.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationView<'a> {
    /// Its id.
    #[schema(value_type = String)]
    pub application_id: &'a ApplicationId,
    /// The journal seq the view reflects.
    pub as_of_seq: u64,
    /// The claimed priority category.
    #[schema(value_type = Option<String>)]
    pub category: Option<&'a Category>,
    /// The district whose queue it is.
    #[schema(value_type = String)]
    pub district: &'a DistrictId,
    /// Its queue notification document; `null` for an application imported from a city's
    /// files, which was registered elsewhere and has none here.
    pub document_id: Option<String>,
    /// `kk` or `ru`.
    pub language: &'static str,
    /// Places at the listed kindergartens.
    pub positions: Vec<PositionAt<'a>>,
    /// Kindergartens, best first.
    #[schema(value_type = Vec<String>)]
    pub preferences: Vec<&'a KindergartenId>,
    /// `none`, `pending`, `verified` or `rejected`.
    pub priority_status: &'static str,
    /// Place in the cohort queue (while queued).
    pub queue_number: Option<usize>,
    /// The latest referral, if any.
    pub referral: Option<ReferralView<'a>>,
    /// The original registration time, the order inside a tier forever.
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: Timestamp,
    /// `queued`, `referred`, `enrolled`, `left`, `withdrawn`, `cancelled` or `aged_out`.
    pub status: &'static str,
    /// The tier it is in.
    pub tier: &'a str,
    /// The family's request to move the enrolled child to other kindergartens (absent when
    /// there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer: Option<TransferView<'a>>,
    /// The exchange the child is offered, while open (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeView<'a>>,
    /// The proof files attached, in order: what they are, never their bytes (absent when
    /// there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileView<'a>>,
    /// A joint application: the sibling's application it goes together with (absent
    /// otherwise). While both wait, a round refers both to one kindergarten or neither.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub together_with: Option<&'a ApplicationId>,
}

/// A proof file attached to an application or a case: what it is. Its bytes are served
/// only to the staff who decide on it (`GET /v1/files/{file_id}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileView<'a> {
    /// Its id.
    pub file_id: &'a str,
    /// SHA-256 of its bytes, hex: what the journal holds.
    pub sha256: &'a str,
    /// What it is, by its bytes: `application/pdf`, `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    /// Its length in bytes.
    pub size: u64,
    /// The document it is a copy of, as the sender named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<&'a str>,
}

impl<'a> From<&'a kezek_core::event::ProofFile> for FileView<'a> {
    fn from(f: &'a kezek_core::event::ProofFile) -> Self {
        Self {
            file_id: &f.file_id,
            sha256: &f.sha256,
            content_type: f.content_type.as_str(),
            size: f.size,
            document: f.document.as_deref(),
        }
    }
}

/// An exchange offered to the family: where the child would go and the kindergartens of its
/// partners (never who they are).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExchangeView<'a> {
    /// Its id (`POST /v1/exchanges/{id}/confirm`).
    #[schema(value_type = String)]
    pub exchange_id: &'a kezek_core::model::ReferralId,
    /// The kindergarten the child would move to.
    #[schema(value_type = String)]
    pub kindergarten_id: &'a KindergartenId,
    /// Its group there.
    #[schema(value_type = String)]
    pub group_id: &'a GroupId,
    /// The kindergartens the other children in it come from.
    #[schema(value_type = Vec<String>)]
    pub partners: Vec<&'a KindergartenId>,
    /// Every family confirms before this instant, or nothing happens.
    #[schema(value_type = String, format = DateTime)]
    pub confirm_by: Timestamp,
    /// Whether this family confirmed.
    pub confirmed: bool,
}

/// The open exchange of application `a`, if any.
#[must_use]
pub fn exchange(state: &State, a: AppIx) -> Option<ExchangeView<'_>> {
    let x = state.open_exchange_of(a)?;
    let me = x.members.iter().position(|m| *m == a)?;
    let mv = x.offer.moves.get(me)?;
    Some(ExchangeView {
        exchange_id: &x.offer.exchange_id,
        kindergarten_id: &mv.to.0,
        group_id: &mv.to.1,
        partners: x
            .offer
            .moves
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != me)
            .map(|(_, m)| &m.from.0)
            .collect(),
        confirm_by: x.offer.expires_at,
        confirmed: x.confirmed.get(me).copied().unwrap_or(false),
    })
}

/// A request to transfer an enrolled child: it keeps its seat until admitted to one of the
/// kindergartens asked for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferView<'a> {
    /// The kindergartens asked for, best first.
    #[schema(value_type = Vec<String>)]
    pub preferences: Vec<&'a KindergartenId>,
    /// When it was first asked for: its place among the transfer requests.
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    /// The referral a round issued for it, while open: confirmed and used, the child moves.
    pub referral: Option<ReferralView<'a>>,
}

/// The transfer request of application `a`, if any.
#[must_use]
pub fn transfer(state: &State, a: AppIx) -> Option<TransferView<'_>> {
    let t = state.transfer(a)?;
    Some(TransferView {
        preferences: t
            .preferences
            .iter()
            .filter_map(|k| state.kindergarten(*k))
            .map(|k| &k.id)
            .collect(),
        requested_at: t.requested_at,
        referral: t
            .referral
            .and_then(|r| state.referral_at(r))
            .and_then(|r| referral(state, r)),
    })
}

/// The document id of an application's registration result: its queue notification, or the
/// referral when the registration met a free seat (one decision, one result); `None` for an
/// imported one (`kezek import` issues no documents: the families were told by the system
/// they registered in, and a document Kezek names must exist).
#[must_use]
pub fn registration_result_id(state: &State, a: AppIx, app: &Application) -> Option<String> {
    app.applicant.as_ref()?;
    if !app.referred_at_once {
        return Some(result_id(app.seq));
    }
    // The referral issued with the registration: the latest one, unless a later referral
    // (after this one lapsed) took its place.
    let at_once = |r: &&kezek_core::state::Referral| r.app == a && r.issued_at == app.registered_at;
    app.referral
        .and_then(|r| state.referral_at(r))
        .filter(at_once)
        .or_else(|| state.referrals().map(|(_, r)| r).find(at_once))
        .map(|r| referral_document_id(r.id.as_str()))
}

/// The whole application.
#[must_use]
pub fn application(state: &State, a: AppIx, now: Timestamp) -> Option<ApplicationView<'_>> {
    let app = state.application(a)?;
    let year = academic_year(state, now);
    Some(ApplicationView {
        application_id: &app.id,
        as_of_seq: state.last_seq().get(),
        category: state.category_of(app),
        district: &state.district(app.district)?.id,
        document_id: registration_result_id(state, a, app),
        language: app.language.as_str(),
        positions: positions(state, a, year, false),
        preferences: app
            .preferences
            .iter()
            .filter_map(|k| state.kindergarten(*k))
            .map(|k| &k.id)
            .collect(),
        priority_status: app.claim.as_str(),
        queue_number: state.queue_number(a),
        referral: app
            .referral
            .and_then(|r| state.referral_at(r))
            .and_then(|r| referral(state, r)),
        registered_at: app.registered_at,
        status: app.status.as_str(),
        tier: tier_name(state, app.tier),
        transfer: transfer(state, a),
        exchange: exchange(state, a),
        files: state.files_of(a).map(FileView::from).collect(),
        together_with: state
            .partner(a)
            .and_then(|p| state.application(p))
            .map(|p| &p.id),
    })
}

/// Applications, with the seq they reflect.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationList<'a> {
    /// The applications.
    pub applications: Vec<ApplicationView<'a>>,
    /// The journal seq the list reflects.
    pub as_of_seq: u64,
}

/// A child's applications, active first, those of `keep`.
#[must_use]
pub fn applications_of_child<'a>(
    state: &'a State,
    child: &Iin,
    now: Timestamp,
    keep: impl Fn(AppIx) -> bool,
) -> ApplicationList<'a> {
    ApplicationList {
        applications: state
            .applications_of_child(child)
            .into_iter()
            .filter(|a| keep(*a))
            .filter_map(|a| application(state, a, now))
            .collect(),
        as_of_seq: state.last_seq().get(),
    }
}

/// How the queue number changed since a journal seq.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Since {
    /// The seq asked about.
    pub seq: u64,
    /// The queue number then (`null`: not queued then).
    pub queue_number: Option<usize>,
    /// The change since, by cause (now − then), every cause listed.
    pub causes: BTreeMap<&'static str, i64>,
}

/// The position view: queue number and, per kindergarten, position and who is ahead.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PositionView<'a> {
    /// Who is in front in the cohort queue, per tier (while queued).
    pub ahead: Option<Ahead<'a>>,
    /// Its id.
    #[schema(value_type = String)]
    pub application_id: &'a ApplicationId,
    /// The journal seq the view reflects.
    pub as_of_seq: u64,
    /// Places at the listed kindergartens, with who is ahead there.
    pub positions: Vec<PositionAt<'a>>,
    /// Place in the cohort queue (while queued).
    pub queue_number: Option<usize>,
    /// The original registration time.
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: Timestamp,
    /// The change since the seq asked about (`since_seq`), `null` when not queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<Option<Since>>,
    /// The application's status.
    pub status: &'static str,
    /// The tier it is in.
    pub tier: &'a str,
}

/// The position view; `since` explains the change since that seq.
#[must_use]
pub fn position(
    state: &State,
    a: AppIx,
    now: Timestamp,
    since: Option<u64>,
) -> Option<PositionView<'_>> {
    let app = state.application(a)?;
    let ahead = state.ahead(a, None);
    Some(PositionView {
        queue_number: ahead.as_ref().map(|c| c.iter().sum::<usize>() + 1),
        ahead: ahead.map(|counts| Ahead { state, counts }),
        application_id: &app.id,
        as_of_seq: state.last_seq().get(),
        positions: positions(state, a, academic_year(state, now), true),
        registered_at: app.registered_at,
        since: since.map(|seq| {
            state.explain(a, Seq::new(seq)).map(|x| Since {
                seq,
                queue_number: x.queue_number,
                causes: x.causes.iter().map(|(c, n)| (c.as_str(), *n)).collect(),
            })
        }),
        status: app.status.as_str(),
        tier: tier_name(state, app.tier),
    })
}

/// A proof file as the staff's worklist and the application's page list it: what they can
/// open.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FileEntry {
    /// Its id.
    pub file_id: String,
    /// `application/pdf`, `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    /// Its length in bytes.
    pub size: u64,
    /// The document it copies, as the sender named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

impl From<&kezek_core::event::ProofFile> for FileEntry {
    fn from(f: &kezek_core::event::ProofFile) -> Self {
        Self {
            file_id: f.file_id.clone(),
            content_type: f.content_type.as_str(),
            size: f.size,
            document: f.document.clone(),
        }
    }
}

/// Application `a`'s proof files, in the order attached.
#[must_use]
pub fn file_entries(state: &kezek_core::State, a: kezek_core::model::AppIx) -> Vec<FileEntry> {
    // A family erased: its files went with it (their journal records stay, for the audit).
    if state
        .application(a)
        .is_some_and(kezek_core::state::Application::names_erased)
    {
        return Vec::new();
    }
    state.files_of(a).map(FileEntry::from).collect()
}
