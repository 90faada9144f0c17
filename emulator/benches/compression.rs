//! What the edge's compression costs per request, at the levels it uses (gzip 6, Brotli 5 with a
//! 1 MiB window) and at Brotli's default (11), on an HLS media playlist of 1,000 segments (about
//! 40 KB) and a 5 MB JSON document. Run: `cargo bench -p vod-emulator --bench compression`.

use std::io::Write;
use std::time::{Duration, Instant};

fn playlist() -> Vec<u8> {
    let mut p = String::from(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI=\"init.mp4\"\n",
    );
    for i in 0..1_000 {
        p.push_str(&format!(
            "#EXTINF:6.006,\nsample_1280x720_3000k_{i:05}.m4s\n"
        ));
    }
    p.push_str("#EXT-X-ENDLIST\n");
    p.into_bytes()
}

fn json(size: usize) -> Vec<u8> {
    let mut out = String::from("[");
    let mut i = 0u64;
    while out.len() < size {
        out.push_str(&format!(
            "{{\"id\":\"asset-{i}\",\"duration\":{},\"renditions\":[\"1280x720\",\"960x540\",\"640x360\"]}},",
            (i * 7919) % 3600
        ));
        i += 1;
    }
    out.push(']');
    out.into_bytes()
}

fn gzip(body: &[u8]) -> usize {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    w.write_all(body).unwrap();
    w.finish().unwrap().len()
}

fn brotli(body: &[u8], quality: i32, lgwin: i32) -> usize {
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).unwrap();
    out.len()
}

/// The median of `runs` timings of `f`, and its output.
fn time(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        size = f();
        times.push(t.elapsed());
    }
    times.sort();
    (times[runs / 2], size)
}

fn main() {
    for (name, body, runs) in [
        ("HLS playlist", playlist(), 21),
        ("5 MB JSON", json(5_000_000), 3),
    ] {
        println!("{name}: {} bytes", body.len());
        for (label, f) in [
            ("gzip 6", Box::new(|| gzip(&body)) as Box<dyn Fn() -> usize>),
            ("brotli 5, lgwin 20", Box::new(|| brotli(&body, 5, 20))),
            ("brotli 11 (default)", Box::new(|| brotli(&body, 11, 22))),
        ] {
            let (t, size) = time(runs, &f);
            println!(
                "  {label:20} {size:>9} bytes ({:>5.1} %)  {:>10.2?} median of {runs}",
                100.0 * size as f64 / body.len() as f64,
                t
            );
        }
    }
}
