//! Registration: every refusal ground of API.md checked and reported at once; an accepted
//! child is queued, and if a seat it could use is free, its cohort's round runs at once.
//! Also the preference change, which shares the preference rules.

use crate::command::{conflict, ground, CommandError, Outcome, RegisterRequest};
use crate::event::{ClaimStatus, Event, Ground, Person, Registration, Representative};
use crate::ids::{DistrictId, KindergartenId};
use crate::iin::Iin;
use crate::state::State;
use crate::types::{age_on, Category, Channel, Document, Language};
use jiff::civil::Date;
use jiff::Timestamp;

const MAX_NAME: usize = 200;

fn check_name(field: &str, name: &str, grounds: &mut Vec<Ground>) {
    let t = name.trim();
    if t.is_empty() || t.chars().count() > MAX_NAME || t.chars().any(char::is_control) {
        grounds.push(ground(
            field,
            "invalid_name",
            format!("must be 1 to {MAX_NAME} printable characters"),
        ));
    }
}

fn check_iin(field: &str, raw: &str, grounds: &mut Vec<Ground>) -> Option<Iin> {
    Iin::parse(raw)
        .map_err(|e| {
            grounds.push(ground(
                field,
                "invalid_iin",
                format!("not a valid IIN: {e}"),
            ))
        })
        .ok()
}

impl State {
    /// Checks preferences for `district` (`None` when the district itself is unknown).
    /// Checks preferences for `district` (`None` when the district itself is unknown);
    /// returns the dense indexes of the known kindergartens, duplicates left out.
    pub(crate) fn check_preferences<S: AsRef<str>>(
        &self,
        district: Option<u32>,
        raw: &[S],
        grounds: &mut Vec<Ground>,
    ) -> Vec<u32> {
        if raw.is_empty() {
            grounds.push(ground(
                "preferences",
                "no_preferences",
                "list 1 or more kindergartens",
            ));
        }
        let max = self.policy.max_preferences;
        if raw.len() > max {
            grounds.push(ground(
                "preferences",
                "too_many_preferences",
                format!("at most {max} kindergartens"),
            ));
        }
        let mut out: Vec<u32> = Vec::with_capacity(raw.len());
        for (i, s) in raw.iter().enumerate() {
            let s = s.as_ref();
            let Some(&k) = self.kindergarten_index.get(s) else {
                grounds.push(ground(
                    format!("preferences[{i}]"),
                    "unknown_kindergarten",
                    format!("no kindergarten `{}`", s.escape_debug()),
                ));
                continue;
            };
            if district.is_some_and(|d| self.kindergartens[k as usize].district != d) {
                grounds.push(ground(
                    format!("preferences[{i}]"),
                    "kindergarten_outside_district",
                    format!("`{s}` is in another district"),
                ));
            }
            if out.contains(&k) {
                grounds.push(ground(
                    format!("preferences[{i}]"),
                    "duplicate_preference",
                    format!("`{s}` is listed twice"),
                ));
            } else {
                out.push(k);
            }
        }
        out
    }

    /// The ids of dense kindergarten indexes.
    pub(crate) fn kindergarten_ids(&self, ks: &[u32]) -> Vec<KindergartenId> {
        ks.iter()
            .map(|k| self.kindergartens[*k as usize].id.clone())
            .collect()
    }

    fn check_documents(
        &self,
        raw: &[String],
        claim: bool,
        birth: Option<Date>,
        grounds: &mut Vec<Ground>,
    ) -> Vec<Document> {
        let mut docs = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            match Document::parse(s) {
                Some(d) if !docs.contains(&d) => docs.push(d),
                Some(_) => {}
                None => grounds.push(ground(
                    format!("documents[{i}]"),
                    "unknown_document",
                    format!("`{}` is not a document code", s.escape_debug()),
                )),
            }
        }
        let mut needed = vec![Document::ApplicationForm, Document::ApplicantId];
        if claim {
            needed.push(Document::BenefitProof);
        }
        needed.push(Document::AddressProof);
        if birth.is_some_and(|b| b < self.policy.birth_registry_since) {
            needed.push(Document::BirthCertificate);
        }
        let missing: Vec<Document> = needed.into_iter().filter(|d| !docs.contains(d)).collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|d| d.as_str()).collect();
            grounds.push(Ground {
                field: "documents".into(),
                code: "documents_incomplete".into(),
                message: format!(
                    "missing: {}; once they are brought the application is considered again",
                    names.join(", ")
                ),
                missing,
            });
        }
        docs.sort();
        docs
    }

    fn check_child(&self, req: &RegisterRequest, grounds: &mut Vec<Ground>) -> Option<(Iin, Date)> {
        let iin = check_iin("child.iin", &req.child_iin, grounds)?;
        let birth = iin.birth_date();
        if let Some(raw) = &req.birth_date {
            match raw.parse::<Date>() {
                Ok(d) if d != birth => grounds.push(ground(
                    "child.birth_date",
                    "birth_date_mismatch",
                    format!("the IIN says {birth}"),
                )),
                Ok(_) => {}
                Err(_) => grounds.push(ground(
                    "child.birth_date",
                    "invalid_date",
                    "must be a date YYYY-MM-DD",
                )),
            }
        }
        self.check_age(birth, req.at, grounds);
        Some((iin, birth))
    }

    pub(crate) fn check_age(&self, birth: Date, at: Timestamp, grounds: &mut Vec<Ground>) {
        let today = self.policy.calendar.local_date(at);
        if birth > today {
            grounds.push(ground(
                "child.iin",
                "child_not_born",
                format!("birth date {birth} is in the future"),
            ));
        }
        let year = self.policy.cutoff.academic_year_of(today);
        let age = age_on(birth, self.policy.cutoff.in_year(year));
        if age >= self.policy.max_age {
            grounds.push(ground(
                "child.iin",
                "child_too_old",
                format!(
                    "{age} years old on the cut-off date; the limit is {}",
                    self.policy.max_age - 1
                ),
            ));
        }
    }

    pub(crate) fn register(
        &mut self,
        req: RegisterRequest,
        out: &mut Outcome,
    ) -> Result<(), CommandError> {
        let id = req.application_id.clone().ok_or_else(|| {
            CommandError::Invalid(vec![ground(
                "application_id",
                "required",
                "an id is needed",
            )])
        })?;
        if self.application_index.contains(&self.applications, &id)
            || self.refusals.contains_key(&id)
        {
            return Err(conflict(
                "application_id_taken",
                format!("application id {id} is already used"),
            ));
        }
        if let Some(a) = Iin::parse(&req.child_iin)
            .ok()
            .and_then(|i| self.active_application_of(&i))
        {
            return Err(CommandError::ActiveApplicationExists {
                application_id: self.applications[a as usize].id.clone(),
            });
        }
        let mut grounds = Vec::new();
        let child = self.check_child(&req, &mut grounds);
        check_name("child.name", &req.child_name, &mut grounds);
        let applicant = check_iin("applicant.iin", &req.applicant_iin, &mut grounds);
        check_name("applicant.name", &req.applicant_name, &mut grounds);
        let representative = req.representative.as_ref().and_then(|(iin, poa)| {
            let iin = check_iin("applicant.representative.iin", iin, &mut grounds);
            let poa = poa.trim();
            if poa.is_empty() || poa.len() > 64 || poa.chars().any(char::is_control) {
                grounds.push(ground(
                    "applicant.representative.power_of_attorney",
                    "invalid_power_of_attorney",
                    "must be 1 to 64 printable characters",
                ));
            }
            iin.map(|iin| Representative {
                iin,
                power_of_attorney: poa.to_owned(),
            })
        });
        let district = DistrictId::parse(&req.district)
            .ok()
            .and_then(|d| self.district_index.get(&d).map(|i| (d, *i)));
        if district.is_none() {
            grounds.push(ground(
                "district",
                "unknown_district",
                format!("no district `{}`", req.district.escape_debug()),
            ));
        }
        let language = Language::parse(&req.language);
        if language.is_none() {
            grounds.push(ground(
                "language",
                "unsupported_language",
                "must be kk or ru",
            ));
        }
        let preferences = self.check_preferences(
            district.as_ref().map(|d| d.1),
            &req.preferences,
            &mut grounds,
        );
        let category = match req.category.as_deref() {
            None | Some("none") => None,
            Some(c) => {
                let known = Category::parse(c).filter(|c| self.policy.tier_of(c).is_some());
                if known.is_none() {
                    grounds.push(ground(
                        "category",
                        "unknown_category",
                        format!(
                            "`{}` is not a category of policy {}",
                            c.escape_debug(),
                            self.policy.name
                        ),
                    ));
                }
                known
            }
        };
        let claimed = req.category.as_deref().is_some_and(|c| c != "none");
        let documents =
            self.check_documents(&req.documents, claimed, child.map(|c| c.1), &mut grounds);
        let channel = Channel::parse(&req.channel);
        if channel.is_none() {
            grounds.push(ground(
                "channel",
                "unknown_channel",
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
            return self.emit(
                out,
                Event::RegistrationRefused {
                    application_id: id,
                    at: req.at,
                    grounds,
                },
            );
        };
        let year = self
            .policy
            .cutoff
            .academic_year_of(self.policy.calendar.local_date(req.at));
        let cohort = self.policy.cutoff.cohort_of(birth);
        let seat_free = self.usable_seat_free(d, year, cohort, language, &preferences);
        if seat_free && req.round_id.is_none() {
            return Err(CommandError::Invalid(vec![ground(
                "round_id",
                "required",
                "a seat is free, so a round id is needed",
            )]));
        }
        let claim = match (&category, req.claim_verified) {
            (None, _) => ClaimStatus::None,
            (Some(_), true) => ClaimStatus::Verified,
            (Some(_), false) => ClaimStatus::Pending,
        };
        let registration = Registration {
            application_id: id,
            child: Person {
                iin: child_iin,
                name: req.child_name.trim().to_owned(),
            },
            birth_date: birth,
            applicant: Some(Person {
                iin: applicant_iin,
                name: req.applicant_name.trim().to_owned(),
            }),
            representative,
            district,
            language,
            preferences: self.kindergarten_ids(&preferences),
            category,
            claim,
            documents,
            channel,
            registered_at: req.at,
        };
        self.emit(out, Event::Registered(Box::new(registration)))?;
        if let (true, Some(round_id)) = (seat_free, req.round_id) {
            self.run_cohort_round(round_id, d, year, cohort, language, req.at, out)?;
        }
        Ok(())
    }

    /// Whether a group of one of `preferences` takes the cohort in `year` and has a free seat.
    fn usable_seat_free(
        &self,
        district: u32,
        year: i16,
        cohort: i16,
        language: Language,
        preferences: &[u32],
    ) -> bool {
        let age = year - cohort;
        if i32::from(age) >= self.policy.max_age {
            return false;
        }
        preferences.iter().any(|k| {
            let kg = &self.kindergartens[*k as usize];
            kg.district == district
                && kg
                    .groups
                    .iter()
                    .any(|g| g.age_years == age && g.language == language && g.free() > 0)
        })
    }
}
