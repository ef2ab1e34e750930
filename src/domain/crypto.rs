//! Encryption of secrets kept in the database (SMTP password, OAuth client secrets): AES-256-GCM
//! (ring) under a key derived with HKDF-SHA256 from the instance secret. A database dump alone
//! does not reveal them when the instance secret is set in the configuration.

use base64::{Engine, engine::general_purpose::STANDARD};
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    hkdf,
    rand::{SecureRandom, SystemRandom},
};

const PREFIX: &str = "enc:v1:";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the stored secret is not in the expected format")]
    Format,
    #[error("the stored secret cannot be decrypted with this instance secret")]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
}

/// Seals and opens values with a key bound to the instance secret.
pub struct SecretBox {
    key: LessSafeKey,
    rng: SystemRandom,
}

struct KeyLen;

impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        32
    }
}

impl SecretBox {
    pub fn new(instance_secret: &str) -> SecretBox {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"plane-aio");
        let prk = salt.extract(instance_secret.as_bytes());
        let mut bytes = [0u8; 32];
        // HKDF-expand to 32 bytes with a fixed info cannot fail for this length.
        if let Ok(okm) = prk.expand(&[b"instance settings v1"], KeyLen) {
            let _ = okm.fill(&mut bytes);
        }
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
            .unwrap_or_else(|_| unreachable!("32-byte AES key"));
        SecretBox {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    pub fn seal(&self, plaintext: &str) -> Result<String, CryptoError> {
        let mut nonce_bytes = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce_bytes)
            .map_err(|_| CryptoError::Encrypt)?;
        let mut data = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::empty(),
                &mut data,
            )
            .map_err(|_| CryptoError::Encrypt)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> Result<String, CryptoError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or(CryptoError::Format)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| CryptoError::Format)?;
        if bytes.len() < NONCE_LEN {
            return Err(CryptoError::Format);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Format)?;
        let mut data = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CryptoError::Format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_secret() {
        let a = SecretBox::new("secret-a-0123456789abcdef0123456789");
        let sealed = a.seal("smtp password").unwrap();
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("smtp password"));
        assert_ne!(sealed, a.seal("smtp password").unwrap(), "random nonce");
        assert_eq!(a.open(&sealed).unwrap(), "smtp password");
        let b = SecretBox::new("secret-b-0123456789abcdef0123456789");
        assert!(matches!(b.open(&sealed), Err(CryptoError::Decrypt)));
        assert!(matches!(a.open("plain"), Err(CryptoError::Format)));
    }
}
