//! Officials (`kezek_core::command::official`): named by the administrator — at the command
//! line (`kezek officials add`) or in the console — listed for auditors, leaving when they
//! leave their post. The journal's view and the documents name them.

use crate::access::{Admins, Auth, Caller, OfficialReaders};
use crate::app::write::Written;
use crate::{App, AppError};
use kezek_core::command::official::{NameOfficial, OfficialLeaves};
use kezek_core::event::{Official, Organisation};
use kezek_core::model::{DistrictId, Iin, KindergartenId, OfficialId};
use kezek_core::state::OfficialRecord;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// An official as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficialView {
    /// Its id.
    pub official_id: String,
    /// The person's full name.
    pub name: String,
    /// The person's IIN.
    pub iin: String,
    /// The position, in Kazakh.
    pub position_kk: String,
    /// The position, in Russian.
    pub position_ru: String,
    /// `district:D1` or `kindergarten:K1`.
    pub organisation: String,
    /// Whether they sign the organisation's results.
    pub signs: bool,
    /// The seq that named them.
    pub since_seq: u64,
    /// When they left, if they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_at: Option<String>,
    /// The API keys that are theirs.
    pub keys: Vec<String>,
    /// Their signing certificate, once installed: subject, serial, valid until.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateLine>,
    /// Why their certificate is not used to sign now (expired, revoked, its key missing):
    /// documents then carry the authority's Ed25519 signature alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_problem: Option<String>,
}

/// An official's signing certificate, in a line of the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificateLine {
    /// Its subject.
    pub subject: String,
    /// Its serial number, hex.
    pub serial: String,
    /// Valid until.
    pub not_after: String,
}

impl OfficialView {
    fn of(o: &OfficialRecord, keys: Vec<String>) -> Self {
        let p = &o.official;
        Self {
            official_id: p.official_id.to_string(),
            name: p.name.clone(),
            iin: p.iin.to_string(),
            position_kk: p.position_kk.clone(),
            position_ru: p.position_ru.clone(),
            organisation: p.organisation.label(),
            signs: p.signs,
            since_seq: o.since.get(),
            left_at: o.left.map(|t| t.to_string()),
            keys,
            certificate: o.certificate.as_ref().map(|c| CertificateLine {
                subject: c.subject.clone(),
                serial: c.serial.clone(),
                not_after: c.not_after.to_string(),
            }),
            signing_problem: None,
        }
    }
}

/// An official to name, as the API and the console take it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOfficial {
    /// The person's full name.
    pub name: String,
    /// The person's IIN.
    pub iin: String,
    /// The position, in Kazakh.
    pub position_kk: String,
    /// The position, in Russian (the Kazakh one if absent).
    #[serde(default)]
    pub position_ru: Option<String>,
    /// `district:D1`, `kindergarten:K1`, or a bare id the journal knows as one of them.
    pub organisation: String,
    /// Whether they sign the organisation's results.
    #[serde(default)]
    pub signs: bool,
}

impl App {
    /// Every official, in the order named.
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn officials(&self, _: &Auth<OfficialReaders>) -> Result<Vec<OfficialView>, AppError> {
        self.officials_for_operator()
    }

    /// The official API key `key_id` is bound to, if the journal binds it.
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn official_of_key(&self, key_id: &str) -> Result<Option<OfficialView>, AppError> {
        self.peek(|s| {
            s.official_of_key(key_id)
                .map(|o| OfficialView::of(o, Vec::new()))
        })
    }

    /// Every official, for the operator at the command line.
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn officials_for_operator(&self) -> Result<Vec<OfficialView>, AppError> {
        let problems = self.signing_problems();
        self.peek(|s| {
            s.officials()
                .iter()
                .map(|o| {
                    let keys = s.keys_of_official(&o.official.official_id);
                    let mut view =
                        OfficialView::of(o, keys.into_iter().map(str::to_owned).collect());
                    view.signing_problem = problems
                        .get(o.official.official_id.as_str())
                        .map(|p| p.why.clone());
                    view
                })
                .collect()
        })
    }

    /// Names official `id` (the administrator, in the console or the API).
    ///
    /// # Errors
    /// An id used before, a field that does not read (named), an unknown organisation.
    pub async fn name_official(
        self: &Arc<Self>,
        auth: &Auth<Admins>,
        id: &str,
        new: NewOfficial,
    ) -> Result<OfficialView, AppError> {
        self.name_official_as(auth.caller(), id, new).await
    }

    /// Names official `id` at the command line (`kezek officials add`).
    ///
    /// # Errors
    /// As [`Self::name_official`].
    pub async fn name_official_by_operator(
        self: &Arc<Self>,
        id: &str,
        new: NewOfficial,
    ) -> Result<OfficialView, AppError> {
        self.name_official_as(&Caller::operator(), id, new).await
    }

    async fn name_official_as(
        self: &Arc<Self>,
        caller: &Caller,
        id: &str,
        new: NewOfficial,
    ) -> Result<OfficialView, AppError> {
        let official_id = OfficialId::parse(id)
            .map_err(|e| AppError::invalid("official_id", "invalid_id", e.to_string()))?;
        let iin = Iin::parse(new.iin.trim())
            .map_err(|e| AppError::invalid("iin", "invalid_iin", e.to_string()))?;
        let organisation = self.organisation(&new.organisation)?;
        let position_ru = new
            .position_ru
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| new.position_kk.clone());
        let id = official_id.clone();
        self.write(
            caller,
            None,
            move |_, at| {
                Ok(NameOfficial {
                    official: Official {
                        official_id,
                        name: new.name,
                        iin,
                        position_kk: new.position_kk,
                        position_ru,
                        organisation,
                        signs: new.signs,
                        at,
                    },
                }
                .into())
            },
            |_, outcome, _| Written::json(200, &outcome.len()),
        )
        .await?;
        self.peek(|s| s.official(&id).map(|o| OfficialView::of(o, Vec::new())))?
            .ok_or_else(|| AppError::not_found("official", id.as_str()))
    }

    /// `district:D1`, `kindergarten:K1`, `school:SCH1`, or a bare id the journal knows as
    /// exactly one.
    fn organisation(&self, text: &str) -> Result<Organisation, AppError> {
        let bad = |m: String| AppError::invalid("organisation", "unknown_organisation", m);
        let text = text.trim();
        let district = |id: &str| {
            DistrictId::parse(id)
                .map(Organisation::District)
                .map_err(|e| bad(e.to_string()))
        };
        let kindergarten = |id: &str| {
            KindergartenId::parse(id)
                .map(Organisation::Kindergarten)
                .map_err(|e| bad(e.to_string()))
        };
        if let Some(id) = text.strip_prefix("district:") {
            return district(id);
        }
        if let Some(id) = text.strip_prefix("kindergarten:") {
            return kindergarten(id);
        }
        let school = |id: &str| {
            if self.cases.read().organisation(id).is_some() {
                Ok(Organisation::School(id.to_owned()))
            } else {
                Err(bad(format!("{id} is not a school of the journal")))
            }
        };
        if let Some(id) = text.strip_prefix("school:") {
            return school(id);
        }
        let (is_district, is_kindergarten) = self.peek(|s| {
            (
                DistrictId::parse(text).is_ok_and(|d| s.district_index(&d).is_some()),
                KindergartenId::parse(text).is_ok_and(|k| s.kindergarten_by_id(&k).is_some()),
            )
        })?;
        let is_school = self.cases.read().organisation(text).is_some();
        match (is_district, is_kindergarten, is_school) {
            (true, false, false) => district(text),
            (false, true, false) => kindergarten(text),
            (false, false, true) => school(text),
            (false, false, false) => Err(bad(format!(
                "{text} is not a district, kindergarten or school of the journal"
            ))),
            _ => Err(bad(format!(
                "{text} names more than one organisation: write district:{text}, kindergarten:{text} or school:{text}"
            ))),
        }
    }

    /// Official `id` leaves (the administrator).
    ///
    /// # Errors
    /// An unknown official, or one who left already.
    pub async fn official_leaves(
        self: &Arc<Self>,
        auth: &Auth<Admins>,
        id: &str,
    ) -> Result<OfficialView, AppError> {
        self.official_leaves_as(auth.caller(), id).await?;
        let official_id = OfficialId::parse(id)
            .map_err(|e| AppError::invalid("official_id", "invalid_id", e.to_string()))?;
        self.peek(|s| {
            s.official(&official_id).map(|o| {
                let keys = s.keys_of_official(&o.official.official_id);
                OfficialView::of(o, keys.into_iter().map(str::to_owned).collect())
            })
        })?
        .ok_or_else(|| AppError::not_found("official", id))
    }

    /// Official `id` leaves (`kezek officials leave`).
    ///
    /// # Errors
    /// As [`Self::official_leaves`].
    pub async fn official_leaves_by_operator(self: &Arc<Self>, id: &str) -> Result<(), AppError> {
        self.official_leaves_as(&Caller::operator(), id).await
    }

    async fn official_leaves_as(
        self: &Arc<Self>,
        caller: &Caller,
        id: &str,
    ) -> Result<(), AppError> {
        let official_id = OfficialId::parse(id)
            .map_err(|e| AppError::invalid("official_id", "invalid_id", e.to_string()))?;
        self.write(
            caller,
            None,
            move |_, at| Ok(OfficialLeaves { official_id, at }.into()),
            |_, outcome, _| Written::json(200, &outcome.len()),
        )
        .await
        .map(|_| ())
    }
}
