//! A small owned XML element tree for CloudFront's restXml bodies: parsed with quick-xml, written back
//! verbatim (element names, order and text), so configs echo exactly what the client sent.

use quick_xml::Reader;
use quick_xml::events::Event;

/// The CloudFront API namespace, written on every response root element.
pub const NS: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// An element: local name, text content (for leaves) and child elements. Attributes are dropped
/// (CloudFront bodies carry none besides `xmlns`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct El {
    pub name: String,
    pub text: String,
    pub children: Vec<El>,
}

impl El {
    /// A new empty element.
    pub fn new(name: &str) -> El {
        El {
            name: name.to_string(),
            text: String::new(),
            children: Vec::new(),
        }
    }

    /// A leaf with text.
    pub fn leaf(name: &str, text: impl Into<String>) -> El {
        El {
            name: name.to_string(),
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// Builder: appends a child.
    pub fn with(mut self, child: El) -> El {
        self.children.push(child);
        self
    }

    /// Builder: appends a leaf child.
    pub fn with_leaf(self, name: &str, text: impl Into<String>) -> El {
        self.with(El::leaf(name, text))
    }

    /// Appends a child.
    pub fn push(&mut self, child: El) {
        self.children.push(child);
    }

    /// First child with this name.
    pub fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }

    /// First child with this name, mutable.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut El> {
        self.children.iter_mut().find(|c| c.name == name)
    }

    /// All children with this name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a `/`-separated path of child names.
    pub fn path(&self, path: &str) -> Option<&El> {
        let mut cur = self;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            cur = cur.child(part)?;
        }
        Some(cur)
    }

    /// Text at a path, trimmed; `None` when the element is absent.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.path(path).map(|e| e.text.trim())
    }

    /// Text at a path, or "" when absent.
    pub fn str_at(&self, path: &str) -> &str {
        self.text_at(path).unwrap_or("")
    }

    /// Boolean at a path (`true` / `false`).
    pub fn bool_at(&self, path: &str) -> Option<bool> {
        self.text_at(path).map(|t| t.eq_ignore_ascii_case("true"))
    }

    /// Integer at a path.
    pub fn i64_at(&self, path: &str) -> Option<i64> {
        self.text_at(path).and_then(|t| t.parse().ok())
    }

    /// The children of `<path>/Items` (empty when absent).
    pub fn items(&self, path: &str) -> Vec<&El> {
        match self.path(path).and_then(|e| e.child("Items")) {
            Some(items) => items.children.iter().collect(),
            None => Vec::new(),
        }
    }

    /// Texts of the children of `<path>/Items`.
    pub fn item_texts(&self, path: &str) -> Vec<String> {
        self.items(path)
            .into_iter()
            .map(|e| e.text.trim().to_string())
            .collect()
    }

    /// Sets (or adds) a leaf child's text.
    pub fn set_leaf(&mut self, name: &str, text: impl Into<String>) {
        let text = text.into();
        match self.child_mut(name) {
            Some(c) => {
                c.text = text;
                c.children.clear();
            }
            None => self.children.push(El::leaf(name, text)),
        }
    }

    /// Adds `default` as a child when no child of that name exists.
    pub fn ensure(&mut self, default: El) {
        if self.child(&default.name).is_none() {
            self.children.push(default);
        }
    }

    /// Removes all children with this name.
    pub fn remove(&mut self, name: &str) {
        self.children.retain(|c| c.name != name);
    }

    /// Visits this element and every descendant.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a El)) {
        f(self);
        for c in &self.children {
            c.walk(f);
        }
    }

    /// Serializes as a document with the CloudFront namespace on the root.
    pub fn to_document(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write(&mut out, true);
        out
    }

    /// Serializes this element (no declaration).
    pub fn write(&self, out: &mut String, root: bool) {
        out.push('<');
        out.push_str(&self.name);
        if root {
            out.push_str(" xmlns=\"");
            out.push_str(NS);
            out.push('"');
        }
        out.push('>');
        if self.children.is_empty() {
            out.push_str(&crate::wire::xml_escape(&self.text));
        } else {
            for c in &self.children {
                c.write(out, false);
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// Parses a document into its root element. Whitespace-only text between elements is dropped;
/// leaf text is kept as sent.
pub fn parse(input: &[u8]) -> Result<El, String> {
    let text = std::str::from_utf8(input).map_err(|_| "body is not UTF-8".to_string())?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("malformed XML: {e}"))?;
        match ev {
            Event::Start(s) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                stack.push(El::new(&name));
            }
            Event::Empty(s) => {
                let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                let el = El::new(&name);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => {
                        if root.is_some() {
                            return Err("content after the root element".into());
                        }
                        root = Some(el)
                    }
                }
            }
            Event::End(e) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| "unbalanced end tag".to_string())?;
                if e.local_name().as_ref() != el.name.as_bytes() {
                    return Err(format!("mismatched end tag for <{}>", el.name));
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| format!("malformed XML text: {e}"))?;
                match stack.last_mut() {
                    Some(cur) => cur.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| format!("malformed CDATA: {e}"))?;
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let resolved: String = if r.is_char_ref() {
                    match r
                        .resolve_char_ref()
                        .map_err(|e| format!("bad character reference: {e}"))?
                    {
                        Some(c) => c.to_string(),
                        None => String::new(),
                    }
                } else {
                    let name = r.decode().map_err(|e| format!("bad entity: {e}"))?;
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?
                        .to_string()
                };
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("unexpected end of document".into());
    }
    let mut root = root.ok_or_else(|| "empty document".to_string())?;
    normalize(&mut root);
    Ok(root)
}

/// Drops whitespace-only text of elements that have children.
fn normalize(el: &mut El) {
    if !el.children.is_empty() {
        el.text.clear();
        for c in &mut el.children {
            normalize(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_round_trip() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <CallerReference>a&amp;b &#65;</CallerReference>
  <Aliases><Quantity>0</Quantity></Aliases>
  <Comment/>
</DistributionConfig>"#;
        let el = parse(doc).unwrap();
        assert_eq!(el.name, "DistributionConfig");
        assert_eq!(el.str_at("CallerReference"), "a&b A");
        assert_eq!(el.i64_at("Aliases/Quantity"), Some(0));
        assert_eq!(el.text_at("Comment"), Some(""));
        let out = el.to_document();
        let again = parse(out.as_bytes()).unwrap();
        assert_eq!(el, again);
        assert!(out.contains("<CallerReference>a&amp;b A</CallerReference>"));
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<a>").is_err());
    }
}
