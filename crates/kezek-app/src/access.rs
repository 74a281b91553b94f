//! Who may do what: the roles of API keys and the districts or kindergartens a key is scoped
//! to. The HTTP extractors check the role; the rules that need the state (whose district is
//! this application in?) are here, so that every way into Kezek applies the same ones.

use crate::error::AppError;
use kezek_core::model::{AppIx, ApplicationId, KgIx};
use kezek_core::State;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The e-government portal: files applications on the channel `portal`.
    Portal,
    /// A clerk of a service centre or an education department's office, for its
    /// districts: files applications on the channels `service_center` and `office`.
    Clerk,
    /// An education department, for its districts.
    Staff,
    /// A kindergarten, for itself.
    Kindergarten,
    /// Read-only access to the journal.
    Auditor,
    /// Everything.
    Admin,
    /// The head of an organisation that provides a service (a district's education
    /// department, a school), for its organisations: names executors, signs results,
    /// decides complaints.
    Head,
    /// An executor of an organisation, for its organisations: drafts results.
    Executor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Self::Portal,
        Self::Clerk,
        Self::Staff,
        Self::Kindergarten,
        Self::Auditor,
        Self::Admin,
        Self::Head,
        Self::Executor,
    ];

    /// Parses a role name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Clerk => "clerk",
            Self::Staff => "staff",
            Self::Kindergarten => "kindergarten",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
            Self::Head => "head",
            Self::Executor => "executor",
        }
    }
}

/// For whom a portal request acts. Once the operator registered the portal's key (`kezek
/// portal trust`), each portal request names its citizen in a signed assertion and acts only
/// on that citizen's applications; before, and for every other role, nobody is named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Citizen {
    /// No citizen checks: the portal is not bound, or another role.
    #[default]
    Unbound,
    /// A portal bound to citizens sent no assertion.
    Missing,
    /// The citizen the assertion names.
    Is(kezek_core::model::Iin),
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Key id (the journal's actor).
    pub key_id: String,
    /// Role.
    pub role: Role,
    /// Districts or kindergartens the key is limited to.
    pub scope: Vec<String>,
    /// The official the key belongs to, as its record says (accepted only once the journal
    /// binds it: `key_bound`).
    pub official: Option<String>,
    /// For the portal bound to citizens: for whom it acts.
    pub citizen: Citizen,
}

impl Caller {
    /// The caller of the service itself (the lapse sweep), acting as admin.
    #[must_use]
    pub fn system() -> Self {
        Self {
            key_id: "system".into(),
            role: Role::Admin,
            scope: Vec::new(),
            official: None,
            citizen: crate::access::Citizen::Unbound,
        }
    }

    /// The operator at the server's command line (`--force-rewind`, adopting a policy), as
    /// admin.
    #[must_use]
    pub fn operator() -> Self {
        Self {
            key_id: "operator".into(),
            role: Role::Admin,
            scope: Vec::new(),
            official: None,
            citizen: crate::access::Citizen::Unbound,
        }
    }

    /// Whether the caller has one of `roles` (admin always has).
    #[must_use]
    pub fn has_role(&self, roles: &[Role]) -> bool {
        self.role == Role::Admin || roles.contains(&self.role)
    }

    /// Refuses unless the caller has one of `roles`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if self.has_role(roles) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "a {} key cannot do this",
                self.role.as_str()
            )))
        }
    }

    /// Refuses unless the caller is admin, or has `role` with `item` in its scope.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn require_scope(&self, role: Role, item: &str) -> Result<(), AppError> {
        self.require(&[role])?;
        if self.role == Role::Admin || self.scope.iter().any(|s| s == item) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "this key is not scoped to {item}"
            )))
        }
    }

    /// For staff, refuses unless `district` is in scope; other roles pass.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn staff_scope(&self, district: &str) -> Result<(), AppError> {
        if self.role == Role::Staff {
            self.require_scope(Role::Staff, district)
        } else {
            Ok(())
        }
    }

    /// For a portal bound to citizens, refuses an application whose applicant or
    /// representative is another person than the citizen the request names, and a request
    /// that names nobody.
    ///
    /// # Errors
    /// 401 `citizen_assertion_required`, 403 `not_your_application`.
    pub fn for_citizen(&self, state: &State, a: AppIx) -> Result<(), AppError> {
        let people = state
            .application(a)
            .and_then(|x| x.applicant.as_deref())
            .map(|p| (p.iin, p.representative.as_ref().map(|r| r.iin)));
        self.acts_for(people.map_or((None, None), |(i, r)| (Some(i), r)))
    }

    /// For a portal bound to citizens, refuses unless the citizen is the applicant or the
    /// representative given.
    ///
    /// # Errors
    /// 401 `citizen_assertion_required`, 403 `not_your_application`.
    pub fn acts_for(
        &self,
        (applicant, representative): (
            Option<kezek_core::model::Iin>,
            Option<kezek_core::model::Iin>,
        ),
    ) -> Result<(), AppError> {
        match self.citizen {
            Citizen::Unbound => Ok(()),
            Citizen::Missing => Err(AppError::Citizen {
                status: 401,
                code: "citizen_assertion_required",
                detail: "the portal acts for a citizen: send the Kezek-Citizen assertion".into(),
            }),
            Citizen::Is(iin) if Some(iin) == applicant || Some(iin) == representative => Ok(()),
            Citizen::Is(_) => Err(AppError::Citizen {
                status: 403,
                code: "not_your_application",
                detail: "the citizen is neither the applicant nor the representative".into(),
            }),
        }
    }

    /// Staff or a clerk within the district of application `a`, and a portal bound to
    /// citizens for its citizen's applications only.
    ///
    /// # Errors
    /// 403 out of scope or another person's, 401 no assertion.
    pub fn application_scope(&self, state: &State, a: AppIx) -> Result<(), AppError> {
        self.district_scope(district_of_application(state, a))?;
        self.for_citizen(state, a)
    }

    /// Refuses staff or a clerk outside `district` (others pass: the portal acts for the
    /// citizen, admin sees all).
    ///
    /// # Errors
    /// 403 when the key's scope does not hold `district`.
    pub fn district_scope(&self, district: &str) -> Result<(), AppError> {
        match self.role {
            Role::Staff | Role::Clerk => self.require_scope(self.role, district),
            _ => Ok(()),
        }
    }
}

/// The district id of application `a`.
#[must_use]
pub fn district_of_application(state: &State, a: AppIx) -> &str {
    state.district_of(a).map_or("", |d| d.id.as_str())
}

/// The district of organisation `provider` for `service` (a district is its own).
#[must_use]
pub fn district_of_provider(
    cases: &kezek_cases::Cases,
    state: &kezek_core::State,
    service: &str,
    provider: &str,
) -> Option<String> {
    match cases.definition(service)?.provider {
        kezek_cases::definition::Provider::District => Some(provider.to_owned()),
        kezek_cases::definition::Provider::School => {
            cases.organisation(provider).map(|o| o.district.clone())
        }
        kezek_cases::definition::Provider::Kindergarten => {
            kezek_core::model::KindergartenId::parse(provider)
                .ok()
                .and_then(|k| state.kindergarten_by_id(&k))
                .map(|(k, _)| district_of_kindergarten(state, k).to_owned())
        }
    }
}

/// The district id of kindergarten `k`.
#[must_use]
pub fn district_of_kindergarten(state: &State, k: KgIx) -> &str {
    state
        .district_of_kindergarten(k)
        .map_or("", |d| d.id.as_str())
}

/// Application `raw` if the caller may see it: the portal, staff of its district, admin.
///
/// # Errors
/// 403 for another role or district, 404 for an unknown id.
pub fn visible_application(state: &State, caller: &Caller, raw: &str) -> Result<AppIx, AppError> {
    use crate::access::Role::{Portal, Staff};
    caller.require(&[Portal, Staff])?;
    let a = ApplicationId::parse(raw)
        .ok()
        .and_then(|id| state.application_index(&id))
        .ok_or_else(|| AppError::not_found("application", raw))?;
    caller.staff_scope(district_of_application(state, a))?;
    caller.for_citizen(state, a)?;
    Ok(a)
}

/// A set of roles an operation is open to (admin always is).
pub trait Roles {
    /// The roles.
    const ROLES: &'static [Role];
}

macro_rules! roles {
    ($($(#[$doc:meta])* $name:ident = [$($role:ident),*];)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;

            impl Roles for $name {
                const ROLES: &'static [Role] = &[$(Role::$role),*];
            }
        )*
    };
}

roles! {
    /// The e-government portal.
    Portal = [Portal];
    /// Who files applications: the portal, clerks at the counters, and a district's staff at
    /// its office.
    Filer = [Portal, Clerk, Staff];
    /// Education departments.
    Staff = [Staff];
    /// Who may open a proof file: those who decide on it — an application's: the staff of its
    /// district; a case's: its head, executor or the staff who work on it — no one else.
    FileReaders = [Staff, Head, Executor];
    /// Who corrects an application at a desk, with the document: clerks and staff of its
    /// district.
    Desk = [Clerk, Staff];
    /// Kindergartens.
    Kindergartens = [Kindergarten];
    /// A kindergarten for itself, or its district's staff: who records a child's leaving and
    /// the groups' roll-over.
    KindergartenOrStaff = [Kindergarten, Staff];
    /// Auditors.
    Auditor = [Auditor];
    /// The portal or staff: who may see applications.
    PortalOrStaff = [Portal, Staff];
    /// Who may open an application's documents: the portal, and staff and counter clerks of
    /// its district (a refusal filed at a counter is printed there for the family).
    DocumentReaders = [Portal, Clerk, Staff];
    /// Staff or auditors: who may see rounds and statistics.
    StaffOrAuditor = [Staff, Auditor];
    /// Who may look districts and kindergartens up: the portal, clerks, staff, auditors.
    Lookup = [Portal, Clerk, Staff, Auditor];
    /// Who may read a district's queue child by child: clerks and staff of the district,
    /// auditors.
    QueueReaders = [Clerk, Staff, Auditor];
    /// Everyone with a key: who may see a kindergarten and its seats (staff and kindergartens
    /// their own).
    KeyHolders = [Portal, Clerk, Staff, Kindergarten, Auditor];
    /// The installation's administrators only (officials, their keys).
    Admins = [];
    /// Who may read the officials: auditors, and the administrators.
    OfficialReaders = [Auditor];
    /// Who files a case: the portal, clerks, a department's staff at its office.
    CaseFilers = [Portal, Clerk, Staff];
    /// Who acts on a case within its organisation: clerks (hand-over), heads, executors,
    /// and a department's staff.
    CaseWorkers = [Clerk, Staff, Head, Executor];
    /// Who may read a case: the portal (for the applicant) and whoever works on it.
    CaseReaders = [Portal, Clerk, Staff, Head, Executor, Auditor];
}

/// A caller whose role was checked against `R`: an operation that takes an `Auth<R>` cannot
/// be reached by anyone else.
#[derive(Debug, Clone)]
pub struct Auth<R> {
    caller: Caller,
    roles: std::marker::PhantomData<R>,
}

impl<R: Roles> Auth<R> {
    /// The caller, if its role is one of `R`'s (or admin).
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn check(caller: Caller) -> Result<Self, AppError> {
        caller.require(R::ROLES)?;
        Ok(Self {
            caller,
            roles: std::marker::PhantomData,
        })
    }

    /// The caller.
    #[must_use]
    pub fn caller(&self) -> &Caller {
        &self.caller
    }
}
