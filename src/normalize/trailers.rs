//! `Co-authored-by:` trailers of a commit message.

use crate::model::GitIdentity;

/// Every `Co-authored-by: Name <email>` line of `message` (key case-insensitive), as
/// written; the login is resolved later, by evaluation, against the whole evidence.
pub fn co_authors(message: &str) -> Vec<GitIdentity> {
    let mut out: Vec<GitIdentity> = Vec::new();
    for identity in message.lines().filter_map(trailer) {
        if !out.contains(&identity) {
            out.push(identity);
        }
    }
    out
}

fn trailer(line: &str) -> Option<GitIdentity> {
    let (key, value) = line.trim().split_once(':')?;
    if !key.trim_end().eq_ignore_ascii_case("co-authored-by") {
        return None;
    }
    let value = value.trim();
    let inner = value.strip_suffix('>')?;
    let open = inner.rfind('<')?;
    let email = inner[open + 1..].trim();
    if email.is_empty() {
        return None;
    }
    Some(GitIdentity {
        name: inner[..open].trim().to_string().into(),
        email: email.to_string().into(),
        login: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str, email: &str) -> GitIdentity {
        GitIdentity {
            name: name.into(),
            email: email.into(),
            login: None,
        }
    }

    #[test]
    fn trailers_any_case_and_spacing() {
        let msg = "Fix the thing\n\nBody text: not a trailer <x@y>\n\n\
                   Co-authored-by: Dana Smith <dana@example.com>\n\
                   co-authored-by:  Lee <123+lee@users.noreply.github.com> \n\
                   CO-AUTHORED-BY: Dana Smith <dana@example.com>\n\
                   Signed-off-by: Someone <s@example.com>\n";
        assert_eq!(
            co_authors(msg),
            vec![
                id("Dana Smith", "dana@example.com"),
                id("Lee", "123+lee@users.noreply.github.com"),
            ]
        );
    }

    #[test]
    fn malformed_trailers_are_ignored() {
        assert!(co_authors("Co-authored-by: nobody").is_empty());
        assert!(co_authors("Co-authored-by: Empty <>").is_empty());
        assert!(co_authors("Co-authored-by Name <a@b>").is_empty());
        assert_eq!(co_authors("Co-authored-by: <a@b>"), vec![id("", "a@b")]);
    }
}
