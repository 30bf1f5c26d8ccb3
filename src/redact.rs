//! Redaction: excerpts that are safe to show a person or send to a third party.
//! Every sensitive span in the post is masked in every excerpt, whichever finding
//! the excerpt belongs to.

use crate::detect::{Hit, Sensitivity};

/// Bytes of context kept on each side of a finding in its excerpt.
const CONTEXT_BYTES: usize = 32;

/// Masks one sensitive value.
///
/// Identifiers keep their first and last four characters when at least twelve long
/// (`NL91 **** **** **** 4300`), the first and last two when eight to eleven long,
/// and nothing when shorter; separators stay so the shape is recognisable. E-mail
/// addresses keep the first character and the top-level domain. Secrets keep a
/// recognisable prefix of at most eight characters (up to its last `_` or `-`) and
/// the last two characters when at least sixteen long (`ghp_****…a1`), else nothing.
pub fn mask(value: &str, sensitivity: Sensitivity) -> String {
    match sensitivity {
        Sensitivity::Plain => value.to_string(),
        Sensitivity::Identifier
            if value.contains('@') || value.contains("[at]") || value.contains("(at)") =>
        {
            mask_email(value)
        }
        Sensitivity::Identifier => mask_identifier(value),
        Sensitivity::Secret => mask_secret(value),
    }
}

fn mask_identifier(value: &str) -> String {
    let significant = value.chars().filter(|c| c.is_alphanumeric()).count();
    let keep = match significant {
        12.. => 4,
        8..=11 => 2,
        _ => 0,
    };
    let groups = value.split_whitespace().count();
    if keep == 4 && groups > 2 {
        // Grouped like an IBAN or card: keep the first and last four, one `****` per
        // middle group (`NL91 **** **** **** 4300`).
        let significant_chars: Vec<char> = value.chars().filter(|c| c.is_alphanumeric()).collect();
        let head: String = significant_chars[..4].iter().collect();
        let tail: String = significant_chars[significant - 4..].iter().collect();
        return format!("{head} {}{tail}", "**** ".repeat(groups - 2));
    }
    let mut seen = 0;
    let mut masked = String::with_capacity(value.len());
    let mut last_was_mask = false;
    for c in value.chars() {
        if c.is_alphanumeric() {
            seen += 1;
            if seen <= keep || seen > significant - keep {
                masked.push(c);
                last_was_mask = false;
            } else if !last_was_mask {
                // Runs of masked characters become one `****` per group.
                masked.push_str("****");
                last_was_mask = true;
            }
        } else {
            masked.push(c);
            last_was_mask = false;
        }
    }
    masked
}

fn mask_email(value: &str) -> String {
    let first = value.chars().next().unwrap_or('*');
    let top_level = value
        .rsplit(['.', ' '])
        .next()
        .filter(|tld| tld.len() <= 6 && tld.chars().all(|c| c.is_ascii_alphabetic()))
        .unwrap_or("");
    format!("{first}***@****.{top_level}")
}

fn mask_secret(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 16 {
        return "****".to_string();
    }
    let head: String = chars.iter().take(8).collect();
    let prefix_end = head.rfind(['_', '-']).map_or(0, |index| index + 1);
    let prefix = &head[..prefix_end];
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{prefix}****…{tail}")
}

/// The excerpt for `hits[index]`: the finding with up to `CONTEXT_BYTES` of context
/// on each side, cut at character boundaries and line breaks folded to spaces, with
/// every sensitive span of every hit masked.
pub fn excerpt(text: &str, hits: &[Hit], index: usize) -> String {
    let hit = &hits[index];
    let mut start = floor_char_boundary(text, hit.start.saturating_sub(CONTEXT_BYTES));
    let mut end = ceil_char_boundary(text, (hit.end + CONTEXT_BYTES).min(text.len()));
    // A sensitive span cut by the window edge is widened, never half shown.
    for other in hits
        .iter()
        .filter(|other| other.sensitivity != Sensitivity::Plain)
    {
        if other.start < start && other.end > start {
            start = other.start;
        }
        if other.start < end && other.end > end {
            end = other.end;
        }
    }
    let mut sensitive: Vec<&Hit> = hits
        .iter()
        .filter(|other| other.sensitivity != Sensitivity::Plain)
        .filter(|other| other.start < end && other.end > start)
        .collect();
    sensitive.sort_by_key(|other| (other.start, std::cmp::Reverse(other.end)));
    let mut output = String::new();
    if start > 0 {
        output.push('…');
    }
    let mut cursor = start;
    for other in sensitive {
        if other.end <= cursor {
            continue;
        }
        let span_start = other.start.max(cursor);
        output.push_str(&text[cursor..span_start]);
        output.push_str(&mask(&text[other.start..other.end], other.sensitivity));
        cursor = other.end;
    }
    if cursor < end {
        output.push_str(&text[cursor..end]);
    }
    if end < text.len() {
        output.push('…');
    }
    output
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Category;

    fn hit(start: usize, end: usize, sensitivity: Sensitivity) -> Hit {
        Hit {
            rule: "test",
            category: Category::LeakPii,
            start,
            end,
            weight: 90,
            checksum_validated: false,
            sensitivity,
            canonical: None,
        }
    }

    #[test]
    fn masks_values() {
        let cases = [
            (
                "NL91 ABNA 0417 1643 00",
                Sensitivity::Identifier,
                "NL91 **** **** **** 4300",
            ),
            (
                "NL91ABNA0417164300",
                Sensitivity::Identifier,
                "NL91****4300",
            ),
            ("06-12345678", Sensitivity::Identifier, "06-****78"),
            ("123456", Sensitivity::Identifier, "****"),
            (
                "jan.devries@gmail.com",
                Sensitivity::Identifier,
                "j***@****.com",
            ),
            (
                "ghp_abcdefghijklmnopqrstuvwxyz0123456789a1",
                Sensitivity::Secret,
                "ghp_****…a1",
            ),
            (
                "sk_live_abcdefghijklmnopqrstuvwx",
                Sensitivity::Secret,
                "sk_live_****…wx",
            ),
            ("hunter22", Sensitivity::Secret, "****"),
            ("Project Kestrel", Sensitivity::Plain, "Project Kestrel"),
        ];
        for (value, sensitivity, expected) in cases {
            assert_eq!(mask(value, sensitivity), expected, "{value}");
        }
    }

    #[test]
    fn every_sensitive_span_is_masked_in_every_excerpt() {
        let text = "Vista 55 voor €149! Stort op NL91ABNA0417164300 en token ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok";
        let iban = text.find("NL91").unwrap();
        let token = text.find("ghp_").unwrap();
        let hits = vec![
            hit(0, 18, Sensitivity::Plain),
            hit(iban, iban + 18, Sensitivity::Identifier),
            hit(token, token + 40, Sensitivity::Secret),
        ];
        for index in 0..hits.len() {
            let shown = excerpt(text, &hits, index);
            assert!(!shown.contains("0417164"), "{shown}");
            assert!(!shown.contains("abcdefghij"), "{shown}");
        }
    }

    #[test]
    fn excerpts_cut_at_character_boundaries() {
        let text = "ééééééééééééééééééééééééééééééééééé datalek éééééééééééééééééééééééééééééé";
        let start = text.find("datalek").unwrap();
        let shown = excerpt(text, &[hit(start, start + 7, Sensitivity::Plain)], 0);
        assert!(shown.starts_with('…') && shown.ends_with('…') && shown.contains("datalek"));
    }
}
