//! Text search terms for Chinese and mixed text, independent of the database.
//!
//! Both backends index the same thing: the space-separated *terms* of a programme's text.
//! Terms are jieba's search-mode segmentation (so 攀枝花芒果种植技术 yields 攀枝花, 芒果,
//! 种植, 技术), plus every single CJK character (so a one-character query still finds
//! something), lower-cased, with punctuation, symbols and emoji dropped. A query is
//! segmented the same way and all its terms must match. Because terms contain only letters
//! and digits, nothing a user types reaches the query language of FTS5 or `tsquery` as
//! syntax.

use std::sync::OnceLock;

use jieba_rs::Jieba;

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Keeps letters and digits only (lower-cased); empty when nothing is left.
fn clean(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The distinct terms of `text`, in first-seen order.
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    };
    for word in jieba().cut_for_search(text, true) {
        push(clean(word.word));
        // Compounds such as CCTV-7 also index their parts.
        if word.word.contains(|c: char| !c.is_alphanumeric()) {
            for part in word.word.split(|c: char| !c.is_alphanumeric()) {
                push(clean(part));
            }
        }
    }
    for c in text.chars().filter(|c| is_cjk(*c)) {
        push(c.to_string());
    }
    out
}

/// The document stored beside a programme: the terms of each part, joined by spaces. The
/// title's terms are written twice so that both backends' frequency-based ranking (bm25,
/// ts_rank) puts a title match above a match in the description or tags.
pub fn document(title: &str, others: &[&str]) -> String {
    let title_terms = terms(title).join(" ");
    let mut doc = vec![title_terms.clone(), title_terms];
    doc.extend(others.iter().map(|p| terms(p).join(" ")).filter(|t| !t.is_empty()));
    doc.join(" ")
}

/// What the store indexes for one programme: the title's terms, the other parts' terms, and
/// the whole [`document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    pub title: String,
    pub body: String,
    pub document: String,
}

/// The index entries of a programme with `title` and `others` (series, description, tags).
pub fn index(title: &str, others: &[&str]) -> Indexed {
    let body = others.iter().map(|p| terms(p).join(" ")).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ");
    Indexed { title: terms(title).join(" "), body, document: document(title, others) }
}

/// Whether every query term is one of the space-separated `title_terms` (the first tier of a
/// ranked search).
pub fn title_matches(title_terms: &str, query: &[String]) -> bool {
    query.iter().all(|q| title_terms.split(' ').any(|t| t == q))
}

/// The terms a query must all match, at most 16 (a longer query adds nothing but cost).
/// Single CJK characters are dropped when the query also has longer words, so 芒果 matches
/// as a word rather than as 芒 and 果 anywhere.
pub fn query_terms(query: &str) -> Vec<String> {
    let all = terms(query);
    let has_words = all.iter().any(|t| t.chars().count() > 1 || !t.chars().all(is_cjk));
    let mut q: Vec<String> =
        all.into_iter().filter(|t| !has_words || t.chars().count() > 1 || !t.chars().all(is_cjk)).collect();
    // A word and its own parts (攀枝花, 枝花) would only narrow nothing: keep the longest.
    let snapshot = q.clone();
    q.retain(|t| !snapshot.iter().any(|o| o != t && o.contains(t.as_str()) && t.chars().all(is_cjk)));
    q.truncate(16);
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_titles_are_segmented_into_words_and_characters() {
        let t = terms("攀枝花芒果种植技术");
        for w in ["芒果", "种植", "技术", "芒"] {
            assert!(t.iter().any(|x| x == w), "{w} not in {t:?}");
        }
    }

    #[test]
    fn mixed_text_keeps_latin_and_numbers_lower_cased() {
        let t = terms("CCTV-7 2024年 4K 暴雨预警");
        for w in ["cctv", "7", "2024", "年", "4k", "暴雨"] {
            assert!(t.iter().any(|x| x == w), "{w} not in {t:?}");
        }
    }

    #[test]
    fn punctuation_sql_and_emoji_leave_no_syntax_behind() {
        let t = query_terms("'; DROP TABLE programmes; -- \"芒果\" 🥭 OR * NEAR(");
        assert!(t.iter().all(|w| w.chars().all(char::is_alphanumeric)), "{t:?}");
        assert!(t.contains(&"芒果".to_string()));
        assert!(query_terms("🥭 !!! ").is_empty());
    }

    #[test]
    fn the_title_tier_needs_every_query_term_in_the_title() {
        let ix = index("攀枝花芒果种植技术", &["", "介绍玉米", "少儿"]);
        assert!(title_matches(&ix.title, &query_terms("芒果 种植")));
        assert!(!title_matches(&ix.title, &query_terms("芒果 玉米")), "玉米 is only in the description");
        assert!(ix.body.contains("玉米") && !ix.body.contains("芒果"), "{ix:?}");
        assert!(ix.document.contains("玉米") && ix.document.contains("芒果"));
    }

    #[test]
    fn a_two_character_query_is_one_word() {
        assert_eq!(query_terms("芒果"), vec!["芒果".to_string()]);
        assert_eq!(query_terms("玉米"), vec!["玉米".to_string()]);
        assert_eq!(query_terms("芒"), vec!["芒".to_string()]);
    }
}
