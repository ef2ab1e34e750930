//! Object keys: relative, slash-separated paths with no way out of the storage root.

use std::fmt;

/// A validated object key such as `workspace/3f…/attachments/report.pdf`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object key: {0}")]
pub struct InvalidKey(&'static str);

impl ObjectKey {
    pub fn parse(text: &str) -> Result<ObjectKey, InvalidKey> {
        if text.is_empty() || text.len() > 1024 {
            return Err(InvalidKey("must be 1 to 1024 bytes long"));
        }
        if text.starts_with('/') || text.ends_with('/') {
            return Err(InvalidKey("must not start or end with a slash"));
        }
        for segment in text.split('/') {
            if segment.is_empty() || segment == "." || segment == ".." {
                return Err(InvalidKey("must not contain empty, '.' or '..' segments"));
            }
            // A file name's limit on every file system the fs backend runs on.
            if segment.len() > 255 {
                return Err(InvalidKey("must not have a segment over 255 bytes"));
            }
        }
        if text.split('/').next() == Some(super::PARTIAL_DIR) {
            return Err(InvalidKey(
                "must not start with the folder of writes under way",
            ));
        }
        if text.chars().any(|c| c.is_control() || c == '\\') {
            return Err(InvalidKey(
                "must not contain control characters or backslashes",
            ));
        }
        Ok(ObjectKey(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_root() {
        assert!(ObjectKey::parse("a/b/c.txt").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            ".partial/avatar.png.1a2b",
            "a/../b",
            "..",
            "a//b",
            "a/",
            "./a",
            "a\\b",
            "a\nb",
        ] {
            assert!(ObjectKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ObjectKey::parse(&format!("a/{}", "b".repeat(255))).is_ok());
        assert!(ObjectKey::parse(&format!("a/{}", "b".repeat(256))).is_err());
    }
}
