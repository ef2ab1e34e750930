//! Email addresses: trimmed, lower-cased (as Plane stores them) and checked by lettre's parser.

use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter a valid email address.")]
pub struct InvalidEmail;

impl Email {
    pub fn parse(text: &str) -> Result<Email, InvalidEmail> {
        let normalised = text.trim().to_lowercase();
        if normalised.len() > 254 {
            return Err(InvalidEmail);
        }
        lettre::Address::from_str(&normalised).map_err(|_| InvalidEmail)?;
        Ok(Email(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit('@').next().unwrap_or("")
    }

    /// The part before `@`, used as a default display name.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or("")
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let e = Email::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "alice@example.com");
        assert_eq!(e.domain(), "example.com");
        assert_eq!(e.local_part(), "alice");
        for bad in ["", "alice", "@example.com", "alice@", "a b@example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
