//! Prints a scenario run's verdict, ladder trace and wall time, for writing scenarios:
//! `cargo run -p ikelab-scenario --example trace -- scenarios/x.toml [initiator|responder]`.

use ikelab_scenario::outcome::Role;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: trace FILE [initiator|responder]")?;
    let s = ikelab_scenario::load_file(std::path::Path::new(&path))?;
    let roles = match args.next().as_deref() {
        Some("initiator") => vec![Role::Initiator],
        Some("responder") => vec![Role::Responder],
        Some(other) => return Err(format!("unknown role {other:?}").into()),
        None => s.roles(),
    };
    for role in roles {
        let o = ikelab_scenario::run(&s, role, None);
        println!("== {}::{} ({} us wall)", o.name, role.as_str(), o.wall_us);
        for t in &o.trace {
            println!(
                "{:>9.3}s {:>9} -> {:<9} {:>21} -> {:<21} {:?} {} #{} {} {:?} {:?}{}{}",
                t.time_us as f64 / 1e6,
                t.from,
                t.to,
                t.src,
                t.dst,
                t.kind,
                t.exchange.as_deref().unwrap_or("-"),
                t.message_id.map_or("-".into(), |m| m.to_string()),
                if t.response { "resp" } else { "req" },
                t.payloads,
                t.notifies,
                if t.dropped { " DROPPED" } else { "" },
                t.fault
                    .as_ref()
                    .map_or(String::new(), |f| format!(" [{f}]")),
            );
        }
        println!("verdict: {:?}", o.verdict);
    }
    Ok(())
}
