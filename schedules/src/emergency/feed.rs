//! CAP feeds (Atom or RSS whose entries carry CAP alerts): which entries a feed lists, and
//! for each the CAP documents it links to or carries inline. Pure: the poller fetches.
//!
//! Atom: `feed/entry` with `id` and `link@href` (a link typed `application/cap+xml`, or any
//! link when none is typed); RSS 2.0: `rss/channel/item` with `guid` (else `link`), `link`
//! and `enclosure@url`. An inline CAP (`<alert>` inside the entry, e.g. Atom `content`) is
//! returned as the exact text of its element, so a signature over it still verifies when it
//! declares its own namespaces. The feed goes through the same XML precheck as alerts: no
//! DOCTYPE, no entities, bounded size and depth.

use super::reason::{Reason, ReasonCode};
use super::xml::{self, Element};

/// One entry of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The entry's identity (Atom `id`, RSS `guid` or `link`; else its position).
    pub id: String,
    /// CAP documents it links to, as written (relative links are the caller's to resolve).
    pub links: Vec<String>,
    /// A CAP alert carried inline, as its exact text.
    pub inline: Option<String>,
}

/// The entries of an Atom or RSS feed, in document order.
///
/// # Errors
/// One reason when the feed is not well-formed XML (or fails the precheck), or is neither
/// Atom nor RSS.
pub fn parse_feed(bytes: &[u8]) -> Result<Vec<FeedEntry>, Reason> {
    let root = xml::parse(bytes)?;
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    let (items, tag): (Vec<&Element>, &str) = match root.name.as_str() {
        "feed" => (root.children_named("entry").collect(), "entry"),
        "rss" => (root.child("channel").map(|c| c.children_named("item").collect()).unwrap_or_default(), "item"),
        other => {
            return Err(Reason::new(
                ReasonCode::Malformed,
                format!("<{other}> is not an Atom <feed> or RSS <rss> document"),
                "/",
            ))
        }
    };
    let inline = inline_alerts(text, tag);
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let id = ["id", "guid", "link"]
                .iter()
                .find_map(|n| e.child_text(n).map(str::trim).filter(|t| !t.is_empty()))
                .map_or_else(|| format!("#{i}"), str::to_string);
            FeedEntry { id, links: links(e), inline: inline.get(i).cloned().flatten() }
        })
        .collect())
}

fn links(e: &Element) -> Vec<String> {
    let atom: Vec<(&str, Option<&str>)> =
        e.children_named("link").filter_map(|l| l.attribute("href").map(|h| (h, l.attribute("type")))).collect();
    let typed: Vec<String> =
        atom.iter().filter(|(_, t)| t.is_some_and(|t| t.contains("cap"))).map(|(h, _)| h.to_string()).collect();
    if !typed.is_empty() {
        return typed;
    }
    let mut out: Vec<String> = atom.iter().map(|(h, _)| h.to_string()).collect();
    // RSS: <link>text</link> and <enclosure url=…>.
    out.extend(e.children_named("link").map(|l| l.text.trim().to_string()).filter(|t| !t.is_empty()));
    out.extend(e.children_named("enclosure").filter_map(|l| l.attribute("url")).map(str::to_string));
    out.dedup();
    out
}

/// For each entry (by `<tag` occurrence), the text of an `<alert>` element inside it.
fn inline_alerts(text: &str, tag: &str) -> Vec<Option<String>> {
    let open = format!("<{tag}");
    let mut starts: Vec<usize> = text
        .match_indices(&open)
        .filter(|(i, _)| text[i + open.len()..].starts_with(|c: char| c == '>' || c.is_whitespace()))
        .map(|(i, _)| i)
        .collect();
    starts.push(text.len());
    starts.windows(2).map(|w| find_alert(&text[w[0]..w[1]])).collect()
}

/// The first `<alert …>…</alert>` (or `<p:alert …>…</p:alert>`) in `chunk`.
fn find_alert(chunk: &str) -> Option<String> {
    let start = chunk.match_indices('<').map(|(i, _)| i).find(|&i| {
        let name: String =
            chunk[i + 1..].chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
        name == "alert" || name.ends_with(":alert")
    })?;
    let name: String = chunk[start + 1..].chars().take_while(|c| !c.is_whitespace() && *c != '>').collect();
    let close = format!("</{name}>");
    let end = chunk[start..].find(&close)? + start + close.len();
    Some(chunk[start..end].to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn atom_entries_give_their_ids_cap_links_and_inline_alerts() {
        let feed = br#"<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>pzh</title>
  <entry><id>urn:1</id><link rel="alternate" href="/page/1"/><link type="application/cap+xml" href="/cap/1.xml"/></entry>
  <entry><id>urn:2</id><content type="text/xml"><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>X</identifier></alert></content></entry>
  <entry><link href="https://a.example/cap/3.xml"/></entry>
</feed>"#;
        let entries = parse_feed(feed).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!((entries[0].id.as_str(), entries[0].links.clone()), ("urn:1", vec!["/cap/1.xml".to_string()]));
        assert!(entries[1].inline.as_deref().unwrap().starts_with("<alert xmlns="));
        assert!(entries[1].inline.as_deref().unwrap().ends_with("</alert>"));
        assert_eq!(entries[0].inline, None);
        assert_eq!(entries[2].id, "#2");
        assert_eq!(entries[2].links, ["https://a.example/cap/3.xml"]);
    }

    #[test]
    fn rss_items_give_guid_link_and_enclosure() {
        let feed = br#"<rss version="2.0"><channel><title>t</title>
  <item><guid>g1</guid><link>https://a.example/1.xml</link><enclosure url="https://a.example/1.cap" type="application/cap+xml"/></item>
</channel></rss>"#;
        let entries = parse_feed(feed).unwrap();
        assert_eq!(entries[0].id, "g1");
        assert_eq!(entries[0].links, ["https://a.example/1.xml", "https://a.example/1.cap"]);
    }

    #[test]
    fn malformed_or_foreign_documents_and_doctypes_are_refused() {
        assert!(parse_feed(b"<feed><entry>").is_err());
        assert!(parse_feed(b"<html><body/></html>").unwrap_err().message.contains("not an Atom"));
        let bomb = b"<?xml version=\"1.0\"?><!DOCTYPE feed [<!ENTITY a \"aaaa\">]><feed>&a;</feed>";
        assert!(parse_feed(bomb).is_err());
    }
}
