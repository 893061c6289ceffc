//! XML canonicalisation for XML-DSig: Canonical XML 1.0 (inclusive) and Exclusive XML
//! Canonicalization 1.0, both without comments (W3C REC-xml-c14n-20010315, xml-exc-c14n).
//!
//! Works on its own faithful tree (text kept byte-exact after XML line-end and
//! attribute-value normalisation), not on the trimmed tree of `xml`. Input must have passed
//! `xml::precheck` (no DTD), so only predefined entities and character references occur.
//! Not handled: inheritance of `xml:*` attributes into an inclusive-c14n subtree apex.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A node of the faithful tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(El),
    Text(String),
    Pi { target: String, data: String },
}

/// An element: qualified name, attributes (namespace declarations included) and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct El {
    pub(crate) qname: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
}

/// A parsed document: PIs before the root, the root, PIs after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Doc {
    pub(crate) before: Vec<Node>,
    pub(crate) root: El,
    pub(crate) after: Vec<Node>,
}

/// Which canonicalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    Inclusive,
    /// With the `InclusiveNamespaces PrefixList` (`#default` written as "").
    Exclusive(Vec<String>),
}

/// In-scope namespace bindings, innermost last.
pub(crate) type Scope = Vec<(String, String)>;

impl El {
    pub(crate) fn prefix(&self) -> &str {
        self.qname.split_once(':').map_or("", |(p, _)| p)
    }

    pub(crate) fn local(&self) -> &str {
        self.qname.split_once(':').map_or(self.qname.as_str(), |(_, l)| l)
    }

    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn elements(&self) -> impl Iterator<Item = &El> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    pub(crate) fn child(&self, local: &str) -> Option<&El> {
        self.elements().find(|e| e.local() == local)
    }

    /// Concatenated text content of direct text children.
    pub(crate) fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    fn declarations(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs.iter().filter_map(|(k, v)| {
            if k == "xmlns" {
                Some(("", v.as_str()))
            } else {
                k.strip_prefix("xmlns:").map(|p| (p, v.as_str()))
            }
        })
    }

    /// `scope` extended with this element's declarations.
    pub(crate) fn scope(&self, parent: &Scope) -> Scope {
        let mut s = parent.clone();
        s.extend(self.declarations().map(|(p, u)| (p.to_string(), u.to_string())));
        s
    }
}

pub(crate) fn lookup<'a>(scope: &'a Scope, prefix: &str) -> Option<&'a str> {
    scope.iter().rev().find(|(p, _)| p == prefix).map(|(_, u)| u.as_str())
}

fn normalise_line_ends(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn utf8(b: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|e| e.to_string())
}

/// Parses a document for canonicalisation.
///
/// # Errors
/// A message when the document is not well-formed.
pub(crate) fn parse(text: &str) -> Result<Doc, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    let (mut before, mut after) = (Vec::new(), Vec::new());
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(s) => {
                // Bounded because writing and dropping the tree recurse.
                if stack.len() >= super::xml::MAX_DEPTH {
                    return Err("elements nested too deeply".into());
                }
                stack.push(open(&s)?);
            }
            Event::Empty(s) => {
                let el = open(&s)?;
                attach(Node::Element(el), &mut stack, &mut root)?;
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unexpected end tag")?;
                attach(Node::Element(el), &mut stack, &mut root)?;
            }
            Event::Text(t) => {
                let raw = normalise_line_ends(utf8(&t)?);
                let s = quick_xml::escape::unescape(&raw).map_err(|e| e.to_string())?;
                if let Some(el) = stack.last_mut() {
                    push_text(el, &s);
                }
            }
            Event::CData(c) => {
                let s = normalise_line_ends(utf8(&c)?);
                let el = stack.last_mut().ok_or("CDATA outside the root")?;
                push_text(el, &s);
            }
            Event::PI(pi) => {
                let node = Node::Pi {
                    target: utf8(pi.target())?.to_string(),
                    data: normalise_line_ends(utf8(pi.content())?.trim_start()),
                };
                match (stack.last_mut(), &root) {
                    (Some(el), _) => el.children.push(node),
                    (None, None) => before.push(node),
                    (None, Some(_)) => after.push(node),
                }
            }
            Event::DocType(_) => return Err("DOCTYPE not accepted".into()),
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("document ends inside an element".into());
    }
    let root = root.ok_or("no root element")?;
    Ok(Doc { before, root, after })
}

fn push_text(el: &mut El, s: &str) {
    if let Some(Node::Text(t)) = el.children.last_mut() {
        t.push_str(s);
    } else if !s.is_empty() {
        el.children.push(Node::Text(s.to_string()));
    }
}

fn open(s: &BytesStart<'_>) -> Result<El, String> {
    let qname = utf8(s.name().as_ref())?.to_string();
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = utf8(a.key.as_ref())?.to_string();
        // Attribute-value normalisation (XML 1.0 §3.3.3) for CDATA attributes.
        let raw = normalise_line_ends(utf8(&a.value)?).replace(['\t', '\n'], " ");
        let value = quick_xml::escape::unescape(&raw).map_err(|e| e.to_string())?.into_owned();
        attrs.push((key, value));
    }
    Ok(El { qname, attrs, children: Vec::new() })
}

fn attach(node: Node, stack: &mut [El], root: &mut Option<El>) -> Result<(), String> {
    match (stack.last_mut(), node) {
        (Some(parent), node) => parent.children.push(node),
        (None, Node::Element(el)) if root.is_none() => *root = Some(el),
        (None, _) => return Err("more than one root element".into()),
    }
    Ok(())
}

/// Canonical form of the whole document, leaving out `omit` (the enveloped signature).
pub(crate) fn document(doc: &Doc, mode: &Mode, omit: Option<&El>) -> String {
    let mut out = String::new();
    for pi in &doc.before {
        write_node(pi, &Scope::new(), &Scope::new(), mode, omit, &mut out);
        out.push('\n');
    }
    write_el(&doc.root, &Scope::new(), &Scope::new(), mode, omit, &mut out);
    for pi in &doc.after {
        out.push('\n');
        write_node(pi, &Scope::new(), &Scope::new(), mode, omit, &mut out);
    }
    out
}

/// Canonical form of the subtree rooted at `apex`, whose ancestors bind `scope`.
pub(crate) fn subtree(apex: &El, scope: &Scope, mode: &Mode) -> String {
    let mut out = String::new();
    write_el(apex, scope, &Scope::new(), mode, None, &mut out);
    out
}

fn write_node(n: &Node, scope: &Scope, rendered: &Scope, mode: &Mode, omit: Option<&El>, out: &mut String) {
    match n {
        Node::Element(e) => {
            if !omit.is_some_and(|o| std::ptr::eq(o, e)) {
                write_el(e, scope, rendered, mode, omit, out);
            }
        }
        Node::Text(t) => escape_text(t, out),
        Node::Pi { target, data } => {
            out.push_str("<?");
            out.push_str(target);
            if !data.is_empty() {
                out.push(' ');
                out.push_str(data);
            }
            out.push_str("?>");
        }
    }
}

fn write_el(el: &El, parent_scope: &Scope, rendered: &Scope, mode: &Mode, omit: Option<&El>, out: &mut String) {
    let scope = el.scope(parent_scope);
    let mut candidates: Vec<String> = match mode {
        Mode::Inclusive => scope.iter().map(|(p, _)| p.clone()).collect(),
        Mode::Exclusive(list) => {
            let mut c = vec![el.prefix().to_string()];
            c.extend(
                el.attrs
                    .iter()
                    .filter(|(k, _)| k != "xmlns" && !k.starts_with("xmlns:"))
                    .filter_map(|(k, _)| k.split_once(':').map(|(p, _)| p.to_string())),
            );
            c.extend(list.iter().filter(|p| lookup(&scope, p).is_some()).cloned());
            c
        }
    };
    candidates.sort();
    candidates.dedup();
    let mut now_rendered = rendered.clone();
    let mut decls: Vec<(String, String)> = Vec::new();
    for p in candidates.into_iter().filter(|p| p != "xml") {
        let uri = lookup(&scope, &p).unwrap_or("");
        let before = lookup(rendered, &p);
        let render = if p.is_empty() {
            if uri.is_empty() {
                before.is_some_and(|b| !b.is_empty())
            } else {
                before != Some(uri)
            }
        } else {
            !uri.is_empty() && before != Some(uri)
        };
        if render {
            now_rendered.push((p.clone(), uri.to_string()));
            decls.push((p, uri.to_string()));
        }
    }
    let mut attrs: Vec<(&str, &str, &str, &str)> = el
        .attrs
        .iter()
        .filter(|(k, _)| k != "xmlns" && !k.starts_with("xmlns:"))
        .map(|(k, v)| {
            let (ns, local) = match k.split_once(':') {
                Some(("xml", l)) => ("http://www.w3.org/XML/1998/namespace", l),
                Some((p, l)) => (lookup(&scope, p).unwrap_or(""), l),
                None => ("", k.as_str()),
            };
            (ns, local, k.as_str(), v.as_str())
        })
        .collect();
    attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    out.push('<');
    out.push_str(&el.qname);
    for (p, uri) in &decls {
        out.push_str(if p.is_empty() { " xmlns" } else { " xmlns:" });
        out.push_str(p);
        out.push_str("=\"");
        escape_attr(uri, out);
        out.push('"');
    }
    for (_, _, qname, value) in attrs {
        out.push(' ');
        out.push_str(qname);
        out.push_str("=\"");
        escape_attr(value, out);
        out.push('"');
    }
    out.push('>');
    for child in &el.children {
        write_node(child, &scope, &now_rendered, mode, omit, out);
    }
    out.push_str("</");
    out.push_str(&el.qname);
    out.push('>');
}

fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(doc: &str, mode: &Mode) -> String {
        document(&parse(doc).unwrap(), mode, None)
    }

    // Cases from W3C Canonical XML 1.0 §3 examples, reduced.
    #[test]
    fn normalises_empty_elements_attributes_and_text() {
        let doc = "<?xml version=\"1.0\"?>\r\n<!-- c --><doc><e1   /><e2 b=\"2\"   a='1'>A &amp; &#x3C; &gt;\r\nB<![CDATA[<x>&]]></e2><e3 v=\"x&#9;y\nz\"/></doc>\n<?pi  data ?>";
        assert_eq!(
            c14n(doc, &Mode::Inclusive),
            "<doc><e1></e1><e2 a=\"1\" b=\"2\">A &amp; &lt; &gt;\nB&lt;x&gt;&amp;</e2><e3 v=\"x&#x9;y z\"></e3></doc>\n<?pi data ?>"
        );
    }

    #[test]
    fn exclusive_renders_only_visibly_used_namespaces() {
        let doc = r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns="urn:d"><a:x b:at="1" at="2"><y/></a:x></a:r>"#;
        assert_eq!(
            c14n(doc, &Mode::Exclusive(Vec::new())),
            r#"<a:r xmlns:a="urn:a"><a:x xmlns:b="urn:b" at="2" b:at="1"><y xmlns="urn:d"></y></a:x></a:r>"#
        );
        assert_eq!(
            c14n(doc, &Mode::Inclusive),
            r#"<a:r xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b"><a:x at="2" b:at="1"><y></y></a:x></a:r>"#
        );
    }

    #[test]
    fn default_namespace_is_undeclared_when_needed() {
        let doc = r#"<r xmlns="urn:d"><s xmlns=""/></r>"#;
        assert_eq!(c14n(doc, &Mode::Exclusive(Vec::new())), r#"<r xmlns="urn:d"><s xmlns=""></s></r>"#);
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed() {
        let doc = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        assert!(parse(&doc).is_err());
    }

    #[test]
    fn subtree_apex_gets_its_inherited_namespaces() {
        let d = parse(r#"<r xmlns="urn:d" xmlns:p="urn:p"><s><t p:a="1"/></s></r>"#).unwrap();
        let s = d.root.child("s").unwrap();
        let scope = d.root.scope(&Scope::new());
        assert_eq!(
            subtree(s, &scope, &Mode::Exclusive(Vec::new())),
            r#"<s xmlns="urn:d"><t xmlns:p="urn:p" p:a="1"></t></s>"#
        );
        assert_eq!(subtree(s, &scope, &Mode::Inclusive), r#"<s xmlns="urn:d" xmlns:p="urn:p"><t p:a="1"></t></s>"#);
    }
}
