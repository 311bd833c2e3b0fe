//! `cp -a` parity: each item cp -a keeps (holes, FIFOs, sockets and devices, owners with
//! their set-id bits, extended attributes and ACLs, hard links to symlinks) is copied by
//! `cp -a` and by every mode of ours from the same tree, and the two copies are compared field
//! by field: type, permission bits, owner, group, mtime and atime, size, allocated blocks,
//! extended attributes, device number and link count (with who shares the inode).
//!
//! Parts that need root (another owner, devices, `trusted.*`) or a file system with user
//! extended attributes are skipped visibly where they cannot run.

#[macro_use]
mod common;

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use common::parity::*;
use common::*;

/// Whether the file system under `dir` takes `user.*` attributes (tmpfs does on recent
/// kernels, ext4 does; some do not).
fn user_xattrs_supported(dir: &Path) -> bool {
    let probe = dir.join("xattr-probe");
    fs::write(&probe, b"").unwrap();
    let (p, n) = (c(&probe), CString::new("user.probe").unwrap());
    // SAFETY: valid NUL-terminated strings and a 1-byte value.
    let rc = unsafe { libc::setxattr(p.as_ptr(), n.as_ptr(), b"1".as_ptr().cast(), 1, 0) };
    fs::remove_file(&probe).unwrap();
    rc == 0
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    let (p, n) = (c(path), CString::new(name).unwrap());
    // SAFETY: valid NUL-terminated strings and a value of the given length.
    let rc = unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    assert_eq!(rc, 0, "setxattr {name} on {}", path.display());
}

fn mknod(path: &Path, mode: libc::mode_t, dev: libc::dev_t) {
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc::mknod(c(path).as_ptr(), mode, dev) };
    assert_eq!(
        rc,
        0,
        "mknod {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

#[test]
fn sparse_files_keep_their_holes() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    // 1 GiB with 4 KiB of data in the middle; a small file with a hole; a hole at the end.
    let big = fs::File::create(src.join("sparse-1g")).unwrap();
    big.set_len(1 << 30).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&big, &[7u8; 4096], 512 << 20).unwrap();
    let small = fs::File::create(src.join("sparse-small")).unwrap();
    small.set_len(200_000).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&small, b"tail", 199_996).unwrap();
    let end = fs::File::create(src.join("hole-at-end")).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&end, &[1u8; 8192], 0).unwrap();
    end.set_len(10 << 20).unwrap();
    fs::write(src.join("dense"), vec![3u8; 300_000]).unwrap();
    drop((big, small, end));
    let by_cp = assert_like_cp(tmp.path(), &src, &[], &[]);
    let blocks = fs::metadata(by_cp.join("sparse-1g")).unwrap().blocks();
    assert!(blocks < 1024, "cp -a kept the holes: {blocks} blocks");
    for mode in MODES {
        let copy = fs::File::open(tmp.path().join(format!("by-{mode}/sparse-1g"))).unwrap();
        let mut data = vec![1u8; 3 * 4096];
        std::os::unix::fs::FileExt::read_exact_at(&copy, &mut data, (512 << 20) - 4096).unwrap();
        assert!(
            data[..4096].iter().all(|b| *b == 0),
            "{mode}: the hole before"
        );
        assert!(data[4096..8192].iter().all(|b| *b == 7), "{mode}: the data");
        assert!(
            data[8192..].iter().all(|b| *b == 0),
            "{mode}: the hole after"
        );
        let sparse_small = fs::read(tmp.path().join(format!("by-{mode}/sparse-small"))).unwrap();
        assert_eq!(&sparse_small[199_996..], b"tail");
        assert!(sparse_small[..199_996].iter().all(|b| *b == 0));
    }
}

#[test]
fn fifos_sockets_and_devices_are_recreated() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    mknod(&src.join("fifo"), libc::S_IFIFO | 0o640, 0);
    let sock = src.join("socket");
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    if is_root() {
        mknod(
            &src.join("null-like"),
            libc::S_IFCHR | 0o666,
            libc::makedev(1, 3),
        );
        mknod(
            &src.join("loop-like"),
            libc::S_IFBLK | 0o660,
            libc::makedev(7, 200),
        );
    } else {
        skip!("SKIP: devices need root to be made (FIFO and socket still checked)");
    }
    assert_like_cp(tmp.path(), &src, &[], &[]);
}

#[test]
fn a_device_that_cannot_be_made_is_an_error_naming_it() {
    if !is_root() {
        skip!("SKIP: making the source device needs root");
        return;
    }
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    mknod(&src.join("dev"), libc::S_IFCHR | 0o600, libc::makedev(1, 3));
    fs::write(src.join("file"), b"still copied\n").unwrap();
    let dst = tmp.path().join("dst");
    let mut cmd = Command::new(BIN);
    cmd.args([&src, &dst]);
    // Without CAP_MKNOD, as an ordinary user is.
    // SAFETY: only prctl (async-signal-safe) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_CAPBSET_DROP, 27, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let out = cmd.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot create character device '") && err.contains("dev': "),
        "{err}"
    );
    assert_eq!(fs::read(dst.join("file")).unwrap(), b"still copied\n");
}

#[test]
fn owners_and_set_id_bits_are_kept_when_permitted() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("shared")).unwrap();
    fs::write(src.join("setuid"), b"#!/bin/sh\n").unwrap();
    fs::write(src.join("plain"), b"plain\n").unwrap();
    symlink("plain", src.join("link")).unwrap();
    fs::set_permissions(src.join("setuid"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::set_permissions(src.join("shared"), fs::Permissions::from_mode(0o2775)).unwrap();
    if is_root() {
        for (name, uid, gid) in [
            ("setuid", 1234, 5678),
            ("shared", 0, 4321),
            ("link", 42, 43),
        ] {
            let p = c(&src.join(name));
            // SAFETY: a valid path; lchown does not follow the symlink.
            assert_eq!(unsafe { libc::lchown(p.as_ptr(), uid, gid) }, 0);
        }
        fs::set_permissions(src.join("setuid"), fs::Permissions::from_mode(0o4755)).unwrap();
        fs::set_permissions(src.join("shared"), fs::Permissions::from_mode(0o2775)).unwrap();
    } else {
        skip!("SKIP: files of other owners need root (our own files still checked)");
    }
    let by_cp = assert_like_cp(tmp.path(), &src, &[], &[]);
    let m = fs::metadata(by_cp.join("setuid")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o4755, "cp -a kept the set-uid bit");

    // --no-owner: the copy is ours, and the set-id bits go with the owner (cp -a
    // --no-preserve=ownership keeps them, as it does not call chown: here we do not follow).
    let dst = tmp.path().join("no-owner");
    let out = tfc_with_caps()
        .arg("--no-owner")
        .args([&src, &dst])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let m = fs::metadata(dst.join("setuid")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o755, "set-uid dropped with the owner");
    assert_eq!((m.uid(), m.gid()), (our_ids().0, our_ids().1));
    // Without set-id bits in SRC, --no-owner and cp -a --no-preserve=ownership agree.
    let tmp2 = Scratch::new();
    fs::rename(&src, tmp2.path().join("src")).unwrap();
    let src2 = tmp2.path().join("src");
    fs::set_permissions(src2.join("setuid"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(src2.join("shared"), fs::Permissions::from_mode(0o775)).unwrap();
    assert_like_cp(
        tmp2.path(),
        &src2,
        &["--no-preserve=ownership"],
        &["--no-owner"],
    );
}

/// Our effective user and group.
fn our_ids() -> (u32, u32) {
    // SAFETY: geteuid and getegid have no preconditions and cannot fail.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

#[test]
fn extended_attributes_and_acls_are_kept() {
    let tmp = Scratch::new();
    if !user_xattrs_supported(tmp.path()) {
        skip!("SKIP: {} takes no user.* attributes", tmp.path().display());
        return;
    }
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("dir")).unwrap();
    fs::write(src.join("file"), b"content\n").unwrap();
    fs::write(src.join("dir/inner"), b"inner\n").unwrap();
    set_xattr(&src.join("file"), "user.comment", b"kept by cp -a");
    set_xattr(&src.join("file"), "user.empty", b"");
    set_xattr(&src.join("file"), "user.binary", &[0, 1, 2, 255]);
    set_xattr(&src.join("dir"), "user.on-a-dir", b"yes");
    if is_root() {
        set_xattr(&src.join("file"), "trusted.root-only", b"t");
    } else {
        skip!("SKIP: trusted.* needs root");
    }
    let acl = Command::new("setfacl")
        .args(["-m", "u:nobody:rw"])
        .arg(src.join("file"))
        .status();
    let default_acl = Command::new("setfacl")
        .args(["-d", "-m", "u:nobody:rx"])
        .arg(src.join("dir"))
        .status();
    let have_acls = matches!((acl, default_acl), (Ok(a), Ok(d)) if a.success() && d.success());
    if !have_acls {
        skip!("SKIP: setfacl not available or ACLs not supported: ACLs not checked");
    }
    let by_cp = assert_like_cp(tmp.path(), &src, &[], &[]);
    let got = xattrs(&by_cp.join("file"));
    assert!(got.contains_key("user.comment"), "{got:?}");
    if have_acls {
        assert!(got.contains_key("system.posix_acl_access"), "{got:?}");
        assert!(xattrs(&by_cp.join("dir")).contains_key("system.posix_acl_default"));
    }

    // --no-xattrs: like cp -a --no-preserve=xattr. cp keeps ACLs with the permission bits
    // even then, --no-xattrs does not (they are attributes too), so they go from SRC first.
    let tmp2 = Scratch::new();
    fs::rename(&src, tmp2.path().join("src")).unwrap();
    let src2 = tmp2.path().join("src");
    if have_acls {
        let stripped = Command::new("setfacl")
            .arg("-R")
            .arg("-b")
            .arg(&src2)
            .status();
        assert!(stripped.unwrap().success(), "setfacl -R -b");
    }
    let cp_plain = assert_like_cp(
        tmp2.path(),
        &src2,
        &["--no-preserve=xattr"],
        &["--no-xattrs"],
    );
    assert!(xattrs(&cp_plain.join("file")).is_empty());
}

#[test]
fn hard_links_to_symlinks_are_kept() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("target"), b"t\n").unwrap();
    symlink("target", src.join("link")).unwrap();
    // link(2) on a symlink links the symlink itself (std's hard_link does not follow).
    fs::hard_link(src.join("link"), src.join("sub/same-link")).unwrap();
    mknod(&src.join("fifo"), libc::S_IFIFO | 0o600, 0);
    fs::hard_link(src.join("fifo"), src.join("sub/same-fifo")).unwrap();
    let by_cp = assert_like_cp(tmp.path(), &src, &[], &[]);
    let m = fs::symlink_metadata(by_cp.join("link")).unwrap();
    assert_eq!(m.nlink(), 2, "cp -a kept the symlink's hard link");
}
