//! Search terms: how text becomes index terms and how a query becomes the terms it
//! must match. Chinese has no spaces between words, so CJK runs index every
//! character and every neighbouring pair (bigram); a query matches by its bigrams
//! (or its single character). Other scripts index lower-cased words.

/// Terms kept per document, at most (a very long post indexes its beginning).
pub const MAX_DOC_TERMS: usize = 4000;
/// Terms a query may have; more are ignored.
pub const MAX_QUERY_TERMS: usize = 12;
const MAX_TERM_CHARS: usize = 40;

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK Extension A
        | 0x4E00..=0x9FFF   // CJK Unified Ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // CJK Compatibility Ideographs
        | 0x20000..=0x2FFFF // Extensions B..
    )
}

enum Run {
    Word(String),
    Cjk(Vec<char>),
}

fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk = Vec::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            cjk.push(c);
        } else if c.is_alphanumeric() {
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Run::Word(word));
    }
    if !cjk.is_empty() {
        out.push(Run::Cjk(cjk));
    }
    out
}

fn push(out: &mut Vec<String>, seen: &mut std::collections::HashSet<String>, t: String) {
    if seen.insert(t.clone()) {
        out.push(t);
    }
}

/// Index terms of a document: words, CJK characters and CJK bigrams, deduplicated.
pub fn index_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in runs(text) {
        if out.len() >= MAX_DOC_TERMS {
            break;
        }
        match r {
            Run::Word(w) => push(
                &mut out,
                &mut seen,
                w.chars().take(MAX_TERM_CHARS).collect(),
            ),
            Run::Cjk(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    push(&mut out, &mut seen, c.to_string());
                    if let Some(n) = cs.get(i + 1) {
                        push(&mut out, &mut seen, format!("{c}{n}"));
                    }
                }
            }
        }
    }
    out.truncate(MAX_DOC_TERMS);
    out
}

/// The terms a query must all match: words, and CJK bigrams (a lone CJK character
/// matches as itself).
pub fn query_terms(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in runs(query) {
        match r {
            Run::Word(w) => push(
                &mut out,
                &mut seen,
                w.chars().take(MAX_TERM_CHARS).collect(),
            ),
            Run::Cjk(cs) if cs.len() == 1 => push(&mut out, &mut seen, cs[0].to_string()),
            Run::Cjk(cs) => {
                for pair in cs.windows(2) {
                    push(&mut out, &mut seen, format!("{}{}", pair[0], pair[1]));
                }
            }
        }
    }
    out.truncate(MAX_QUERY_TERMS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(doc: &str, query: &str) -> bool {
        let d = index_terms(doc);
        let q = query_terms(query);
        !q.is_empty() && q.iter().all(|t| d.contains(t))
    }

    #[test]
    fn chinese_matches_without_spaces() {
        let doc = "桂花乌龙回归，限量500份！Osmanthus Oolong is back";
        assert!(matches(doc, "乌龙"));
        assert!(!matches(doc, "茶"), "not in the text");
        assert!(matches(doc, "桂花乌龙"));
        assert!(matches(doc, "花"));
        assert!(matches(doc, "oolong"));
        assert!(matches(doc, "OOLONG back"));
        assert!(matches(doc, "500"));
        assert!(!matches(doc, "乌桂"), "order matters inside a bigram");
        assert!(!matches(doc, "green tea"));
        assert!(matches("今天喝了绿茶", "绿茶 今天"));
    }

    #[test]
    fn limits_and_odd_input() {
        assert!(query_terms("").is_empty());
        assert!(query_terms("!!! ，。").is_empty());
        assert!(query_terms(&"长".repeat(100)).len() <= MAX_QUERY_TERMS);
        let huge = "字".repeat(100_000);
        assert!(index_terms(&huge).len() <= MAX_DOC_TERMS);
        let t = index_terms(&"a".repeat(500));
        assert_eq!(t[0].chars().count(), 40);
        // Japanese and Korean are CJK runs too.
        assert!(matches("抹茶ラテ おいしい", "ラテ"));
        assert!(matches("녹차 라떼", "라떼"));
    }
}
