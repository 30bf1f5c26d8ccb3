//! `postwatch scan`: JSONL posts in, CONTRACT §2 verdicts out, one per line, in order.

use crate::pipeline::Detector;
use crate::post::decode;
use serde_json::json;
use std::io::{BufRead, Write};

/// Counts of one scan.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanSummary {
    pub lines: usize,
    pub invalid: usize,
}

/// Scans every line of `input`, writing one verdict (or error object) per line.
/// Blank lines are skipped: they are not posts.
///
/// # Errors
///
/// Only I/O errors on the streams; invalid posts are reported in the output.
pub fn scan(
    detector: &Detector,
    input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<ScanSummary> {
    let mut summary = ScanSummary::default();
    for line in input.split(b'\n') {
        let mut line = line?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        summary.lines += 1;
        match decode(&line) {
            Ok(post) => {
                let verdict = detector.verdict(&post);
                serde_json::to_writer(&mut output, &verdict)?;
            }
            Err(error) => {
                summary.invalid += 1;
                serde_json::to_writer(
                    &mut output,
                    &json!({"id": error.id, "error": error.to_string()}),
                )?;
            }
        }
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(summary)
}
