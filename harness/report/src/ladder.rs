//! Message ladder diagrams (inline SVG) drawn from a scenario's trace: one lifeline per node,
//! one arrow per IKE datagram, ESP and other traffic between two IKE messages aggregated per
//! direction so a ping flood stays one row.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use ikelab_scenario::outcome::{DatagramKind, ScenarioOutcome, TraceEntry};

use crate::escape::xml;

/// Class of every ladder `<svg>` (the render check greps the DOM for it).
pub const SVG_CLASS: &str = "ladder";

/// Rows drawn at most; the rest is summarised in a last row.
const MAX_ROWS: usize = 250;
const CHAR_W: f64 = 7.0;
const LEFT: f64 = 96.0;
const HEAD_H: f64 = 52.0;
/// Payload lines per message at most, and their spacing.
const MAX_LINES: usize = 3;
const LINE_H: f64 = 13.0;

/// One row of the ladder.
#[derive(Debug)]
enum Row<'a> {
    Ike(&'a TraceEntry),
    Bulk(Bulk<'a>),
    More(usize),
}

/// Non-IKE datagrams of one direction and kind between two IKE messages.
#[derive(Debug)]
struct Bulk<'a> {
    from: &'a str,
    to: &'a str,
    kind: DatagramKind,
    first_us: u64,
    last_us: u64,
    count: usize,
    dropped: usize,
    spis: BTreeSet<u32>,
    seq: Option<(u32, u32)>,
    /// A faulted datagram gets a row of its own, labelled with the fault.
    fault: Option<&'a str>,
}

impl<'a> Bulk<'a> {
    fn new(e: &'a TraceEntry) -> Self {
        Bulk {
            from: &e.from,
            to: &e.to,
            kind: e.kind,
            first_us: e.time_us,
            last_us: e.time_us,
            count: 1,
            dropped: usize::from(e.dropped),
            spis: e.spi.into_iter().collect(),
            seq: e.seq.map(|s| (s, s)),
            fault: e.fault.as_deref(),
        }
    }

    fn absorb(&mut self, e: &TraceEntry) {
        self.last_us = e.time_us;
        self.count += 1;
        self.dropped += usize::from(e.dropped);
        self.spis.extend(e.spi);
        if let Some(s) = e.seq {
            self.seq = Some(match self.seq {
                Some((lo, hi)) => (lo.min(s), hi.max(s)),
                None => (s, s),
            });
        }
    }

    fn title(&self) -> String {
        let what = match self.kind {
            DatagramKind::Esp => "ESP",
            DatagramKind::NatKeepalive => "NAT-keepalive",
            DatagramKind::Other => "UDP",
            DatagramKind::Ike => "IKE",
        };
        if self.count == 1 {
            what.to_owned()
        } else {
            format!("{what} ×{}", self.count)
        }
    }

    /// The text above the arrow: `ESP ×100  SPI 0x…, seq 1–100, over 99.0 ms`.
    fn label(&self) -> String {
        let detail = self.detail();
        if detail.is_empty() {
            self.title()
        } else {
            format!("{}  {}", self.title(), detail)
        }
    }

    fn detail(&self) -> String {
        let mut parts = Vec::new();
        if !self.spis.is_empty() {
            let spis: Vec<String> = self.spis.iter().map(|s| format!("0x{s:08x}")).collect();
            parts.push(format!("SPI {}", spis.join(", ")));
        }
        match self.seq {
            Some((lo, hi)) if lo == hi => parts.push(format!("seq {lo}")),
            Some((lo, hi)) => parts.push(format!("seq {lo}–{hi}")),
            None => {}
        }
        if self.count > 1 && self.last_us > self.first_us {
            parts.push(format!("over {}", duration(self.last_us - self.first_us)));
        }
        parts.join(", ")
    }
}

/// Rows of a trace: IKE datagrams one by one, runs of other datagrams aggregated.
fn rows(trace: &[TraceEntry]) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    // Index in `rows` where the current run of non-IKE datagrams starts.
    let mut run_start = 0;
    let mut drawn = 0;
    for (i, e) in trace.iter().enumerate() {
        if e.kind == DatagramKind::Ike {
            if drawn >= MAX_ROWS {
                rows.push(Row::More(trace.len() - i));
                return rows;
            }
            rows.push(Row::Ike(e));
            drawn += 1;
            run_start = rows.len();
            continue;
        }
        let mergeable = rows[run_start..].iter_mut().find_map(|r| match r {
            Row::Bulk(b)
                if e.fault.is_none()
                    && b.fault.is_none()
                    && b.from == e.from
                    && b.to == e.to
                    && b.kind == e.kind =>
            {
                Some(b)
            }
            _ => None,
        });
        match mergeable {
            Some(b) => b.absorb(e),
            None => {
                if drawn >= MAX_ROWS {
                    rows.push(Row::More(trace.len() - i));
                    return rows;
                }
                rows.push(Row::Bulk(Bulk::new(e)));
                drawn += 1;
            }
        }
    }
    rows
}

/// RFC 7296 notation for a payload of a request (`i`) or response (`r`).
fn short_payload(p: &str, response: bool) -> String {
    let side = if response { "r" } else { "i" };
    match p {
        "Nonce" => format!("N{side}"),
        "KE" => format!("KE{side}"),
        "VendorID" => "V".to_owned(),
        "Delete" => "D".to_owned(),
        other => other.to_owned(),
    }
}

/// The payload list as text pieces; `true` marks a notify (highlighted). Notify payloads take
/// their type from `notifies` in order; encrypted messages show `SK{…}` around the inner list.
fn payload_pieces(e: &TraceEntry) -> Vec<(String, bool)> {
    let mut notifies = e.notifies.iter();
    let mut items: Vec<(String, bool)> = Vec::new();
    for p in &e.payloads {
        if p == "Notify" || p == "N" {
            let name = notifies.next().map_or("?", String::as_str);
            items.push((format!("N({name})"), true));
        } else if p.starts_with("N(") {
            items.push((p.clone(), true));
        } else {
            items.push((short_payload(p, e.response), false));
        }
    }
    // Notifies the payload list did not account for.
    for n in notifies {
        items.push((format!("N({n})"), true));
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    if e.encrypted {
        out.push(("SK{".to_owned(), false));
    }
    for (i, (text, notify)) in items.into_iter().enumerate() {
        if i > 0 {
            out.push((", ".to_owned(), false));
        }
        out.push((text, notify));
    }
    if e.encrypted {
        out.push(("}".to_owned(), false));
    }
    out
}

fn ike_title(e: &TraceEntry) -> String {
    let exchange = e.exchange.as_deref().unwrap_or("IKE");
    let dir = if e.response { "response" } else { "request" };
    match e.message_id {
        Some(id) => format!("{exchange} ({dir}, #{id})"),
        None => format!("{exchange} ({dir})"),
    }
}

/// `12.5 ms`, `1.250 s`.
pub fn duration(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.3} s", us as f64 / 1e6)
    }
}

/// Lifeline names: the world's nodes in order, then any name only the trace mentions.
fn lanes(s: &ScenarioOutcome) -> Vec<(String, String, bool)> {
    let mut lanes: Vec<(String, String, bool)> = s
        .nodes
        .iter()
        .map(|n| (n.name.clone(), n.implementation.clone(), n.under_test))
        .collect();
    for e in &s.trace {
        for name in [&e.from, &e.to] {
            if !lanes.iter().any(|l| &l.0 == name) {
                lanes.push((name.clone(), String::new(), false));
            }
        }
    }
    lanes
}

/// Render the ladder of a run as an inline `<svg>`; an empty string when there is no trace.
pub fn render_ladder(s: &ScenarioOutcome) -> String {
    if s.trace.is_empty() {
        return String::new();
    }
    let lanes = lanes(s);
    let rows = rows(&s.trace);
    // Lane spacing fits the longest label between neighbouring lifelines.
    let longest = rows
        .iter()
        .map(|r| match r {
            Row::Ike(e) => {
                let pl: usize = payload_pieces(e)
                    .iter()
                    .map(|(t, _)| t.chars().count())
                    .sum();
                pl.max(ike_title(e).chars().count())
            }
            Row::Bulk(b) => b.label().chars().count(),
            Row::More(_) => 0,
        })
        .max()
        .unwrap_or(0);
    let spacing = (longest as f64 * CHAR_W + 48.0).clamp(300.0, 620.0);
    let max_chars = ((spacing - 24.0) / CHAR_W) as usize;
    let lane_x = |name: &str| -> f64 {
        let i = lanes.iter().position(|l| l.0 == name).unwrap_or(0);
        LEFT + 70.0 + i as f64 * spacing
    };
    let width = LEFT + 140.0 + (lanes.len().saturating_sub(1)) as f64 * spacing;

    let mut body = String::new();
    let mut y = HEAD_H + 8.0;
    for row in &rows {
        let h = match row {
            Row::Ike(e) => draw_ike(&mut body, e, y, &lane_x, max_chars),
            Row::Bulk(b) => draw_bulk(&mut body, b, y, &lane_x, max_chars),
            Row::More(n) => {
                let _ = writeln!(
                    body,
                    r#"<text class="more" x="{LEFT}" y="{:.0}">… {n} more datagrams not drawn (see the pcap)</text>"#,
                    y + 18.0
                );
                28.0
            }
        };
        y += h;
    }
    let height = y + 12.0;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg class="{SVG_CLASS}" xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="message ladder of {}">"#,
        xml(&crate::test_name(s))
    );
    for (name, implementation, under_test) in &lanes {
        let x = lane_x(name);
        let class = if *under_test { "node iut" } else { "node" };
        let _ = writeln!(
            svg,
            r#"<rect class="{class}" x="{:.0}" y="4" width="132" height="38" rx="5"/><text class="nodename" x="{x:.0}" y="20">{}</text><text class="nodeimpl" x="{x:.0}" y="35">{}</text><line class="life" x1="{x:.0}" y1="42" x2="{x:.0}" y2="{:.0}"/>"#,
            x - 66.0,
            xml(name),
            xml(&if *under_test {
                format!("{implementation} (under test)")
            } else {
                implementation.clone()
            }),
            height - 4.0
        );
    }
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}

/// Arrow from `x1` to `x2` at `y`; a dropped datagram stops halfway with a cross.
fn arrow(out: &mut String, x1: f64, x2: f64, y: f64, class: &str, dropped: bool) {
    let dir = if x2 >= x1 { 1.0 } else { -1.0 };
    if (x2 - x1).abs() < 1.0 {
        // Datagram to itself: a small loop on the lifeline.
        let _ = writeln!(
            out,
            r#"<path class="{class}" d="M{x1:.0},{:.0} h30 v14 h-26"/>"#,
            y - 7.0
        );
        return;
    }
    let end = if dropped { x1 + (x2 - x1) * 0.55 } else { x2 };
    let _ = writeln!(
        out,
        r#"<line class="{class}{}" x1="{x1:.0}" y1="{y:.0}" x2="{end:.0}" y2="{y:.0}"/>"#,
        if dropped { " dropped" } else { "" }
    );
    if dropped {
        let _ = writeln!(
            out,
            r#"<path class="cross" d="M{:.0},{:.0} l10,10 M{:.0},{:.0} l-10,10"/>"#,
            end - 5.0,
            y - 5.0,
            end + 5.0,
            y - 5.0
        );
    } else {
        let _ = writeln!(
            out,
            r#"<polygon class="head {class}" points="{end:.0},{y:.0} {:.0},{:.0} {:.0},{:.0}"/>"#,
            end - dir * 10.0,
            y - 4.5,
            end - dir * 10.0,
            y + 4.5
        );
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn time_label(out: &mut String, us: u64, y: f64) {
    let _ = writeln!(
        out,
        r#"<text class="time" x="8" y="{y:.0}">{}</text>"#,
        xml(&duration(us))
    );
}

/// Labels under an arrow: a fault in purple, "dropped" in red. Returns the extra height.
fn below(
    out: &mut String,
    mid: f64,
    y: f64,
    fault: Option<&str>,
    dropped: bool,
    max: usize,
) -> f64 {
    let mut extra = 0.0;
    if let Some(f) = fault {
        extra += 14.0;
        let _ = writeln!(
            out,
            r#"<text class="fault" x="{mid:.0}" y="{:.0}"><title>{}</title>⚡ fault: {}</text>"#,
            y + extra,
            xml(f),
            xml(&truncate(f, max.saturating_sub(9)))
        );
    }
    if dropped {
        extra += 14.0;
        let _ = writeln!(
            out,
            r#"<text class="droplabel" x="{mid:.0}" y="{:.0}">dropped</text>"#,
            y + extra
        );
    }
    extra
}

fn draw_ike(
    out: &mut String,
    e: &TraceEntry,
    top: f64,
    lane_x: &dyn Fn(&str) -> f64,
    max: usize,
) -> f64 {
    let (x1, x2) = (lane_x(&e.from), lane_x(&e.to));
    let mid = (x1 + x2) / 2.0;
    let pieces = payload_pieces(e);
    let extra_lines = wrap(&pieces, max).len().saturating_sub(1) as f64 * LINE_H;
    let y = top + 36.0 + extra_lines;
    time_label(out, e.time_us, y + 4.0);
    let class = if e.response { "ike resp" } else { "ike req" };
    let full: String = pieces.iter().map(|(t, _)| t.as_str()).collect();
    let _ = writeln!(
        out,
        r#"<g class="msg"><title>{} {} → {} ({} bytes){}: {}</title>"#,
        xml(&ike_title(e)),
        xml(&e.src),
        xml(&e.dst),
        e.len,
        if e.dropped { ", dropped" } else { "" },
        xml(&full)
    );
    let lines = wrap(&pieces, max);
    let _ = writeln!(
        out,
        r#"<text class="title" x="{mid:.0}" y="{:.0}">{}</text>"#,
        y - 9.0 - LINE_H * lines.len() as f64,
        xml(&truncate(&ike_title(e), max))
    );
    // The payload lines, notifies highlighted.
    for (k, pieces) in lines.iter().enumerate() {
        let above = (lines.len() - 1 - k) as f64;
        let mut line = format!(
            r#"<text class="payloads" x="{mid:.0}" y="{:.0}">"#,
            y - 7.0 - LINE_H * above
        );
        for (text, notify) in pieces {
            if *notify {
                let _ = write!(line, r#"<tspan class="notify">{}</tspan>"#, xml(text));
            } else {
                line.push_str(&xml(text));
            }
        }
        line.push_str("</text>");
        let _ = writeln!(out, "{line}");
    }
    arrow(out, x1, x2, y, class, e.dropped);
    let extra = below(out, mid, y, e.fault.as_deref(), e.dropped, max);
    out.push_str("</g>\n");
    48.0 + extra_lines + extra
}

/// Breaks a payload list into lines of at most `max` characters at its commas (at most
/// `MAX_LINES`; the last one ends in `…` when more was cut).
fn wrap(pieces: &[(String, bool)], max: usize) -> Vec<Vec<(String, bool)>> {
    let mut lines: Vec<Vec<(String, bool)>> = vec![Vec::new()];
    let mut len = 0;
    let mut pending_sep = false;
    for (text, notify) in pieces {
        if text == ", " {
            pending_sep = true;
            continue;
        }
        let w = text.chars().count();
        let sep = if pending_sep { 2 } else { 0 };
        if len > 0 && len + sep + w > max {
            if let Some(line) = lines.last_mut() {
                line.push((",".to_owned(), false));
            }
            lines.push(Vec::new());
            len = 0;
        } else if pending_sep {
            if let Some(line) = lines.last_mut() {
                line.push((", ".to_owned(), false));
            }
            len += 2;
        }
        pending_sep = false;
        let t = truncate(text, max);
        len += t.chars().count();
        if let Some(line) = lines.last_mut() {
            line.push((t, *notify));
        }
    }
    if lines.len() > MAX_LINES {
        lines.truncate(MAX_LINES);
        if let Some(line) = lines.last_mut() {
            line.push(("…".to_owned(), false));
        }
    }
    lines
}

fn draw_bulk(
    out: &mut String,
    b: &Bulk<'_>,
    top: f64,
    lane_x: &dyn Fn(&str) -> f64,
    max: usize,
) -> f64 {
    let (x1, x2) = (lane_x(b.from), lane_x(b.to));
    let mid = (x1 + x2) / 2.0;
    let y = top + 22.0;
    time_label(out, b.first_us, y + 4.0);
    let detail = b.detail();
    let _ = writeln!(
        out,
        r#"<g class="bulk"><title>{}: {}{}</title>"#,
        xml(&b.title()),
        xml(&detail),
        if b.dropped > 0 {
            format!(", {} dropped", b.dropped)
        } else {
            String::new()
        }
    );
    let label = b.label();
    let _ = writeln!(
        out,
        r#"<text class="esplabel" x="{mid:.0}" y="{:.0}">{}</text>"#,
        y - 6.0,
        xml(&truncate(&label, max))
    );
    // All dropped: the arrow ends in a cross; some dropped: a full arrow and a count.
    let all_dropped = b.dropped == b.count;
    arrow(out, x1, x2, y, "esp", all_dropped);
    let mut extra = below(out, mid, y, b.fault, false, max);
    if b.dropped > 0 {
        extra += 14.0;
        let text = if all_dropped {
            "dropped".to_owned()
        } else {
            format!("{} of {} dropped", b.dropped, b.count)
        };
        let _ = writeln!(
            out,
            r#"<text class="droplabel" x="{mid:.0}" y="{:.0}">{}</text>"#,
            y + extra,
            xml(&text)
        );
    }
    out.push_str("</g>\n");
    32.0 + extra
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: DatagramKind, from: &str, seq: u32) -> TraceEntry {
        TraceEntry {
            time_us: u64::from(seq) * 1000,
            from: from.into(),
            to: if from == "a" { "b".into() } else { "a".into() },
            src: "192.0.2.1:500".into(),
            dst: "192.0.2.2:500".into(),
            kind,
            exchange: None,
            message_id: None,
            response: false,
            payloads: vec![],
            notifies: vec![],
            encrypted: false,
            spi: Some(7),
            seq: Some(seq),
            len: 100,
            dropped: false,
            fault: None,
        }
    }

    #[test]
    fn esp_runs_aggregate_per_direction_between_ike_messages() {
        let mut trace = vec![entry(DatagramKind::Ike, "a", 0)];
        for i in 1..=100 {
            trace.push(entry(
                DatagramKind::Esp,
                if i % 2 == 0 { "a" } else { "b" },
                i,
            ));
        }
        trace.push(entry(DatagramKind::Ike, "b", 200));
        trace.push(entry(DatagramKind::Esp, "a", 201));
        let r = rows(&trace);
        assert_eq!(r.len(), 5, "{r:?}");
        let Row::Bulk(b) = &r[1] else { panic!("{r:?}") };
        assert_eq!((b.count, b.seq), (50, Some((1, 99))));
        assert!(matches!(r[4], Row::Bulk(Bulk { count: 1, .. })));
    }

    #[test]
    fn faulted_esp_gets_its_own_row_and_rows_are_capped() {
        let mut trace = vec![entry(DatagramKind::Esp, "a", 1)];
        let mut f = entry(DatagramKind::Esp, "a", 2);
        f.fault = Some("corrupt byte 20".into());
        trace.push(f);
        trace.push(entry(DatagramKind::Esp, "a", 3));
        assert_eq!(rows(&trace).len(), 2);
        let many: Vec<TraceEntry> = (0..400).map(|i| entry(DatagramKind::Ike, "a", i)).collect();
        let r = rows(&many);
        assert_eq!(r.len(), MAX_ROWS + 1);
        assert!(matches!(r[MAX_ROWS], Row::More(150)));
    }

    #[test]
    fn long_payload_lists_wrap_at_commas() {
        let mut e = entry(DatagramKind::Ike, "a", 0);
        e.payloads = vec![
            "SA".into(),
            "KE".into(),
            "Nonce".into(),
            "Notify".into(),
            "Notify".into(),
        ];
        e.notifies = vec![
            "NAT_DETECTION_SOURCE_IP".into(),
            "NAT_DETECTION_DESTINATION_IP".into(),
        ];
        let lines = wrap(&payload_pieces(&e), 40);
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|(t, _)| t.as_str()).collect())
            .collect();
        assert_eq!(
            text,
            [
                "SA, KEi, Ni, N(NAT_DETECTION_SOURCE_IP),",
                "N(NAT_DETECTION_DESTINATION_IP)"
            ]
        );
        assert_eq!(wrap(&payload_pieces(&e), 12).len(), MAX_LINES);
    }

    #[test]
    fn notify_payloads_take_their_types_in_order() {
        let mut e = entry(DatagramKind::Ike, "a", 0);
        e.payloads = vec!["IDi".into(), "Notify".into(), "AUTH".into(), "Nonce".into()];
        e.notifies = vec!["INITIAL_CONTACT".into(), "EXTRA".into()];
        e.encrypted = true;
        let text: String = payload_pieces(&e).into_iter().map(|(t, _)| t).collect();
        assert_eq!(text, "SK{IDi, N(INITIAL_CONTACT), AUTH, Ni, N(EXTRA)}");
    }
}
