//! Output: the only code that writes files. Writes are atomic: a temporary file in
//! the target's directory, flushed to disk, then renamed over the target, so a
//! reader never sees half a report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files written and not yet renamed: removed if the run is
/// interrupted (see [`remove_temporaries_on_signal`]).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// On SIGINT or SIGTERM, removes the temporary files of outputs not renamed
/// yet and exits with 128 + the signal, as the default action would have
/// (signal-hook: the removal runs on a thread, not in a signal handler).
pub fn remove_temporaries_on_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            for p in pending().drain(..) {
                let _ = std::fs::remove_file(p);
            }
            std::process::exit(128 + sig);
        }
    });
}

/// An output written to a temporary file beside its target, waiting to be
/// renamed over it ([`Staged::commit`]); dropped, the temporary file goes.
pub struct Staged {
    target: PathBuf,
    how: StagedKind,
}

enum StagedKind {
    /// A regular file (or none yet): renamed into place.
    File(tempfile::NamedTempFile),
    /// A device, FIFO or terminal: written at commit (renaming over it would
    /// replace the device).
    Direct(Vec<u8>),
}

impl Staged {
    /// Renames the temporary file over the target (or writes the device).
    pub fn commit(self) -> std::io::Result<()> {
        self.commit_in(&mut pending())
    }

    /// [`Self::commit`], with the list of pending temporaries held (locked):
    /// a signal's cleanup waits until the renames are done.
    fn commit_in(mut self, pending: &mut Vec<PathBuf>) -> std::io::Result<()> {
        match std::mem::replace(&mut self.how, StagedKind::Direct(Vec::new())) {
            StagedKind::File(tmp) => {
                let tmp_path = tmp.path().to_path_buf();
                let r = tmp.persist(&self.target).map(|_| ()).map_err(|e| e.error);
                pending.retain(|p| *p != tmp_path);
                r
            }
            StagedKind::Direct(bytes) => {
                let mut f = std::fs::OpenOptions::new().write(true).open(&self.target)?;
                f.write_all(&bytes)
            }
        }
    }
}

impl Drop for Staged {
    /// The temporary file is deleted, then unlisted, under the list's lock:
    /// a signal's cleanup never finds it listed and gone, or gone unlisted.
    fn drop(&mut self) {
        if let StagedKind::File(tmp) =
            std::mem::replace(&mut self.how, StagedKind::Direct(Vec::new()))
        {
            let mut pending = pending();
            let p = tmp.path().to_path_buf();
            drop(tmp);
            pending.retain(|x| *x != p);
        }
    }
}

/// Writes `bytes` to a new temporary file in `path`'s folder (created if
/// needed), flushed to disk, to be renamed over `path` by [`Staged::commit`].
pub fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<Staged> {
    if let Ok(m) = std::fs::metadata(path)
        && m.is_dir()
    {
        // said before anything is renamed, not at the rename
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_file()
    {
        return Ok(Staged {
            target: path.to_path_buf(),
            how: StagedKind::Direct(bytes.to_vec()),
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    // created exclusively (O_EXCL: never an existing file or a symlink planted
    // there) under an unpredictable name, in the target's folder so the
    // rename stays on one file system; removed if anything fails
    // created and listed under the list's lock: a signal between the two
    // would leave it behind
    let mut listed = pending();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    listed.push(tmp.path().to_path_buf());
    drop(listed);
    let staged = Staged {
        target: path.to_path_buf(),
        how: StagedKind::File(tmp),
    };
    let StagedKind::File(tmp) = &staged.how else {
        unreachable!("staged as a file just above")
    };
    let mut f = tmp.as_file();
    f.write_all(bytes)?;
    // the temporary file is private (0600); a report is made to be shared:
    // the target keeps its own mode, a new one gets rw-r--r--
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    f.sync_all()?;
    Ok(staged)
}

/// Writes `bytes` to `path` atomically, creating the parent directory if needed.
/// A target that exists and is not a regular file (`/dev/null`, a FIFO, a
/// terminal) is written directly.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    stage(path, bytes)?.commit()
}

/// Several outputs written together: all staged first, renamed only when
/// every one is complete, so a failure (a full disk) leaves every old file
/// in place and no temporary file.
/// On failure: the output that failed, why, and how many outputs before it
/// were already renamed (0 unless a rename itself failed).
pub fn write_all_or_none(
    outputs: &[(&Path, &[u8])],
) -> Result<(), (PathBuf, std::io::Error, usize)> {
    let mut staged = Vec::with_capacity(outputs.len());
    for (p, bytes) in outputs {
        staged.push(stage(p, bytes).map_err(|e| (p.to_path_buf(), e, 0))?);
    }
    // for the test of an interrupted run: time to send the signal
    if let Some(ms) = std::env::var_os("PGSIFT_TEST_PAUSE_BEFORE_RENAME_MS")
        .and_then(|v| v.to_str()?.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    // the renames under the lock of the pending list: SIGTERM's cleanup runs
    // before them (all old files stay) or after them (all new), not between
    commit_all(staged)
}

/// Renames staged outputs in order, under the pending list's lock; stops at
/// the first failure (the ones after it are dropped, their temporaries
/// deleted). On failure: the output, why, and how many were renamed before.
fn commit_all(staged: Vec<Staged>) -> Result<(), (PathBuf, std::io::Error, usize)> {
    let mut result = Ok(());
    let mut left = staged.into_iter().enumerate();
    {
        let mut pending = pending();
        for (done, s) in left.by_ref() {
            let target = s.target.clone();
            if let Err(e) = s.commit_in(&mut pending) {
                result = Err((target, e, done));
                break;
            }
        }
    }
    // the ones not renamed after a failure are dropped (their temporaries
    // deleted) once the lock is released: dropping one takes the lock
    drop(left);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_leaving_no_temp_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("nested/report.html");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(d.path().join("nested"))
            .unwrap()
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_the_old_temporary_name_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim.txt");
        std::fs::write(&victim, b"keep me").unwrap();
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        // the name pgsift used to write to, predictable from the pid
        let planted = out.join(format!(".report.html.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_atomic(&out.join("report.html"), b"report").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(std::fs::read(out.join("report.html")).unwrap(), b"report");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_output_is_readable_by_others_and_a_replaced_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("report.html");
        write_atomic(&p, b"one").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o644);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(mode(&p), 0o640);
    }

    #[test]
    fn outputs_are_renamed_only_when_all_are_written() {
        let d = tempfile::tempdir().unwrap();
        let html = d.path().join("report.html");
        let json = d.path().join("report.json");
        write_all_or_none(&[(&html, b"old html"), (&json, b"old json")]).unwrap();
        // the JSON cannot be written (its folder is a file): nothing changes
        let blocked = d.path().join("file");
        std::fs::write(&blocked, b"x").unwrap();
        let bad = blocked.join("report.json");
        let (p, _, done) =
            write_all_or_none(&[(&html, b"new html"), (&bad, b"new json")]).unwrap_err();
        assert_eq!((p, done), (bad, 0));
        // a folder where a file is to go: refused before anything is renamed
        let (p, e, done) =
            write_all_or_none(&[(&html, b"new html"), (d.path(), b"x")]).unwrap_err();
        assert_eq!((p.as_path(), done), (d.path(), 0));
        assert_eq!(e.kind(), std::io::ErrorKind::IsADirectory);
        assert_eq!(std::fs::read(&html).unwrap(), b"old html");
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "a temporary file was left: {names:?}");
        write_all_or_none(&[(&html, b"new html"), (&json, b"new json")]).unwrap();
        assert_eq!(std::fs::read(&json).unwrap(), b"new json");
        // a rename that fails midway (the target became a folder holding a
        // file after staging): the error says how many were renamed, the
        // rest are dropped with their temporaries, and nothing hangs
        let sub = d.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let (a, b, c) = (sub.join("a.html"), sub.join("b.json"), sub.join("c.md"));
        let staged = vec![
            stage(&a, b"a").unwrap(),
            stage(&b, b"b").unwrap(),
            stage(&c, b"c").unwrap(),
        ];
        std::fs::create_dir(&b).unwrap();
        std::fs::write(b.join("inside"), b"x").unwrap();
        let (p, _, done) = commit_all(staged).unwrap_err();
        assert_eq!((p, done), (b.clone(), 1));
        assert_eq!(std::fs::read(&a).unwrap(), b"a");
        assert!(!c.exists());
        let names: Vec<String> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_not_replaced() {
        write_atomic(Path::new("/dev/null"), b"report").unwrap();
        let m = std::fs::metadata("/dev/null").unwrap();
        assert!(!m.is_file(), "/dev/null was replaced by a file");
    }
}
