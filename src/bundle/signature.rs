//! `manifest.json.minisig`: the minisign signature of `manifest.json`, made after the
//! manifest with the configured key. Its trusted comment (covered by the signature)
//! names the audit, the window and the tool version, and carries no time, so the same
//! manifest and key always give the same signature.

use serde::Serialize;

use crate::signing::SigningKey;

use super::{BundleInput, MANIFEST_FILE, format_time};

/// The signature's path in the bundle.
pub const SIGNATURE_FILE: &str = "manifest.json.minisig";

/// How `manifest.json` describes the signature (`"signature": null` when unsigned).
#[derive(Debug, Clone, Serialize)]
pub(super) struct SignatureInfo {
    pub file: &'static str,
    pub format: &'static str,
    /// minisign's key id (16 hex digits), as `minisign -V` prints it.
    pub key_id: String,
}

pub(super) fn info(key: &SigningKey) -> SignatureInfo {
    SignatureInfo {
        file: SIGNATURE_FILE,
        format: "minisign (Ed25519 over the BLAKE2b-512 hash of manifest.json)",
        key_id: key.key_id(),
    }
}

/// The trusted comment: what the signer vouches for besides the manifest's bytes.
pub(super) fn trusted_comment(input: &BundleInput<'_>) -> String {
    let window = input.config.audit.window.window();
    format!(
        "changeproof {MANIFEST_FILE} | audit: {} | window: {} to {} | tool: changeproof {}",
        input.config.audit.name,
        format_time(window.start),
        format_time(window.end),
        input.tool_version
    )
}

/// The untrusted comment (not covered by the signature, so `verify` requires exactly
/// this text: no byte of a bundle can then change unnoticed).
pub fn untrusted_comment(key_id: &str) -> String {
    format!(
        "changeproof signature of {MANIFEST_FILE}, key {key_id}; check it with: minisign -Vm {MANIFEST_FILE} -p KEY.pub"
    )
}

pub(super) fn sign(input: &BundleInput<'_>, key: &SigningKey, manifest: &[u8]) -> Vec<u8> {
    key.sign(
        manifest,
        &trusted_comment(input),
        &untrusted_comment(&key.key_id()),
    )
    .into_bytes()
}
