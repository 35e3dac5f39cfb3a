//! GitHub App authentication: a JWT signed with the App's private key (RS256) buys an
//! installation token, which is used until five minutes before it expires and then
//! replaced. The token request is not recorded in the locker: its response *is* a
//! credential.

use std::path::Path;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::auth::{AuthError, Secret, TokenSource};
use super::time::{BoxFuture, Clock};
use crate::model::Timestamp;

/// Refresh an installation token this long before it expires.
pub const REFRESH_BEFORE_SECS: i64 = 5 * 60;

/// A GitHub App installation's token, minted and refreshed as needed.
pub struct AppToken {
    source_name: String,
    app_id: u64,
    installation_id: u64,
    key: RsaKeyPair,
    api_url: String,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    current: Mutex<Option<(Secret, Timestamp)>>,
}

impl AppToken {
    pub fn new(
        source_name: &str,
        app_id: u64,
        installation_id: u64,
        private_key_file: &Path,
        api_url: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<AppToken, AuthError> {
        let error = |message: String| AuthError::App {
            source_name: source_name.to_string(),
            message,
        };
        let pem = std::fs::read_to_string(private_key_file).map_err(|e| {
            error(format!(
                "cannot read the App's private key {}: {e}",
                private_key_file.display()
            ))
        })?;
        let key = parse_private_key(&pem)
            .map_err(|m| error(format!("{}: {m}", private_key_file.display())))?;
        super::http::install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(concat!("changeproof/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| error(format!("cannot set up the HTTP client: {e}")))?;
        Ok(AppToken {
            source_name: source_name.to_string(),
            app_id,
            installation_id,
            key,
            api_url: api_url.trim_end_matches('/').to_string(),
            client,
            clock,
            current: Mutex::new(None),
        })
    }

    fn error(&self, message: String) -> AuthError {
        AuthError::App {
            source_name: self.source_name.clone(),
            message,
        }
    }

    /// The App's JWT: issued a minute in the past (clock drift), valid nine minutes.
    pub fn jwt(&self) -> Result<String, AuthError> {
        let now = self.clock.now().timestamp();
        let header = b64url(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = json!({"iat": now - 60, "exp": now + 9 * 60, "iss": self.app_id.to_string()});
        let claims = b64url(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{claims}");
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| self.error("signing the App's JWT failed".into()))?;
        Ok(format!("{signing_input}.{}", b64url(&signature)))
    }

    async fn mint(&self) -> Result<(Secret, Timestamp), AuthError> {
        let url = format!(
            "{}/app/installations/{}/access_tokens",
            self.api_url, self.installation_id
        );
        let mut auth =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.jwt()?))
                .map_err(|_| self.error("the App's JWT is not a valid header value".into()))?;
        auth.set_sensitive(true);
        let response = self
            .client
            .post(&url)
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", super::http::API_VERSION)
            .send()
            .await
            .map_err(|e| self.error(format!("POST {url}: {}", e.without_url())))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.error(format!("POST {url}: HTTP {status}: {}", e.without_url())))?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
            self.error(format!(
                "POST {url}: HTTP {status}: the response is not JSON: {e}"
            ))
        })?;
        if status != 201 && status != 200 {
            let message = body.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(self.error(format!(
                "POST {url} returned HTTP {status}: {message}; check the App id, the installation id and the private key"
            )));
        }
        let token = body
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| self.error(format!("POST {url}: the response carries no `token`")))?;
        let expires = body
            .get("expires_at")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            // GitHub's installation tokens last an hour.
            .unwrap_or_else(|| self.clock.now() + chrono::Duration::hours(1));
        Ok((Secret::new(token.to_string()), expires))
    }
}

impl TokenSource for AppToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            let fresh = current.as_ref().is_some_and(|(_, expires)| {
                *expires - self.clock.now() > chrono::Duration::seconds(REFRESH_BEFORE_SECS)
            });
            if !fresh {
                *current = Some(self.mint().await?);
            }
            Ok(current
                .as_ref()
                .map(|(s, _)| s.clone())
                .unwrap_or_else(|| Secret::new(String::new())))
        })
    }

    fn invalidate(&self) {
        // Busy means another request is minting a new token right now.
        if let Ok(mut current) = self.current.try_lock() {
            *current = None;
        }
    }
}

/// The private key of a PEM file: PKCS#1 (`BEGIN RSA PRIVATE KEY`, as GitHub issues
/// them) or PKCS#8 (`BEGIN PRIVATE KEY`).
pub fn parse_private_key(pem: &str) -> Result<RsaKeyPair, String> {
    for (label, pkcs8) in [("RSA PRIVATE KEY", false), ("PRIVATE KEY", true)] {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let Some(start) = pem.find(&begin) else {
            continue;
        };
        let body = &pem[start + begin.len()..];
        let Some(stop) = body.find(&end) else {
            return Err(format!("no `{end}` line"));
        };
        let der = b64_decode(&body[..stop]).ok_or("the key is not valid base64")?;
        let key = if pkcs8 {
            RsaKeyPair::from_pkcs8(&der)
        } else {
            RsaKeyPair::from_der(&der)
        };
        return key.map_err(|e| format!("not a usable RSA private key: {e}"));
    }
    Err("not a PEM RSA private key (expected `-----BEGIN RSA PRIVATE KEY-----`, as GitHub issues App keys)".into())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64url without padding (JWT).
pub fn b64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            let c = B64[((n >> (18 - 6 * i)) & 63) as usize];
            out.push(match c {
                b'+' => '-',
                b'/' => '_',
                c => c as char,
            });
        }
    }
    out
}

/// Standard or url-safe base64, whitespace and padding ignored.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in [
            "",
            "f",
            "fo",
            "foo",
            "foob",
            "fooba",
            "foobar",
            "\u{ff}\u{fe}?>",
        ] {
            let encoded = b64url(text.as_bytes());
            assert!(!encoded.contains('='));
            assert_eq!(b64_decode(&encoded).unwrap(), text.as_bytes());
        }
        assert_eq!(b64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(b64_decode("Zm9v\nYg==").unwrap(), b"foob");
        assert!(b64_decode("Zm9v*").is_none());
    }

    #[test]
    fn keys_that_are_not_rsa_pem_are_named() {
        assert!(
            parse_private_key("hello")
                .unwrap_err()
                .contains("BEGIN RSA PRIVATE KEY")
        );
        let cut = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n";
        assert!(parse_private_key(cut).unwrap_err().contains("END"));
        let junk = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(
            parse_private_key(junk)
                .unwrap_err()
                .contains("not a usable")
        );
    }
}
