//! Fuzz target bodies, shared by `fuzz/` (cargo-fuzz) and the corpus replay test, so every
//! crash input checked into `corpora/<target>/` stays a regression test on stable Rust.

use crate::{Message, Udp4500};

/// Parses arbitrary bytes as an IKE message; accepted canonical input must re-encode to the same
/// bytes, and the re-encoding must parse to the same message.
pub fn ike_message(data: &[u8]) {
    let Ok(parsed) = Message::parse(data) else {
        return;
    };
    let emitted = parsed.message.emit();
    if parsed.is_canonical() {
        assert_eq!(
            emitted, data,
            "canonical input must re-encode to identical bytes"
        );
    }
    let again = Message::parse(&emitted).expect("an emitted message must parse");
    assert_eq!(again.message, parsed.message, "parse(emit(m)) must equal m");
}

/// Classifies arbitrary bytes as a UDP 4500 payload and parses what it carries.
pub fn udp_4500_datagram(data: &[u8]) {
    match Udp4500::classify(data) {
        Ok(Udp4500::Ike(ike)) => ike_message(ike),
        Ok(Udp4500::Esp(esp)) => {
            let _ = (esp.spi(), esp.sequence_number(), esp.payload().len());
        }
        Ok(Udp4500::NatKeepalive) | Err(_) => {}
    }
}
