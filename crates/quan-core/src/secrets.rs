//! Secrets Quan hands out (session cookies, API tokens, invite codes) and how they are
//! kept: the holder gets random bytes, the store keeps only a SHA-256 digest, so a
//! leaked database leaks no usable credential. Passwords use argon2id, run on the
//! blocking pool because one hash takes tens of milliseconds of CPU.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use quan_domain::Password;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh URL-safe random secret with `bytes` bytes of entropy and an optional
/// prefix (so a leaked token is recognisable by secret scanners).
pub fn random_secret(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
    )
}

/// The SHA-256 of some bytes, hex (content addresses of uploaded files).
pub fn digest_bytes(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// The digest stored in place of a secret.
pub fn digest(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub async fn hash_password(password: &Password) -> Result<String, HashError> {
    let pw = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HashError::Hash(e.to_string()))
    })
    .await?
}

/// Checks a password against a stored hash. A malformed stored hash is a mismatch,
/// not an error a client could trigger.
pub async fn verify_password(password: &str, stored: &str) -> Result<bool, HashError> {
    let pw = password.to_owned();
    let stored = stored.to_owned();
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await?)
}

/// A valid argon2id hash of a random password, verified against when a login names an
/// unknown account, so that "no such account" and "wrong password" take the same time.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4nWk1RVjD0w7w9W2CkqKq0G0Vn4o6m9T1uMRgkq1Zb0";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let pw = Password::parse("correct horse battery").map_err(|e| e.code);
        let Ok(pw) = pw else { panic!("valid password") };
        let h = hash_password(&pw).await.map_err(|e| e.to_string());
        let Ok(h) = h else { panic!("hash") };
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery", &h)
                .await
                .unwrap_or(false)
        );
        assert!(!verify_password("wrong", &h).await.unwrap_or(true));
        assert!(!verify_password("x", "garbage").await.unwrap_or(true));
    }

    #[test]
    fn secrets_are_random_and_digests_stable() {
        let a = random_secret("quan_", 32);
        assert!(a.starts_with("quan_") && a.len() > 40);
        assert_ne!(a, random_secret("quan_", 32));
        assert_eq!(digest("x"), digest("x"));
        assert_eq!(digest("x").len(), 64);
    }
}
