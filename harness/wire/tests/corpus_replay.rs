//! Replays every checked-in fuzz corpus file through the same function the fuzz target calls,
//! so seeds and past crash inputs stay regression tests on stable Rust.

use std::path::PathBuf;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpora")
        .join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry.expect("readable corpus directory").path();
        if path.is_file() && path.file_name().is_some_and(|n| n != "README.md") {
            let data = std::fs::read(&path).expect("readable corpus file");
            f(&data);
            count += 1;
        }
    }
    println!("{target}: replayed {count} corpus files");
    assert!(count > 0, "corpus {} is empty", dir.display());
}

#[test]
fn ike_message_corpus() {
    replay("ike_message", ikelab_wire::fuzzing::ike_message);
}

#[test]
fn udp_4500_datagram_corpus() {
    replay("udp_4500_datagram", ikelab_wire::fuzzing::udp_4500_datagram);
}
