//! Replays every checked-in `esp_open` corpus file through the function the fuzz target
//! calls, so seeds and past crash inputs stay regression tests on stable Rust.

use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpora/esp_open")
}

#[test]
fn esp_open_corpus() {
    let dir = corpus_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry.expect("readable corpus directory").path();
        if path.is_file() && path.file_name().is_some_and(|n| n != "README.md") {
            let data = std::fs::read(&path).expect("readable corpus file");
            ikelab_esp::fuzzing::esp_open(&data);
            count += 1;
        }
    }
    println!("esp_open: replayed {count} corpus files");
    assert!(count > 0, "corpus {} is empty", dir.display());
}

#[test]
fn seeds_open_with_the_fuzzing_sas() {
    // Every generated seed is a valid datagram for a fresh table of the fuzzing SAs.
    let configs = ikelab_esp::fuzzing::configs();
    let mut opened = 0;
    for seed in ikelab_esp::fuzzing::seeds() {
        let mut table = ikelab_esp::InboundTable::new();
        for c in &configs {
            table.insert(ikelab_esp::InboundSa::new(c).expect("fuzzing SA"));
        }
        let mut out = vec![0u8; seed.len() + 8];
        let got = ikelab_esp::udp::receive(&mut table, &seed, &mut out).expect("seed opens");
        opened += usize::from(matches!(got, ikelab_esp::udp::Received::Esp { .. }));
    }
    assert_eq!(opened, configs.len() * 3);
}

/// Regenerates the seed files: `cargo test -p ikelab-esp --test corpus_replay -- --ignored`.
#[test]
#[ignore]
fn write_seeds() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).expect("corpus directory");
    for (i, seed) in ikelab_esp::fuzzing::seeds().iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:02}.bin")), seed).expect("write seed");
    }
}
