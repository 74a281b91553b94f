//! The QR code of a document's public check page, drawn as filled rectangles: one per run of
//! dark modules in a row, in a square of `QR_SIZE` points whose top-right corner is given.

use pdf_writer::Content;

/// The side of the QR code, in points.
pub const QR_SIZE: f32 = 100.0;

/// The QR code of `url` (error correction M), or `None` when it is too long for one.
pub(super) fn code(url: &str) -> Option<qrcode::QrCode> {
    qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()
}

/// Draws `code` with its top-right corner at (`right`, `top`).
pub(super) fn draw(content: &mut Content, code: &qrcode::QrCode, right: f32, top: f32) {
    let n = code.width();
    #[allow(
        clippy::cast_precision_loss,
        reason = "a QR code is at most 177 modules wide"
    )]
    let module = QR_SIZE / n as f32;
    let left = right - QR_SIZE;
    for (row, modules) in code.to_colors().chunks(n).enumerate() {
        let mut col = 0;
        while col < n {
            let run = modules
                .iter()
                .skip(col)
                .take_while(|c| **c == qrcode::Color::Dark)
                .count();
            if run > 0 {
                #[allow(clippy::cast_precision_loss, reason = "as above")]
                let (x, y, w) = (col as f32, row as f32, run as f32);
                content.rect(
                    left + x * module,
                    top - (y + 1.0) * module,
                    w * module,
                    module,
                );
            }
            col += run.max(1);
        }
    }
    content.fill_nonzero();
}
