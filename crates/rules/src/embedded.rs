//! The KQL query inside a rule file, and where each of its lines sits in that file.
//!
//! Rule files in the wild are often not valid YAML as a whole (a mis-indented `dataTypes` is
//! common), yet their `query:` block is fine. So the query is located by YAML's block-scalar
//! rules for a top-level key, line by line, which keeps the exact line and column of every
//! character: a diagnostic in the query points at the right place in the file.

use quarry_syntax::LineCol;

/// A query taken out of a rule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddedQuery {
    pub text: String,
    /// For each line of `text`: its 1-based line in the file and how many characters of
    /// indentation were removed from it.
    lines: Vec<(u32, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryFieldError {
    /// No top-level `query:` key.
    Missing,
    /// `query:` is there but holds nothing; the position is the key's.
    Empty(LineCol),
}

impl EmbeddedQuery {
    /// Takes back indentation that a repair added: `shifts[i]` columns on the file's line `i + 1`.
    pub fn shift_columns(&mut self, shifts: &[u32]) {
        for (line, indent) in &mut self.lines {
            let shift = shifts.get(*line as usize - 1).copied().unwrap_or(0);
            *indent = indent.saturating_sub(shift);
        }
    }

    /// Maps a line and column within the query to the line and column in the file.
    pub fn file_position(&self, at: LineCol) -> LineCol {
        match self.lines.get(at.line as usize - 1) {
            Some(&(line, indent)) => LineCol { line, column: at.column + indent },
            // Past the last line (the end of the query): just after the last line.
            None => {
                let (line, _) = self.lines.last().copied().unwrap_or((1, 0));
                LineCol { line: line + 1, column: 1 }
            }
        }
    }
}

/// Finds the top-level `query:` field of a rule file and returns its text.
pub fn find_query(file_text: &str) -> Result<EmbeddedQuery, QueryFieldError> {
    let lines: Vec<&str> = file_text.lines().collect();
    let (key_index, rest) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| l.strip_prefix("query:").map(|rest| (i, rest)))
        .ok_or(QueryFieldError::Missing)?;
    let key_pos = LineCol { line: key_index as u32 + 1, column: 1 };
    let header = strip_comment(rest).trim();

    if header.starts_with('|') || header.starts_with('>') {
        let folded = header.starts_with('>');
        return block_scalar(&lines, key_index + 1, folded).ok_or(QueryFieldError::Empty(key_pos));
    }
    if header.is_empty() {
        // A plain or quoted scalar continued on the following, indented lines.
        return block_scalar(&lines, key_index + 1, true).ok_or(QueryFieldError::Empty(key_pos));
    }
    let value_offset = "query:".len() + (rest.len() - rest.trim_start().len());
    let value = rest.trim();
    let (text, skip) = match value.chars().next() {
        Some('"') => (unquote_double(value), 1),
        Some('\'') => (value[1..].trim_end_matches('\'').replace("''", "'"), 1),
        _ => (strip_comment(value).trim_end().to_string(), 0),
    };
    let indent = lines[key_index][..value_offset].chars().count() as u32 + skip;
    Ok(EmbeddedQuery { text, lines: vec![(key_index as u32 + 1, indent)] })
}

/// The lines of a block scalar starting at `first`: every following line that is blank or
/// indented, with the indentation of the first non-blank line removed.
fn block_scalar(lines: &[&str], first: usize, folded: bool) -> Option<EmbeddedQuery> {
    let indent = lines[first..]
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())?;
    if indent == 0 {
        return None;
    }
    let mut text = String::new();
    let mut map = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(first) {
        let blank = line.trim().is_empty();
        let line_indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if !blank && line_indent < indent {
            break;
        }
        if !map.is_empty() {
            // Folding turns line breaks into spaces; one character either way, so the
            // columns of the lines after stay exact.
            text.push(if folded && !blank { ' ' } else { '\n' });
        }
        let content = if blank { "" } else { &line[indent..] };
        text.push_str(content);
        map.push((i as u32 + 1, indent as u32));
    }
    // Trailing blank lines belong to the YAML document, not to the query.
    while text.ends_with('\n') {
        text.pop();
        map.pop();
    }
    (!text.trim().is_empty()).then_some(EmbeddedQuery { text, lines: map })
}

/// Drops a YAML comment (`#` after white space) from a header or plain value.
fn strip_comment(s: &str) -> &str {
    match s.find(" #") {
        Some(i) => &s[..i],
        None if s.starts_with('#') => "",
        None => s,
    }
}

fn unquote_double(value: &str) -> String {
    let body = value[1..].strip_suffix('"').unwrap_or(&value[1..]);
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32) -> LineCol {
        LineCol { line, column }
    }

    #[test]
    fn literal_block_keeps_file_positions() {
        let file = "id: x\nquery: |\n  T\n  | where a\n\n    and b\nname: y\n";
        let q = find_query(file).unwrap();
        assert_eq!(q.text, "T\n| where a\n\n  and b");
        assert_eq!(q.file_position(pos(2, 3)), pos(4, 5));
        assert_eq!(q.file_position(pos(4, 3)), pos(6, 5));
    }

    #[test]
    fn block_ends_at_dedent_and_ignores_other_keys() {
        let file = "description: |\n  query: no\nquery: |-\n    T | take 1\nversion: 1\n";
        let q = find_query(file).unwrap();
        assert_eq!(q.text, "T | take 1");
        assert_eq!(q.file_position(pos(1, 5)), pos(4, 9));
    }

    #[test]
    fn inline_values() {
        let q = find_query("query: T | take 1 # note\n").unwrap();
        assert_eq!(q.text, "T | take 1");
        assert_eq!(q.file_position(pos(1, 1)), pos(1, 8));
        let q = find_query("query: \"T | where a == \\\"x\\\"\"\n").unwrap();
        assert_eq!(q.text, "T | where a == \"x\"");
    }

    #[test]
    fn missing_and_empty() {
        assert_eq!(find_query("id: x\n"), Err(QueryFieldError::Missing));
        assert_eq!(find_query("query: |\nid: x\n"), Err(QueryFieldError::Empty(pos(1, 1))));
    }
}
