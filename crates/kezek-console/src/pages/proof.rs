//! Proof files in the console: the application's page lists them and, at the desk (clerks
//! and staff of its district), attaches a scan or photo (`POST
//! /console/applications/{number}/files`, a multipart form); the staff of its district open
//! them there and beside each claim on the worklist (`/console/files/{file_id}`), and no one
//! else. They go through the API's operations (`App::attach_file`, `App::file`).

use crate::context::{Ctx, Signed};
use crate::pages::{error_page, posted, refuse, written};
use crate::{see_other, Console};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kezek_app::access::{Auth, FileReaders, Filer};
use kezek_app::ops::casefile::CaseFile;
use kezek_app::ops::files::Upload;
use kezek_app::views::FileEntry;
use kezek_core::model::FileType;
use kezek_print::words::{code, t, Lang};
use maud::{html as markup, Markup};
use std::sync::Arc;

/// The files, each a link when the reader may open it.
pub(crate) fn list(lang: Lang, files: &[FileEntry], open: bool) -> Markup {
    list_named(lang, files, open, |d| code(d, lang).clone())
}

/// The files, each named by `name` of its document, a link when the reader may open it.
pub(crate) fn list_named(
    lang: Lang,
    files: &[FileEntry],
    open: bool,
    name: impl Fn(&str) -> String,
) -> Markup {
    markup! {
        ul class="files" {
            @for f in files {
                li data-file=(f.file_id) {
                    @let label = f.document.as_deref().map_or_else(|| t("proof_file", lang).to_owned(), &name);
                    @if open {
                        a href=(format!("/console/files/{}", f.file_id)) target="_blank" rel="noopener" { (label) }
                    } @else {
                        (label)
                    }
                    " — " (kind(f.content_type)) ", " (size(f.size))
                }
            }
        }
    }
}

fn kind(content_type: &str) -> &'static str {
    match FileType::parse(content_type) {
        Some(FileType::Pdf) => "PDF",
        Some(FileType::Jpeg) => "JPEG",
        Some(FileType::Png) => "PNG",
        None => "",
    }
}

/// A size as people read it: bytes, KB or MB (decimal, one place).
fn size(bytes: u64) -> String {
    #[allow(
        clippy::cast_precision_loss,
        reason = "at most 10 MiB: exact in an f64"
    )]
    let b = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} KB", b / 1e3)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

/// The application's files, and the desk's form to attach one.
pub(crate) fn section(lang: Lang, s: &Signed, f: &CaseFile) -> Markup {
    let id = &f.status.id;
    let attach = f.actions.contains(&"attach_file");
    markup! {
        @if !f.files.is_empty() || attach {
            section data-testid="proof-files" {
                h2 { (t("proof_files", lang)) }
                @if f.files.is_empty() {
                    p { (t("no_proof_files", lang)) }
                } @else {
                    (list(lang, &f.files, f.actions.contains(&"open_files")))
                }
                @if attach {
                    form method="post" enctype="multipart/form-data" action=(format!("/console/applications/{id}/files")) {
                        input type="hidden" name="csrf" value=(s.csrf);
                        label for="file-document" { (t("proof_document", lang)) }
                        select id="file-document" name="document" {
                            @for d in ["benefit_proof", "applicant_id", "address_proof", "birth_certificate", "application_form"] {
                                option value=(d) { (code(d, lang)) }
                            }
                        }
                        label for="file-bytes" { (t("proof_file_pick", lang)) }
                        input type="file" id="file-bytes" name="file" accept="application/pdf,image/jpeg,image/png" required;
                        p class="hint" { (t("proof_file_hint", lang)) }
                        button type="submit" { (t("attach_file", lang)) }
                    }
                }
            }
        }
    }
}

/// `GET /console/files/{file_id}`: the file, for the staff of its application's district.
pub async fn open(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    s: Signed,
    Path(file_id): Path<String>,
) -> Response {
    let auth = match Auth::<FileReaders>::check(s.caller) {
        Ok(auth) => auth,
        Err(e) => return refuse(&ctx, &e),
    };
    match console.app.file(&auth, &file_id).await {
        Ok((content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, content_type.as_str()),
                (header::CONTENT_DISPOSITION, "inline"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => refuse(&ctx, &e),
    }
}

/// The fields of the desk's form, as read from its parts.
#[derive(Default)]
struct Parts {
    csrf: String,
    document: Option<String>,
    file: Option<(Option<String>, Vec<u8>)>,
}

async fn read_parts(mut form: Multipart) -> Option<Parts> {
    let mut parts = Parts::default();
    while let Some(field) = form.next_field().await.ok()? {
        match field.name().unwrap_or_default() {
            "csrf" => parts.csrf = field.text().await.ok()?,
            "document" => {
                parts.document = Some(field.text().await.ok()?).filter(|d| !d.is_empty());
            }
            "file" => {
                let declared = field.content_type().map(str::to_owned);
                parts.file = Some((declared, field.bytes().await.ok()?.to_vec()));
            }
            _ => {}
        }
    }
    Some(parts)
}

/// `POST /console/applications/{number}/files`.
pub async fn attach(
    State(console): State<Arc<Console>>,
    ctx: Ctx,
    Path(number): Path<String>,
    form: Multipart,
) -> Response {
    let Some(parts) = read_parts(form).await else {
        return error_page(
            &ctx,
            StatusCode::BAD_REQUEST,
            t("proof_file_unread", ctx.lang),
        );
    };
    let auth = match posted::<Filer>(&console, &ctx, &parts.csrf) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let Some((declared, bytes)) = parts.file else {
        return error_page(
            &ctx,
            StatusCode::BAD_REQUEST,
            t("proof_file_unread", ctx.lang),
        );
    };
    // A browser names the type by the file's extension; the bytes decide whether it is so.
    let declared = declared
        .as_deref()
        .and_then(FileType::from_media_type)
        .or_else(|| FileType::sniff(&bytes));
    let Some(declared) = declared else {
        return error_page(
            &ctx,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            t("proof_file_type", ctx.lang),
        );
    };
    let upload = Upload {
        declared,
        document: parts.document,
        bytes,
    };
    let result = console.app.attach_file(&auth, None, &number, upload).await;
    written(&ctx, result, |_| {
        see_other(
            &ctx,
            &format!("/console/applications/{number}?done=attached"),
        )
    })
}
