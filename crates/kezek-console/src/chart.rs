//! Charts drawn on the server as SVG: horizontal bars, each split into parts with a pattern
//! as well as a colour (readable without colour), every number written beside its bar, and a
//! title and description for screen readers. No script, no library in the browser.

use maud::{html, Markup};

/// One bar: its label and its parts' counts, in the order of the legend.
pub struct Bar {
    /// What the bar counts.
    pub label: String,
    /// The counts of its parts.
    pub parts: Vec<u64>,
}

/// The first part's fill.
const SOLID: (&str, &str) = ("#1f5f99", "solid");

/// Fills of the parts: a colour and a pattern each.
const FILLS: [(&str, &str); 4] = [
    ("#1f5f99", "solid"),
    ("#d9822b", "hatch"),
    ("#4d8f4d", "dots"),
    ("#7a4f9a", "cross"),
];

fn fill(i: usize) -> String {
    let (colour, pattern) = FILLS.get(i % FILLS.len()).copied().unwrap_or(SOLID);
    if pattern == "solid" {
        colour.to_owned()
    } else {
        format!("url(#p-{pattern})")
    }
}

struct Rect {
    x: f64,
    w: f64,
    part: usize,
    n: u64,
}

struct Row<'a> {
    y: f64,
    label: &'a str,
    rects: Vec<Rect>,
    end: f64,
    total: u64,
}

/// A stacked horizontal bar chart of `bars`, with `legend` naming the parts.
#[must_use]
pub fn bars(title: &str, legend: &[String], bars: &[Bar]) -> Markup {
    let max = bars
        .iter()
        .map(|b| b.parts.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_w, bar_w, row_h) = (90.0_f64, 420.0_f64, 26.0_f64);
    #[allow(clippy::cast_precision_loss, reason = "a chart's counts are small")]
    let scale = |n: u64| n as f64 * bar_w / max as f64;
    #[allow(clippy::cast_precision_loss, reason = "a handful of rows")]
    let height = (bars.len() as f64 + 1.5) * row_h;
    let width = label_w + bar_w + 70.0;
    #[allow(clippy::cast_precision_loss, reason = "a handful of rows and parts")]
    let (legend_y, legend_x) = (bars.len() as f64 * row_h + 10.0, |j: usize| {
        label_w + j as f64 * 170.0
    });
    let rows: Vec<Row<'_>> = bars
        .iter()
        .enumerate()
        .map(|(i, bar)| {
            #[allow(clippy::cast_precision_loss, reason = "a handful of rows")]
            let y = i as f64 * row_h + 4.0;
            let mut x = label_w;
            let mut rects = Vec::new();
            for (part, n) in bar.parts.iter().enumerate() {
                let w = scale(*n);
                if *n > 0 {
                    rects.push(Rect { x, w, part, n: *n });
                }
                x += w;
            }
            Row {
                y,
                label: &bar.label,
                rects,
                end: x,
                total: bar.parts.iter().sum(),
            }
        })
        .collect();
    html! {
        svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title"
            viewBox=(format!("0 0 {width} {height}")) class="chart" {
            title id="chart-title" { (title) }
            defs {
                pattern id="p-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                    rect width="6" height="6" fill=(FILLS[1].0) {}
                    line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2" {}
                }
                pattern id="p-dots" width="6" height="6" patternUnits="userSpaceOnUse" {
                    rect width="6" height="6" fill=(FILLS[2].0) {}
                    circle cx="3" cy="3" r="1.4" fill="#fff" {}
                }
                pattern id="p-cross" width="6" height="6" patternUnits="userSpaceOnUse" {
                    rect width="6" height="6" fill=(FILLS[3].0) {}
                    path d="M0 0L6 6M6 0L0 6" stroke="#fff" stroke-width="1" {}
                }
            }
            @for row in &rows {
                text x=(label_w - 8.0) y=(row.y + 14.0) text-anchor="end" class="chart-label" { (row.label) }
                @for r in &row.rects {
                    rect x=(r.x) y=(row.y) width=(r.w) height=(row_h - 8.0) fill=(fill(r.part)) stroke="#222" stroke-width="0.5" {
                        title { (legend.get(r.part).map_or("", String::as_str)) ": " (r.n) }
                    }
                }
                text x=(row.end + 6.0) y=(row.y + 14.0) class="chart-value" { (row.total) }
            }
            @for (j, name) in legend.iter().enumerate() {
                rect x=(legend_x(j)) y=(legend_y) width="14" height="14" fill=(fill(j)) stroke="#222" stroke-width="0.5" {}
                text x=(legend_x(j) + 20.0) y=(legend_y + 12.0) class="chart-label" { (name) }
            }
        }
    }
}
