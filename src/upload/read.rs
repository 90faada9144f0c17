//! Reading the file: positioned reads into part buffers, with the checksum computed as they land.
//!
//! Buffered reads go through the page cache a chunk at a time, and each chunk is summed while it is
//! still in the CPU cache. With [`ReadMode::Direct`], reads on Linux bypass the page cache
//! (`O_DIRECT`): the disk writes each part straight into its buffer. Where the filesystem refuses
//! that, or a read is not aligned, the file is read through the page cache instead; the bytes are
//! the same either way.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::BytesMut;

use super::{ChecksumAlgorithm, ReadMode};

/// Alignment of offsets, lengths and buffer addresses for direct reads. 4096 covers the logical
/// block size of every common device (512 or 4096 bytes).
pub(crate) const ALIGN: usize = 4096;

/// How much a buffered read takes per system call: small enough that the checksum reads the bytes
/// while they are still in the CPU cache, large enough to keep the calls few.
const READ_CHUNK: usize = 1 << 20;

/// An open file to upload.
pub(crate) struct Source {
    buffered: File,
    /// The same file opened with `O_DIRECT`, while direct reads work.
    direct: Option<File>,
    direct_ok: AtomicBool,
}

impl Source {
    /// Opens `path` for reading, and for direct reads too when `mode` asks and the system allows.
    pub(crate) fn open(path: &Path, mode: ReadMode) -> std::io::Result<Self> {
        let buffered = File::open(path)?;
        let direct = match mode {
            ReadMode::Direct => open_direct(path),
            ReadMode::Buffered => None,
        };
        Ok(Self {
            direct_ok: AtomicBool::new(direct.is_some()),
            direct,
            buffered,
        })
    }

    pub(crate) fn metadata(&self) -> std::io::Result<std::fs::Metadata> {
        self.buffered.metadata()
    }

    /// Whether reads of this file go around the page cache.
    pub(crate) fn is_direct(&self) -> bool {
        self.direct_ok.load(Ordering::Relaxed)
    }

    /// Fills `buf[..len]` from `offset` and returns the checksum of those bytes. `buf` must hold
    /// at least `len` bytes; with room for `len` rounded up to [`ALIGN`] at an aligned address and
    /// an aligned `offset`, the read is direct.
    fn read_into(
        &self,
        buf: &mut [u8],
        offset: u64,
        len: usize,
        alg: ChecksumAlgorithm,
    ) -> std::io::Result<u64> {
        if let Some(direct) = &self.direct
            && self.direct_ok.load(Ordering::Relaxed)
        {
            let padded = len.next_multiple_of(ALIGN);
            if offset.is_multiple_of(ALIGN as u64)
                && buf.len() >= padded
                && (buf.as_ptr() as usize).is_multiple_of(ALIGN)
            {
                match read_at_least(direct, &mut buf[..padded], offset, len) {
                    Ok(()) => return Ok(crc_fast::checksum(alg.crc(), &buf[..len])),
                    Err(e) if refused(&e) => {
                        tracing::debug!(
                            "direct reads refused ({e}); reading through the page cache"
                        );
                        self.direct_ok.store(false, Ordering::Relaxed);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let mut digest = crc_fast::Digest::new(alg.crc());
        let mut at = 0;
        for chunk in buf[..len].chunks_mut(READ_CHUNK) {
            read_at_least(&self.buffered, chunk, offset + at, chunk.len())?;
            digest.update(chunk);
            at += chunk.len() as u64;
        }
        Ok(digest.finalize())
    }
}

/// Whether a direct read failed because direct reads are not possible here (as opposed to an I/O
/// error that a buffered read would meet too).
fn refused(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    {
        matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EOPNOTSUPP))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = e;
        true
    }
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
    {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::debug!(
                "{}: no direct reads ({e}); reading through the page cache",
                path.display()
            );
            None
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_path: &Path) -> Option<File> {
    None
}

/// Reads at least `len` bytes at `offset` into `buf` (which may be longer: a direct read asks for
/// `len` rounded up to [`ALIGN`], and the file's end stops it short). A file that ends before `len`
/// bytes is an unexpected end of file.
/// Bytes read from local source files by this process, all uploaders together.
static BYTES_READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bytes this process has read from local source files so far (to upload or to checksum them), for
/// benchmarks and for telling whether an apply read any mezzanine at all.
pub fn source_bytes_read() -> u64 {
    BYTES_READ.load(Ordering::Relaxed)
}

fn read_at_least(file: &File, buf: &mut [u8], offset: u64, len: usize) -> std::io::Result<()> {
    BYTES_READ.fetch_add(len as u64, Ordering::Relaxed);
    let mut got = 0;
    while got < len {
        match read_at(file, &mut buf[got..], offset + got as u64)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(())
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, offset) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}

/// Reads `len` bytes at `offset` into `buf` on a blocking thread and computes their checksum there.
/// `buf` comes from [`super::buffers::Budget::lease`] (aligned, with room for the padded length)
/// and is returned holding exactly `len` bytes.
pub(crate) async fn read_part(
    source: &Arc<Source>,
    mut buf: BytesMut,
    offset: u64,
    len: usize,
    alg: ChecksumAlgorithm,
) -> std::io::Result<(BytesMut, u64)> {
    let source = Arc::clone(source);
    tokio::task::spawn_blocking(move || {
        let crc = source.read_into(&mut buf, offset, len, alg)?;
        buf.truncate(len);
        Ok((buf, crc))
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The whole file's checksum, read in 8 MiB blocks on a blocking thread.
pub(crate) async fn file_checksum(
    source: &Arc<Source>,
    size: u64,
    alg: ChecksumAlgorithm,
) -> std::io::Result<u64> {
    let source = Arc::clone(source);
    tokio::task::spawn_blocking(move || {
        const BLOCK: usize = 8 << 20;
        let mut buf = aligned_zeroed(BLOCK.min(size as usize).next_multiple_of(ALIGN));
        let mut crc = None;
        let mut off = 0u64;
        while off < size {
            let n = BLOCK.min((size - off) as usize);
            let block = source.read_into(&mut buf, off, n, alg)?;
            crc = Some(match crc {
                None => block,
                Some(c) => crc_fast::checksum_combine(alg.crc(), c, block, n as u64),
            });
            off += n as u64;
        }
        Ok(crc.unwrap_or_else(|| crc_fast::checksum(alg.crc(), &[])))
    })
    .await
    .map_err(std::io::Error::other)?
}

/// A zeroed buffer of `len` bytes whose first byte is [`ALIGN`]-aligned.
pub(crate) fn aligned_zeroed(len: usize) -> BytesMut {
    let mut b = BytesMut::zeroed(len + ALIGN);
    let pad = b.as_ptr().align_offset(ALIGN).min(ALIGN);
    bytes::Buf::advance(&mut b, pad);
    b.truncate(len);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A file in the system's temporary directory, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn sample(len: usize) -> (TempFile, Vec<u8>) {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 4099) as u8).collect();
        let path = std::env::temp_dir().join(format!(
            "vod-read-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let mut f = File::create(&path).unwrap();
        f.write_all(&data).unwrap();
        f.sync_all().unwrap();
        (TempFile(path), data)
    }

    #[test]
    fn aligned_buffers_are_aligned() {
        for len in [1, 4096, 5 << 20, (5 << 20) + 3] {
            let b = aligned_zeroed(len);
            assert_eq!(b.len(), len);
            assert_eq!(b.as_ptr() as usize % ALIGN, 0);
        }
    }

    /// Direct and buffered reads give the same bytes and checksums, for whole blocks, a short last
    /// block, and an unaligned offset (which falls back to a buffered read).
    #[tokio::test]
    async fn direct_and_buffered_reads_agree() {
        let size = 3 * (1 << 20) + 12_345;
        let (f, data) = sample(size);
        for mode in [ReadMode::Direct, ReadMode::Buffered] {
            let src = Arc::new(Source::open(f.path(), mode).unwrap());
            for (offset, len) in [(0, 1 << 20), (1 << 20, size - (1 << 20)), (4097, 10_000)] {
                let buf = aligned_zeroed(len.next_multiple_of(ALIGN));
                let (buf, crc) =
                    read_part(&src, buf, offset as u64, len, ChecksumAlgorithm::Crc64Nvme)
                        .await
                        .unwrap();
                assert_eq!(
                    &buf[..],
                    &data[offset..offset + len],
                    "{mode:?} {offset}+{len}"
                );
                let want = crc_fast::checksum(ChecksumAlgorithm::Crc64Nvme.crc(), &buf);
                assert_eq!(crc, want);
            }
            let whole = file_checksum(&src, size as u64, ChecksumAlgorithm::Crc32c)
                .await
                .unwrap();
            assert_eq!(
                whole,
                crc_fast::checksum(ChecksumAlgorithm::Crc32c.crc(), &data)
            );
            // Where the filesystem took O_DIRECT, aligned reads must not have been refused.
            assert_eq!(src.is_direct(), src.direct.is_some(), "{mode:?}");
            if mode == ReadMode::Direct && cfg!(target_os = "linux") {
                eprintln!(
                    "direct reads in {}: {}",
                    f.path().display(),
                    src.is_direct()
                );
            }
        }
    }

    /// A file shorter than expected (truncated under the upload) is an error, not short data.
    #[tokio::test]
    async fn a_truncated_file_is_an_error() {
        let (f, _) = sample(10_000);
        for mode in [ReadMode::Direct, ReadMode::Buffered] {
            let src = Arc::new(Source::open(f.path(), mode).unwrap());
            let err = read_part(
                &src,
                aligned_zeroed(16_384),
                0,
                16_000,
                ChecksumAlgorithm::Crc64Nvme,
            )
            .await
            .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{mode:?}");
        }
    }

    /// The whole-file checksum as S3 reports `ChecksumCRC64NVME`, for the algorithm's check input.
    #[tokio::test]
    async fn crc64nvme_of_a_known_input() {
        // CRC-64/NVME check value of "123456789" is 0xAE8B14860A799888.
        let path = std::env::temp_dir().join(format!("vod-crc-{}", std::process::id()));
        std::fs::write(&path, b"123456789").unwrap();
        let f = TempFile(path);
        let src = Arc::new(Source::open(f.path(), ReadMode::Buffered).unwrap());
        let len = src.metadata().unwrap().len();
        assert_eq!(len, 9);
        let alg = ChecksumAlgorithm::Crc64Nvme;
        let b64 = alg.encode(file_checksum(&src, len, alg).await.unwrap());
        assert_eq!(
            b64,
            aws_smithy_types::base64::encode(0xAE8B_1486_0A79_9888u64.to_be_bytes())
        );
    }
}
