//! Commands: what a request asks of the state. One module per command owns its request type,
//! its refusal codes, its `decide` (which reads the state and returns the events, or a
//! [`Refusal`]) and the apply arms of the events it makes.
//!
//! [`State::execute`] decides everything first and applies only then: a refused command
//! changes nothing, by construction (`decide` takes `&State`). Applying the events of a
//! command that was decided can only fail on a bug; the state must then be rebuilt from the
//! journal ([`CommandError::Inconsistent`]).

pub mod admission;
pub mod age_out;
mod apply;
pub mod authority;
pub mod bulk;
pub mod claim;
pub mod correction;
pub mod district;
pub mod erase;
pub mod exchange;
pub mod file;
pub mod import;
pub mod kindergarten;
pub mod lapse;
pub mod leave;
pub mod official;
pub mod policy;
pub mod portal;
pub mod preferences;
pub mod referral;
pub mod refusal;
pub mod register;
pub mod remind;
pub mod round;
pub mod transfer;
pub mod vacancies;
pub mod withdraw;

pub use bulk::Bulk;
pub use refusal::{Refusal, Violation};

use crate::event::Event;
use crate::model::Seq;
use crate::state::{ApplyError, State};

/// Something the state is asked to do. Time, ids and the policy are arguments.
#[derive(Debug, Clone)]
pub enum Command {
    /// Create a kindergarten or replace its groups.
    UpsertKindergarten(kindergarten::UpsertKindergarten),
    /// Open places in a group.
    OpenVacancies(vacancies::OpenVacancies),
    /// Register a child.
    Register(Box<register::Register>),
    /// Load one application of a city import at its original time.
    Import(Box<import::Import>),
    /// Replace the kindergarten preferences.
    ChangePreferences(preferences::ChangePreferences),
    /// Withdraw an application.
    Withdraw(withdraw::Withdraw),
    /// Verify or reject a priority claim.
    DecideClaim(claim::DecideClaim),
    /// Run an allocation round in a district.
    RunRound(round::RunRound),
    /// The parent confirms a referral.
    Confirm(referral::Confirm),
    /// The parent declines a referral.
    Decline(referral::Decline),
    /// Extend the admission deadline of a confirmed referral, once.
    Extend(referral::Extend),
    /// The kindergarten admits the child.
    Enroll(admission::Enroll),
    /// The child did not come.
    NoShow(admission::NoShow),
    /// Lapse every referral whose deadline passed.
    LapseOverdue(lapse::LapseOverdue),
    /// Remove the district's children past the maximum age for an academic year.
    AgeOut(age_out::AgeOut),
    /// Put a policy in force.
    AdoptPolicy(policy::AdoptPolicy),
    /// Remind the families whose referral's last day has begun.
    RemindDue(remind::RemindDue),
    /// The kindergarten's head decides the child cannot be admitted.
    NotAdmit(admission::NotAdmit),
    /// Name a district and its authority.
    NameDistrict(district::NameDistrict),
    /// Put an authority key in force.
    AdoptAuthority(authority::AdoptAuthority),
    /// Name an official.
    NameOfficial(Box<official::NameOfficial>),
    /// An official leaves.
    OfficialLeaves(official::OfficialLeaves),
    /// An API key belongs to an official.
    BindKey(official::BindKey),
    /// An official's signing certificate is installed.
    InstallCertificate(Box<official::InstallCertificate>),
    /// An enrolled child leaves the kindergarten.
    Leave(leave::Leave),
    /// A kindergarten's groups enter a new academic year.
    RollOver(leave::RollOver),
    /// Ask for the transfer of an enrolled child.
    RequestTransfer(transfer::RequestTransfer),
    /// Withdraw a transfer request.
    WithdrawTransfer(transfer::WithdrawTransfer),
    /// Correct an application.
    Correct(Box<correction::Correct>),
    /// Claim a priority after registration.
    ClaimLate(correction::ClaimLate),
    /// A family confirms an exchange.
    ConfirmExchange(exchange::ConfirmExchange),
    /// Attach a proof file to an application.
    AttachFile(Box<file::AttachFile>),
    /// Register the portal's key.
    TrustPortal(portal::TrustPortal),
    /// Start publishing the public journal.
    StartPublication(portal::StartPublication),
}

macro_rules! into_command {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for Command {
            fn from(c: $ty) -> Self {
                Self::$variant(c.into())
            }
        })*
    };
}

into_command!(
    UpsertKindergarten(kindergarten::UpsertKindergarten),
    OpenVacancies(vacancies::OpenVacancies),
    Register(register::Register),
    Import(import::Import),
    ChangePreferences(preferences::ChangePreferences),
    Withdraw(withdraw::Withdraw),
    DecideClaim(claim::DecideClaim),
    RunRound(round::RunRound),
    Confirm(referral::Confirm),
    Decline(referral::Decline),
    Extend(referral::Extend),
    Enroll(admission::Enroll),
    NoShow(admission::NoShow),
    LapseOverdue(lapse::LapseOverdue),
    AgeOut(age_out::AgeOut),
    AdoptPolicy(policy::AdoptPolicy),
    RemindDue(remind::RemindDue),
    NotAdmit(admission::NotAdmit),
    NameDistrict(district::NameDistrict),
    AdoptAuthority(authority::AdoptAuthority),
    NameOfficial(official::NameOfficial),
    OfficialLeaves(official::OfficialLeaves),
    BindKey(official::BindKey),
    InstallCertificate(official::InstallCertificate),
    Leave(leave::Leave),
    RollOver(leave::RollOver),
    RequestTransfer(transfer::RequestTransfer),
    WithdrawTransfer(transfer::WithdrawTransfer),
    Correct(correction::Correct),
    ClaimLate(correction::ClaimLate),
    ConfirmExchange(exchange::ConfirmExchange),
    AttachFile(file::AttachFile),
    TrustPortal(portal::TrustPortal),
    StartPublication(portal::StartPublication),
);

/// The events a command produced, with their sequence numbers, in order.
pub type Outcome = Vec<(Seq, Event)>;

/// Why [`State::execute`] did not carry out a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Refused: nothing was applied.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// An event of the command did not apply: a bug. The state is partly changed and must be
    /// rebuilt from the journal.
    #[error("internal inconsistency: {0}")]
    Inconsistent(#[from] ApplyError),
}

impl State {
    /// The events `cmd` makes, decided on this state, which it does not change.
    ///
    /// # Errors
    /// The [`Refusal`] when the command cannot be carried out.
    pub fn decide(&self, cmd: Command) -> Result<Vec<Event>, Refusal> {
        match cmd {
            Command::UpsertKindergarten(c) => c.decide(self),
            Command::OpenVacancies(c) => c.decide(self),
            Command::Register(c) => c.decide(self),
            Command::Import(c) => c.decide(self),
            Command::ChangePreferences(c) => c.decide(self),
            Command::Withdraw(c) => c.decide(self),
            Command::DecideClaim(c) => c.decide(self),
            Command::RunRound(c) => c.decide(self),
            Command::Confirm(c) => c.decide(self),
            Command::Decline(c) => c.decide(self),
            Command::Extend(c) => c.decide(self),
            Command::Enroll(c) => c.decide(self),
            Command::NoShow(c) => c.decide(self),
            Command::LapseOverdue(c) => Ok(c.decide(self)),
            Command::AgeOut(c) => c.decide(self),
            Command::AdoptPolicy(c) => c.decide(self),
            Command::AdoptAuthority(c) => c.decide(self),
            Command::NameOfficial(c) => c.decide(self),
            Command::OfficialLeaves(c) => c.decide(self),
            Command::BindKey(c) => c.decide(self),
            Command::InstallCertificate(c) => c.decide(self),
            Command::RemindDue(c) => Ok(c.decide(self)),
            Command::NotAdmit(c) => c.decide(self),
            Command::NameDistrict(c) => c.decide(self),
            Command::Leave(c) => c.decide(self),
            Command::RollOver(c) => c.decide(self),
            Command::RequestTransfer(c) => c.decide(self),
            Command::WithdrawTransfer(c) => c.decide(self),
            Command::Correct(c) => c.decide(self),
            Command::ClaimLate(c) => c.decide(self),
            Command::ConfirmExchange(c) => c.decide(self),
            Command::AttachFile(c) => c.decide(self),
            Command::TrustPortal(c) => c.decide(self),
            Command::StartPublication(c) => c.decide(self),
        }
    }

    /// Applies the events of a decided command, numbering them from the next seq.
    ///
    /// # Errors
    /// An event that does not apply (a bug): the state is then partly changed and must be
    /// thrown away.
    pub fn apply_all(&mut self, events: Vec<Event>) -> Result<Outcome, ApplyError> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            let seq = self.last_seq().next();
            self.apply(seq, &event)?;
            out.push((seq, event));
        }
        Ok(out)
    }

    /// Decides `cmd`, then applies its events.
    ///
    /// # Errors
    /// [`CommandError::Refused`] with the state unchanged, or
    /// [`CommandError::Inconsistent`] when an event of the command did not apply.
    pub fn execute(&mut self, cmd: impl Into<Command>) -> Result<Outcome, CommandError> {
        let events = self.decide(cmd.into())?;
        Ok(self.apply_all(events)?)
    }
}
