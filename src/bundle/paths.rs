//! Bundle entry paths: relative, `/`-separated, and unable to escape the bundle when
//! written to disk or unpacked by any zip tool.

use super::BundleError;

/// Accepts `a/b.json`; refuses empty, absolute, `..`, `.`, empty segments, backslashes,
/// drive letters and NUL, so the same path is safe on every platform.
pub(super) fn check(path: &str) -> Result<(), BundleError> {
    match unsafe_reason(path) {
        None => Ok(()),
        Some(reason) => Err(BundleError::UnsafePath {
            path: path.to_string(),
            reason,
        }),
    }
}

/// Why `path` is not a safe bundle path, or `None` (shared with the bundle reader in
/// `verify`, which refuses what the writer would never write).
pub(crate) fn unsafe_reason(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("the path is empty");
    }
    if path.starts_with('/') {
        return Some("the path is absolute");
    }
    if path.contains('\\') {
        return Some("the path contains a backslash");
    }
    if path.contains('\0') {
        return Some("the path contains a NUL character");
    }
    for (index, segment) in path.split('/').enumerate() {
        match segment {
            ".." => return Some("the path contains `..`"),
            "." => return Some("the path contains a `.` segment"),
            "" => return Some("the path contains an empty segment"),
            _ if index == 0 && segment.ends_with(':') => {
                return Some("the path starts with a drive letter");
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn relative_paths_are_accepted() {
        for path in [
            "index.html",
            "evidence/raw/ab.json",
            "config/controls/CM-01.toml",
        ] {
            assert!(check(path).is_ok(), "{path}");
        }
    }

    #[test]
    fn escaping_or_unportable_paths_are_refused() {
        for (path, why) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("../x", "`..`"),
            ("a/../../x", "`..`"),
            ("a/..", "`..`"),
            ("a//b", "empty segment"),
            ("a/", "empty segment"),
            ("./a", "`.`"),
            ("a\\b", "backslash"),
            ("C:/x", "drive letter"),
            ("a\0b", "NUL"),
        ] {
            let err = check(path).expect_err(path).to_string();
            assert!(err.contains(why), "{path}: {err}");
        }
    }
}
