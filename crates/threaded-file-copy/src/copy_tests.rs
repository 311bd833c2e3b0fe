//! Unit tests of `copy.rs`: one entry at a time, with every way of naming a new file.

use std::fs::{self, Permissions};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::*;
use crate::staging::{Staging, TEMP_PREFIX};

fn leftovers(dir: &Path) -> Vec<std::ffi::OsString> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.as_bytes().starts_with(TEMP_PREFIX.as_bytes()))
        .collect()
}

fn job(src: &Path, dst: &Path, kind: Kind) -> Job<'static> {
    Job {
        src: src.to_path_buf(),
        dst: dst.to_path_buf(),
        kind,
        dirs: None,
    }
}

#[test]
fn small_and_large_files_keep_content_mode_and_mtime_with_every_staging() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ctx = Context::for_test(tmp.path(), tmp.path());
    let mut buf = buffer();
    let files = [
        ("empty", 0, 0o600),
        ("small", 5000, 0o640),
        ("group-write", 100, 0o664),
        ("large", 3 * SMALL_FILE_MAX + 7, 0o755),
    ];
    let stagings = [
        Staging::UnnamedEmptyPath,
        Staging::UnnamedProcFd,
        Staging::TempName,
    ];
    // Only those this kernel allows (the probe's choice, and every one after it).
    let probed = ctx.staging;
    let usable = stagings.into_iter().skip_while(|s| *s != probed);
    for staging in usable {
        ctx.staging = staging;
        for (name, len, mode) in files {
            let src = tmp.path().join(name);
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            fs::write(&src, &data).unwrap();
            fs::set_permissions(&src, Permissions::from_mode(mode)).unwrap();
            let dst = tmp.path().join(format!("{name}.copy"));
            // The second round copies over the first one's files: replacing works too.
            let outcome = copy_entry(&ctx, &job(&src, &dst, Kind::File), &mut buf, true).unwrap();
            assert_eq!(outcome, Outcome::Copied { bytes: len as u64 });
            assert_eq!(fs::read(&dst).unwrap(), data);
            let (s, d) = (fs::metadata(&src).unwrap(), fs::metadata(&dst).unwrap());
            assert_eq!(d.mode() & 0o7777, mode, "{staging:?}");
            assert_eq!(d.modified().unwrap(), s.modified().unwrap());
        }
        assert!(leftovers(tmp.path()).is_empty(), "{staging:?}");
    }
}

#[test]
fn failed_copy_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ctx = Context::for_test(tmp.path(), tmp.path());
    let src = tmp.path().join("f");
    fs::write(&src, b"data").unwrap();
    // The destination is an existing non-empty directory: giving the copy its name fails.
    let dst = tmp.path().join("d");
    fs::create_dir(&dst).unwrap();
    fs::write(dst.join("x"), b"x").unwrap();
    for staging in [ctx.staging, Staging::TempName] {
        ctx.staging = staging;
        let job = job(&src, &dst, Kind::File);
        let err = copy_entry(&ctx, &job, &mut buffer(), false).unwrap_err();
        assert!(err.to_string().contains("cannot rename into"), "{err}");
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            2,
            "only f and d remain"
        );
    }
}

#[test]
fn symlinks_keep_their_target_even_dangling() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = Context::for_test(tmp.path(), tmp.path());
    let src = tmp.path().join("link");
    std::os::unix::fs::symlink("../nowhere", &src).unwrap();
    let dst = tmp.path().join("link2");
    let job = job(&src, &dst, Kind::Symlink);
    copy_entry(&ctx, &job, &mut buffer(), true).unwrap();
    assert_eq!(fs::read_link(&dst).unwrap(), Path::new("../nowhere"));
    let (s, d) = (
        fs::symlink_metadata(&src).unwrap(),
        fs::symlink_metadata(&dst).unwrap(),
    );
    assert_eq!((s.mtime(), s.mtime_nsec()), (d.mtime(), d.mtime_nsec()));
    assert!(leftovers(tmp.path()).is_empty());
}
