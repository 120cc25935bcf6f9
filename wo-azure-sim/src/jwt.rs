//! JSON Web Tokens as the identity stand-ins issue them: `header.payload.signature`, each part
//! base64url without padding, signed with HMAC-SHA256 (`alg: HS256`).
//!
//! GitHub's OIDC service and Entra ID sign with RS256 and publish their public keys (JWKS);
//! a verifier fetches those keys by the token's `kid`. Here issuer and verifier run in one
//! process and the verifier is handed the issuer's [`SigningKey`] directly, so a shared secret
//! proves the same thing RS256 proves in production: the token came from that issuer and was
//! not changed. Clients never verify these tokens (an access token is opaque to its client;
//! a client assertion is for Entra to check), so the algorithm is invisible to wo.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A key that signs and verifies the tokens of one issuer (HMAC-SHA256). Its secret never
/// appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    kid: String,
    secret: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JwtError {
    /// Not three base64url parts of JSON.
    Malformed,
    /// Another algorithm or key id than this key's.
    WrongKey,
    /// The signature does not match.
    BadSignature,
}

impl SigningKey {
    /// A fresh random key named `kid`.
    pub fn generate(kid: &str) -> Self {
        let seed = format!(
            "{}{}{}",
            wo_http::new_request_id(),
            wo_http::new_request_id(),
            kid
        );
        Self {
            kid: kid.to_string(),
            secret: Sha256::digest(seed.as_bytes()).to_vec(),
        }
    }

    /// The key id the tokens' headers carry.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// `claims` signed: a compact JWT.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = hmac_sha256(&self.secret, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The claims of `jwt` when this key signed it. Times are not checked here: each verifier
    /// reads `nbf`/`exp` against its own clock and answers in its own words.
    pub(crate) fn verify(&self, jwt: &str) -> Result<Value, JwtError> {
        let (header, claims) = decode(jwt).ok_or(JwtError::Malformed)?;
        if header["alg"] != "HS256" || header["kid"] != self.kid.as_str() {
            return Err(JwtError::WrongKey);
        }
        let (signing_input, signature) = jwt.rsplit_once('.').ok_or(JwtError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed)?;
        if signature != hmac_sha256(&self.secret, signing_input.as_bytes()) {
            return Err(JwtError::BadSignature);
        }
        Ok(claims)
    }
}

/// The header and claims of a compact JWT, unverified.
pub(crate) fn decode(jwt: &str) -> Option<(Value, Value)> {
    let mut parts = jwt.trim().split('.');
    let (header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let json = |part: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
        serde_json::from_slice::<Value>(&bytes)
            .ok()
            .filter(Value::is_object)
    };
    Some((json(header)?, json(claims)?))
}

/// HMAC (RFC 2104) over SHA-256.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signed_token_verifies_with_its_key_only_and_unchanged() {
        let key = SigningKey::generate("k1");
        let jwt = key.sign(&json!({"sub": "repo:acme/shop:environment:dev"}));
        assert_eq!(jwt.split('.').count(), 3);
        assert_eq!(
            key.verify(&jwt).unwrap()["sub"],
            "repo:acme/shop:environment:dev"
        );
        assert_eq!(
            SigningKey::generate("k1").verify(&jwt),
            Err(JwtError::BadSignature)
        );
        assert_eq!(
            SigningKey::generate("k2").verify(&jwt),
            Err(JwtError::WrongKey)
        );
        let (h, _, s) = (
            jwt.split('.').next().unwrap(),
            (),
            jwt.rsplit('.').next().unwrap(),
        );
        let forged = format!(
            "{h}.{}.{s}",
            URL_SAFE_NO_PAD.encode(json!({"sub": "repo:acme/shop:environment:prod"}).to_string())
        );
        assert_eq!(key.verify(&forged), Err(JwtError::BadSignature));
        assert_eq!(key.verify("not-a-jwt"), Err(JwtError::Malformed));
        assert!(!format!("{key:?}").contains("secret"), "{key:?}");
    }
}
