//! A commit's tree as a `.tar.gz`, laid out like GitHub's tarballs (one top directory
//! `{owner}-{repo}-{short sha}/`). The gzip stream uses stored (uncompressed) deflate blocks:
//! any gunzip reads it and it needs no compression library.

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

pub(crate) fn tarball(
    repo: &Repository,
    commit: Oid,
    prefix: &str,
) -> Result<Vec<u8>, git2::Error> {
    let commit = repo.find_commit(commit)?;
    let mtime = commit.time().seconds().max(0) as u64;
    let tree = commit.tree()?;
    let mut tar = Vec::new();
    append(&mut tar, &format!("{prefix}/"), b'5', 0o755, &[], "", mtime);
    let mut failure = None;
    tree.walk(TreeWalkMode::PreOrder, |root, entry| {
        let path = format!("{prefix}/{root}{}", entry.name().unwrap_or_default());
        match entry.kind() {
            Some(ObjectType::Tree) => {
                append(&mut tar, &format!("{path}/"), b'5', 0o755, &[], "", mtime)
            }
            Some(ObjectType::Blob) => match repo.find_blob(entry.id()) {
                Ok(blob) => match entry.filemode() {
                    0o120000 => {
                        let target = String::from_utf8_lossy(blob.content()).into_owned();
                        append(&mut tar, &path, b'2', 0o777, &[], &target, mtime);
                    }
                    mode => {
                        let perm = if mode == 0o100755 { 0o755 } else { 0o644 };
                        append(&mut tar, &path, b'0', perm, blob.content(), "", mtime);
                    }
                },
                Err(e) => {
                    failure = Some(e);
                    return TreeWalkResult::Abort;
                }
            },
            _ => {}
        }
        TreeWalkResult::Ok
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    tar.extend_from_slice(&[0; 1024]);
    Ok(gzip_stored(&tar))
}

/// One tar member; names over 100 bytes get a GNU long-name entry before them.
fn append(tar: &mut Vec<u8>, name: &str, kind: u8, mode: u32, data: &[u8], link: &str, mtime: u64) {
    if name.len() > 100 {
        let mut long = name.as_bytes().to_vec();
        long.push(0);
        push_header(tar, "././@LongLink", b'L', 0o644, long.len() as u64, "", 0);
        push_data(tar, &long);
    }
    push_header(tar, name, kind, mode, data.len() as u64, link, mtime);
    push_data(tar, data);
}

fn push_header(
    tar: &mut Vec<u8>,
    name: &str,
    kind: u8,
    mode: u32,
    size: u64,
    link: &str,
    mtime: u64,
) {
    let mut h = [0u8; 512];
    let put = |h: &mut [u8; 512], at: usize, len: usize, bytes: &[u8]| {
        let n = bytes.len().min(len);
        h[at..at + n].copy_from_slice(&bytes[..n]);
    };
    put(&mut h, 0, 100, name.as_bytes());
    put(&mut h, 100, 8, format!("{mode:07o}\0").as_bytes());
    put(&mut h, 108, 8, b"0000000\0");
    put(&mut h, 116, 8, b"0000000\0");
    put(&mut h, 124, 12, format!("{size:011o}\0").as_bytes());
    put(&mut h, 136, 12, format!("{mtime:011o}\0").as_bytes());
    h[148..156].copy_from_slice(b"        ");
    h[156] = kind;
    put(&mut h, 157, 100, link.as_bytes());
    put(&mut h, 257, 8, b"ustar\x0000");
    put(&mut h, 265, 32, b"root");
    put(&mut h, 297, 32, b"root");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    put(&mut h, 148, 8, format!("{sum:06o}\0 ").as_bytes());
    tar.extend_from_slice(&h);
}

fn push_data(tar: &mut Vec<u8>, data: &[u8]) {
    tar.extend_from_slice(data);
    let pad = (512 - data.len() % 512) % 512;
    tar.extend(std::iter::repeat_n(0u8, pad));
}

fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xFFFF).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
