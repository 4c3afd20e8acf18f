//! `ikelab bench esp`: ESP seal/open throughput per transform and packet size, each next to
//! the raw ikelab-crypto primitive it calls (same keys, sizes and run), on 1..N threads (one
//! SA per thread, `ikelab_esp::shard`). Prints a table and writes an SVG plot.
//!
//! Criterion's `cargo bench -p ikelab-benches --bench esp` is the precise instrument; this is
//! the quick look that needs no toolchain.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use ikelab_crypto::cipher::{Aead, AesCbc, AesGcm, BlockCipher, ChaCha20Poly1305};
use ikelab_crypto::integ::{HashAlg, HmacMac, Mac};
use ikelab_esp::{
    shard, Encryption, InboundSa, Integrity, Mode, OutboundSa, SaConfig, SaKeys, Suite,
};

/// `ikelab bench ...`
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(Debug, Subcommand)]
enum BenchWhat {
    /// ESP seal/open throughput against the raw cipher, per transform and packet size.
    Esp(EspArgs),
}

#[derive(Debug, Args)]
struct EspArgs {
    /// Threads, each sealing and opening with its own SA.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Inner packet sizes in octets (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [64, 512, 1400, 9000])]
    sizes: Vec<usize>,
    /// Measuring time per point and operation, in milliseconds.
    #[arg(long, default_value_t = 200)]
    millis: u64,
    /// Where to write the SVG plot.
    #[arg(long, default_value = "reports/esp-bench.svg")]
    svg: PathBuf,
}

pub fn run(args: BenchArgs) -> ExitCode {
    match args.what {
        BenchWhat::Esp(a) => esp(a),
    }
}

const IV: [u8; 16] = [7; 16];
const AAD: [u8; 8] = [0, 0, 0x10, 0x01, 0, 0, 0, 1];

fn key(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(73).wrapping_add(seed))
        .collect()
}

struct Algo {
    name: &'static str,
    suite: Suite,
}

fn algos() -> Vec<Algo> {
    use Encryption as E;
    use Integrity as I;
    let gcm = |key_bits| E::AesGcm {
        key_bits,
        icv_len: 16,
    };
    vec![
        Algo {
            name: "AES-128-GCM-16",
            suite: Suite::combined(gcm(128)),
        },
        Algo {
            name: "AES-256-GCM-16",
            suite: Suite::combined(gcm(256)),
        },
        Algo {
            name: "ChaCha20-Poly1305",
            suite: Suite::combined(E::ChaCha20Poly1305),
        },
        Algo {
            name: "AES-256-CBC/HMAC-SHA2-256-128",
            suite: Suite::split(E::AesCbc { key_bits: 256 }, I::HmacSha256_128),
        },
    ]
}

fn config(suite: Suite, spi: u32) -> SaConfig {
    let keys = SaKeys::new(
        &key(suite.encryption.key_len(), 1),
        &key(suite.integrity.key_len(), 2),
    );
    let mut c = SaConfig::new(spi, suite, keys);
    c.mode = Mode::Tunnel;
    c
}

/// An IPv4-looking packet of `size` octets (at least a header).
fn inner(size: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..size.max(20)).map(|i| i as u8).collect();
    p[0] = 0x45;
    let len = p.len() as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
    p
}

/// The raw primitive ESP calls for a suite, on a buffer of one size.
enum Raw {
    Aead(Box<dyn Aead>),
    Pair(Box<dyn BlockCipher>, Box<HmacMac>),
}

impl Raw {
    fn new(suite: Suite) -> Result<Self, String> {
        let ek = key(suite.encryption.key_len(), 1);
        let e = |err: ikelab_crypto::CryptoError| err.to_string();
        Ok(match suite.encryption {
            Encryption::AesGcm { key_bits, .. } => Self::Aead(Box::new(
                AesGcm::new(&ek, usize::from(key_bits) / 8, 16).map_err(e)?,
            )),
            Encryption::ChaCha20Poly1305 => {
                Self::Aead(Box::new(ChaCha20Poly1305::new(&ek).map_err(e)?))
            }
            Encryption::AesCbc { .. } => Self::Pair(
                Box::new(AesCbc::new(&ek).map_err(e)?),
                Box::new(HmacMac::new("HMAC", HashAlg::Sha256, 16, &key(32, 2)).map_err(e)?),
            ),
            other => return Err(format!("no raw baseline for {}", other.name())),
        })
    }

    fn seal(&self, buf: &mut [u8], icv: &mut [u8]) -> Result<(), String> {
        let r = match self {
            Self::Aead(a) => a.seal_in_place(&IV[..8], &AAD, buf, &mut icv[..16]),
            Self::Pair(c, m) => c
                .encrypt_in_place(&IV, buf)
                .and_then(|()| m.sign(&[&AAD, &IV, buf], &mut icv[..16])),
        };
        r.map_err(|e| e.to_string())
    }

    fn open(&self, ct: &[u8], icv: &[u8], buf: &mut [u8]) -> Result<(), String> {
        let r = match self {
            Self::Aead(a) => {
                buf.copy_from_slice(ct);
                a.open_in_place(&IV[..8], &AAD, buf, &icv[..16])
            }
            Self::Pair(c, m) => m.verify(&[&AAD, &IV, ct], &icv[..16]).and_then(|()| {
                buf.copy_from_slice(ct);
                c.decrypt_in_place(&IV, buf)
            }),
        };
        r.map_err(|e| e.to_string())
    }
}

/// Octets per second of `f` run on every thread for `time`, summed over threads.
fn measure<S: Send>(states: &mut [S], time: Duration, f: impl Fn(&mut S) -> usize + Sync) -> f64 {
    let mut done: Vec<(&mut S, u64, Duration)> =
        states.iter_mut().map(|s| (s, 0, Duration::ZERO)).collect();
    let threads = done.len();
    shard::run(&mut done, threads, |(s, octets, elapsed)| {
        let start = Instant::now();
        while start.elapsed() < time {
            for _ in 0..16 {
                *octets += f(s) as u64;
            }
        }
        *elapsed = start.elapsed();
    });
    done.iter()
        .map(|(_, o, t)| *o as f64 / t.as_secs_f64())
        .sum()
}

/// One thread's state for one algorithm and size.
struct Worker {
    tx: OutboundSa,
    config: SaConfig,
    rx: InboundSa,
    raw: Raw,
    inner: Vec<u8>,
    sealed: Vec<u8>,
    ring: Vec<Vec<u8>>,
    next: usize,
    out: Vec<u8>,
    buf: Vec<u8>,
    icv: Vec<u8>,
    ct: Vec<u8>,
    ct_icv: Vec<u8>,
}

impl Worker {
    fn new(suite: Suite, spi: u32, size: usize) -> Result<Self, String> {
        let config = config(suite, spi);
        let mut tx = OutboundSa::new(&config).map_err(|e| e.to_string())?;
        let rx = InboundSa::new(&config).map_err(|e| e.to_string())?;
        let inner = inner(size);
        let mut sealed = vec![0; tx.sealed_len(inner.len())];
        let ring = (0..(256 * 1024 / size.max(1)).clamp(32, 1024))
            .map(|_| tx.seal_ip(&inner, &mut sealed).map(|_| sealed.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let tx = OutboundSa::new(&config).map_err(|e| e.to_string())?;
        let raw = Raw::new(suite)?;
        let block = suite.encryption.block_len();
        let mut buf = inner.clone();
        buf.resize(inner.len().div_ceil(block) * block, 0);
        let mut icv = vec![0; 32];
        let mut ct = buf.clone();
        raw.seal(&mut ct, &mut icv)?;
        let out = vec![0; sealed.len() + 8];
        Ok(Self {
            tx,
            config,
            rx,
            raw,
            sealed,
            ring,
            next: 0,
            out,
            ct_icv: icv.clone(),
            icv,
            ct,
            buf,
            inner,
        })
    }

    fn esp_seal(&mut self) -> usize {
        match self.tx.seal_ip(black_box(&self.inner), &mut self.sealed) {
            Ok(_) => self.inner.len(),
            Err(_) => 0,
        }
    }

    fn esp_open(&mut self) -> usize {
        if self.next == self.ring.len() {
            // The window has seen the whole ring: a fresh SA (as cheap as a rekey).
            match InboundSa::new(&self.config) {
                Ok(rx) => self.rx = rx,
                Err(_) => return 0,
            }
            self.next = 0;
        }
        let p = &self.ring[self.next];
        self.next += 1;
        match self.rx.open(black_box(p), &mut self.out) {
            Ok(o) => o.len,
            Err(_) => 0,
        }
    }

    fn raw_seal(&mut self) -> usize {
        match self.raw.seal(black_box(&mut self.buf), &mut self.icv) {
            Ok(()) => self.inner.len(),
            Err(_) => 0,
        }
    }

    fn raw_open(&mut self) -> usize {
        match self
            .raw
            .open(&self.ct, &self.ct_icv, black_box(&mut self.buf))
        {
            Ok(()) => self.inner.len(),
            Err(_) => 0,
        }
    }
}

/// Rates in GB/s: ESP seal, raw seal, ESP open, raw open.
type Point = [f64; 4];

fn esp(args: EspArgs) -> ExitCode {
    let threads = args.threads.max(1);
    let time = Duration::from_millis(args.millis.max(10));
    let algos = algos();
    let mut table: Vec<(&'static str, Vec<Point>)> = Vec::new();
    println!(
        "ESP throughput, {threads} thread(s), GB/s of inner octets (ratio = ESP / raw ikelab-crypto primitive)"
    );
    println!(
        "{:<30} {:>6}  {:>8} {:>8} {:>6}  {:>8} {:>8} {:>6}",
        "transform", "size", "seal", "raw", "ratio", "open", "raw", "ratio"
    );
    for a in &algos {
        let mut points = Vec::new();
        for &size in &args.sizes {
            let workers: Result<Vec<Worker>, String> = (0..threads)
                .map(|t| Worker::new(a.suite, 0x1000 + t as u32, size))
                .collect();
            let mut w = match workers {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("{}: {e}", a.name);
                    return ExitCode::FAILURE;
                }
            };
            let p = [
                measure(&mut w, time, Worker::esp_seal),
                measure(&mut w, time, Worker::raw_seal),
                measure(&mut w, time, Worker::esp_open),
                measure(&mut w, time, Worker::raw_open),
            ]
            .map(|r| r / 1e9);
            println!(
                "{:<30} {:>6}  {:>8.2} {:>8.2} {:>6.3}  {:>8.2} {:>8.2} {:>6.3}",
                a.name,
                size,
                p[0],
                p[1],
                p[0] / p[1],
                p[2],
                p[3],
                p[2] / p[3]
            );
            points.push(p);
        }
        table.push((a.name, points));
    }
    let svg = plot(&args.sizes, &table, threads);
    if let Some(dir) = args.svg.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    match std::fs::write(&args.svg, svg) {
        Ok(()) => {
            println!("plot: {}", args.svg.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", args.svg.display());
            ExitCode::FAILURE
        }
    }
}

const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

/// Seal throughput against packet size (log scale), one solid line per transform and its
/// raw ceiling dashed in the same colour.
fn plot(sizes: &[usize], table: &[(&str, Vec<Point>)], threads: usize) -> String {
    let (w, h, left, right, top, bottom) = (760.0, 460.0, 70.0, 250.0, 40.0, 50.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let ymax = table
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x[0].max(x[1])))
        .fold(0.1f64, f64::max)
        * 1.1;
    let lmin = (*sizes.iter().min().unwrap_or(&1).max(&1) as f64).log2();
    let lmax = (*sizes.iter().max().unwrap_or(&2).max(&2) as f64).log2();
    let x = |s: usize| left + pw * ((s.max(1) as f64).log2() - lmin) / (lmax - lmin).max(1e-9);
    let y = |v: f64| top + ph * (1.0 - v / ymax);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{left}" y="22" font-size="14">ESP seal throughput ({threads} thread(s)); dashed: raw cipher ceiling</text>
<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/>
<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="black"/>
"##,
        top + ph,
        left + pw,
        top + ph,
        top + ph
    );
    for &size in sizes {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{size} B</text>"#,
            x(size),
            top + ph + 18.0
        );
    }
    for i in 0..=4 {
        let v = ymax * f64::from(i) / 4.0;
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{v:.1}</text><line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#ddd"/>"##,
            left - 6.0,
            y(v) + 4.0,
            y(v),
            left + pw,
            y(v)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="16" y="{:.1}" transform="rotate(-90 16 {:.1})" text-anchor="middle">GB/s</text>"#,
        top + ph / 2.0,
        top + ph / 2.0
    );
    for (k, (name, points)) in table.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        for (col, dash) in [(0usize, ""), (1, r#" stroke-dasharray="6 4""#)] {
            let pts: Vec<String> = sizes
                .iter()
                .zip(points)
                .map(|(&sz, p)| format!("{:.1},{:.1}", x(sz), y(p[col])))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{}"/>"#,
                pts.join(" ")
            );
        }
        let ly = top + 16.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{name}</text>"#,
            left + pw + 15.0,
            left + pw + 40.0,
            left + pw + 46.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_has_a_solid_and_a_dashed_line_per_transform() {
        let table = vec![
            ("A", vec![[1.0, 2.0, 1.0, 2.0], [3.0, 4.0, 3.0, 4.0]]),
            ("B", vec![[0.5, 0.6, 0.5, 0.6], [0.7, 0.8, 0.7, 0.8]]),
        ];
        let svg = plot(&[64, 1400], &table, 2);
        assert_eq!(svg.matches("<polyline").count(), 4);
        assert_eq!(svg.matches("stroke-dasharray").count(), 2);
        assert!(svg.contains("1400 B") && svg.contains(">A<") && svg.ends_with("</svg>\n"));
    }

    #[test]
    fn workers_seal_and_open_every_transform() {
        for a in algos() {
            let mut w = Worker::new(a.suite, 1, 100).expect("worker");
            assert_eq!(w.esp_seal(), 100, "{}", a.name);
            assert_eq!(w.raw_seal(), 100);
            for _ in 0..w.ring.len() + 3 {
                assert_eq!(w.esp_open(), 100, "{}", a.name);
            }
            assert_eq!(w.raw_open(), 100);
        }
    }
}
