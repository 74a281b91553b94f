//! Reading a stored document: as stored (JSON) or printed as a PDF in Kazakh or Russian.

use crate::access::{district_of_application, Auth, DocumentReaders};
use crate::error::AppError;
use crate::App;
use kezek_core::model::ApplicationId;
use kezek_print::pdf::{render, Print};
use kezek_print::words::{self, Lang};

/// How a document is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// As stored.
    Json,
    /// Printed in a language.
    Pdf(Lang),
    /// Its detached CMS signature by the official who issued it (DER), when one was made.
    Cms,
}

impl Format {
    /// A PDF in `lang` (`kk` by default, or `ru`).
    ///
    /// # Errors
    /// Another language.
    pub fn pdf(lang: Option<&str>) -> Result<Self, AppError> {
        match lang {
            None | Some("kk") => Ok(Self::Pdf(Lang::Kk)),
            Some("ru") => Ok(Self::Pdf(Lang::Ru)),
            Some(_) => Err(AppError::invalid(
                "lang",
                "invalid_lang",
                "must be kk or ru",
            )),
        }
    }
}

impl App {
    /// Stored document `id`: its bytes and its JSON.
    async fn stored(&self, id: &str) -> Result<(Vec<u8>, serde_json::Value), AppError> {
        let key = id.to_owned();
        let bytes = self
            .store(move |s| s.document(&key))
            .await?
            .ok_or_else(|| AppError::not_found("document", id))?;
        let doc =
            serde_json::from_slice(&bytes).map_err(|_| AppError::not_found("document", id))?;
        Ok((bytes, doc))
    }

    /// Document `id` for the portal (acting for the citizen), staff and counter clerks of the
    /// application's district, admin: its bytes, and their media type.
    ///
    /// # Errors
    /// Unknown document, out of scope, or the store failed.
    pub async fn document(
        &self,
        auth: &Auth<DocumentReaders>,
        id: &str,
        format: Format,
    ) -> Result<(Vec<u8>, &'static str), AppError> {
        let (bytes, doc) = self.stored(id).await?;
        let application = crate::documents::field(&doc, "application_id").unwrap_or_default();
        // The application's district; a refused one has none in the state, and its refusal
        // names the district it was filed for.
        // A service centre's batch list names the centre's district.
        let filed_for = doc
            .pointer("/body/district")
            .or_else(|| doc.pointer("/body/centre/id"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        // A case's document: the district of the organisation that provides its service.
        let of_case = doc
            .pointer("/provider/id")
            .or_else(|| doc.pointer("/body/provider/id"))
            .and_then(serde_json::Value::as_str)
            .zip(
                doc.pointer("/body/service_id")
                    .and_then(serde_json::Value::as_str),
            )
            .map(|(p, s)| (p.to_owned(), s.to_owned()));
        let (district, offset) = self.peek(|s| {
            // (A decision on a complaint about the queue names the queue as its service: its
            // application's district, then.)
            let district = of_case
                .as_ref()
                .and_then(|(provider, service)| {
                    crate::access::district_of_provider(&self.cases.read(), s, service, provider)
                })
                .or_else(|| {
                    ApplicationId::parse(application)
                        .ok()
                        .and_then(|a| s.application_index(&a))
                        .map(|a| district_of_application(s, a).to_owned())
                });
            (district.or(filed_for), s.policy().calendar.offset)
        })?;
        auth.caller()
            .district_scope(district.as_deref().unwrap_or(""))?;
        if auth.caller().citizen != crate::access::Citizen::Unbound {
            // The portal bound to citizens: only the citizen's application's or case's.
            let case = doc
                .pointer("/body/case_id")
                .or_else(|| doc.pointer("/case_id"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            self.peek(|s| {
                let caller = auth.caller();
                if let Some(a) = ApplicationId::parse(application)
                    .ok()
                    .and_then(|a| s.application_index(&a))
                {
                    return caller.for_citizen(s, a);
                }
                let applicant = case
                    .as_deref()
                    .and_then(|c| self.cases.read().case(c).map(|x| x.applicant.iin.clone()))
                    .and_then(|iin| kezek_core::model::Iin::parse(&iin).ok());
                caller.acts_for((applicant, None))
            })??;
        }
        not_erased(id, &bytes)?;
        Ok(match format {
            Format::Json => (bytes, "application/json"),
            Format::Pdf(lang) => (self.print(id, &doc, lang, offset), "application/pdf"),
            Format::Cms => {
                let key = format!("{id}{}", crate::documents::CMS_SUFFIX);
                let cms = self
                    .store(move |s| s.document(&key))
                    .await?
                    .ok_or_else(|| AppError::not_found("signature of document", id))?;
                (cms, "application/pkcs7-signature")
            }
        })
    }

    /// Document `id` printed in `lang`, for whoever proved they are the family of application
    /// `application` (the console's status page, which asked for the child's IIN).
    ///
    /// # Errors
    /// No such document, or not this application's.
    pub async fn printed_for(
        &self,
        id: &str,
        application: &str,
        lang: Lang,
    ) -> Result<Vec<u8>, AppError> {
        let (bytes, doc) = self.stored(id).await?;
        if crate::documents::field(&doc, "application_id") != Some(application) {
            return Err(AppError::not_found("document", id));
        }
        not_erased(id, &bytes)?;
        let offset = self.peek(|s| s.policy().calendar.offset)?;
        Ok(self.print(id, &doc, lang, offset))
    }

    /// Document `id` printed in `lang`, for Kezek's own letters to the family.
    ///
    /// # Errors
    /// No such document, or the store failed.
    pub(crate) async fn pdf_of(&self, id: &str, lang: Lang) -> Result<Vec<u8>, AppError> {
        let (bytes, doc) = self.stored(id).await?;
        not_erased(id, &bytes)?;
        let offset = self.peek(|s| s.policy().calendar.offset)?;
        Ok(self.print(id, &doc, lang, offset))
    }

    /// Document `id` (`doc`) printed in `lang`, its times in `offset`, with its check page.
    fn print(
        &self,
        id: &str,
        doc: &serde_json::Value,
        lang: Lang,
        offset: jiff::tz::Offset,
    ) -> Vec<u8> {
        let digest = crate::documents::digest(doc);
        let mut print = Print {
            lang,
            offset,
            check_url: self.check_url(id, &digest),
            digest,
            signer: None,
        };
        // Signed in the file too (PAdES) by the official it names, when their certificate
        // is held and valid now; else the print as it always was.
        let signing = std::sync::Arc::clone(&self.signing.read());
        let official = doc
            .pointer("/body/official/official_id")
            .and_then(serde_json::Value::as_str);
        if let Some((official, serial)) = official.and_then(|o| Some((o, signing.serial(o)?))) {
            let now = self.now();
            let text = |k: &str| {
                doc.pointer(&format!("/body/official/{k}"))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let organisation = doc
                .pointer(&format!("/body/authority/{}", lang.code()))
                .and_then(serde_json::Value::as_str)
                .map_or_else(|| text("organisation"), str::to_owned);
            print.signer = Some(kezek_print::pdf::Signer {
                name: text("name"),
                position: text(&format!("position_{}", lang.code())),
                organisation,
                serial,
                at: now.strftime("D:%Y%m%d%H%M%SZ").to_string(),
            });
            let sealed = kezek_print::pdf::seal(render(doc, &print), |bytes| {
                signing.sign(official, bytes, now)
            });
            if let Some(pdf) = sealed {
                return pdf;
            }
            print.signer = None;
        }
        render(doc, &print)
    }
}

/// Refuses a document erased with its family's data (its stored body a tombstone).
fn not_erased(id: &str, bytes: &[u8]) -> Result<(), AppError> {
    match kezek_store::forget::erased_at(bytes) {
        Some(at) => Err(AppError::Erased {
            what: "document",
            id: id.to_owned(),
            at: Some(at),
        }),
        None => Ok(()),
    }
}

/// The public check of a document: whether Kezek issued it as it reads, and only what a
/// stranger holding a printed copy may learn — the kind, the date and the authority, never a
/// name or an IIN.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CheckView {
    /// The document checked.
    pub document_id: String,
    /// Whether the stored document carries the authority's valid signature (its digest is
    /// the one given: a check answers nothing else).
    pub valid: bool,
    /// Whether the digest given is the document's: always `true` (a copy whose digest is not
    /// the document's is answered "not found").
    pub digest_matches: Option<bool>,
    /// Its kind (`referral`, `queue_notification`, …).
    pub kind: String,
    /// Its title in Kazakh and Russian.
    #[schema(value_type = Object)]
    pub title: serde_json::Value,
    /// When it was issued.
    pub issued_at: String,
    /// The same in the authority's local time (`01.12.2026 17:05`), as the printed copy shows.
    pub issued_at_local: String,
    /// The authority that issued it, in Kazakh and Russian (`null` when its district had no
    /// names then).
    #[schema(value_type = Object)]
    pub authority: serde_json::Value,
    /// The key that signed it.
    pub key_id: String,
    /// The official who issued it, when it names one: name, position, organisation, and —
    /// when they signed it with their X.509 certificate too — that certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub official: Option<SignerView>,
}

/// The official a document names, and the certificate they signed it with.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SignerView {
    /// Full name.
    pub name: String,
    /// Position in Kazakh.
    pub position_kk: String,
    /// Position in Russian.
    pub position_ru: String,
    /// `district:D1`, `kindergarten:K1`.
    pub organisation: String,
    /// The certificate of the CMS signature (`GET /v1/documents/{id}.p7s`), if one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
}

/// An official's certificate as a check shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CertificateView {
    /// Its subject.
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
    /// Its serial number, hex.
    pub serial: String,
    /// Valid from.
    pub not_before: String,
    /// Valid until.
    pub not_after: String,
    /// Whether it was within its validity when the document was issued.
    pub valid_at_signing: bool,
}

impl App {
    /// Checks document `id` against `digest` (the hex SHA-256 its printed copy carries); no key
    /// needed. Only the id and digest of a copy that was issued say anything: without the
    /// digest, with another one, or for an id never used the answer is the same "not found"
    /// — ids are sequential, and the check must not list every document's kind, time and
    /// authority to whoever counts through them.
    ///
    /// # Errors
    /// No document issued with this id and digest, a digest that is not 64 hex digits, or
    /// the store failed.
    pub async fn check(&self, id: &str, digest: Option<&str>) -> Result<CheckView, AppError> {
        if let Some(d) = digest {
            if d.len() != 64 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AppError::invalid(
                    "digest",
                    "invalid_digest",
                    "must be the 64 hex digits of the document's SHA-256",
                ));
            }
        }
        let not_issued = || AppError::not_found("document", id);
        let digest = digest.ok_or_else(not_issued)?.to_ascii_lowercase();
        let (bytes, doc) = match self.stored(id).await {
            Err(AppError::NotFound { .. }) => return Err(not_issued()),
            other => other?,
        };
        // An erased document's digest cannot be checked any more: it reads as never issued.
        if kezek_store::forget::erased_at(&bytes).is_some() {
            return Err(not_issued());
        }
        if !same_bytes(digest.as_bytes(), crate::documents::digest(&doc).as_bytes()) {
            return Err(not_issued());
        }
        let offset = self.peek(|s| s.policy().calendar.offset)?;
        let keys = serde_json::to_string(&self.keys_view()?).unwrap_or_default();
        let signed = crate::documents::check_offline(&bytes, &keys).is_ok();
        let text = |k: &str| {
            crate::documents::field(&doc, k)
                .unwrap_or_default()
                .to_owned()
        };
        let kind = text("kind");
        let title = serde_json::json!({
            "kk": words::title(&kind, Lang::Kk),
            "ru": words::title(&kind, Lang::Ru),
        });
        Ok(CheckView {
            document_id: id.to_owned(),
            valid: signed,
            digest_matches: Some(true),
            title,
            issued_at_local: text("issued_at")
                .parse()
                .map(|at| words::local_time(at, offset))
                .unwrap_or_default(),
            issued_at: text("issued_at"),
            authority: doc.pointer("/body/authority").cloned().unwrap_or_default(),
            key_id: text("key_id"),
            official: self.signer_of(id, &doc).await?,
            kind,
        })
    }

    /// The official document `doc` names, with the certificate of its CMS signature if it
    /// has one.
    async fn signer_of(
        &self,
        id: &str,
        doc: &serde_json::Value,
    ) -> Result<Option<SignerView>, AppError> {
        let Some(o) = doc.pointer("/body/official") else {
            return Ok(None);
        };
        let text = |k: &str| {
            o.get(k)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let key = format!("{id}{}", crate::documents::CMS_SUFFIX);
        let signed = self.store(move |s| s.document(&key)).await?.is_some();
        let issued: Option<jiff::Timestamp> =
            crate::documents::field(doc, "issued_at").and_then(|t| t.parse().ok());
        let official_id = text("official_id");
        let certificate = if signed {
            self.peek(|s| {
                let c = kezek_core::model::OfficialId::parse(&official_id)
                    .ok()
                    .and_then(|id| s.official(&id))?
                    .certificate
                    .as_ref()?;
                Some(CertificateView {
                    subject: c.subject.clone(),
                    issuer: c.issuer.clone(),
                    serial: c.serial.clone(),
                    not_before: c.not_before.to_string(),
                    not_after: c.not_after.to_string(),
                    valid_at_signing: issued.is_some_and(|t| c.not_before <= t && t <= c.not_after),
                })
            })?
        } else {
            None
        };
        Ok(Some(SignerView {
            name: text("name"),
            position_kk: text("position_kk"),
            position_ru: text("position_ru"),
            organisation: text("organisation"),
            certificate,
        }))
    }
}

/// Equality that takes as long whatever the bytes: the digest is what proves a copy in hand.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
