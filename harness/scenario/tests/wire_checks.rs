//! `sut_wire_checks`, the raw message checks and `inject`: each passes on a clean run, fails
//! (naming the check, the rule and the breach) when the SUT's own message is changed on the
//! wire, and refuses to pass when there is nothing to check.

use std::path::Path;

use ikelab_scenario::outcome::{Role, Verdict};
use ikelab_scenario::{load_str, run, LoadError};

const HEAD: &str = "name = \"w\"\ndescription = \"d\"\nroles = [\"initiator\"]\n";

fn verdict(text: &str) -> Verdict {
    let s = load_str(Path::new("t.toml"), text).expect("loads");
    run(&s, Role::Initiator, None).verdict
}

fn failures(text: &str) -> Vec<(String, String, String)> {
    match verdict(text) {
        Verdict::Fail { failures } => failures
            .into_iter()
            .map(|f| (f.step, f.expected, f.observed))
            .collect(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn clean_run_passes_every_header_and_payload_check() {
    let text = format!(
        "{HEAD}[expect]\nsut_wire_checks = [\"minor_version_zero\", \"x_flags_clear\", \"v_flag_clear\", \"critical_clear\", \"reserved_zero\", \"notify_spi\", \"sa_spi_sizes\", \"proposal_numbering\", \"nonce_size\", \"sk_last\", \"no_unspecified_items\"]\n"
    );
    assert_eq!(verdict(&text), Verdict::Pass);
}

#[test]
fn a_reserved_bit_on_the_wire_fails_the_check() {
    // The SUT's own IKE_AUTH request gets RESERVED bits set (and is re-sealed) on its way.
    let text = format!(
        "{HEAD}[[faults]]\nfrom = \"sut\"\nexchange = \"IKE_AUTH\"\nmessage = \"request\"\naction = \"mutate\"\n[faults.mutation]\nset_reserved_bits = true\n[expect]\nsut_wire_checks = [\"reserved_zero\", \"minor_version_zero\"]\n"
    );
    let f = failures(&text);
    let reserved: Vec<_> = f
        .iter()
        .filter(|f| f.0 == "expect.sut_wire_checks.reserved_zero")
        .collect();
    assert_eq!(reserved.len(), 1, "{f:?}");
    assert!(reserved[0].1.starts_with("RESERVED fields zero"), "{f:?}");
    assert!(reserved[0].2.contains("request #1"), "{f:?}");
    assert!(
        !f.iter()
            .any(|f| f.0 == "expect.sut_wire_checks.minor_version_zero"),
        "{f:?}"
    );
}

#[test]
fn nothing_to_check_is_a_failure() {
    // AES-GCM protects the IKE SA: there is no CBC padding to judge.
    let text = format!(
        "{HEAD}[initiator]\nike = [\"aes128gcm16-prfsha256-x25519\"]\n[responder]\nike = [\"aes128gcm16-prfsha256-x25519\"]\n[expect]\nsut_wire_checks = [\"minimal_padding\"]\n"
    );
    let f = failures(&text);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].2.starts_with("nothing applicable in"), "{f:?}");
}

#[test]
fn message_fields_and_timing() {
    let text = format!(
        "{HEAD}[[expect.messages]]\nfrom = \"sut\"\nexchange = \"IKE_SA_INIT\"\nmessage = \"request\"\nnth = 1\nke_group = 14\nsent_after = \"1s\"\nencrypted = true\n"
    );
    let f = failures(&text);
    let steps: Vec<&str> = f.iter().map(|f| f.0.as_str()).collect();
    for want in ["sent_after", "encrypted", "ke_group"] {
        assert!(steps.iter().any(|s| s.ends_with(want)), "{want}: {f:?}");
    }
}

#[test]
fn injected_datagram_counts_as_the_fault() {
    // A response for unknown SPIs: the SUT stays silent, so 0 messages after the fault.
    let silent = format!(
        "{HEAD}[[steps]]\naction = \"connect\"\n[[steps]]\naction = \"inject\"\ndatagram = \"1111111111111111 2222222222222222 29202520 00000005 00000024 00000008 00000004\"\nfor = \"5s\"\n[expect]\nsut_messages_after_fault = 0\n"
    );
    assert_eq!(verdict(&silent), Verdict::Pass);
    let wrong = silent.replace("= 0\n", "= 1\n");
    let f = failures(&wrong);
    assert_eq!(f[0].0, "expect.sut_messages_after_fault", "{f:?}");
}

#[test]
fn unknown_check_and_bad_datagram_are_load_errors() {
    for (text, needle) in [
        (
            format!("{HEAD}[expect]\nsut_wire_checks = [\"reserved_zeros\"]\n"),
            "unknown wire check \"reserved_zeros\"",
        ),
        (
            format!("{HEAD}[[steps]]\naction = \"inject\"\ndatagram = \"xyz\"\n"),
            "datagram: not hex",
        ),
        (
            format!("{HEAD}[[steps]]\naction = \"inject\"\n"),
            "inject needs `datagram`",
        ),
    ] {
        match load_str(Path::new("t.toml"), &text) {
            Err(LoadError::Invalid { message, .. }) => {
                assert!(message.contains(needle), "{message}")
            }
            other => panic!("expected a load error for {needle}, got {other:?}"),
        }
    }
}
