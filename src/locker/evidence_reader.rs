//! The fast path for reading `evidence.json`: streamed in blocks (the file is never
//! held whole in memory) and parsed on every core, with vectors trimmed to their length.
//!
//! A locker of a million changes has an evidence file of several GB. Reading it into
//! one string and parsing it on one thread costs the file's size in memory on top of
//! the records, and most of the evaluation's time. Here a scanner walks the top-level
//! object: the large arrays (`changes`, `branch_commits`, `deployments`) are cut into
//! batches of whole elements that worker threads deserialize with the model's own
//! `Deserialize` (so every record is checked exactly as before); every other member is
//! kept as text and deserialized as an `Evidence` with those arrays empty, which keeps
//! serde's checks of the top level (unknown, missing and duplicate fields).
//!
//! The scanner only finds boundaries; it does not validate. Whenever anything is not as
//! expected (malformed JSON, an escaped key, a non-object element, a parse error in a
//! batch), [`read`] returns `None` and the caller parses the file the plain way, whose
//! error names the line and column. So a valid file gives exactly the `Evidence` the
//! plain parse gives, and an invalid one exactly its error.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use memchr::{memchr2, memchr3};

use crate::model::{BranchCommit, Change, Deployment, Evidence};

/// Bytes read per block; a batch is the whole elements of one block.
const BLOCK: usize = 8 << 20;
/// Batches queued for the workers at most (bounds the memory in flight).
const QUEUE: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Big {
    Changes,
    BranchCommits,
    Deployments,
}

impl Big {
    fn from_key(key: &[u8]) -> Option<Big> {
        match key {
            b"changes" => Some(Big::Changes),
            b"branch_commits" => Some(Big::BranchCommits),
            b"deployments" => Some(Big::Deployments),
            _ => None,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Big::Changes => "changes",
            Big::BranchCommits => "branch_commits",
            Big::Deployments => "deployments",
        }
    }
}

enum Parsed {
    Changes(Vec<Change>),
    BranchCommits(Vec<BranchCommit>),
    Deployments(Vec<Deployment>),
}

struct Job {
    kind: Big,
    block: Arc<Block>,
    elements: Vec<(usize, usize)>,
    reply: mpsc::Sender<Option<Parsed>>,
}

/// Reads and deserializes `path`, or `None` when the fast path cannot (the caller then
/// parses the plain way and reports any error).
pub(super) fn read(path: &Path) -> Option<Evidence> {
    read_blocks(path, BLOCK, Source::best())
}

/// How the scanner gets the file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `read` into buffers of our own.
    Read,
    /// Windows of the file mapped read-only (Linux): the parsers read the page cache
    /// itself, where reading copied all of it (0.7–0.9 s of CPU for the 3.4 GB of a
    /// million changes). A window is unmapped once its batches are parsed.
    #[cfg(target_os = "linux")]
    Mapped,
}

impl Source {
    fn best() -> Source {
        #[cfg(target_os = "linux")]
        return Source::Mapped;
        #[cfg(not(target_os = "linux"))]
        return Source::Read;
    }
}

/// A block's bytes: a buffer read into, or a mapped window of the file.
enum Block {
    Read(Vec<u8>),
    #[cfg(target_os = "linux")]
    Mapped(window::Window),
}

impl std::ops::Deref for Block {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Block::Read(bytes) => bytes,
            #[cfg(target_os = "linux")]
            Block::Mapped(window) => window,
        }
    }
}

fn read_blocks(path: &Path, block: usize, source: Source) -> Option<Evidence> {
    let file = std::fs::File::open(path).ok()?;
    let file_len = file.metadata().ok()?.len();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
    let queue = Arc::new(Mutex::new(queue));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let queue = Arc::clone(&queue);
            // Each thread shares repeated strings within what it parses (model::Text).
            scope.spawn(move || crate::model::interning(|| work(&queue)));
        }
        // The scanner runs here; dropping `jobs` at its end lets the workers finish.
        let mut scanner = Scanner {
            file,
            source,
            file_len,
            offset: 0,
            block: Arc::new(Block::Read(Vec::new())),
            pos: 0,
            eof: false,
            size: block.max(1),
            retired: Vec::new(),
        };
        crate::model::interning(|| scan(&mut scanner, jobs))
    })
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let Ok(queue) = queue.lock() else { return };
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let parsed = parse(&job);
        // The scanner may have given up and stopped listening; nothing to do then.
        let _ = job.reply.send(parsed);
    }
}

fn parse(job: &Job) -> Option<Parsed> {
    fn each<T: serde::de::DeserializeOwned>(job: &Job, trim: fn(&mut T)) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(job.elements.len());
        for &(start, end) in &job.elements {
            // Checked as UTF-8 once per record, in bulk, rather than string by string,
            // with the processor's vector instructions (`std`'s check was 2.4 % of the
            // 1M evaluation's CPU). A record that is not UTF-8 is declined: the plain
            // parse then reports where.
            let text = simdutf8::basic::from_utf8(job.block.get(start..end)?).ok()?;
            let mut record: T = serde_json::from_str(text).ok()?;
            trim(&mut record);
            out.push(record);
        }
        Some(out)
    }
    Some(match job.kind {
        Big::Changes => Parsed::Changes(each(job, trim_change)?),
        Big::BranchCommits => Parsed::BranchCommits(each(job, trim_branch_commit)?),
        Big::Deployments => Parsed::Deployments(each(job, trim_deployment)?),
    })
}

// A vector deserialized by pushing keeps the capacity it grew to (at least 4 elements):
// for a change with one review that is three unused reviews. Trimming keeps the values.
fn trim_change(c: &mut Change) {
    c.labels.shrink_to_fit();
    for r in &mut c.reviews {
        r.evidence.shrink_to_fit();
    }
    c.reviews.shrink_to_fit();
    for commit in &mut c.commits {
        commit.co_authors.shrink_to_fit();
    }
    c.commits.shrink_to_fit();
    c.checks.runs.shrink_to_fit();
    c.timeline.shrink_to_fit();
    c.incomplete.shrink_to_fit();
    c.evidence.shrink_to_fit();
}

fn trim_branch_commit(c: &mut BranchCommit) {
    c.parents.shrink_to_fit();
    c.associated_changes.shrink_to_fit();
    c.evidence.shrink_to_fit();
}

fn trim_deployment(d: &mut Deployment) {
    d.statuses.shrink_to_fit();
    for a in &mut d.approvals {
        a.environments.shrink_to_fit();
        a.evidence.shrink_to_fit();
    }
    d.approvals.shrink_to_fit();
    d.evidence.shrink_to_fit();
}

struct Scanner {
    file: std::fs::File,
    source: Source,
    /// The file's length when opened (the end of the last mapped window).
    file_len: u64,
    /// The file offset of the current block's first byte (mapped windows).
    offset: u64,
    /// The current block: the unscanned rest of the previous one, then new bytes.
    block: Arc<Block>,
    pos: usize,
    eof: bool,
    /// Bytes to read per block.
    size: usize,
    /// Earlier blocks, handed to the workers; reused once they are done with them.
    retired: Vec<Arc<Block>>,
}

impl Scanner {
    /// Starts a new block holding the unscanned bytes from `keep` on, plus the next read.
    /// `false` at the end of the file (nothing new).
    fn refill(&mut self, keep: usize) -> Option<bool> {
        if self.eof {
            return Some(false);
        }
        let keep = keep.min(self.block.len());
        #[cfg(target_os = "linux")]
        if self.source == Source::Mapped {
            // The next window starts at the unscanned rest, in place: nothing is copied.
            let start = self.offset + keep as u64;
            let old_end = self.offset + self.block.len() as u64;
            let end = (old_end + self.size as u64).min(self.file_len);
            if end <= old_end {
                self.eof = true;
                return Some(false);
            }
            if let Some(window) = window::Window::map(&self.file, start, end - start) {
                self.eof = end == self.file_len;
                self.offset = start;
                self.pos -= keep.min(self.pos);
                // The previous window is unmapped when its last batch is parsed.
                self.block = Arc::new(Block::Mapped(window));
                return Some(true);
            }
            // The system refused the mapping: read on from the window's end.
            use std::io::Seek;
            (&self.file).seek(std::io::SeekFrom::Start(old_end)).ok()?;
            self.source = Source::Read;
        }
        let mut next = self.spare_buffer(self.block.len() - keep + self.size);
        next.extend_from_slice(&self.block[keep..]);
        let start = next.len();
        // `read_to_end` reads into the spare capacity without zeroing it first.
        loop {
            match (&mut self.file)
                .take((start + self.size - next.len()) as u64)
                .read_to_end(&mut next)
            {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        if next.len() < start + self.size {
            self.eof = true;
        }
        let filled = next.len();
        self.pos -= keep.min(self.pos);
        let previous = std::mem::replace(&mut self.block, Arc::new(Block::Read(next)));
        self.retired.push(previous);
        Some(filled > start)
    }

    /// An empty buffer of at least `capacity` bytes: a retired block the workers are
    /// done with when there is one. Fresh memory is costly to touch the first time (the
    /// kernel zeroes every page), and a locker of several GB would otherwise pass
    /// through that many bytes of fresh blocks.
    fn spare_buffer(&mut self, capacity: usize) -> Vec<u8> {
        let done = self.retired.iter().position(|b| {
            Arc::strong_count(b) == 1
                && matches!(&**b, Block::Read(buffer) if buffer.capacity() >= capacity)
        });
        let reused = done
            .and_then(|i| Arc::try_unwrap(self.retired.swap_remove(i)).ok())
            .and_then(|block| match block {
                Block::Read(buffer) => Some(buffer),
                #[cfg(target_os = "linux")]
                Block::Mapped(_) => None,
            });
        // Blocks still with the workers stay listed; the list stays short (the queue
        // bounds the blocks in flight), and older unusable ones are let go.
        if self.retired.len() > 2 * QUEUE + 4 {
            self.retired.remove(0);
        }
        match reused {
            Some(mut buffer) => {
                buffer.clear();
                buffer
            }
            // Room for a longer carried-over element next time round.
            None => Vec::with_capacity(capacity + (64 << 10)),
        }
    }

    /// The next non-whitespace byte, reading on as needed; `None` at the end.
    fn peek(&mut self) -> Option<u8> {
        loop {
            while let Some(&b) = self.block.get(self.pos) {
                if !is_ws(b) {
                    return Some(b);
                }
                self.pos += 1;
            }
            let keep = self.pos;
            if !self.refill(keep)? {
                return None;
            }
        }
    }

    /// The end (exclusive) of the value starting at `pos`, reading on as needed; the
    /// block may be replaced, so positions are relative to the block after the call.
    fn value(&mut self) -> Option<(usize, usize)> {
        loop {
            let start = self.pos;
            match value_end(&self.block, start) {
                Scan::Done(end) => return Some((start, end)),
                Scan::Bad => return None,
                Scan::More => {
                    if !self.refill(start)? {
                        return None;
                    }
                }
            }
        }
    }
}

/// JSON's whitespace (not `is_ascii_whitespace`, which also admits form feed).
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

enum Scan {
    Done(usize),
    More,
    Bad,
}

/// Where the JSON value starting at `start` ends, without validating it.
fn value_end(buf: &[u8], start: usize) -> Scan {
    let Some(&first) = buf.get(start) else {
        return Scan::More;
    };
    match first {
        b'"' => match string_end(buf, start + 1) {
            Some(end) => Scan::Done(end),
            None => Scan::More,
        },
        // Objects and arrays nest properly in valid JSON, so counting one bracket pair
        // finds the end; anything else is caught by the parse.
        b'{' => nested_end(buf, start, b'{', b'}'),
        b'[' => nested_end(buf, start, b'[', b']'),
        _ => {
            let mut i = start;
            while let Some(&b) = buf.get(i) {
                if matches!(b, b',' | b'}' | b']') || is_ws(b) {
                    return Scan::Done(i);
                }
                i += 1;
            }
            Scan::More
        }
    }
}

/// Where the element of a large array starting at `start` (a `{`) ends.
///
/// An element alone on its line, the layout the locker writes (`model::write_records`),
/// ends where its line does, which one search for the newline finds instead of a walk
/// through every string and bracket of the record (a sixth of the reading time). The
/// line is taken for the element only when it looks like that layout throughout: after
/// the `}` that ends the line comes `,` and then a line starting the next element, or
/// no comma and the array's `]`. Otherwise, and whenever the line is not complete in
/// the block, the element is walked. A line taken wrongly cannot pass for the element:
/// its last `}` would not close the element's `{`, which the parse rejects, and the
/// plain parse then reads the file.
fn element_end(buf: &[u8], start: usize) -> Scan {
    let line_end = buf
        .get(start..)
        .and_then(|rest| memchr::memchr(b'\n', rest))
        .map(|n| start + n);
    if let Some(line_end) = line_end {
        let mut end = trim_end_ws(buf, start, line_end);
        let comma = end > start && buf[end - 1] == b',';
        if comma {
            end = trim_end_ws(buf, start, end - 1);
        }
        let mut next = line_end + 1;
        while buf.get(next).is_some_and(|b| is_ws(*b)) {
            next += 1;
        }
        let follows = match buf.get(next) {
            Some(b'{') => comma,
            Some(b']') => !comma,
            _ => false,
        };
        if follows && end > start && buf[end - 1] == b'}' {
            return Scan::Done(end);
        }
    }
    value_end(buf, start)
}

/// `end` moved back over JSON whitespace, not before `start`.
fn trim_end_ws(buf: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && is_ws(buf[end - 1]) {
        end -= 1;
    }
    end
}

/// The index after the closing quote of a string whose contents start at `from`.
fn string_end(buf: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let i = from + memchr2(b'"', b'\\', buf.get(from..)?)?;
        if buf[i] == b'"' {
            return Some(i + 1);
        }
        // An escape: skip the escaped byte (`\"`, `\\`; `\u` digits are plain bytes).
        from = i + 2;
    }
}

fn nested_end(buf: &[u8], start: usize, open: u8, close: u8) -> Scan {
    let mut depth = 0usize;
    let mut i = start;
    loop {
        let Some(rest) = buf.get(i..) else {
            return Scan::More;
        };
        let Some(found) = memchr3(b'"', open, close, rest) else {
            return Scan::More;
        };
        i += found;
        match buf[i] {
            b'"' => match string_end(buf, i + 1) {
                Some(end) => i = end,
                None => return Scan::More,
            },
            b if b == open => {
                depth += 1;
                i += 1;
            }
            _ => {
                if depth == 0 {
                    return Scan::Bad;
                }
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Scan::Done(i);
                }
            }
        }
    }
}

/// The parsed batches, in file order. They are joined once all are in, into vectors of
/// exactly their length: growing one vector by doubling would leave up to half of it
/// unused (a `Change` is a few hundred bytes, and there are a million of them).
#[derive(Default)]
struct Collected {
    changes: Vec<Vec<Change>>,
    branch_commits: Vec<Vec<BranchCommit>>,
    deployments: Vec<Vec<Deployment>>,
}

impl Collected {
    fn add(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Changes(v) => self.changes.push(v),
            Parsed::BranchCommits(v) => self.branch_commits.push(v),
            Parsed::Deployments(v) => self.deployments.push(v),
        }
    }
}

/// The batches as one vector, each batch freed as soon as it is moved.
fn joined<T>(batches: Vec<Vec<T>>) -> Vec<T> {
    let mut all = Vec::with_capacity(batches.iter().map(Vec::len).sum());
    for batch in batches {
        all.extend(batch);
    }
    all
}

fn scan(s: &mut Scanner, jobs: SyncSender<Job>) -> Option<Evidence> {
    let mut pending: VecDeque<Receiver<Option<Parsed>>> = VecDeque::new();
    let mut collected = Collected::default();
    let mut seen: Vec<Big> = Vec::new();
    // The top-level object without the large arrays' elements.
    let mut rest: Vec<u8> = b"{".to_vec();

    if s.peek()? != b'{' {
        return None;
    }
    s.pos += 1;
    let mut first = true;
    loop {
        match s.peek()? {
            b'}' => {
                s.pos += 1;
                break;
            }
            b',' if !first => {
                s.pos += 1;
            }
            _ if first => {}
            _ => return None,
        }
        first = false;
        if s.peek()? != b'"' {
            return None;
        }
        let (key_start, key_end) = s.value()?;
        let key = s.block.get(key_start + 1..key_end - 1)?.to_vec();
        if key.contains(&b'\\') {
            return None;
        }
        s.pos = key_end;
        if s.peek()? != b':' {
            return None;
        }
        s.pos += 1;
        let big = Big::from_key(&key);
        let value_start = s.peek()?;
        match big {
            Some(kind) if value_start == b'[' => {
                if seen.contains(&kind) {
                    return None;
                }
                seen.push(kind);
                s.pos += 1;
                array(s, kind, &jobs, &mut pending, &mut collected)?;
                continue;
            }
            _ => {}
        }
        let (start, end) = s.value()?;
        if rest.len() > 1 {
            rest.push(b',');
        }
        rest.push(b'"');
        rest.extend_from_slice(&key);
        rest.extend_from_slice(b"\":");
        rest.extend_from_slice(s.block.get(start..end)?);
        s.pos = end;
    }
    // Only whitespace may follow the object.
    if s.peek().is_some() {
        return None;
    }
    drop(jobs);
    for reply in pending {
        collected.add(reply.recv().ok()??);
    }
    for kind in &seen {
        if rest.len() > 1 {
            rest.push(b',');
        }
        rest.extend_from_slice(format!("\"{}\":[]", kind.key()).as_bytes());
    }
    rest.push(b'}');
    let mut evidence: Evidence = serde_json::from_slice(&rest).ok()?;
    // Joined on two threads: each vector is fresh memory the kernel hands over page by
    // page, hundreds of MB at a million changes.
    let Collected {
        changes,
        branch_commits,
        deployments,
    } = collected;
    std::thread::scope(|scope| {
        let others = scope.spawn(|| (joined(branch_commits), joined(deployments)));
        evidence.changes = joined(changes);
        (evidence.branch_commits, evidence.deployments) = crate::util::joined(others.join());
    });
    Some(evidence)
}

/// What may come next inside a large array.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Right after `[`: an element or `]`.
    ValueOrEnd,
    /// After `,`: an element.
    Value,
    /// After an element: `,` or `]`.
    CommaOrEnd,
}

/// Scans the elements of a large array (after its `[`) into batches for the workers.
fn array(
    s: &mut Scanner,
    kind: Big,
    jobs: &SyncSender<Job>,
    pending: &mut VecDeque<Receiver<Option<Parsed>>>,
    collected: &mut Collected,
) -> Option<()> {
    let mut elements: Vec<(usize, usize)> = Vec::new();
    let mut expect = Expect::ValueOrEnd;
    loop {
        let mut at = s.pos;
        while s.block.get(at).is_some_and(|b| is_ws(*b)) {
            at += 1;
        }
        s.pos = at;
        let Some(&b) = s.block.get(at) else {
            // The block ends between elements: hand over the batch, then read on.
            send(
                s,
                kind,
                std::mem::take(&mut elements),
                jobs,
                pending,
                collected,
            )?;
            if !s.refill(at)? {
                return None;
            }
            continue;
        };
        match (expect, b) {
            (Expect::ValueOrEnd | Expect::CommaOrEnd, b']') => {
                send(
                    s,
                    kind,
                    std::mem::take(&mut elements),
                    jobs,
                    pending,
                    collected,
                )?;
                s.pos = at + 1;
                return Some(());
            }
            (Expect::CommaOrEnd, b',') => {
                s.pos = at + 1;
                expect = Expect::Value;
            }
            (Expect::ValueOrEnd | Expect::Value, b'{') => match element_end(&s.block, at) {
                Scan::Done(end) => {
                    elements.push((at, end));
                    s.pos = end;
                    expect = Expect::CommaOrEnd;
                }
                Scan::More => {
                    // The element runs past the block: hand over the batch, carry the
                    // element's start into the next block.
                    send(
                        s,
                        kind,
                        std::mem::take(&mut elements),
                        jobs,
                        pending,
                        collected,
                    )?;
                    if !s.refill(at)? {
                        return None;
                    }
                }
                Scan::Bad => return None,
            },
            _ => return None,
        }
    }
}

/// Queues a batch of elements of the current block, and collects finished batches in
/// order so results do not pile up.
fn send(
    s: &Scanner,
    kind: Big,
    elements: Vec<(usize, usize)>,
    jobs: &SyncSender<Job>,
    pending: &mut VecDeque<Receiver<Option<Parsed>>>,
    collected: &mut Collected,
) -> Option<()> {
    if elements.is_empty() {
        return Some(());
    }
    let (reply, receiver) = mpsc::channel();
    jobs.send(Job {
        kind,
        block: Arc::clone(&s.block),
        elements,
        reply,
    })
    .ok()?;
    pending.push_back(receiver);
    while let Some(front) = pending.front() {
        match front.try_recv() {
            Ok(parsed) => {
                collected.add(parsed?);
                pending.pop_front();
            }
            Err(mpsc::TryRecvError::Empty) => break,
            Err(mpsc::TryRecvError::Disconnected) => return None,
        }
    }
    Some(())
}

/// Read-only mapped windows of a file (Linux).
#[cfg(target_os = "linux")]
mod window {
    use std::os::fd::AsRawFd;

    /// `len` bytes of a file from a given offset, mapped read-only and private.
    ///
    /// A mapping reads the file as it is on disk while mapped: should another process
    /// truncate `evidence.json` while it is read, the process would be stopped by the
    /// kernel (SIGBUS) rather than get an error. The locker is written whole and
    /// replaced (`Locker::write_evidence`), never truncated in place.
    pub(super) struct Window {
        base: *mut libc::c_void,
        mapped: usize,
        /// Bytes before `offset` in the first page.
        skip: usize,
        len: usize,
    }

    // SAFETY: the mapping is read-only and owned by the window; sharing a `&[u8]` of
    // it between threads is as safe as sharing any immutable buffer.
    unsafe impl Send for Window {}
    unsafe impl Sync for Window {}

    impl Window {
        pub(super) fn map(file: &std::fs::File, offset: u64, len: u64) -> Option<Window> {
            // SAFETY: sysconf reads a constant of the system.
            let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
                .ok()
                .filter(|&p| p > 0)?;
            let aligned = offset - offset % page;
            let skip = usize::try_from(offset - aligned).ok()?;
            let len = usize::try_from(len).ok()?;
            let mapped = skip.checked_add(len)?;
            if mapped == 0 {
                return None;
            }
            // SAFETY: a new private read-only mapping of an open file; the kernel
            // checks the descriptor, offset and length, and on failure we fall back.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    mapped,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE,
                    file.as_raw_fd(),
                    libc::off_t::try_from(aligned).ok()?,
                )
            };
            if base == libc::MAP_FAILED {
                return None;
            }
            // SAFETY: advice on the mapping just made: read in order, and ahead.
            unsafe {
                libc::madvise(base, mapped, libc::MADV_SEQUENTIAL);
                libc::madvise(base, mapped, libc::MADV_WILLNEED);
            }
            Some(Window {
                base,
                mapped,
                skip,
                len,
            })
        }
    }

    impl std::ops::Deref for Window {
        type Target = [u8];
        fn deref(&self) -> &[u8] {
            // SAFETY: `base` maps `mapped = skip + len` readable bytes for as long as
            // the window lives.
            unsafe { std::slice::from_raw_parts(self.base.cast::<u8>().add(self.skip), self.len) }
        }
    }

    impl Drop for Window {
        fn drop(&mut self) {
            // SAFETY: unmaps exactly the mapping this window made; no slice of it
            // outlives the window (they borrow it).
            unsafe { libc::munmap(self.base, self.mapped) };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{Source, read_blocks as read_from};

    /// Reads with every source the system has (read buffers; mapped windows on
    /// Linux, for windows of a page or more: a mapping per byte takes minutes), which
    /// must give the same result.
    fn read_blocks(path: &std::path::Path, block: usize) -> Option<Evidence> {
        let read = read_from(path, block, Source::Read);
        #[cfg(target_os = "linux")]
        if block >= 4096 {
            let mapped = read_from(path, block, Source::Mapped);
            assert!(
                mapped == read,
                "mapped and read windows differ, block {block}"
            );
        }
        read
    }
    use crate::example::{ExampleParams, write_example};
    use crate::locker::Locker;
    use crate::model::Evidence;

    /// The example organisation's evidence, normalized.
    fn example() -> (tempfile::TempDir, Evidence) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("locker");
        write_example(
            &root,
            ExampleParams {
                seed: 7,
                changes: 40,
            },
        )
        .unwrap();
        let evidence = crate::pipeline::replay(&Locker::open(&root).unwrap()).unwrap();
        (dir, evidence)
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn reads_exactly_what_the_plain_parse_reads_whatever_the_block_size() {
        let (dir, evidence) = example();
        assert!(evidence.changes.len() > 10 && !evidence.deployments.is_empty());
        let pretty = write(
            &dir,
            "pretty.json",
            &serde_json::to_vec_pretty(&evidence).unwrap(),
        );
        let compact = write(
            &dir,
            "compact.json",
            &serde_json::to_vec(&evidence).unwrap(),
        );
        let lines = write(&dir, "lines.json", &crate::model::records_bytes(&evidence));
        // Blocks smaller than a key, than a record, and larger than the file.
        for block in [1, 7, 100, 4096, 5000, 1 << 20] {
            for path in [&pretty, &compact, &lines] {
                let read = read_blocks(path, block).expect("the fast path reads valid evidence");
                assert!(read == evidence, "block {block}, {}", path.display());
            }
        }
    }

    /// A line that ends like a record and is followed by a line that starts like one,
    /// inside a record broken over lines (not the locker's layout, but valid JSON): the
    /// fast path must not take the line for the record. Either it reads the evidence
    /// exactly, or it declines and the plain parse reads it.
    #[test]
    fn a_record_broken_over_lines_is_never_misread() {
        let (dir, evidence) = example();
        let text = String::from_utf8(crate::model::records_bytes(&evidence)).unwrap();
        let broken = text.replace("},{\"id\":", "},\n      {\"id\":");
        assert_ne!(broken, text, "the example has changes with several reviews");
        assert!(serde_json::from_str::<Evidence>(&broken).unwrap() == evidence);
        let path = write(&dir, "broken.json", broken.as_bytes());
        for block in [7, 4096, 1 << 20] {
            if let Some(read) = read_blocks(&path, block) {
                assert!(read == evidence, "block {block}");
            }
        }
        let locker = dir.path().join("locker");
        std::fs::write(locker.join(crate::locker::EVIDENCE_FILE), &broken).unwrap();
        assert!(Locker::open(&locker).unwrap().evidence().unwrap() == evidence);
    }

    /// Records are checked as UTF-8 in bulk before they are parsed: a record with a
    /// byte that is not UTF-8 is declined (and the plain parse reports it).
    #[test]
    fn a_record_that_is_not_utf8_is_declined() {
        let (dir, evidence) = example();
        let mut bytes = crate::model::records_bytes(&evidence);
        let at = bytes
            .windows(8)
            .position(|w| w == b"\"title\":")
            .expect("a change title")
            + 9;
        bytes[at] = 0xFF;
        let path = write(&dir, "latin1.json", &bytes);
        for block in [7, 1 << 20] {
            assert!(read_blocks(&path, block).is_none(), "block {block}");
        }
        assert!(serde_json::from_slice::<Evidence>(&bytes).is_err());
    }

    #[test]
    fn member_order_and_empty_arrays_do_not_matter() {
        let (dir, mut evidence) = example();
        evidence.branch_commits.clear();
        let value = serde_json::to_value(&evidence).unwrap();
        let object = value.as_object().unwrap();
        // Large arrays first, then the rest in reverse order.
        let mut text = String::from("{");
        let mut keys: Vec<&String> = object.keys().collect();
        keys.reverse();
        keys.sort_by_key(|k| !["changes", "deployments", "branch_commits"].contains(&k.as_str()));
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                text.push_str(" ,\r\n\t");
            }
            text.push_str(&format!("{:?} : {}", key, object[*key]));
        }
        text.push_str(" }\n\n");
        let path = write(&dir, "reordered.json", text.as_bytes());
        for block in [3, 64, 1 << 20] {
            assert!(read_blocks(&path, block).unwrap() == evidence);
        }
    }

    #[test]
    fn anything_the_plain_parse_would_reject_is_declined() {
        let (dir, evidence) = example();
        let good = serde_json::to_string(&evidence).unwrap();
        let first_change = good.find("\"changes\":[{").unwrap() + "\"changes\":[".len();
        let cases: Vec<(&str, String)> = vec![
            (
                "trailing comma",
                good.replacen("}],\"branch_commits\"", "},],\"branch_commits\"", 1),
            ),
            (
                "form feed",
                format!("{}\u{c}{}", &good[..first_change], &good[first_change..]),
            ),
            (
                "duplicate large array",
                good.replacen("\"deployments\":", "\"deployments\":[],\"deployments\":", 1),
            ),
            (
                "unknown member",
                good.replacen("{\"schema\"", "{\"extra\":1,\"schema\"", 1),
            ),
            (
                "escaped key",
                good.replacen("\"schema\"", "\"sch\\u0065ma\"", 1),
            ),
            (
                "unknown record field",
                good.replacen("\"changes\":[{", "\"changes\":[{\"x\":1,", 1),
            ),
            ("truncated", good[..good.len() / 2].to_string()),
            ("trailing data", format!("{good} {{}}")),
            ("not an object", format!("[{good}]")),
            (
                "scalar element",
                good.replacen("\"changes\":[{", "\"changes\":[1,{", 1),
            ),
        ];
        for (what, text) in cases {
            let path = write(&dir, "bad.json", text.as_bytes());
            for block in [5, 1 << 20] {
                assert!(read_blocks(&path, block).is_none(), "{what}, block {block}");
            }
            assert!(
                serde_json::from_str::<Evidence>(&text).is_err() || what == "escaped key",
                "{what}: the plain parse accepts it"
            );
        }
    }

    #[test]
    fn the_locker_reports_the_plain_parse_error_with_line_and_column() {
        let (dir, _) = example();
        let root = dir.path().join("locker");
        let path = root.join(crate::locker::EVIDENCE_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        let broken = text.replacen("\"merged_at\":\"", "\"merged_at\":\"not a time", 1);
        assert_ne!(broken, text, "the example has a merged_at to break");
        std::fs::write(&path, broken).unwrap();
        let error = Locker::open(&root)
            .unwrap()
            .evidence()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("evidence.json") && error.contains("line"),
            "{error}"
        );
    }
}
