//! Corrections and late claims on the application's page (clerks and staff of its
//! district, with the document in hand): the child's and the applicant's names, the district
//! of residence with kindergartens there, and a priority claimed after registration with its
//! proof. They go through the API's operations (`App::correct`, `App::claim_late`).

use crate::context::{Ctx, Signed};
use crate::pages::{posted, written};
use crate::{see_other, Console};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use kezek_app::access::{Auth, Desk, Filer, QueueReaders};
use kezek_app::ops::casefile::CaseFile;
use kezek_print::words::{code, t, Lang};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// The forms, as the caller may use them; empty otherwise.
pub(crate) fn section(lang: Lang, s: &Signed, f: &CaseFile) -> Markup {
    let id = &f.status.id;
    markup! {
        @if f.actions.contains(&"correct") {
            section data-testid="correction" {
                h2 { (t("correction", lang)) }
                p class="hint" { (t("correction_hint", lang)) }
                form method="post" action=(format!("/console/applications/{id}/corrections")) {
                    input type="hidden" name="csrf" value=(s.csrf);
                    label for="fix-child" { (t("child_name", lang)) }
                    input type="text" id="fix-child" name="child_name" value=(f.child_name);
                    @if let Some((name, _)) = &f.applicant {
                        label for="fix-applicant" { (t("applicant_name", lang)) }
                        input type="text" id="fix-applicant" name="applicant_name" value=(name);
                    }
                    @if f.actions.contains(&"correct_district") && !f.districts.is_empty() {
                        label for="fix-district" { (t("district", lang)) }
                        select id="fix-district" name="district" {
                            option value="" { "—" }
                            @for d in &f.districts { option value=(d) { (d) } }
                        }
                        label for="fix-kindergartens" { (t("correction_kindergartens", lang)) }
                        input type="text" id="fix-kindergartens" name="preferences" placeholder="K0001, K0002";
                    }
                    label for="fix-reason" { (t("correction_reason", lang)) }
                    input type="text" id="fix-reason" name="reason" required;
                    button type="submit" { (t("correct", lang)) }
                }
            }
        }
        @if f.actions.contains(&"claim") && !f.categories.is_empty() {
            section data-testid="late-claim" {
                h2 { (t("late_claim", lang)) }
                form method="post" action=(format!("/console/applications/{id}/claims")) {
                    input type="hidden" name="csrf" value=(s.csrf);
                    label for="claim-category" { (t("priority_category", lang)) }
                    select id="claim-category" name="category" required {
                        @for c in &f.categories { option value=(c) { (code(c, lang)) } }
                    }
                    label {
                        input type="checkbox" name="proof" value="yes" required;
                        " " (code("benefit_proof", lang))
                    }
                    button type="submit" { (t("late_claim_button", lang)) }
                }
            }
        }
    }
}

/// The correction's form.
#[derive(Deserialize)]
pub struct CorrectionFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    child_name: String,
    #[serde(default)]
    applicant_name: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    preferences: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/applications/{number}/corrections`: what differs from the file is sent.
pub async fn correct(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(number): Path<String>,
    Form(f): Form<CorrectionFields>,
) -> Response {
    let auth = match posted::<Desk>(&console, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    // Only what was changed: the form shows the file's values.
    let file = match Auth::<QueueReaders>::check(auth.caller().clone()) {
        Ok(reader) => console.app.case_file(&reader, &number).await.ok().flatten(),
        Err(_) => None,
    };
    let (child, applicant) = file.map_or((String::new(), None), |f| {
        (f.child_name, f.applicant.map(|(name, _)| name))
    });
    let changed = |new: &str, old: Option<&str>| {
        let new = new.trim();
        (!new.is_empty() && Some(new) != old).then(|| new.to_owned())
    };
    let district = Some(f.district.trim().to_owned()).filter(|d| !d.is_empty());
    let form = kezek_app::forms::CorrectionForm {
        child: changed(&f.child_name, Some(&child))
            .map(|name| kezek_app::forms::ChildCorrection { name }),
        applicant: changed(&f.applicant_name, applicant.as_deref()).map(|name| {
            kezek_app::forms::ApplicantCorrection {
                name: Some(name),
                ..Default::default()
            }
        }),
        preferences: if district.is_some() {
            f.preferences
                .split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect()
        } else {
            Vec::new()
        },
        district,
        reason: f.reason,
    };
    let result = console.app.correct(&auth, None, &number, form).await;
    written(&ctx, result, |_| {
        see_other(
            &ctx,
            &format!("/console/applications/{number}?done=corrected"),
        )
    })
}

/// The late claim's form.
#[derive(Deserialize)]
pub struct ClaimFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    proof: String,
}

/// `POST /console/applications/{number}/claims`.
pub async fn claim(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(number): Path<String>,
    Form(f): Form<ClaimFields>,
) -> Response {
    let auth = match posted::<Filer>(&console, &ctx, &f.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let documents = if f.proof == "yes" {
        vec!["benefit_proof".to_owned()]
    } else {
        Vec::new()
    };
    let form = kezek_app::forms::ClaimForm {
        category: f.category,
        documents,
    };
    let result = console.app.claim_late(&auth, None, &number, form).await;
    written(&ctx, result, |_| {
        see_other(
            &ctx,
            &format!("/console/applications/{number}?done=claimed"),
        )
    })
}
