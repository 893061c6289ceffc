//! A small, safe XML tree for alert documents.
//!
//! Alert XML comes from outside the network, so this reader is deliberately narrow:
//! input over [`MAX_DOCUMENT_BYTES`] is refused unread, any `<!DOCTYPE`/`<!ENTITY`
//! is refused before parsing (no DTD, no external entity, no entity expansion: XXE and
//! "billion laughs" never start), only the five predefined XML entities and character
//! references are decoded, and nesting depth and element count are capped.
//!
//! The document is decoded first: a byte-order mark, else the encoding named in the XML
//! declaration (any label `encoding_rs` knows: ISO-8859-1, GB18030, Shift_JIS, UTF-16…),
//! else UTF-8 (XML 1.0 §4.3.3). Namespace prefixes are resolved against the declarations in
//! scope; elements keep their local name and namespace URI (`cap:alert` is `alert` in
//! `urn:oasis:names:tc:emergency:cap:1.2`).

use std::borrow::Cow;

use encoding_rs::Encoding;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::reason::{Reason, ReasonCode};

/// Largest alert document accepted, in bytes (1 MiB). CAP messages are a few KiB; audio
/// travels by reference (`uri`) or in `derefUri`, which this bound also limits.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Deepest element nesting accepted (CAP needs 4, an EBD 5, a signed alert 6).
pub(crate) const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 20_000;

/// One element: local name, attributes (qualified keys), trimmed text, children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name, without prefix.
    pub name: String,
    /// Namespace URI in scope for this element, when declared on it or its ancestors.
    pub namespace: Option<String>,
    /// Attributes as written (`xmlns:cap`, `lang`, …) with decoded values.
    pub attributes: Vec<(String, String)>,
    /// The namespace URI of each attribute, in the order of `attributes`: `None` for an
    /// unprefixed attribute, an undeclared prefix and the `xmlns` declarations themselves.
    pub attribute_namespaces: Vec<Option<String>>,
    /// Concatenated text and CDATA content, trimmed.
    pub text: String,
    /// Whether `text` lost leading or trailing whitespace when trimmed: a value of an XML
    /// Schema type that preserves whitespace (CAP's enumerations) must not have any.
    pub text_padded: bool,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// First child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of the first child with this name, when present and non-empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str()).filter(|t| !t.is_empty())
    }

    /// Attribute value by local name (prefix ignored).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k.rsplit(':').next() == Some(name) && !k.starts_with("xmlns"))
            .map(|(_, v)| v.as_str())
    }
}

/// Refuses oversized input and any document type declaration, before any parsing.
///
/// # Errors
/// A [`ReasonCode::TooLarge`] or [`ReasonCode::DoctypeForbidden`] reason.
pub fn precheck(bytes: &[u8]) -> Result<(), Reason> {
    precheck_size(bytes)?;
    refuse_declarations(bytes)
}

fn refuse_declarations(bytes: &[u8]) -> Result<(), Reason> {
    for needle in [&b"<!doctype"[..], b"<!entity", b"<!element", b"<!attlist"] {
        if contains_ignore_case(bytes, needle) {
            return Err(Reason::new(
                ReasonCode::DoctypeForbidden,
                "DOCTYPE, DTD and entity declarations are not accepted in alert documents",
                "/",
            ));
        }
    }
    Ok(())
}

/// Refuses input over [`MAX_DOCUMENT_BYTES`].
///
/// # Errors
/// A [`ReasonCode::TooLarge`] reason.
pub fn precheck_size(bytes: &[u8]) -> Result<(), Reason> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(Reason::new(
            ReasonCode::TooLarge,
            format!("document is {} bytes; the limit is {MAX_DOCUMENT_BYTES}", bytes.len()),
            "/",
        ));
    }
    Ok(())
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Decodes a document to text: by its byte-order mark, else by the encoding its XML
/// declaration names, else as UTF-8.
///
/// # Errors
/// A [`ReasonCode::Malformed`] reason naming the encoding when it is unknown, contradicts
/// the bytes, or the bytes are not valid in it.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, Reason> {
    let malformed = |msg: String| Reason::new(ReasonCode::Malformed, msg, "/");
    let (encoding, body) = if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        (encoding, &bytes[bom..])
    } else if bytes.starts_with(b"<\0?\0") {
        (encoding_rs::UTF_16LE, bytes)
    } else if bytes.starts_with(b"\0<\0?") {
        (encoding_rs::UTF_16BE, bytes)
    } else {
        match declared_encoding(bytes) {
            None => (encoding_rs::UTF_8, bytes),
            Some(label) => {
                let encoding = Encoding::for_label(label.as_bytes())
                    .filter(|e| *e != encoding_rs::REPLACEMENT)
                    .ok_or_else(|| malformed(format!("the declared encoding {label:?} is not supported")))?;
                if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                    return Err(malformed(format!(
                        "the document declares {label:?} but is not UTF-16 (no byte-order mark, one byte a character)"
                    )));
                }
                (encoding, bytes)
            }
        }
    };
    encoding
        .decode_without_bom_handling_and_without_replacement(body)
        .ok_or_else(|| malformed(format!("document is not valid {}", encoding.name())))
}

/// The `encoding` pseudo-attribute of an ASCII-compatible XML declaration.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let decl = head.strip_prefix(b"<?xml")?;
    if !decl.first().is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let end = decl.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&decl[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// Parses a whole document into its root element.
///
/// # Errors
/// One reason: too large, DOCTYPE present, undecodable, or not well-formed.
pub fn parse(bytes: &[u8]) -> Result<Element, Reason> {
    precheck_size(bytes)?;
    let text = decode(bytes)?;
    refuse_declarations(text.as_bytes())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    // Namespace declarations in scope: (prefix, URI), `""` for the default namespace.
    let mut scopes: Vec<Vec<(String, String)>> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let malformed = |pos: u64, msg: String| {
        Reason::new(ReasonCode::Malformed, format!("not well-formed XML at byte {pos}: {msg}"), "/")
    };
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|e| malformed(pos, e.to_string()))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(malformed(pos, "content after the root element".into()));
            }
            Event::Start(start) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(malformed(pos, "nesting or element count too large".into()));
                }
                let (el, declared) = open(&start, &scopes).map_err(|m| malformed(pos, m))?;
                stack.push(el);
                scopes.push(declared);
            }
            Event::Empty(start) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(malformed(pos, "too many elements".into()));
                }
                let (el, _) = open(&start, &scopes).map_err(|m| malformed(pos, m))?;
                close(el, &mut stack, &mut root);
            }
            Event::End(_) => match stack.pop() {
                Some(mut el) => {
                    scopes.pop();
                    let trimmed = el.text.trim();
                    if trimmed.len() != el.text.len() {
                        el.text_padded = true;
                        el.text = trimmed.to_string();
                    }
                    close(el, &mut stack, &mut root);
                }
                None => return Err(malformed(pos, "unexpected end tag".into())),
            },
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| malformed(pos, e.to_string()))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(malformed(pos, "text outside the root element".into())),
                }
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(&c).map_err(|e| malformed(pos, e.to_string()))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(s),
                    None => return Err(malformed(pos, "CDATA outside the root element".into())),
                }
            }
            Event::DocType(_) => {
                return Err(Reason::new(
                    ReasonCode::DoctypeForbidden,
                    "DOCTYPE declarations are not accepted in alert documents",
                    "/",
                ))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed(reader.buffer_position(), "document ends inside an element".into()));
    }
    root.ok_or_else(|| malformed(0, "no root element".into()))
}

/// The element `start` opens, and the namespace declarations it makes.
fn open(start: &BytesStart<'_>, scopes: &[Vec<(String, String)>]) -> Result<(Element, Vec<(String, String)>), String> {
    let qname = std::str::from_utf8(start.name().as_ref()).map_err(|e| e.to_string())?.to_string();
    let mut attributes = Vec::new();
    let mut declared = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = std::str::from_utf8(attr.key.as_ref()).map_err(|e| e.to_string())?.to_string();
        let value = attr.unescape_value().map_err(|e| e.to_string())?.into_owned();
        if key == "xmlns" {
            declared.push((String::new(), value.clone()));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            declared.push((prefix.to_string(), value.clone()));
        }
        attributes.push((key, value));
    }
    let resolve = |prefix: &str| -> Option<String> {
        if prefix == "xml" {
            return Some("http://www.w3.org/XML/1998/namespace".to_string());
        }
        declared
            .iter()
            .rev()
            .chain(scopes.iter().rev().flat_map(|s| s.iter().rev()))
            .find(|(p, _)| p == prefix)
            .map(|(_, uri)| uri.clone())
            .filter(|uri| !uri.is_empty())
    };
    let (namespace, name) = match qname.split_once(':') {
        Some((p, l)) => (resolve(p), l.to_string()),
        None => (resolve(""), qname),
    };
    let attribute_namespaces = attributes
        .iter()
        .map(|(k, _)| match k.split_once(':') {
            Some(("xmlns", _)) | None => None,
            Some((p, _)) => resolve(p),
        })
        .collect();
    let el = Element {
        name,
        namespace,
        attributes,
        attribute_namespaces,
        text: String::new(),
        text_padded: false,
        children: Vec::new(),
    };
    Ok((el, declared))
}

fn close(el: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_elements_with_namespace() {
        let doc = br#"<?xml version="1.0"?><cap:alert xmlns:cap="urn:x"><cap:id> a &amp; b </cap:id><x/></cap:alert>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "alert");
        assert_eq!(root.namespace.as_deref(), Some("urn:x"));
        assert_eq!(root.child_text("id"), Some("a & b"));
        assert_eq!(root.child("id").unwrap().namespace.as_deref(), Some("urn:x"));
        assert!(root.child("x").is_some());
    }

    #[test]
    fn refuses_doctype_even_in_lower_case() {
        let r = parse(b"<!doctype a><a/>").unwrap_err();
        assert_eq!(r.code, ReasonCode::DoctypeForbidden);
    }

    #[test]
    fn refuses_unknown_entities() {
        let r = parse(b"<a>&ext;</a>").unwrap_err();
        assert_eq!(r.code, ReasonCode::Malformed);
    }

    #[test]
    fn refuses_unclosed_and_mismatched_and_two_roots() {
        for doc in [&b"<a><b></a>"[..], b"<a><b>", b"<a/><b/>", b"", b"text"] {
            assert_eq!(parse(doc).unwrap_err().code, ReasonCode::Malformed, "{doc:?}");
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        let doc = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert_eq!(parse(doc.as_bytes()).unwrap_err().code, ReasonCode::Malformed);
    }

    #[test]
    fn refuses_oversized_input_unread() {
        let doc = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert_eq!(parse(&doc).unwrap_err().code, ReasonCode::TooLarge);
    }

    #[test]
    fn decodes_the_declared_encoding_and_byte_order_marks() {
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>Usulut\xe1n</a>";
        assert_eq!(parse(latin1).unwrap().text, "Usulután");
        let gbk = b"<?xml version=\"1.0\" encoding=\"GB18030\"?><a>\xc3\xd7\xd2\xd7</a>";
        assert_eq!(parse(gbk).unwrap().text, "米易");
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        utf16.extend("<a>米易</a>".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(parse(&utf16).unwrap().text, "米易");
        assert_eq!(parse("\u{feff}<a>x</a>".as_bytes()).unwrap().text, "x");
    }

    #[test]
    fn refuses_unknown_or_contradicted_encodings_and_bad_bytes() {
        for doc in [
            &b"<?xml version='1.0' encoding='x-nonsense'?><a/>"[..],
            b"<?xml version='1.0' encoding='UTF-16'?><a/>",
            b"<?xml version='1.0' encoding='UTF-8'?><a>\xe1</a>",
            b"<a>\xe1</a>",
        ] {
            assert_eq!(parse(doc).unwrap_err().code, ReasonCode::Malformed, "{doc:?}");
        }
    }

    #[test]
    fn refuses_a_doctype_in_utf16() {
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        utf16.extend("<!DOCTYPE a><a/>".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(parse(&utf16).unwrap_err().code, ReasonCode::DoctypeForbidden);
    }

    #[test]
    fn resolves_namespaces_by_scope_not_by_parent() {
        let doc = br#"<c:alert xmlns:c="urn:c" xmlns:xsi="urn:xsi"><id xsi:type="t"/><d xmlns="urn:d"><e/></d><c:f/></c:alert>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.namespace.as_deref(), Some("urn:c"));
        assert_eq!(root.children[0].namespace, None, "unprefixed, no default namespace");
        assert_eq!(root.children[0].attribute_namespaces, [Some("urn:xsi".to_string())]);
        assert_eq!(root.children[1].children[0].namespace.as_deref(), Some("urn:d"));
        assert_eq!(root.children[2].namespace.as_deref(), Some("urn:c"));
    }

    #[test]
    fn marks_text_that_was_trimmed() {
        let root = parse(b"<a><b> x </b><c>y</c></a>").unwrap();
        assert!(root.children[0].text_padded && !root.children[1].text_padded);
        assert_eq!(root.children[0].text, "x");
    }
}
