//! Every code the service can show has words in Kazakh and Russian: each code the core can
//! put in a document, and each code a refusal or an error can carry.

#![allow(clippy::unwrap_used, reason = "a test")]

use kezek_core::command as c;
use kezek_core::event::GroundCode;
use kezek_core::model::{ClaimStatus, Document};
use kezek_print::words::{field, problem, value, Lang};

#[test]
fn every_code_a_document_shows_has_words() {
    let mut codes: Vec<String> = GroundCode::ALL
        .iter()
        .map(|g| g.as_str().to_owned())
        .collect();
    for c in [
        ClaimStatus::None,
        ClaimStatus::Pending,
        ClaimStatus::Verified,
        ClaimStatus::Rejected,
    ] {
        codes.push(c.as_str().to_owned());
    }
    for d in [
        Document::ApplicationForm,
        Document::ApplicantId,
        Document::BenefitProof,
        Document::AddressProof,
        Document::BirthCertificate,
    ] {
        codes.push(d.as_str().to_owned());
    }
    for p in [
        include_str!("../../../policies/kz-2013.toml"),
        include_str!("../../../policies/kz-2020.toml"),
    ] {
        let policy = kezek_core::policy::Policy::from_toml(p).unwrap();
        for t in &policy.tiers {
            codes.push(t.name.clone());
            codes.extend(t.categories.iter().map(|c| c.as_str().to_owned()));
        }
    }
    codes.extend(kezek_app::documents::BRING.map(str::to_owned));
    codes.extend(["kk", "ru", "portal", "service_center", "office"].map(str::to_owned));
    for code in codes {
        for lang in Lang::BOTH {
            assert!(
                value(&code, lang).is_some(),
                "no {lang:?} words for `{code}`"
            );
        }
    }
}

#[test]
fn every_code_a_refusal_or_an_error_carries_has_words() {
    let mut field_codes: Vec<&str> = GroundCode::ALL.iter().map(|g| g.as_str()).collect();
    for codes in [
        c::claim::Code::ALL
            .iter()
            .map(|x| x.as_str())
            .collect::<Vec<_>>(),
        c::district::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::file::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::correction::Code::ALL
            .iter()
            .map(|x| x.as_str())
            .collect(),
        c::transfer::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::exchange::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::leave::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::import::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::kindergarten::Code::ALL
            .iter()
            .map(|x| x.as_str())
            .collect(),
        c::policy::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::preferences::Code::ALL
            .iter()
            .map(|x| x.as_str())
            .collect(),
        c::referral::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::register::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::round::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::vacancies::Code::ALL.iter().map(|x| x.as_str()).collect(),
        c::withdraw::Code::ALL.iter().map(|x| x.as_str()).collect(),
    ] {
        field_codes.extend(codes);
    }
    // The problems the service itself answers with when it cannot answer now.
    for code in ["unavailable", "not_leader", "behind"] {
        for lang in Lang::BOTH {
            assert!(
                problem(code, lang).is_some(),
                "no {lang:?} words for `{code}`"
            );
        }
    }
    for code in field_codes {
        for lang in Lang::BOTH {
            assert!(
                field(code, lang).is_some() || problem(code, lang).is_some(),
                "no {lang:?} words for `{code}`"
            );
        }
    }
}

/// Every event kind the journal can hold has words on the auditor's page.
#[test]
fn every_event_kind_has_words() {
    for kind in kezek_core::Event::KINDS {
        let key = format!("ev_{kind}");
        for lang in Lang::BOTH {
            assert!(
                kezek_print::words::text(&key, lang).is_some(),
                "no words for {kind}"
            );
        }
    }
}
