//! Full-text search for the knowledge base that works for Chinese as well as English, the
//! same on PostgreSQL and SQLite: text is cut into terms here, not by the database.
//! Chinese (and Japanese, Korean) has no spaces between words, so a run of such characters
//! is indexed as its overlapping two-character pieces and its single characters — the
//! n-gram approach of Lucene's CJK analyzer: `打印机无法打印` holds `打印`, `印机`, … and a
//! query for `打印机` (`打印` + `印机`) finds it without a dictionary. Latin text is split into
//! lower-cased words with plurals folded and the commonest English words left out. Articles
//! are ranked by BM25 over title (counted twice) and body.

use std::collections::{BTreeMap, HashMap};

/// What a text is cut into, and how often each term occurs.
pub fn term_counts(text: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for t in terms(text, true) {
        *out.entry(t).or_insert(0) += 1;
    }
    out
}

/// A query's terms (a run of two or more CJK characters as its pairs only: more precise).
pub fn query_terms(text: &str) -> Vec<String> {
    let mut out = terms(text, false);
    out.sort();
    out.dedup();
    out.truncate(32);
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF       // Hiragana, Katakana
        | 0x3400..=0x4DBF     // CJK Extension A
        | 0x4E00..=0x9FFF     // CJK Unified Ideographs
        | 0xAC00..=0xD7AF     // Hangul syllables
        | 0xF900..=0xFAFF     // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F) // Extensions B–F, supplement
}

const STOP: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in", "into", "is",
    "it", "its", "of", "on", "or", "so", "that", "the", "their", "then", "there", "these", "this", "to",
    "was", "were", "with",
];

/// Plurals folded: `printers` → `printer`, `policies` → `policy`; `ss` stays (`access`).
fn fold(word: String) -> String {
    let n = word.chars().count();
    if n > 4 && word.ends_with("ies") {
        format!("{}y", &word[..word.len() - 3])
    } else if n > 3 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        word[..word.len() - 1].to_owned()
    } else {
        word
    }
}

fn terms(text: &str, index: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    let flush_word = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            let w = std::mem::take(word);
            if !STOP.contains(&w.as_str()) && w.chars().count() <= 40 {
                out.push(fold(w));
            }
        }
    };
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<String>| {
        if run.len() == 1 || (index && !run.is_empty()) {
            out.extend(run.iter().map(|c| c.to_string()));
        }
        out.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            run.push(c);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, &mut out);
            word.extend(c.to_lowercase());
        } else {
            flush_word(&mut word, &mut out);
            flush_run(&mut run, &mut out);
        }
    }
    flush_word(&mut word, &mut out);
    flush_run(&mut run, &mut out);
    out
}

/// One article's postings for the query's terms: term → (in title, in body).
pub struct Candidate {
    pub terms: HashMap<String, (u32, u32)>,
    /// Its length in terms (title counted twice, as scored).
    pub length: u32,
}

/// BM25 scores of the candidates, best first. `documents` and `average_length` describe the
/// collection the reader may see (so another tenant's articles weigh nothing).
pub fn rank<K: Clone>(
    query: &[String],
    candidates: &[(K, Candidate)],
    documents: u64,
    average_length: f64,
) -> Vec<(K, f64)> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let n = documents.max(1) as f64;
    let avg = if average_length > 0.0 { average_length } else { 1.0 };
    let df: HashMap<&String, f64> = query
        .iter()
        .map(|t| (t, candidates.iter().filter(|(_, c)| c.terms.contains_key(t)).count() as f64))
        .collect();
    let mut scored: Vec<(K, f64)> = candidates
        .iter()
        .map(|(k, c)| {
            let score = query
                .iter()
                .filter_map(|t| {
                    let (title, body) = c.terms.get(t)?;
                    let tf = f64::from(2 * title + body);
                    let df = df.get(t).copied().unwrap_or(0.0);
                    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                    Some(idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * f64::from(c.length) / avg)))
                })
                .sum::<f64>();
            (k.clone(), score)
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_cut_into_pairs_and_characters() {
        let t = term_counts("打印机无法打印");
        assert_eq!(t["打印"], 2);
        assert_eq!(t["印机"], 1);
        assert_eq!(t["机"], 1);
        assert_eq!(query_terms("打印机"), ["印机", "打印"]);
        assert_eq!(query_terms("网"), ["网"], "one character is a term of its own");
        // Mixed text: Latin words and Chinese pieces side by side.
        let q = query_terms("Outlook 无法连接 Exchange服务器");
        for term in ["outlook", "无法", "连接", "exchange", "服务", "务器"] {
            assert!(q.contains(&term.to_owned()), "{term} in {q:?}");
        }
    }

    #[test]
    fn english_words_are_lowered_and_plurals_folded() {
        assert_eq!(query_terms("The Printers are OFFLINE"), ["offline", "printer"]);
        assert_eq!(query_terms("policies access"), ["access", "policy"]);
    }

    fn doc(title: &str, body: &str) -> Candidate {
        let (t, b) = (term_counts(title), term_counts(body));
        let mut terms: HashMap<String, (u32, u32)> = HashMap::new();
        for (k, v) in &t {
            terms.entry(k.clone()).or_default().0 = *v;
        }
        for (k, v) in &b {
            terms.entry(k.clone()).or_default().1 = *v;
        }
        Candidate { length: 2 * t.values().sum::<u32>() + b.values().sum::<u32>(), terms }
    }

    #[test]
    fn the_best_match_ranks_first() {
        let docs = vec![
            ("vpn", doc("VPN 无法连接", "检查 VPN 客户端证书是否过期")),
            ("printer", doc("打印机无法打印", "重启打印服务，清空打印队列")),
            ("mail", doc("邮件发送失败", "Outlook 提示无法连接服务器")),
        ];
        let q = query_terms("打印机 打印队列");
        let ranked = rank(&q, &docs, 3, 10.0);
        assert_eq!(ranked[0].0, "printer");
        assert_eq!(ranked.len(), 1);
        let q = query_terms("无法连接");
        let ranked: Vec<&str> = rank(&q, &docs, 3, 10.0).into_iter().map(|(k, _)| k).collect();
        assert_eq!(ranked[0], "vpn", "in the title beats in the body");
        assert!(ranked.contains(&"mail"));
        let english =
            vec![("a", doc("Printer offline", "Restart the spooler")), ("b", doc("Mail", "printer"))];
        let ranked = rank(&query_terms("printers"), &english, 2, 3.0);
        assert_eq!(ranked[0].0, "a");
    }
}
