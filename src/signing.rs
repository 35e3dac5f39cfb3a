//! minisign keys and signatures: `keygen`, signing `manifest.json`, and checking a
//! signature with a public key.
//!
//! Key files, public keys and signatures are in minisign's own formats (the `minisign`
//! crate reads and writes them), so `minisign -Vm manifest.json -p KEY.pub` checks a
//! bundle without changeproof.
//!
//! Signing itself is done here rather than by `minisign::sign`, because that function
//! mixes random noise into every Ed25519 nonce and so never signs the same manifest the
//! same way twice; a bundle must be byte-identical across runs. Plain Ed25519 (RFC 8032)
//! is deterministic and is exactly what minisign verifies: a `ED` signature over the
//! BLAKE2b-512 hash of the file, and a global signature over that signature followed by
//! the trusted comment.
//!
//! Secrets: a `SigningKey` has no `Debug`/`Display` that shows key material, the password
//! is never stored, and nothing here prints or logs either.

use std::fmt;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use blake2::{Blake2b, Blake2b512, Digest, digest::consts::U32};

type Blake2b256 = Blake2b<U32>;

/// The demo key pair, published in the repository (examples/demo-key/). It signs the
/// demo's bundles so they are reproducible and verifiable; it proves nothing about who
/// made a bundle, because anyone can sign with it.
pub const DEMO_SECRET_KEY: &str = include_str!("../examples/demo-key/changeproof-demo.key");
pub const DEMO_PUBLIC_KEY: &str = include_str!("../examples/demo-key/changeproof-demo.pub");

/// minisign's signature algorithm ids: `Ed` for keys, `ED` for signatures over the
/// BLAKE2b-512 hash of the file (the default since minisign 0.8).
const KEY_ALGORITHM: [u8; 2] = *b"Ed";
const PREHASHED_ALGORITHM: [u8; 2] = *b"ED";
/// Layout of a decoded minisign secret key: algorithm ids and KDF parameters, then the
/// 8-byte key number and the 64-byte Ed25519 secret key (seed and public key).
const SECRET_KEYNUM_OFFSET: usize = 2 + 2 + 2 + 32 + 8 + 8;
const SECRET_KEY_OFFSET: usize = SECRET_KEYNUM_OFFSET + 8;
/// minisign refuses trusted comments longer than this (minisign.h).
const TRUSTED_COMMENT_MAX: usize = 8192 - 64 - 1;

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    // The I/O error is part of the message, not a `source`, so `{:#}` does not repeat it.
    #[error("{path}: cannot read the key: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error(
        "{path}: already exists; keygen never overwrites a key — choose another --name or --out"
    )]
    Exists { path: PathBuf },
    #[error("{what}: {message}")]
    BadKey { what: String, message: String },
    #[error(
        "{path}: the secret key is encrypted and no password is available; set CHANGEPROOF_KEY_PASSWORD or run on a terminal to be prompted"
    )]
    PasswordNeeded { path: PathBuf },
    #[error("{path}: cannot decrypt the secret key: {message}")]
    Decrypt { path: PathBuf, message: String },
    #[error("generating a key pair failed: {0}")]
    Generate(String),
    /// The signature file is malformed or was made with another key.
    #[error("{0}")]
    Signature(String),
    /// Well-formed, right key, but the signature does not verify over the data.
    #[error("{0}")]
    Mismatch(String),
}

/// Where the password of an encrypted secret key comes from.
pub enum KeyPassword {
    /// Given by the caller (e.g. from `CHANGEPROOF_KEY_PASSWORD`).
    Given(String),
    /// Asked for on the terminal by minisign's prompt.
    Prompt,
    /// No password can be had (no terminal, no variable): an encrypted key is an error.
    Unavailable,
}

impl fmt::Debug for KeyPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyPassword::Given(_) => "KeyPassword::Given(<redacted>)",
            KeyPassword::Prompt => "KeyPassword::Prompt",
            KeyPassword::Unavailable => "KeyPassword::Unavailable",
        })
    }
}

/// A decrypted minisign secret key, ready to sign.
#[derive(Clone)]
pub struct SigningKey {
    keynum: [u8; 8],
    secret: ed25519_compact::SecretKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey {{ key_id: {} }}", self.key_id())
    }
}

impl SigningKey {
    /// Reads a minisign secret key file; an encrypted key is decrypted with `password`.
    pub fn load(path: &Path, password: KeyPassword) -> Result<SigningKey, SigningError> {
        let text = std::fs::read_to_string(path).map_err(|error| SigningError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        SigningKey::from_text(&text, path, password)
    }

    /// The demo key (unencrypted, public: DEMO ONLY).
    pub fn demo() -> Result<SigningKey, SigningError> {
        SigningKey::from_text(
            DEMO_SECRET_KEY,
            Path::new("examples/demo-key/changeproof-demo.key"),
            KeyPassword::Unavailable,
        )
    }

    /// Parses the text of a secret key file; `path` only names it in errors.
    pub fn from_text(
        text: &str,
        path: &Path,
        password: KeyPassword,
    ) -> Result<SigningKey, SigningError> {
        let bad = |message: &str| SigningError::BadKey {
            what: path.display().to_string(),
            message: format!(
                "{message}; expected a minisign secret key file (`changeproof keygen` or `minisign -G` writes one)"
            ),
        };
        let encoded = text.lines().nth(1).ok_or_else(|| bad("no key line"))?;
        let decoded =
            decode_base64(encoded.trim()).ok_or_else(|| bad("the key line is not base64"))?;
        if decoded.len() != SECRET_KEY_OFFSET + 64 + 32 {
            return Err(bad("the key has the wrong length"));
        }
        if decoded[..2] != KEY_ALGORITHM {
            return Err(bad("not an Ed25519 minisign key"));
        }
        if decoded[2..4] == [0, 0] {
            return SigningKey::from_unencrypted(&decoded).map_err(&bad);
        }
        let boxed = minisign::SecretKeyBox::from_string(text).map_err(|e| bad(&e.to_string()))?;
        let key = {
            let password = match password {
                KeyPassword::Given(p) => Some(p),
                KeyPassword::Prompt => None,
                KeyPassword::Unavailable => {
                    return Err(SigningError::PasswordNeeded {
                        path: path.to_path_buf(),
                    });
                }
            };
            minisign::SecretKey::from_box(boxed, password).map_err(|e| SigningError::Decrypt {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        };
        SigningKey::from_decoded(&key.to_bytes())
            .ok_or_else(|| bad("the decrypted key is malformed"))
    }

    /// An unencrypted key, read here rather than by the minisign crate: `minisign -G -W`
    /// writes such keys with an all-zero checksum, which the crate refuses as corrupt.
    /// A non-zero checksum must match; either way the Ed25519 seed must yield the public
    /// half stored with it, so a damaged key is refused.
    fn from_unencrypted(decoded: &[u8]) -> Result<SigningKey, &'static str> {
        let checksum = &decoded[SECRET_KEY_OFFSET + 64..];
        if checksum.iter().any(|&b| b != 0) {
            let mut hasher = Blake2b256::new();
            hasher.update(&decoded[..2]);
            hasher.update(&decoded[SECRET_KEYNUM_OFFSET..SECRET_KEY_OFFSET + 64]);
            if hasher.finalize()[..] != *checksum {
                return Err("the key's checksum does not match: the file is damaged");
            }
        }
        SigningKey::from_decoded(decoded).ok_or("the key is damaged (its halves do not match)")
    }

    /// From a decoded, decrypted minisign secret key.
    fn from_decoded(bytes: &[u8]) -> Option<SigningKey> {
        let keynum = bytes
            .get(SECRET_KEYNUM_OFFSET..SECRET_KEY_OFFSET)?
            .try_into()
            .ok()?;
        let secret = ed25519_compact::SecretKey::from_slice(
            bytes.get(SECRET_KEY_OFFSET..SECRET_KEY_OFFSET + 64)?,
        )
        .ok()?;
        // A key whose halves disagree would sign with one key and claim another.
        secret.validate_public_key(&secret.public_key()).ok()?;
        Some(SigningKey { keynum, secret })
    }

    /// minisign's key id: the key number as a little-endian integer, 16 upper-case hex digits.
    pub fn key_id(&self) -> String {
        key_id(&self.keynum)
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let mut bytes = Vec::with_capacity(42);
        bytes.extend_from_slice(&KEY_ALGORITHM);
        bytes.extend_from_slice(&self.keynum);
        bytes.extend_from_slice(&self.secret.public_key()[..]);
        PublicKey(minisign::PublicKey::from_bytes(&bytes).expect("a public key from its own parts"))
    }

    /// A minisign signature file over `data`, deterministic: the same key, data and
    /// comments always give the same bytes. Comments are single lines (line breaks and
    /// other control characters become spaces; minisign trims the trusted comment).
    pub fn sign(&self, data: &[u8], trusted_comment: &str, untrusted_comment: &str) -> String {
        let trusted = one_line(trusted_comment, TRUSTED_COMMENT_MAX);
        let untrusted = one_line(untrusted_comment, 1024);
        let hash = Blake2b512::digest(data);
        let signature = self.secret.sign(hash, None);
        let mut global_input = signature.to_vec();
        global_input.extend_from_slice(trusted.as_bytes());
        let global = self.secret.sign(&global_input, None);

        let mut signature_line = Vec::with_capacity(74);
        signature_line.extend_from_slice(&PREHASHED_ALGORITHM);
        signature_line.extend_from_slice(&self.keynum);
        signature_line.extend_from_slice(&signature[..]);
        format!(
            "untrusted comment: {untrusted}\n{}\ntrusted comment: {trusted}\n{}\n",
            encode_base64(&signature_line),
            encode_base64(&global[..])
        )
    }
}

/// A minisign public key.
#[derive(Clone)]
pub struct PublicKey(minisign::PublicKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey {{ key_id: {} }}", self.key_id())
    }
}

impl PublicKey {
    /// A public key file (`untrusted comment:` line and key line) or the bare base64 key
    /// (`RW…`, as `minisign -P` takes it); `what` names the source in errors.
    pub fn parse(text: &str, what: &str) -> Result<PublicKey, SigningError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .unwrap_or("");
        minisign::PublicKey::from_base64(line)
            .map(PublicKey)
            .map_err(|e| SigningError::BadKey {
                what: what.to_string(),
                message: format!(
                    "not a minisign public key ({e}); pass the `.pub` file `changeproof keygen` wrote, or its `RW…` key line"
                ),
            })
    }

    /// Reads `arg` as a public key file if it names one, else as a bare base64 key.
    pub fn from_file_or_key(arg: &str) -> Result<PublicKey, SigningError> {
        let path = Path::new(arg);
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|error| SigningError::Read {
                path: path.to_path_buf(),
                error,
            })?;
            return PublicKey::parse(&text, arg);
        }
        // A bare key line is 56 base64 characters starting `RW` (algorithm `Ed`).
        if arg.len() == 56 && arg.starts_with("RW") {
            return PublicKey::parse(arg, "--pubkey");
        }
        Err(SigningError::Read {
            path: path.to_path_buf(),
            error: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such public key file (a bare `RW…` key is accepted too)",
            ),
        })
    }

    pub fn key_id(&self) -> String {
        key_id(self.0.keynum())
    }

    /// The key line (`RW…`), as `minisign -P` takes it.
    pub fn to_base64(&self) -> String {
        self.0.to_base64()
    }

    /// The public key file's text.
    pub fn to_file_text(&self, comment: &str) -> String {
        format!(
            "untrusted comment: {}\n{}\n",
            one_line(comment, 1024),
            self.to_base64()
        )
    }
}

/// What a verified signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub key_id: String,
    pub trusted_comment: String,
}

/// Checks a minisign signature file over `data` with `key` (prehashed signatures only,
/// as minisign writes by default; the trusted comment's signature is checked too).
pub fn verify(
    key: &PublicKey,
    data: &[u8],
    signature_text: &str,
) -> Result<VerifiedSignature, SigningError> {
    let signature = minisign::SignatureBox::from_string(signature_text)
        .map_err(|e| SigningError::Signature(format!("not a minisign signature file ({e})")))?;
    let signed_by = key_id(signature.keynum());
    if signed_by != key.key_id() {
        return Err(SigningError::Signature(format!(
            "the signature was made with key {signed_by}, not with the public key given ({}): the bundle was signed by someone else, or the wrong key was given",
            key.key_id()
        )));
    }
    minisign::verify(&key.0, &signature, Cursor::new(data), true, false, false)
        .map_err(|e| SigningError::Mismatch(format!("the signature does not verify: {e}")))?;
    let trusted_comment = signature
        .trusted_comment()
        .map_err(|e| SigningError::Signature(format!("trusted comment: {e}")))?;
    Ok(VerifiedSignature {
        key_id: signed_by,
        trusted_comment,
    })
}

/// Whether `text` is byte for byte the signature file `SigningKey::sign` writes with
/// `untrusted_comment`: four lines, each ending in a newline, base64 in canonical form,
/// the trusted comment without surrounding space. minisign itself ignores the untrusted
/// comment and stray whitespace; requiring this form leaves no byte of the file unchecked.
pub fn is_canonical(text: &str, untrusted_comment: &str) -> bool {
    let lines: Vec<&str> = text.split('\n').collect();
    let [untrusted, signature, trusted, global, ""] = lines.as_slice() else {
        return false;
    };
    let canonical_base64 =
        |line: &str| decode_base64(line).is_some_and(|bytes| encode_base64(&bytes) == line);
    let trusted_ok = trusted
        .strip_prefix("trusted comment: ")
        .is_some_and(|c| one_line(c, TRUSTED_COMMENT_MAX) == *c);
    *untrusted == format!("untrusted comment: {}", one_line(untrusted_comment, 1024))
        && canonical_base64(signature)
        && trusted_ok
        && canonical_base64(global)
}

/// The files `generate` wrote.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    pub secret_key: PathBuf,
    pub public_key: PathBuf,
    pub key_id: String,
    /// The public key line (`RW…`).
    pub public_key_base64: String,
    pub encrypted: bool,
}

/// Writes a new key pair `DIR/NAME.key` (owner-only permissions) and `DIR/NAME.pub`.
/// `password: None` writes an unencrypted secret key; `KeyPassword::Prompt` asks on the
/// terminal (twice). Never overwrites a file.
pub fn generate(
    dir: &Path,
    name: &str,
    password: Option<KeyPassword>,
) -> Result<GeneratedKey, SigningError> {
    if name.is_empty()
        || name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(SigningError::BadKey {
            what: format!("--name {name:?}"),
            message: "use letters, digits, `-`, `_` and `.` (not first)".into(),
        });
    }
    let secret_path = dir.join(format!("{name}.key"));
    let public_path = dir.join(format!("{name}.pub"));
    for path in [&secret_path, &public_path] {
        if path.exists() {
            return Err(SigningError::Exists { path: path.clone() });
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| SigningError::Write {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let encrypted = password.is_some();
    let pair = match password {
        None => minisign::KeyPair::generate_unencrypted_keypair(),
        Some(KeyPassword::Given(p)) => minisign::KeyPair::generate_encrypted_keypair(Some(p)),
        Some(KeyPassword::Prompt) => minisign::KeyPair::generate_encrypted_keypair(None),
        Some(KeyPassword::Unavailable) => {
            return Err(SigningError::Generate(
                "no password: set CHANGEPROOF_KEY_PASSWORD, run on a terminal to be prompted, or pass --unencrypted".into(),
            ));
        }
    }
    .map_err(|e| SigningError::Generate(e.to_string()))?;
    let key_id = key_id(pair.pk.keynum());
    let secret_comment = if encrypted {
        format!(
            "changeproof secret key {name} ({key_id}), encrypted with a password — keep it secret"
        )
    } else {
        format!("changeproof secret key {name} ({key_id}), NOT encrypted — keep it secret")
    };
    let secret_text = pair
        .sk
        .to_box(Some(&secret_comment))
        .map_err(|e| SigningError::Generate(e.to_string()))?
        .into_string();
    let public = PublicKey(pair.pk);
    let public_text = public.to_file_text(&format!(
        "changeproof public key {name} ({key_id}); verify a bundle with: minisign -Vm manifest.json -p {name}.pub"
    ));
    write_new(&secret_path, secret_text.as_bytes(), true)?;
    if let Err(e) = write_new(&public_path, public_text.as_bytes(), false) {
        let _ = std::fs::remove_file(&secret_path);
        return Err(e);
    }
    Ok(GeneratedKey {
        secret_key: secret_path,
        public_key: public_path,
        key_id,
        public_key_base64: public.to_base64(),
        encrypted,
    })
}

/// Creates `path` (failing if it exists), owner-only when `private` (on Unix).
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), SigningError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let error = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SigningError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            SigningError::Write {
                path: path.to_path_buf(),
                message: e.to_string(),
            }
        }
    };
    let mut file = options.open(path).map_err(error)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(error)
}

fn key_id(keynum: &[u8]) -> String {
    let mut le = [0u8; 8];
    le.copy_from_slice(&keynum[..8.min(keynum.len())]);
    format!("{:016X}", u64::from_le_bytes(le))
}

/// A comment as one line: control characters become spaces, surrounding space is
/// trimmed (minisign trims the trusted comment before checking it), cut to `max` bytes
/// on a character boundary.
fn one_line(text: &str, max: usize) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut line = line.trim().to_string();
    if line.len() > max {
        let mut end = max;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line = line.trim_end().to_string();
    }
    line
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (minisign's encoding).
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(BASE64[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard padded base64; `None` on anything else.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let last = index + 1 == bytes.len() / 4;
        let mut n = 0u32;
        let mut padding = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let value = match c {
                b'=' if last && i >= 2 => {
                    padding += 1;
                    0
                }
                _ if padding > 0 => return None,
                _ => BASE64.iter().position(|&b| b == c)? as u32,
            };
            n = (n << 6) | value;
        }
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - padding]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        for len in 0..20u8 {
            let bytes: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(200))
                .collect();
            let text = encode_base64(&bytes);
            assert_eq!(decode_base64(&text).as_deref(), Some(&bytes[..]), "{text}");
        }
        assert_eq!(encode_base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode_base64(b"fo"), "Zm8=");
        assert_eq!(decode_base64("Zm8"), None);
        assert_eq!(decode_base64("Z=8="), None);
    }

    #[test]
    fn demo_key_pair_matches() {
        let key = SigningKey::demo().unwrap();
        let public = PublicKey::parse(DEMO_PUBLIC_KEY, "demo").unwrap();
        assert_eq!(key.key_id(), public.key_id());
        assert_eq!(key.public_key().to_base64(), public.to_base64());
        assert!(
            DEMO_SECRET_KEY
                .lines()
                .next()
                .unwrap()
                .contains("DEMO ONLY")
        );
    }

    #[test]
    fn signatures_are_deterministic_and_verify() {
        let key = SigningKey::demo().unwrap();
        let a = key.sign(b"manifest", "audit: Acme\nwindow", "changeproof");
        let b = key.sign(b"manifest", "audit: Acme\nwindow", "changeproof");
        assert_eq!(a, b);
        let verified = verify(&key.public_key(), b"manifest", &a).unwrap();
        assert_eq!(verified.trusted_comment, "audit: Acme window");
        assert_eq!(verified.key_id, key.key_id());
        assert!(verify(&key.public_key(), b"manifesT", &a).is_err());
    }

    #[test]
    fn only_the_exact_signature_text_is_canonical() {
        let key = SigningKey::demo().unwrap();
        let text = key.sign(b"data", "trusted", "untrusted");
        assert!(is_canonical(&text, "untrusted"));
        assert!(!is_canonical(&text, "untrustee"));
        for (from, to) in [
            ("untrusted\n", "untrustee\n"),
            ("trusted\n", "trusted \n"),
            ("\ntrusted comment:", "\r\ntrusted comment:"),
        ] {
            assert!(
                !is_canonical(&text.replacen(from, to, 1), "untrusted"),
                "{to:?}"
            );
        }
        assert!(!is_canonical(&format!("{text}\n"), "untrusted"));
        assert!(!is_canonical(text.trim_end(), "untrusted"));
        // A base64 character differing only in padding bits decodes to the same bytes.
        let lines: Vec<&str> = text.lines().collect();
        let global = lines[3];
        let last = global.trim_end_matches('=').chars().last().unwrap();
        let index = BASE64.iter().position(|&b| b as char == last).unwrap();
        let twin = BASE64[index ^ 1] as char;
        let altered_line = format!(
            "{}{twin}{}",
            &global[..global.trim_end_matches('=').len() - 1],
            &global[global.trim_end_matches('=').len()..]
        );
        assert_eq!(decode_base64(&altered_line), decode_base64(global));
        assert!(!is_canonical(
            &text.replace(global, &altered_line),
            "untrusted"
        ));
    }

    #[test]
    fn an_altered_trusted_comment_fails() {
        let key = SigningKey::demo().unwrap();
        let text = key.sign(b"data", "window 2026-07-01/2026-10-01", "x");
        let forged = text.replace("2026-10-01", "2026-12-31");
        let err = verify(&key.public_key(), b"data", &forged).unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");
    }

    #[test]
    fn another_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let other = generate(dir.path(), "other", None).unwrap();
        let key = SigningKey::demo().unwrap();
        let text = key.sign(b"data", "t", "u");
        let other_public = PublicKey::parse(
            &std::fs::read_to_string(&other.public_key).unwrap(),
            "other",
        )
        .unwrap();
        let err = verify(&other_public, b"data", &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&key.key_id()) && err.contains(&other.key_id),
            "{err}"
        );
    }

    #[test]
    fn generated_unencrypted_key_signs_and_refuses_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let generated = generate(dir.path(), "audit", None).unwrap();
        assert!(!generated.encrypted);
        let key = SigningKey::load(&generated.secret_key, KeyPassword::Unavailable).unwrap();
        assert_eq!(key.key_id(), generated.key_id);
        let public = PublicKey::from_file_or_key(generated.public_key.to_str().unwrap()).unwrap();
        let bare = PublicKey::from_file_or_key(&generated.public_key_base64).unwrap();
        assert_eq!(public.to_base64(), bare.to_base64());
        verify(&public, b"x", &key.sign(b"x", "t", "u")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&generated.secret_key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = generate(dir.path(), "audit", None).unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
    }

    #[test]
    fn encrypted_key_needs_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let generated = generate(
            dir.path(),
            "enc",
            Some(KeyPassword::Given("correct horse".into())),
        )
        .unwrap();
        assert!(generated.encrypted);
        let err = SigningKey::load(&generated.secret_key, KeyPassword::Unavailable)
            .unwrap_err()
            .to_string();
        assert!(err.contains("CHANGEPROOF_KEY_PASSWORD"), "{err}");
        let err = SigningKey::load(&generated.secret_key, KeyPassword::Given("wrong".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Wrong password"), "{err}");
        assert!(!err.contains("wrong\""), "{err}");
        let key = SigningKey::load(
            &generated.secret_key,
            KeyPassword::Given("correct horse".into()),
        )
        .unwrap();
        assert_eq!(key.key_id(), generated.key_id);
        // The secret never shows in Debug output.
        let debug = format!("{key:?} {:?}", KeyPassword::Given("correct horse".into()));
        assert!(!debug.contains("correct horse"), "{debug}");
        assert!(debug.contains(&generated.key_id), "{debug}");
    }

    #[test]
    fn damaged_secret_key_is_refused() {
        let mut lines: Vec<String> = DEMO_SECRET_KEY.lines().map(String::from).collect();
        let mut bytes = decode_base64(&lines[1]).unwrap();
        bytes[SECRET_KEY_OFFSET + 3] ^= 1;
        lines[1] = encode_base64(&bytes);
        let err = SigningKey::from_text(
            &lines.join("\n"),
            Path::new("k.key"),
            KeyPassword::Unavailable,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("k.key:"), "{err}");
        let err = SigningKey::from_text("nonsense", Path::new("k.key"), KeyPassword::Unavailable)
            .unwrap_err()
            .to_string();
        assert!(err.contains("minisign secret key"), "{err}");
    }

    #[test]
    fn comments_are_single_lines_within_limits() {
        assert_eq!(one_line(" a\nb\tc ", 100), "a b c");
        let long = "é".repeat(10);
        let cut = one_line(&long, 5);
        assert_eq!(cut, "éé");
    }
}
