//! Turning schema descriptions (markdown of varying quality) into doc comments that
//! rustdoc and `cargo test` accept.
//!
//! - Every fenced block becomes ```` ```text ```` so rustdoc never compiles it as a doctest.
//! - Leading indentation is stripped from every line: four spaces would start an indented
//!   code block, which is a doctest too.
//! - Outside code spans, `<` and `>` are escaped (rustdoc reads `<account-id>` as an
//!   unclosed HTML tag), `[` and `]` that are not part of a `[text](url)` link are escaped
//!   (rustdoc reads `[Name]` as an intra-doc link), and bare URLs are wrapped in `<...>`
//!   (rustdoc's `bare_urls` lint).

/// The first paragraph of a description: the text before the first line break, which is
/// how the CloudFormation schemas separate paragraphs. Empty when there is no text.
pub fn first_paragraph(description: &str) -> String {
    description
        .trim()
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Doc comment lines (without the `///`) for a piece of schema markdown.
pub fn sanitize(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    let mut paragraph: Vec<String> = Vec::new();
    let flush = |paragraph: &mut Vec<String>, out: &mut Vec<String>| {
        if !paragraph.is_empty() {
            let text = escape_text(&paragraph.join("\n"));
            out.extend(text.split('\n').map(str::to_string));
            paragraph.clear();
        }
    };
    for raw in markdown.replace('\r', "").split('\n') {
        let line = raw.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            flush(&mut paragraph, &mut out);
            if in_fence {
                out.push("```".to_string());
            } else {
                out.push("```text".to_string());
            }
            in_fence = !in_fence;
        } else if in_fence {
            out.push(line.to_string());
        } else {
            paragraph.push(line.to_string());
        }
    }
    flush(&mut paragraph, &mut out);
    if in_fence {
        out.push("```".to_string());
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// Escapes the plain-text parts of markdown, leaving code spans as they are.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let bytes = text.as_bytes();
    let mut plain_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = count_run(bytes, i);
        // A code span ends at the next run of exactly as many backticks.
        let mut j = i + run;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let r = count_run(bytes, j);
                if r == run {
                    close = Some(j);
                    break;
                }
                j += r;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                out.push_str(&escape_plain(&text[plain_start..i]));
                out.push_str(&text[i..end + run]);
                i = end + run;
                plain_start = i;
            }
            None => {
                // An unmatched run is literal text; escape it so it cannot pair later.
                out.push_str(&escape_plain(&text[plain_start..i]));
                for _ in 0..run {
                    out.push_str("\\`");
                }
                i += run;
                plain_start = i;
            }
        }
    }
    out.push_str(&escape_plain(&text[plain_start..]));
    out
}

fn count_run(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().take_while(|&&b| b == b'`').count()
}

/// Escapes text outside code spans: links stay, bare URLs get angle brackets, stray
/// brackets and angle brackets get backslashes.
fn escape_plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            if let Some(len) = link_len(rest) {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
            out.push_str("\\[");
        } else if c == ']' {
            out.push_str("\\]");
        } else if c == '<' {
            if let Some(len) = autolink_len(rest) {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
            out.push_str("\\<");
        } else if c == '>' {
            out.push_str("\\>");
        } else if rest.starts_with("https://") || rest.starts_with("http://") {
            let len = url_len(rest);
            out.push('<');
            out.push_str(&rest[..len]);
            out.push('>');
            rest = &rest[len..];
            continue;
        } else if c == '\\' {
            // Keep an existing escape together with the character it escapes.
            let len = 1 + rest[1..].chars().next().map_or(0, char::len_utf8);
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length of a `[text](url)` link at the start of `s`.
fn link_len(s: &str) -> Option<usize> {
    let close = s.find(']')?;
    if s[1..close].contains('[') || !s[close + 1..].starts_with('(') {
        return None;
    }
    let url_start = close + 2;
    let mut depth = 1;
    for (k, ch) in s[url_start..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(url_start + k + 1);
                }
            }
            c if c.is_whitespace() => return None,
            _ => {}
        }
    }
    None
}

/// The length of an `<https://...>` autolink at the start of `s`.
fn autolink_len(s: &str) -> Option<usize> {
    if !(s.starts_with("<https://") || s.starts_with("<http://")) {
        return None;
    }
    let end = s.find('>')?;
    (!s[..end].contains(char::is_whitespace)).then_some(end + 1)
}

/// The length of a bare URL at the start of `s`, without trailing punctuation.
fn url_len(s: &str) -> usize {
    let mut len = s
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '`' | '"'))
        .unwrap_or(s.len());
    while len > 0 && s[..len].ends_with(['.', ',', ';', ':', ')', '*', '\'']) {
        len -= 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_paragraph_stops_at_the_first_line_break() {
        assert_eq!(
            first_paragraph("  The tenancy.\n  +  ``default``: shared."),
            "The tenancy."
        );
        assert_eq!(first_paragraph(""), "");
    }

    #[test]
    fn fenced_blocks_become_text_and_indentation_goes() {
        let lines = sanitize("Example:\n```json\n    {\"a\": 1}\n```\n    indented line");
        assert_eq!(
            lines,
            vec!["Example:", "```text", "{\"a\": 1}", "```", "indented line"]
        );
    }

    #[test]
    fn unclosed_fences_are_closed() {
        assert_eq!(sanitize("```\ncode"), vec!["```text", "code", "```"]);
    }

    #[test]
    fn links_stay_and_stray_brackets_are_escaped() {
        assert_eq!(
            sanitize("See [Tags](https://docs.aws.amazon.com/x.html) for [Name] values."),
            vec!["See [Tags](https://docs.aws.amazon.com/x.html) for \\[Name\\] values."]
        );
    }

    #[test]
    fn html_like_text_is_escaped_outside_code() {
        assert_eq!(
            sanitize("Format <cluster>:<service>, or ``<id>``."),
            vec!["Format \\<cluster\\>:\\<service\\>, or ``<id>``."]
        );
    }

    #[test]
    fn bare_urls_are_wrapped() {
        assert_eq!(
            sanitize("See https://example.com/a. Or <https://example.com/b>."),
            vec!["See <https://example.com/a>. Or <https://example.com/b>."]
        );
    }

    #[test]
    fn unmatched_backticks_are_escaped() {
        assert_eq!(sanitize("a ` b"), vec!["a \\` b"]);
        // Code spans may hold single backticks and brackets.
        assert_eq!(sanitize("``[ ` ]``"), vec!["``[ ` ]``"]);
    }
}
