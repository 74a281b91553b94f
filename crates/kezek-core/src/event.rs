//! Events: the facts the journal stores. Applying them in order from empty rebuilds the state
//! exactly. They carry ids, never internal indexes, so the journal reads on its own.
//!
//! The texts the public journal leaves out (names, positions, free text, certificates) read
//! as empty when absent (`#[serde(default)]`), so its records decode as events ([`crate::public`]).

use crate::model::{
    ApplicationId, Category, Channel, ClaimStatus, DistrictId, Document, GroupId, Iin,
    KindergartenId, Language, OfficialId, ReferralId, RoundId,
};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One group of a kindergarten as staff describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSpec {
    /// Group id, unique inside the kindergarten.
    pub group_id: GroupId,
    /// Age in full years on the cut-off date of the children it takes.
    pub age_years: i16,
    /// Language of instruction.
    pub language: Language,
    /// Places in the group.
    pub capacity: u32,
    /// For a new group only: places already taken by children enrolled before Kezek
    /// (a city import creates every group full, then opens its free seats as vacancies).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub enrolled: u32,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A representative acting with a power of attorney.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    /// The representative's IIN.
    pub iin: Iin,
    /// Power-of-attorney number.
    #[serde(default)]
    pub power_of_attorney: String,
}

/// A person: IIN and full name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// IIN.
    pub iin: Iin,
    /// Full name.
    #[serde(default)]
    pub name: String,
}

/// An accepted application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Application id.
    pub application_id: ApplicationId,
    /// The child.
    pub child: Person,
    /// Birth date (from the IIN).
    pub birth_date: Date,
    /// The parent or legal representative (`None` for a city import that does not carry it).
    pub applicant: Option<Person>,
    /// The applicant's e-mail address, where Kezek tells the family itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A representative with a power of attorney, if any.
    pub representative: Option<Representative>,
    /// District whose queue it is.
    pub district: DistrictId,
    /// Language of instruction wanted.
    pub language: Language,
    /// Kindergartens, best first.
    pub preferences: Vec<KindergartenId>,
    /// Claimed priority category.
    pub category: Option<Category>,
    /// Claim state at registration.
    pub claim: ClaimStatus,
    /// Documents presented.
    pub documents: Vec<Document>,
    /// How it was filed.
    pub channel: Channel,
    /// Original registration time; the queue order inside a tier, forever.
    pub registered_at: Timestamp,
    /// The sibling's application this one is joint with (twins who go together): a round
    /// refers both to one kindergarten or neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub together_with: Option<ApplicationId>,
}

code_enum! {
    /// The grounds on which a registration is refused, as the API and the journal name them.
    /// The registration decides them (`command::register`); preference changes and imports
    /// check preferences and ages by the same grounds.
    pub enum GroundCode {
        /// Documents are missing (they are listed in `missing`).
        DocumentsIncomplete = "documents_incomplete",
        /// A document code that is not one of the service's.
        UnknownDocument = "unknown_document",
        /// Not a valid IIN.
        InvalidIin = "invalid_iin",
        /// The birth date given does not agree with the IIN.
        BirthDateMismatch = "birth_date_mismatch",
        /// The birth date given is not a date.
        InvalidDate = "invalid_date",
        /// The child is past the maximum age on the academic year's cut-off.
        ChildTooOld = "child_too_old",
        /// The birth date is in the future.
        ChildNotBorn = "child_not_born",
        /// A name that is empty, too long or holds control characters.
        InvalidName = "invalid_name",
        /// An e-mail address that is not one.
        InvalidEmail = "invalid_email",
        /// A power-of-attorney number that is empty, too long or holds control characters.
        InvalidPowerOfAttorney = "invalid_power_of_attorney",
        /// No such district.
        UnknownDistrict = "unknown_district",
        /// Not a language of instruction.
        UnsupportedLanguage = "unsupported_language",
        /// No such kindergarten.
        UnknownKindergarten = "unknown_kindergarten",
        /// A kindergarten of another district.
        KindergartenOutsideDistrict = "kindergarten_outside_district",
        /// No kindergarten listed.
        NoPreferences = "no_preferences",
        /// More kindergartens than the policy allows.
        TooManyPreferences = "too_many_preferences",
        /// More documents listed than there are kinds of.
        TooManyDocuments = "too_many_documents",
        /// A kindergarten listed twice.
        DuplicatePreference = "duplicate_preference",
        /// Not a category of the policy.
        UnknownCategory = "unknown_category",
        /// Not a channel of filing.
        UnknownChannel = "unknown_channel",
        /// A joint application's sibling: no such application.
        UnknownPartner = "unknown_partner",
        /// A joint application's sibling no longer waits in the queue.
        PartnerNotQueued = "partner_not_queued",
        /// A joint application's sibling waits in another queue (district, birth cohort or
        /// language).
        PartnerInOtherQueue = "partner_in_other_queue",
        /// A joint application's sibling is joint with another child already.
        PartnerJoined = "partner_joined",
        /// A joint application lists no kindergarten its sibling's lists.
        NoCommonKindergarten = "no_common_kindergarten",
    }
}

/// One ground of a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ground {
    /// The field at fault (`child.iin`, `preferences[1]`).
    pub field: String,
    /// The ground.
    pub code: GroundCode,
    /// A human-readable explanation.
    #[serde(default)]
    pub message: String,
    /// For `documents_incomplete`: the missing document codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<Document>,
}

/// A referral issued by a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedReferral {
    /// Referral id.
    pub referral_id: ReferralId,
    /// The application referred.
    pub application_id: ApplicationId,
    /// Kindergarten.
    pub kindergarten_id: KindergartenId,
    /// Group.
    pub group_id: GroupId,
    /// The parent must confirm before this instant.
    pub expires_at: Timestamp,
    /// Whether it answers a request to transfer an enrolled child (who keeps its seat until
    /// admitted here).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transfer: bool,
}

/// What a correction changed (absent: unchanged), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// Application.
    pub application_id: ApplicationId,
    /// The child's full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_name: Option<String>,
    /// The applicant's full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicant_name: Option<String>,
    /// The representative acting for the applicant (a new one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative: Option<Representative>,
    /// The representative no longer acts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub representative_removed: bool,
    /// The district of residence, and the kindergartens there (the queue changes, the
    /// registration time stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<(DistrictId, Vec<KindergartenId>)>,
    /// Why (the document it rests on).
    #[serde(default)]
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

code_enum! {
    /// Where an erased person appears: as whom, in an application or a refused one.
    pub enum ErasedRole {
        /// The child of an application.
        Child = "child",
        /// The applicant of an application.
        Applicant = "applicant",
        /// The representative acting for the applicant.
        Representative = "representative",
        /// The child a refused application was filed for.
        RefusedChild = "refused_child",
    }
}

code_enum! {
    /// Why a person was erased.
    pub enum ErasureReason {
        /// The retention period of the policy ran out (the sweeper).
        Retention = "retention",
        /// At once, by the operator: a court order, a request the law grants
        /// (`kezek retention erase`).
        Request = "request",
    }
}

/// One place an erased person appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appearance {
    /// The application (or the refused one).
    pub application_id: ApplicationId,
    /// As whom.
    pub role: ErasedRole,
}

/// A person forgotten (`person_erased`): their data key is deleted with this record, so every
/// value sealed under it reads as the stand-in from now on, in every record before this one
/// too; the state takes the stand-in in every place the person appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    /// The id of the person's data key, deleted (its tombstone keeps the stand-in; the public
    /// journal leaves it out).
    #[serde(default)]
    pub data_key: String,
    /// The IIN that stands in for the person from now on (`crate::public::stand_in_from`).
    pub stand_in: Iin,
    /// Every place the person appears, in application order: where the state blanks them.
    pub appears: Vec<Appearance>,
    /// Why.
    pub reason: ErasureReason,
    /// What it rests on: the policy's rule, a court order's number (kept in the private
    /// journal, left out of the public one).
    #[serde(default)]
    pub basis: String,
    /// When.
    pub at: Timestamp,
}

code_enum! {
    /// How the portal signs its citizen assertions.
    pub enum AssertionAlgorithm {
        /// Ed25519 (JWT `EdDSA`).
        EdDsa = "EdDSA",
        /// RSA PKCS#1 v1.5 with SHA-256 (JWT `RS256`).
        Rs256 = "RS256",
    }
}

/// The key the portal signs citizen assertions with, as the operator registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalKey {
    /// The public key, PEM (`SubjectPublicKeyInfo`).
    pub public_key: String,
    /// Its algorithm.
    pub algorithm: AssertionAlgorithm,
    /// SHA-256 of the PEM text, hex: how the key is named.
    pub fingerprint: String,
    /// When it was registered.
    pub at: Timestamp,
}

/// A proof file: a scan or photo of a document. Its bytes are kept in the store beside the
/// journal; the journal keeps what they are and their SHA-256, so any change to them shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofFile {
    /// Its id (`F` and 31 hex digits: the digest of what it is attached to and its bytes).
    pub file_id: String,
    /// What it is, as its bytes say.
    pub content_type: crate::model::FileType,
    /// Its length in bytes.
    pub size: u64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// The document it is a copy of, as the sender named it (`benefit_proof`, or a service's
    /// document code for a case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// A proof file attached to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedFile {
    /// The application.
    pub application_id: ApplicationId,
    /// The file.
    #[serde(flatten)]
    pub file: ProofFile,
    /// When.
    pub at: Timestamp,
}

/// An interleave phase after a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    /// Cohort of the queue.
    pub cohort: i16,
    /// Language of the queue.
    pub language: Language,
    /// Block index in the policy.
    pub block: usize,
    /// The new phase.
    pub phase: u32,
}

/// A completed allocation round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// Round id.
    pub round_id: RoundId,
    /// District.
    pub district: DistrictId,
    /// Academic year whose ages decide the groups.
    pub academic_year: i16,
    /// When it ran.
    pub ran_at: Timestamp,
    /// `Some` when only one cohort queue took part (a registration met a free seat).
    pub scope: Option<(i16, Language)>,
    /// Referrals in the order they were issued.
    pub referrals: Vec<IssuedReferral>,
    /// Phases that changed.
    pub phases: Vec<PhaseChange>,
    /// Free seats left in the district's groups after the round.
    pub free_seats_left: u64,
    /// Exchanges offered: the cycles the top trading cycles found among the transfer
    /// requests that got no free seat (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<ExchangeOffer>,
}

/// What a round proves about itself (`crate::allocation::certificate` works it out when the
/// round is applied; it is not journaled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundCertificate {
    /// The round.
    pub round_id: RoundId,
    /// Its district.
    pub district: DistrictId,
    /// The academic year whose ages decided the groups.
    pub academic_year: i16,
    /// When it ran.
    pub ran_at: Timestamp,
    /// Per group that took children from the queue, in the order of the round's referrals.
    pub groups: Vec<GroupCutoff>,
    /// Queued children of the queues the round served that it did not refer, each checked.
    pub passed_over: u32,
    /// Those of them for whom a seat they could use at a kindergarten they listed was left
    /// free, or went to a child ranked after them there: empty for a correct round.
    pub envy: Vec<ApplicationId>,
}

/// A group's cut-off in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCutoff {
    /// Kindergarten.
    pub kindergarten_id: KindergartenId,
    /// Group.
    pub group_id: GroupId,
    /// The birth cohort of its children.
    pub cohort: i16,
    /// Its language.
    pub language: Language,
    /// Children referred there from the queue.
    pub referred: u32,
    /// The queue number, before the round, of the last of them.
    pub cutoff: u32,
    /// Seats left in the group after the round.
    pub seats_left: u32,
}

/// An exchange a round offered: every family in it confirms by `expires_at`, or nothing
/// happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeOffer {
    /// Its id: the referral id its first member gets once it is done.
    pub exchange_id: ReferralId,
    /// The moves, one per child, in the cycle's order from its earliest request.
    pub moves: Vec<ExchangeMove>,
    /// Every family confirms before this instant.
    pub expires_at: Timestamp,
}

/// One child's move in an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeMove {
    /// The child's application.
    pub application_id: ApplicationId,
    /// The referral the child gets once the exchange is done (admitted at once).
    pub referral_id: ReferralId,
    /// Where it is: kindergarten and group.
    pub from: (KindergartenId, GroupId),
    /// Where it goes (the next child's seat).
    pub to: (KindergartenId, GroupId),
}

/// A named official of an organisation (`official_named`): who acts for it, and whether it
/// is the one who signs the organisation's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Official {
    /// Its id.
    pub official_id: OfficialId,
    /// The person's full name.
    #[serde(default)]
    pub name: String,
    /// The person's IIN.
    pub iin: Iin,
    /// The position, in Kazakh.
    #[serde(default)]
    pub position_kk: String,
    /// The position, in Russian.
    #[serde(default)]
    pub position_ru: String,
    /// The organisation it acts for.
    pub organisation: Organisation,
    /// Whether it signs the organisation's results (one per organisation: naming another
    /// signer takes it from the one before).
    pub signs: bool,
    /// When.
    pub at: Timestamp,
}

/// An official's X.509 signing certificate, installed from their PKCS#12 file after every
/// check (`kezek officials certificate`). Only the public part is journaled; the private key
/// stays in a file of the installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledCertificate {
    /// The official.
    pub official_id: OfficialId,
    /// The certificate and the chain it was verified through up to the trust anchor, PEM,
    /// the official's first.
    #[serde(default)]
    pub chain_pem: String,
    /// Its subject.
    #[serde(default)]
    pub subject: String,
    /// Its issuer.
    #[serde(default)]
    pub issuer: String,
    /// Its serial number, hex.
    #[serde(default)]
    pub serial: String,
    /// Valid from.
    pub not_before: Timestamp,
    /// Valid until.
    pub not_after: Timestamp,
    /// SHA-256 of its DER, hex.
    pub fingerprint: String,
    /// `RSA 2048`, `ECDSA P-256`.
    pub algorithm: String,
    /// When.
    pub at: Timestamp,
}

/// A group after a roll-over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolledGroup {
    /// The group.
    pub group_id: GroupId,
    /// Its age from now on.
    pub age_years: i16,
    /// Children enrolled before Kezek (a bare count) who left it for school.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub released: u32,
}

/// An organisation officials act for: a district's education department, a kindergarten, or
/// a school that provides the departments' other services (the case engine keeps the schools;
/// the application layer checks the id against it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Organisation {
    /// The education department of a district.
    District(DistrictId),
    /// A kindergarten.
    Kindergarten(KindergartenId),
    /// A school, by its id.
    School(String),
}

impl Organisation {
    /// `district:D1`, `kindergarten:K1`.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::District(d) => format!("district:{d}"),
            Self::Kindergarten(k) => format!("kindergarten:{k}"),
            Self::School(s) => format!("school:{s}"),
        }
    }
}

/// A record of another part of the service kept in the same journal (the case engine of the
/// departments' other services: domain `cases`). The queue's state learns nothing of it but
/// keeps it, in order, so that a snapshot carries it and its owner rebuilds from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// Whose record it is (`cases`).
    pub domain: String,
    /// The record, as its owner writes it.
    pub record: serde_json::Value,
    /// When.
    pub at: Timestamp,
}

/// An authority key put in force (`authority_adopted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityAdoption {
    /// `ed25519-` and the first 16 hex digits of the public key's SHA-256.
    pub key_id: String,
    /// The public key, base64.
    pub public_key: String,
    /// How it came into force.
    pub change: AuthorityChange,
    /// The key it follows, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// A rotation: the previous key's signature (base64) over
    /// `kezek authority rotation\n{previous}\n{key_id}\n{public_key}\n`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<String>,
    /// A replacement: why the previous key could not sign it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// How an authority key came into force (`authority_adopted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityChange {
    /// The journal's first key: adopted when the journal first started (or, for a journal
    /// of an earlier Kezek, at its first start after the upgrade; it was in force before).
    First,
    /// Rotated in by the operator, endorsed by the key before it.
    Rotated,
    /// Put in place of a key that was lost, with the reason.
    Replaced,
}

impl AuthorityChange {
    /// As journaled.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Rotated => "rotated",
            Self::Replaced => "replaced",
        }
    }
}

/// Why a referral lapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LapseReason {
    /// Not confirmed by the parent in time.
    NotConfirmed,
    /// Confirmed but the child was not admitted in time.
    NotEnrolled,
    /// The kindergarten recorded that the child did not come.
    NoShow,
    /// The kindergarten's head decided the child cannot be admitted (with grounds); the
    /// child goes back to the queue at its original time.
    NotAdmitted,
}

/// A kindergarten's Russian name and its street address in Kazakh and Russian, beside its
/// name (the one every kindergarten has; Kazakh where it has both).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindergartenLabels {
    /// Its name in Russian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_ru: Option<String>,
    /// Its street address (in Kazakh where it has both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Its street address in Russian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_ru: Option<String>,
    /// Its telephone number, for families with a referral (`+7 727 123 45 67`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl KindergartenLabels {
    /// Each label with its field name.
    #[must_use]
    pub fn fields(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("name_ru", self.name_ru.as_deref()),
            ("address", self.address.as_deref()),
            ("address_ru", self.address_ru.as_deref()),
        ]
    }

    /// Whether `phone` is a telephone number as people write it: a leading `+` at most,
    /// digits with spaces, dashes and brackets between, 5 to 15 digits.
    #[must_use]
    pub fn is_phone(phone: &str) -> bool {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let body = phone.strip_prefix('+').unwrap_or(phone);
        (5..=15).contains(&digits)
            && phone.chars().count() <= 25
            && body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
    }

    /// The labels without surrounding blanks, an empty one dropped.
    #[must_use]
    pub fn trimmed(&self) -> Self {
        let t = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Self {
            name_ru: t(&self.name_ru),
            address: t(&self.address),
            address_ru: t(&self.address_ru),
            phone: t(&self.phone),
        }
    }
}

/// The child and district a refused application named, each only when valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedChild {
    /// The child's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_name: Option<String>,
    /// The child's IIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_iin: Option<Iin>,
    /// The district, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<DistrictId>,
}

/// A district's name and its authority's, in Kazakh and Russian.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictNames {
    /// The district, in Kazakh.
    pub name_kk: String,
    /// The district, in Russian.
    pub name_ru: String,
    /// The authority that owns its queue (the district education department), in Kazakh.
    pub authority_kk: String,
    /// The same, in Russian.
    pub authority_ru: String,
}

impl DistrictNames {
    /// The names without surrounding blanks.
    #[must_use]
    pub fn trimmed(&self) -> Self {
        Self {
            name_kk: self.name_kk.trim().to_owned(),
            name_ru: self.name_ru.trim().to_owned(),
            authority_kk: self.authority_kk.trim().to_owned(),
            authority_ru: self.authority_ru.trim().to_owned(),
        }
    }

    /// Each name with its field name.
    #[must_use]
    pub fn fields(&self) -> [(&'static str, &str); 4] {
        [
            ("name_kk", &self.name_kk),
            ("name_ru", &self.name_ru),
            ("authority_kk", &self.authority_kk),
            ("authority_ru", &self.authority_ru),
        ]
    }
}

/// A journaled fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A kindergarten was created or its groups replaced.
    KindergartenUpserted {
        /// Kindergarten.
        kindergarten_id: KindergartenId,
        /// Name.
        name: String,
        /// District.
        district: DistrictId,
        /// Groups after the change.
        groups: Vec<GroupSpec>,
        /// Its Russian name and its address, as printed on a referral (absent in journals
        /// written before they existed and when not given).
        #[serde(flatten)]
        labels: Box<KindergartenLabels>,
        /// The academic year whose ages its groups describe: a later roll-over moves them
        /// (absent when not said: a city import, a journal written before roll-overs).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        academic_year: Option<i16>,
    },
    /// A district and its authority were named (or renamed).
    DistrictNamed {
        /// District.
        district: DistrictId,
        /// Its names.
        #[serde(flatten)]
        names: DistrictNames,
    },
    /// Places opened in a group (children left).
    VacanciesOpened {
        /// Kindergarten.
        kindergarten_id: KindergartenId,
        /// Group.
        group_id: GroupId,
        /// Places opened.
        seats: u32,
    },
    /// An enrolled child left the kindergarten: its seat in the group is free.
    ChildLeft {
        /// The child's application.
        application_id: ApplicationId,
        /// The kindergarten.
        kindergarten_id: KindergartenId,
        /// The group the child was in.
        group_id: GroupId,
        /// The day the child left (local).
        date: jiff::civil::Date,
        /// Why.
        reason: crate::model::LeaveReason,
        /// When it was recorded.
        at: Timestamp,
    },
    /// Staff (or a counter, with the document) corrected an application: names, the
    /// representative, the district of residence (with kindergartens there). The
    /// registration time never changes.
    ApplicationCorrected(Box<Correction>),
    /// A proof file was attached to an application.
    FileAttached(Box<AttachedFile>),
    /// The operator registered the key the portal signs citizen assertions with: from now on
    /// the portal acts only on the applications of the citizen each request names.
    PortalTrusted(Box<PortalKey>),
    /// The operator started publishing the pseudonymous public journal: the installation's
    /// secret its pseudonyms are made with (hex; never in the public journal).
    PublicationStarted {
        /// 32 random bytes, hex.
        #[serde(default)]
        secret: String,
        /// When.
        at: Timestamp,
    },
    /// A priority was claimed after registration, with its proof: the claim is checked as
    /// one made at registration is.
    PriorityClaimed {
        /// Application.
        application_id: ApplicationId,
        /// The category claimed.
        category: Category,
        /// When.
        at: Timestamp,
    },
    /// The family of an enrolled child asked to move it to other kindergartens (or changed
    /// the kindergartens asked for): it keeps its seat until admitted to one of them.
    TransferRequested {
        /// The child's application.
        application_id: ApplicationId,
        /// The kindergartens, best first.
        preferences: Vec<KindergartenId>,
        /// When.
        at: Timestamp,
    },
    /// A family in an exchange confirmed it.
    ExchangeConfirmed {
        /// The exchange.
        exchange_id: ReferralId,
        /// The family's application.
        application_id: ApplicationId,
        /// When.
        at: Timestamp,
    },
    /// Every family confirmed: each child moved to the next one's seat, admitted there.
    ExchangeDone {
        /// The exchange.
        exchange_id: ReferralId,
        /// When.
        at: Timestamp,
    },
    /// Not every family confirmed in time: nothing happened, the requests wait on.
    ExchangeLapsed {
        /// The exchange.
        exchange_id: ReferralId,
        /// When.
        at: Timestamp,
    },
    /// The request to transfer was withdrawn by the family.
    TransferWithdrawn {
        /// The child's application.
        application_id: ApplicationId,
        /// When.
        at: Timestamp,
    },
    /// A kindergarten's groups moved up an age for a new academic year, the children with
    /// them; the oldest groups' children left for school and those groups take the youngest
    /// children now.
    GroupsRolledOver {
        /// The kindergarten.
        kindergarten_id: KindergartenId,
        /// The academic year it enters.
        academic_year: i16,
        /// Each group's age from now on, and how many children enrolled before Kezek (not
        /// named) left with it for school.
        groups: Vec<RolledGroup>,
        /// The named children who left for school, in the groups' order.
        leavers: Vec<ApplicationId>,
        /// When.
        at: Timestamp,
    },
    /// An application was accepted and queued.
    Registered(Box<Registration>),
    /// An application was refused, with every ground.
    RegistrationRefused {
        /// Id given to the refused application (for its document).
        application_id: ApplicationId,
        /// When.
        at: Timestamp,
        /// Every ground.
        grounds: Vec<Ground>,
        /// The channel it was filed on, when it parsed (journals before it was kept: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<crate::model::Channel>,
        /// Whom and where the refusal concerns, as far as the request said it validly: the
        /// child's name and IIN, the district (journals before they were kept: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<Box<RefusedChild>>,
    },
    /// Kindergarten preferences replaced; the registration time stays.
    PreferencesChanged {
        /// Application.
        application_id: ApplicationId,
        /// New preferences, best first.
        preferences: Vec<KindergartenId>,
        /// When.
        at: Timestamp,
    },
    /// The applicant withdrew; any referral is released.
    Withdrawn {
        /// Application.
        application_id: ApplicationId,
        /// When.
        at: Timestamp,
    },
    /// A priority claim was verified or rejected.
    ClaimDecided {
        /// Application.
        application_id: ApplicationId,
        /// Verified (true) or rejected (false).
        verified: bool,
        /// The employee's reason.
        #[serde(default)]
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// An allocation round ran.
    RoundRun(Box<RoundRecord>),
    /// The parent confirmed a referral.
    ReferralConfirmed {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
        /// The kindergarten must admit the child before this instant (journaled with the
        /// spelling it was first written in).
        #[serde(rename = "enrol_by")]
        enroll_by: Timestamp,
    },
    /// The admission deadline was extended (once).
    ReferralExtended {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
        /// The new admission deadline.
        #[serde(rename = "enrol_by")]
        enroll_by: Timestamp,
        /// Why (journals before it was asked for: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The parent declined a referral.
    ReferralDeclined {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
        /// Whether the child returns to the queue (else the application is cancelled).
        requeue: bool,
    },
    /// The kindergarten admitted the child.
    Enrolled {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
    },
    /// A referral lapsed; its seat returned to the group.
    ReferralLapsed {
        /// Referral.
        referral_id: ReferralId,
        /// When.
        at: Timestamp,
        /// Why.
        reason: LapseReason,
        /// Whether the child returns to the queue (else the application is cancelled).
        requeue: bool,
        /// Whether the priority claim is dropped (in-person privilege not confirmed).
        drop_claim: bool,
        /// The child is not offered a seat before this instant.
        stopped_until: Option<Timestamp>,
        /// The grounds of a decision not to admit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grounds: Option<String>,
    },
    /// The child reached the maximum age for the academic year and left the queue.
    AgedOut {
        /// Application.
        application_id: ApplicationId,
        /// Academic year.
        academic_year: i16,
        /// When.
        at: Timestamp,
    },
    /// The policy in force from this seq on: its full text (the TOML) and the SHA-256 of the
    /// text, hex. The first one is journaled when a journal first starts; a later one is an
    /// operator's explicit adoption (`kezek policy adopt`).
    PolicyAdopted {
        /// The policy's name.
        name: String,
        /// SHA-256 of `text`, hex.
        sha256: String,
        /// The policy file, as read.
        text: String,
        /// When.
        at: Timestamp,
    },
    /// The operator started the service on a journal that did not reach the head it had
    /// made durable (a damaged or rewound journal, a missing head mark) and accepted it as it
    /// is (`kezek serve --force-rewind`). The events after the journal's head up to the
    /// mark's, if any were signed, were lost; the seqs after this event are new ones.
    JournalRewound {
        /// The seq the head mark named (0 when the mark was missing or unreadable).
        mark_seq: u64,
        /// Its hash, hex (empty when the mark was missing or unreadable).
        mark_hash: String,
        /// The seq the journal ended at.
        journal_seq: u64,
        /// Its hash, hex.
        journal_hash: String,
        /// What was wrong, as the check said it.
        problem: String,
        /// When.
        at: Timestamp,
    },
    /// The family was reminded that a referral lapses at `deadline`: one working day is
    /// left (the sweep journals it as the deadline's last local day begins).
    ReferralReminded {
        /// The referral.
        referral_id: ReferralId,
        /// The deadline reminded of (to confirm, or for the child to be admitted).
        deadline: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// An API key was revoked (`kezek keys revoke`): from then on its token is refused, and
    /// the key's stored record must say so (`kezek verify` checks).
    KeyRevoked {
        /// The key's id (the actor its requests were journaled under).
        key_id: String,
        /// When the server put the revocation in force.
        at: Timestamp,
    },
    /// The authority key in force from this seq on: every signature the installation makes
    /// from here (documents, heads, API keys) is made with it and checked against it. The
    /// journal's first key, a rotation (endorsed by the key before) or a replacement of a
    /// lost key (with its reason).
    AuthorityAdopted(Box<AuthorityAdoption>),
    /// An official is named (`kezek officials add`, the admin's console).
    OfficialNamed(Box<Official>),
    /// An official no longer acts (left the post); its keys are refused from then on.
    OfficialLeft {
        /// The official.
        official_id: OfficialId,
        /// When.
        at: Timestamp,
    },
    /// A record of another part of the service (see [`Extension`]).
    Extension(Box<Extension>),
    /// An official's signing certificate is installed (it replaces one installed before).
    CertificateInstalled(Box<InstalledCertificate>),
    /// A person was forgotten: their data key deleted, a stand-in in their place.
    PersonErased(Box<Erasure>),
    /// An API key belongs to an official: what it does from now on is that person's act.
    KeyBound {
        /// The key's id (the actor its requests are journaled under).
        key_id: String,
        /// The official.
        official_id: OfficialId,
        /// When.
        at: Timestamp,
    },
}

impl Event {
    /// Every kind of event, as [`Self::kind`] names them.
    pub const KINDS: [&'static str; 38] = [
        "kindergarten_upserted",
        "district_named",
        "vacancies_opened",
        "registered",
        "journal_rewound",
        "key_revoked",
        "referral_reminded",
        "policy_adopted",
        "registration_refused",
        "preferences_changed",
        "withdrawn",
        "claim_decided",
        "round_run",
        "referral_confirmed",
        "referral_extended",
        "referral_declined",
        "enrolled",
        "referral_lapsed",
        "aged_out",
        "authority_adopted",
        "official_named",
        "official_left",
        "key_bound",
        "certificate_installed",
        "extension",
        "child_left",
        "groups_rolled_over",
        "transfer_requested",
        "transfer_withdrawn",
        "application_corrected",
        "priority_claimed",
        "exchange_confirmed",
        "exchange_done",
        "exchange_lapsed",
        "file_attached",
        "portal_trusted",
        "publication_started",
        "person_erased",
    ];

    /// The event's kind as journaled (`registered`, `round_run`, …): the serde tag.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::KindergartenUpserted { .. } => "kindergarten_upserted",
            Self::DistrictNamed { .. } => "district_named",
            Self::VacanciesOpened { .. } => "vacancies_opened",
            Self::Registered(_) => "registered",
            Self::JournalRewound { .. } => "journal_rewound",
            Self::KeyRevoked { .. } => "key_revoked",
            Self::ReferralReminded { .. } => "referral_reminded",
            Self::PolicyAdopted { .. } => "policy_adopted",
            Self::RegistrationRefused { .. } => "registration_refused",
            Self::PreferencesChanged { .. } => "preferences_changed",
            Self::Withdrawn { .. } => "withdrawn",
            Self::ClaimDecided { .. } => "claim_decided",
            Self::RoundRun(_) => "round_run",
            Self::ReferralConfirmed { .. } => "referral_confirmed",
            Self::ReferralExtended { .. } => "referral_extended",
            Self::ReferralDeclined { .. } => "referral_declined",
            Self::Enrolled { .. } => "enrolled",
            Self::ReferralLapsed { .. } => "referral_lapsed",
            Self::AgedOut { .. } => "aged_out",
            Self::AuthorityAdopted(_) => "authority_adopted",
            Self::OfficialNamed(_) => "official_named",
            Self::OfficialLeft { .. } => "official_left",
            Self::KeyBound { .. } => "key_bound",
            Self::CertificateInstalled(_) => "certificate_installed",
            Self::Extension(_) => "extension",
            Self::ChildLeft { .. } => "child_left",
            Self::GroupsRolledOver { .. } => "groups_rolled_over",
            Self::TransferRequested { .. } => "transfer_requested",
            Self::TransferWithdrawn { .. } => "transfer_withdrawn",
            Self::ApplicationCorrected(_) => "application_corrected",
            Self::PriorityClaimed { .. } => "priority_claimed",
            Self::ExchangeConfirmed { .. } => "exchange_confirmed",
            Self::ExchangeDone { .. } => "exchange_done",
            Self::ExchangeLapsed { .. } => "exchange_lapsed",
            Self::FileAttached(_) => "file_attached",
            Self::PortalTrusted(_) => "portal_trusted",
            Self::PublicationStarted { .. } => "publication_started",
            Self::PersonErased(_) => "person_erased",
        }
    }
}
