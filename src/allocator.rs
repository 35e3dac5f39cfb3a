//! Settings of mimalloc, the allocator the binary and the benchmarks install.
//!
//! By default mimalloc gives freed memory back to the operating system after a second.
//! Evaluating a large locker frees and allocates gigabytes in phases (the evidence is read
//! in blocks, facts and rows are built and dropped), and every page given back and taken
//! again is zeroed by the kernel on its next first touch: on the 2-core VM of
//! docs/benchmarks.md that was 16 s of system time in a 27 s evaluation of a million
//! changes, 6 s without it. A command-line run is short and its peak is what it needs,
//! so the binary keeps what it freed for reuse until it exits.

/// mimalloc's `mi_option_purge_delay` (the sys crate names no constant for it): how
/// long freed memory waits before it goes back to the OS, in ms; -1 for never.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory in the process for reuse instead of returning it to the OS.
/// Call first thing in `main`, before other threads start (mimalloc's option setters are
/// not thread-safe). Harmless when mimalloc is linked but not the global allocator.
pub fn keep_freed_memory() {
    // SAFETY: sets a plain integer option; no other thread exists yet (see above).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
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
}
