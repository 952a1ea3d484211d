//! All of the mock's state as one JSON document, and the optional state file.
//!
//! State lives in memory. [`take`] and [`put`] turn it into a [`Snapshot`]
//! and back; the control API serves them (`GET`/`POST /_mock/snapshot`), and
//! with `[state].file` (`--state-file`) the server restores the file on start,
//! saves it every `save_every_secs` while running and once more on shutdown.
//! A SIGKILL therefore loses at most the last `save_every_secs` of changes.
//! [`Keeping`] does all three for the server.
//!
//! A file is written next to its destination and renamed over it, so a crash
//! mid-save leaves the previous file whole.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::verification::Verification;
use crate::lifecycle;
use crate::runtime::app::App;
use crate::runtime::sync::{Ordered, Rank};
use crate::runtime::webhook::journal::{Filter, WebhookRecord};

/// The one snapshot format so far.
pub const VERSION: u32 = 1;

/// A verification with its owner and when it ends if nothing happens.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationView {
    /// The owning partner's API key.
    pub partner: String,
    /// Unix second at which it expires if still ACTIVE.
    #[serde(default)]
    pub deadline: i64,
    #[serde(flatten)]
    pub verification: Verification,
}

impl VerificationView {
    pub fn of(app: &App, v: &Verification) -> VerificationView {
        VerificationView {
            partner: app.partners().get(v.partner).key().to_owned(),
            deadline: v.deadline(),
            verification: v.clone(),
        }
    }
}

/// All state, to save and seed a later run.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub version: u32,
    pub clock_offset_ms: i64,
    /// Oldest first by creation, so a restore recreates the same order.
    pub verifications: Vec<VerificationView>,
    pub webhooks: Vec<WebhookRecord>,
}

/// What a restore brought back.
#[derive(Debug, Serialize, ToSchema)]
pub struct Restored {
    pub verifications: usize,
    pub webhooks: usize,
}

/// A copy of all state.
pub fn take(app: &App) -> Snapshot {
    let mut verifications = Vec::new();
    app.store()
        .for_each(|v| verifications.push(VerificationView::of(app, v)));
    Snapshot {
        version: VERSION,
        clock_offset_ms: app.clock().offset_ms(),
        verifications,
        webhooks: app.webhooks().journal().list(&Filter::default()),
    }
}

/// The largest webhook id a snapshot may carry: 2^53, the largest integer
/// every JSON reader keeps exact. The journal's next ids continue after the
/// largest one restored, so none is ever used twice.
pub const MAX_WEBHOOK_ID: u64 = 1 << 53;

/// Replaces all state with `snap`. Webhooks that were still pending in it
/// are queued for delivery again; the others are history. The snapshot is
/// checked whole first: when it is refused (the message names what is
/// wrong), nothing changes.
pub fn put(app: &App, snap: Snapshot) -> Result<Restored, String> {
    let verifications = checked(app, &snap)?;
    // Jobs queued before are stale from here on, and ids given from here on
    // are above the snapshot's: a token made during the restore keeps its
    // record, and no old job touches a restored one.
    let max_id = snap.webhooks.iter().map(|r| r.id).max().unwrap_or(0);
    lifecycle::forget_for_restore(app, max_id);
    app.clock().set_offset_ms(snap.clock_offset_ms);
    let restored = verifications.len();
    for v in verifications {
        lifecycle::restore(app, v);
    }
    let webhooks = snap.webhooks.len();
    let pending = app.webhooks().journal().restore(snap.webhooks);
    app.webhooks().resume(pending);
    Ok(Restored {
        verifications: restored,
        webhooks,
    })
}

/// The snapshot's verifications with their owners resolved, or why the
/// snapshot cannot be restored: an unknown version or partner, a clock
/// outside the clock API's bounds, a scanRef or authToken that two
/// verifications share, a webhook id out of range or used twice.
fn checked(app: &App, snap: &Snapshot) -> Result<Vec<Verification>, String> {
    if snap.version != VERSION {
        return Err(format!(
            "only snapshot version {VERSION} is known (got {})",
            snap.version
        ));
    }
    if !app.clock().offset_allowed(snap.clock_offset_ms) {
        return Err(format!(
            "clockOffsetMs {} puts the clock outside {}..={} (Unix seconds), the clock API's bounds",
            snap.clock_offset_ms,
            crate::runtime::clock::MIN_SECS,
            crate::runtime::clock::MAX_SECS
        ));
    }
    let mut scan_refs = HashSet::new();
    let mut tokens = HashSet::new();
    let mut verifications = Vec::with_capacity(snap.verifications.len());
    for view in &snap.verifications {
        let v = &view.verification;
        let id = app.partners().by_key(&view.partner).ok_or_else(|| {
            format!(
                "verification '{}' belongs to partner '{}', which is not configured",
                v.scan_ref, view.partner
            )
        })?;
        if !scan_refs.insert(v.scan_ref.clone()) {
            return Err(format!("two verifications have scanRef '{}'", v.scan_ref));
        }
        if !tokens.insert(v.auth_token.as_str()) {
            return Err(format!(
                "verification '{}' has the authToken of an earlier one",
                v.scan_ref
            ));
        }
        let mut v = v.clone();
        v.partner = id;
        verifications.push(v);
    }
    let mut ids = HashSet::new();
    for r in &snap.webhooks {
        if !(1..=MAX_WEBHOOK_ID).contains(&r.id) {
            return Err(format!(
                "webhook id {} is outside 1..={MAX_WEBHOOK_ID}",
                r.id
            ));
        }
        if !ids.insert(r.id) {
            return Err(format!("two webhooks have id {}", r.id));
        }
    }
    Ok(verifications)
}

/// The one writer of a state file. Every save (periodic, shutdown) goes
/// through [`StateFile::save`], which holds a lock for the whole write: two
/// saves never interleave, and a save still running when shutdown comes
/// finishes before the shutdown save starts.
///
/// A save writes a fresh temporary file beside the destination (a name no
/// other save uses), syncs it, renames it over the destination and syncs the
/// directory, so whatever kills the process at whatever point, the path
/// holds either the previous whole file or the new whole file.
pub struct StateFile {
    path: PathBuf,
    writing: Ordered<()>,
}

impl StateFile {
    /// Checks that `path`'s directory exists and is writable, by creating
    /// and removing a probe file there, and removes temporary files that an
    /// earlier process killed mid-save left behind.
    pub fn open(path: PathBuf) -> Result<StateFile, String> {
        let dir = directory_of(&path);
        let probe = temporary_beside(&path, "probe");
        let made = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .and_then(|mut f| f.write_all(b"probe"));
        let _ = std::fs::remove_file(&probe);
        if let Err(e) = made {
            return Err(format!(
                "the state file {} cannot be saved: its directory {} is not writable ({e})",
                path.display(),
                dir.display()
            ));
        }
        remove_leftovers(&path);
        Ok(StateFile {
            path,
            writing: Ordered::new(Rank::StateFile, ()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes all state atomically (see the type's documentation). Blocks
    /// while another save is writing.
    pub fn save(&self, app: &App) -> std::io::Result<()> {
        let _one_writer = self.writing.lock();
        let snap = take(app);
        let tmp = temporary_beside(&self.path, "tmp");
        let written = (|| {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            let mut out = BufWriter::new(file);
            serde_json::to_writer(&mut out, &snap)?;
            out.flush()?;
            out.get_ref().sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            // The rename is durable once the directory is.
            File::open(directory_of(&self.path))?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

/// The directory `path` is in (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// `DIR/.NAME.KIND-PID-N`: unique to this save in this process; the leading
/// dot and the fixed prefix let a later start find what a kill left behind.
fn temporary_beside(path: &Path, kind: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = leftover_prefix(path);
    name.push(format!("{kind}-{}-{n}", std::process::id()));
    path.with_file_name(name)
}

fn leftover_prefix(path: &Path) -> std::ffi::OsString {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".");
    name
}

/// Removes `.NAME.tmp-*` files beside `path`: saves that a SIGKILL cut short.
fn remove_leftovers(path: &Path) {
    let prefix = leftover_prefix(path);
    let prefix = prefix.to_string_lossy();
    let Ok(entries) = std::fs::read_dir(directory_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name
            .strip_prefix(prefix.as_ref())
            .is_some_and(|rest| rest.starts_with("tmp-"))
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Restores the state file at `path`. `Ok(None)` when there is none yet (a
/// first start); an unreadable or refused file is an error, so a typo in a
/// path or a damaged file never silently starts empty and overwrites it.
pub fn load(app: &App, path: &Path) -> Result<Option<Restored>, String> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    let snap: Snapshot = serde_json::from_reader(BufReader::new(file))
        .map_err(|e| format!("state file {} is not a snapshot: {e}", path.display()))?;
    put(app, snap)
        .map(Some)
        .map_err(|e| format!("state file {}: {e}", path.display()))
}

/// The state file while the server runs: restored at start, saved every
/// `[state].save_every_secs`, and once more at shutdown.
pub struct Keeping {
    file: Arc<StateFile>,
    saver: tokio::task::JoinHandle<()>,
}

impl Keeping {
    /// Checks the configured state file's directory, restores the file and
    /// starts the periodic saves; `None` without a state file. An
    /// unwritable directory or a file that does not load is an error: a
    /// typo in a path never starts empty and overwrites the file later.
    pub fn start(app: &Arc<App>) -> std::io::Result<Option<Keeping>> {
        let s = &app.config().state;
        let Some(path) = s.file.clone() else {
            return Ok(None);
        };
        let every = Duration::from_secs(s.save_every_secs);
        let file = StateFile::open(path)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e))?;
        let restored = load(app, file.path())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        if let Some(r) = restored {
            tracing::info!(
                "restored {} verification(s) and {} webhook(s) from {}",
                r.verifications,
                r.webhooks,
                file.path().display()
            );
        }
        let file = Arc::new(file);
        let saver = tokio::spawn(save_periodically(app.clone(), file.clone(), every));
        Ok(Some(Keeping { file, saver }))
    }

    /// Stops the periodic saves (one already writing finishes first: the
    /// final save waits for the file's lock) and saves once more, pending
    /// webhooks as pending; why that save failed, if it did.
    pub async fn finish(self, app: &Arc<App>) -> Option<String> {
        self.saver.abort();
        let _ = self.saver.await;
        let (app, writer) = (app.clone(), self.file.clone());
        let saved = tokio::task::spawn_blocking(move || writer.save(&app))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        let path = self.file.path().display();
        match saved {
            Ok(()) => {
                tracing::info!("state saved to {path}");
                None
            }
            Err(e) => {
                let why = format!("cannot save the state file {path}: {e}");
                tracing::error!("{why}");
                Some(why)
            }
        }
    }

    /// Stops the periodic saves at once (the server is dropped).
    pub fn abort(&self) {
        self.saver.abort();
    }
}

/// Saves the state every `every`; a failed save is logged as an error and
/// tried again next time. Aborting the task does not cut a save short: the
/// save runs on a blocking thread and holds the file's lock until done.
async fn save_periodically(app: Arc<App>, file: Arc<StateFile>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate; the state was just loaded
    loop {
        tick.tick().await;
        let (app, writer) = (app.clone(), file.clone());
        let saved = tokio::task::spawn_blocking(move || writer.save(&app)).await;
        let failed = match saved {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        tracing::error!(
            "cannot save the state file {}: {failed}",
            file.path().display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips_and_a_missing_file_is_a_first_start() {
        let dir = std::env::temp_dir().join(format!("idenfy-mock-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let _ = std::fs::remove_file(&path);
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let app = crate::runtime::app::test_state();
            assert!(load(&app, &path).unwrap().is_none());
            app.clock().set_offset_ms(5_000);
            StateFile::open(path.clone()).unwrap().save(&app).unwrap();
            let names: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["state.json"], "the temporary file is renamed");
            let again = crate::runtime::app::test_state();
            let restored = load(&again, &path).unwrap().expect("a file");
            assert_eq!((restored.verifications, restored.webhooks), (0, 0));
            assert_eq!(again.clock().offset_ms(), 5_000);
            std::fs::write(&path, b"{not json").unwrap();
            let e = load(&again, &path).unwrap_err();
            assert!(e.contains("is not a snapshot"), "{e}");
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}
