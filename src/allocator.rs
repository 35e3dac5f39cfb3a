//! Settings of mimalloc, the allocator the binary and the benchmarks install, and of the
//! process's memory pages.
//!
//! By default mimalloc gives freed memory back to the operating system after a second.
//! Evaluating a large locker frees and allocates gigabytes in phases (the evidence is read
//! in blocks, facts and rows are built and dropped), and every page given back and taken
//! again is zeroed by the kernel on its next first touch: on the 2-core VM of
//! docs/benchmarks.md that was 16 s of system time in a 27 s evaluation of a million
//! changes, 6 s without it. A command-line run is short and its peak is what it needs,
//! so the binary keeps what it freed for reuse until it exits.
//!
//! mimalloc also asks for transparent huge pages (2 MiB) for its arenas. On a virtual
//! machine whose host reclaims the guest's free memory (free page reporting, as cloud and
//! Firecracker VMs do), free 2 MiB blocks are exactly what the host took back, so every
//! huge page is a host fault plus, with the page cache full, a compaction: measured on
//! the benchmark VM, a first touch of 4 GB took 5–9 s with huge pages and 1.3–1.5 s
//! with 4 KiB pages, and the 1M-change evaluation 14–16 s with them and 11.3–11.7 s
//! without (docs/benchmarks.md). Small pages cost about 1 s of user time there (TLB
//! misses), which bare metal without page reporting would not pay back; a run there can
//! keep huge pages with `MIMALLOC_ALLOW_THP=1`.

/// mimalloc's `mi_option_purge_delay` (the sys crate names no constant for it): how
/// long freed memory waits before it goes back to the OS, in ms; -1 for never.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The environment variable that, set, leaves the choice of huge pages to mimalloc
/// (which reads the same variable: `1` allows them, `0` disables them).
pub const ALLOW_THP_VAR: &str = "MIMALLOC_ALLOW_THP";

/// Sets up memory for a batch run: freed memory kept for reuse, and (on Linux, unless
/// [`ALLOW_THP_VAR`] is set) no transparent huge pages. Call first thing in `main`,
/// before other threads start (mimalloc's option setters are not thread-safe).
/// Harmless when mimalloc is linked but not the global allocator.
pub fn configure() {
    keep_freed_memory();
    if std::env::var_os(ALLOW_THP_VAR).is_none() {
        disable_huge_pages();
    }
}

/// Keeps freed memory in the process for reuse instead of returning it to the OS.
fn keep_freed_memory() {
    // SAFETY: sets a plain integer option; no other thread exists yet (see `configure`).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// Opts this process out of transparent huge pages: the kernel then ignores mimalloc's
/// `madvise(MADV_HUGEPAGE)`, for arenas mapped before `main` too. Returns whether the
/// process now runs without them (false on other systems or if the kernel refused).
fn disable_huge_pages() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number is mimalloc's enum position: a mimalloc upgrade that renumbers
    /// it must fail here, not silently set another option. 1000 ms is the v3 default of
    /// the purge delay, and no neighbouring option has that default.
    #[test]
    fn the_option_number_is_the_purge_delay() {
        // The environment variable, when set, is what mimalloc read instead.
        let default = std::env::var("MIMALLOC_PURGE_DELAY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        // SAFETY: reads an integer option.
        let value = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert!(
            value == default || value == -1,
            "option {MI_OPTION_PURGE_DELAY} is {value}, not mimalloc's purge delay"
        );
    }

    /// The kernel's own view of the process (`THP_enabled` in /proc/self/status) after
    /// the opt-out: 0. A test process may take the setting; it changes only page sizes.
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_disabled_for_the_process() {
        assert!(disable_huge_pages(), "prctl(PR_SET_THP_DISABLE) failed");
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("THP_enabled:"))
            .expect("the kernel reports THP_enabled (Linux 5.0 and later)");
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
}
