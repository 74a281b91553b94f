//! What callers send: the bodies of the writes, typed, with the field names of the HTTP
//! contract. Unknown fields are refused; values are checked by the commands, which report
//! every broken rule.

use kezek_core::event::GroupSpec;
use kezek_core::model::{DistrictId, GroupId, Language};
use serde::Deserialize;

/// The child.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildForm {
    /// IIN.
    pub iin: String,
    /// Full name.
    pub name: String,
    /// Birth date, if given separately (must agree with the IIN).
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// A representative with a power of attorney.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeForm {
    /// IIN.
    pub iin: String,
    /// Power-of-attorney number.
    pub power_of_attorney: String,
}

/// The parent or legal representative.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantForm {
    /// IIN.
    pub iin: String,
    /// Full name.
    pub name: String,
    /// A representative acting for the applicant.
    #[serde(default)]
    pub representative: Option<RepresentativeForm>,
    /// E-mail address, where Kezek itself tells the family of each result (optional).
    #[serde(default)]
    pub email: Option<String>,
}

/// A registration.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterForm {
    /// The child.
    pub child: ChildForm,
    /// The applicant.
    pub applicant: ApplicantForm,
    /// The district whose queue it is.
    pub district: String,
    /// `kk` or `ru`.
    pub language: String,
    /// Kindergartens, best first.
    pub preferences: Vec<String>,
    /// The claimed priority category (`null` or `none` for none).
    #[serde(default)]
    pub category: Option<String>,
    /// Documents presented.
    pub documents: Vec<String>,
    /// `portal`, `service_center` or `office`.
    pub channel: String,
    /// A joint application: the application of a sibling (a twin) to go together with —
    /// both referred to one kindergarten in one round, or neither.
    #[serde(default)]
    pub together_with: Option<String>,
}

/// New kindergarten preferences.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesForm {
    /// Kindergartens, best first.
    pub preferences: Vec<String>,
}

/// A group as staff describe it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupForm {
    /// Id, unique inside the kindergarten.
    #[schema(value_type = String)]
    pub group_id: GroupId,
    /// Age in full years on the cut-off date of the children it takes.
    pub age_years: i16,
    /// `kk` or `ru`.
    #[schema(value_type = String)]
    pub language: Language,
    /// Places.
    pub capacity: u32,
}

impl From<GroupForm> for GroupSpec {
    fn from(g: GroupForm) -> Self {
        Self {
            group_id: g.group_id,
            age_years: g.age_years,
            language: g.language,
            capacity: g.capacity,
            enrolled: 0,
        }
    }
}

/// A kindergarten and its groups.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindergartenForm {
    /// Name.
    pub name: String,
    /// District.
    #[schema(value_type = String)]
    pub district: DistrictId,
    /// Groups; a group missing from the list is removed (unless occupied).
    pub groups: Vec<GroupForm>,
    /// The name in Russian, where it differs (optional; a replacement without it removes it,
    /// as with the addresses).
    #[serde(default)]
    pub name_ru: Option<String>,
    /// Street address, as a referral prints it (in Kazakh where there are both).
    #[serde(default)]
    pub address: Option<String>,
    /// Street address in Russian.
    #[serde(default)]
    pub address_ru: Option<String>,
    /// Telephone number families with a referral call (optional).
    #[serde(default)]
    pub phone: Option<String>,
}

/// A district's name and its authority's, in Kazakh and Russian, as its documents print them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistrictForm {
    /// The district, in Kazakh.
    pub name_kk: String,
    /// The district, in Russian.
    pub name_ru: String,
    /// The authority owning its queue (the district education department), in Kazakh.
    pub authority_kk: String,
    /// The same, in Russian.
    pub authority_ru: String,
}

/// Places opening in a group.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VacanciesForm {
    /// How many.
    pub seats: u32,
}

/// An enrolled child leaves its kindergarten.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveForm {
    /// The day the child left (`YYYY-MM-DD`, local; not after today).
    pub date: String,
    /// `moved`, `school`, `family_request` or `other`.
    pub reason: String,
}

/// A correction of an application, with the document it rests on.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionForm {
    /// The child: `{"name"}`.
    #[serde(default)]
    pub child: Option<ChildCorrection>,
    /// The applicant: `{"name", "representative": {"iin", "power_of_attorney"},
    /// "remove_representative"}`, each optional.
    #[serde(default)]
    pub applicant: Option<ApplicantCorrection>,
    /// The district of residence (the child changes queue at its original time); with it,
    /// `preferences` there.
    #[serde(default)]
    pub district: Option<String>,
    /// Kindergartens of the new district, best first (with `district` only).
    #[serde(default)]
    pub preferences: Vec<String>,
    /// Why: the document it rests on.
    pub reason: String,
}

/// The child's side of a correction.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildCorrection {
    /// The full name.
    pub name: String,
}

/// The applicant's side of a correction.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantCorrection {
    /// The full name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new representative.
    #[serde(default)]
    pub representative: Option<RepresentativeForm>,
    /// The representative no longer acts.
    #[serde(default)]
    pub remove_representative: bool,
}

/// A priority claimed after registration, with its proof.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimForm {
    /// The category, as the policy names it.
    pub category: String,
    /// The documents presented (`benefit_proof` among them).
    pub documents: Vec<String>,
}

/// A family's confirmation of an exchange.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeForm {
    /// The family's application (one of the exchange's).
    pub application_id: String,
}

/// The kindergartens an enrolled child should move to.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferForm {
    /// Kindergarten ids of the child's district, best first (not its own).
    pub preferences: Vec<String>,
}

/// A kindergarten's groups enter an academic year.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollOverForm {
    /// The academic year that has begun (the year of its September).
    pub academic_year: i16,
}

/// A round to run.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundForm {
    /// The academic year whose ages decide the groups (default: the one in progress).
    #[serde(default)]
    pub academic_year: Option<i16>,
}

/// A decision on a priority claim.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityForm {
    /// `verified` or `rejected`.
    pub decision: String,
    /// The employee's reason.
    #[serde(default)]
    pub reason: String,
}

/// A kindergarten head's decision not to admit the child who came with a referral.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotAdmittedForm {
    /// Why (shown to the family in the signed decision).
    pub grounds: String,
}

/// The one extension of a confirmed referral's admission deadline.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendForm {
    /// Calendar days added to the deadline (1 to the policy's `extension_max_days`, 30).
    pub days: u32,
    /// Why.
    pub reason: String,
}
