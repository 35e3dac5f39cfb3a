//! What the example's waivers (`examples/waivers.toml`) are meant to waive, stated as the
//! planting intent — not by running the waiver matcher — so the demo test checks the
//! matcher against an independent statement.

use super::ExpectedException;

/// acme/infra holds Terraform only and has no CI: its missing checks (CM-03
/// `checks_missing`, planted by `infra_no_checks`) are waived. The CM-01 `no_approval`
/// waiver of acme/infra expired before the snapshot, so those exceptions stay open; the
/// acme/web direct-push waiver matches nothing.
pub fn waived(e: &ExpectedException) -> bool {
    (e.control.as_str(), e.kind.as_str(), e.repo.as_str())
        == ("CM-03", "checks_missing", "acme/infra")
}
