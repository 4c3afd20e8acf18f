//! `report.html`: one self-contained page (inline CSS, no scripts, no external assets).
//! Filtering by verdict works with CSS alone (radio buttons + sibling selectors).

use std::fmt::Write as _;

use ikelab_scenario::outcome::{Coverage, ScenarioOutcome, SuiteOutcome, Verdict};

use crate::escape::{href, xml};
use crate::ladder::{duration, render_ladder};
use crate::sections::per_section;
use crate::{failure_line, headline, test_name, Totals};

const CSS: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d232a;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta{color:#57606a} code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
.totals{display:flex;gap:12px;margin:14px 0;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}
.card.pass b{color:#1a7f37} .card.fail b{color:#cf222e} .card.error b{color:#9a6700}
.bar{height:10px;background:#eaeef2;border-radius:5px;overflow:hidden;max-width:520px}
.bar span{display:block;height:100%;background:#2da44e}
table{border-collapse:collapse;background:#fff;margin:6px 0}
th,td{border:1px solid #d8dee4;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f7} td.num{text-align:right}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}
.badge.pass{background:#1a7f37} .badge.fail{background:#cf222e} .badge.error{background:#9a6700}
.filters{margin:8px 0} input[name=f]{display:none}
.filters label{border:1px solid #d0d7de;border-radius:14px;padding:2px 12px;margin-right:6px;cursor:pointer;background:#fff}
#f-all:checked~.filters label[for=f-all],#f-bad:checked~.filters label[for=f-bad],#f-pass:checked~.filters label[for=f-pass]{background:#0969da;color:#fff;border-color:#0969da}
#f-bad:checked~.runs details.pass{display:none} #f-pass:checked~.runs details:not(.pass){display:none}
details.run{background:#fff;border:1px solid #d8dee4;border-left:5px solid #2da44e;border-radius:6px;margin:6px 0;padding:4px 10px}
details.run.fail{border-left-color:#cf222e} details.run.error{border-left-color:#bf8700}
details.run>summary{cursor:pointer;padding:3px 0} summary .file{color:#57606a;margin-left:8px}
summary .head{color:#cf222e;display:block;margin-left:22px}
.failures li{color:#a40e26;white-space:pre-wrap} .cite{border-left:3px solid #d0d7de;margin:4px 0;padding:2px 10px;color:#424a53}
.ladderbox{overflow-x:auto;margin:8px 0;border:1px solid #eaeef2;border-radius:4px;background:#fff}
svg.ladder{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:11.5px}
svg.ladder text{text-anchor:middle;fill:#1d232a} svg.ladder text.time{text-anchor:start;fill:#6e7781}
svg.ladder .node{fill:#f3f5f7;stroke:#8c959f} svg.ladder .node.iut{fill:#ddf4ff;stroke:#0969da;stroke-width:2}
svg.ladder .nodename{font-weight:700;font-size:12.5px} svg.ladder .nodeimpl{fill:#57606a;font-size:10.5px}
svg.ladder .life{stroke:#afb8c1;stroke-dasharray:4 4}
svg.ladder line.ike,svg.ladder path.ike{stroke:#0969da;stroke-width:1.6;fill:none} svg.ladder polygon.ike{fill:#0969da}
svg.ladder line.resp{stroke:#8250df} svg.ladder polygon.resp{fill:#8250df}
svg.ladder line.esp,svg.ladder path.esp{stroke:#2da44e;stroke-width:3;fill:none} svg.ladder polygon.esp{fill:#2da44e}
svg.ladder line.dropped{stroke:#cf222e;stroke-dasharray:6 3} svg.ladder .cross{stroke:#cf222e;stroke-width:2.5}
svg.ladder text.title{font-weight:700} svg.ladder tspan.notify{fill:#bc4c00;font-weight:700}
svg.ladder text.esplabel{fill:#116329} svg.ladder text.fault{fill:#8250df;font-weight:700}
svg.ladder text.droplabel{fill:#cf222e;font-weight:700} svg.ladder text.more{text-anchor:start;fill:#57606a;font-style:italic}
.minibar{width:120px;height:8px;background:#eaeef2;border-radius:4px;overflow:hidden;margin-top:5px}
.minibar span{display:block;height:100%;background:#2da44e}
h3.dir{font-size:13.5px;margin:16px 0 4px;color:#424a53} .cov td.pct{font-weight:600} .req-covered{color:#1a7f37} .req-failing{color:#cf222e} .req-open{color:#57606a}
"#;

/// Suites with at most this many runs show every run expanded; larger ones expand the runs
/// that did not pass and the first `OPEN_FIRST` (so the page opens on a ladder).
const OPEN_ALL_UP_TO: usize = 10;
const OPEN_FIRST: usize = 2;

/// Render `report.html`.
pub fn render_html(suite: &SuiteOutcome) -> String {
    let t = Totals::of(suite);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>ikelab report: {} passed, {} failed, {} errors</title>",
        t.passed, t.failed, t.errors
    );
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(
        out,
        "<h1>ikelab scenario report</h1>\n<div class=\"meta\">ikelab {} · mode <code>{}</code> · wall time {}</div>",
        xml(&suite.tool_version),
        xml(&suite.mode),
        duration(suite.wall_ms.saturating_mul(1000))
    );
    summary_cards(&mut out, suite, t);
    failures_table(&mut out, suite);

    out.push_str("<h2>Scenarios</h2>\n");
    out.push_str("<input type=\"radio\" name=\"f\" id=\"f-all\" checked>");
    out.push_str("<input type=\"radio\" name=\"f\" id=\"f-bad\">");
    out.push_str("<input type=\"radio\" name=\"f\" id=\"f-pass\">\n");
    let _ = writeln!(
        out,
        "<div class=\"filters\"><label for=\"f-all\">all ({})</label><label for=\"f-bad\">failed + errors ({})</label><label for=\"f-pass\">passed ({})</label></div>",
        t.runs,
        t.failed + t.errors,
        t.passed
    );
    out.push_str("<div class=\"runs\">\n");
    let open_all = suite.scenarios.len() <= OPEN_ALL_UP_TO;
    let mut dir = None;
    for (i, s) in suite.scenarios.iter().enumerate() {
        // A heading per scenario directory (the suite is organised by RFC section).
        let this_dir = s.file.parent().map(|p| p.to_string_lossy().into_owned());
        if this_dir != dir {
            let runs: Vec<&ScenarioOutcome> = suite
                .scenarios
                .iter()
                .filter(|o| o.file.parent().map(|p| p.to_string_lossy().into_owned()) == this_dir)
                .collect();
            let t = Totals::of_runs(runs.iter().copied());
            let _ = writeln!(
                out,
                "<h3 class=\"dir mono\">{} <span class=\"meta\">({} runs, {} not passed)</span></h3>",
                xml(this_dir.as_deref().unwrap_or(".")),
                t.runs,
                t.failed + t.errors
            );
            dir = this_dir;
        }
        let open = open_all || i < OPEN_FIRST || !s.verdict.passed();
        scenario(&mut out, i, s, &suite.coverage, open);
    }
    out.push_str("</div>\n");
    coverage(&mut out, &suite.coverage);
    out.push_str("</body>\n</html>\n");
    out
}

fn summary_cards(out: &mut String, suite: &SuiteOutcome, t: Totals) {
    let c = &suite.coverage;
    let _ = writeln!(
        out,
        "<div class=\"totals\"><div class=\"card\"><b>{}</b>runs</div><div class=\"card pass\"><b>{}</b>passed</div><div class=\"card fail\"><b>{}</b>failed</div><div class=\"card error\"><b>{}</b>errors</div><div class=\"card\"><b>{:.1} %</b>requirement coverage ({}/{})</div></div>",
        t.runs,
        t.passed,
        t.failed,
        t.errors,
        c.ratio() * 100.0,
        c.covered,
        c.testable
    );
    let _ = writeln!(
        out,
        "<div class=\"bar\" title=\"coverage\"><span style=\"width:{:.1}%\"></span></div>",
        (c.ratio() * 100.0).clamp(0.0, 100.0)
    );
}

fn anchor(i: usize) -> String {
    format!("run-{i}")
}

fn failures_table(out: &mut String, suite: &SuiteOutcome) {
    let bad: Vec<(usize, &ScenarioOutcome)> = suite
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.verdict.passed())
        .collect();
    if bad.is_empty() {
        out.push_str("<p>All runs passed.</p>\n");
        return;
    }
    out.push_str("<h2>Failures</h2>\n<table><tr><th>test</th><th>first failure</th></tr>\n");
    for (i, s) in bad {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#{}\">{}</a></td><td class=\"mono\">{}</td></tr>",
            anchor(i),
            xml(&test_name(s)),
            xml(&headline(s).unwrap_or_default())
        );
    }
    out.push_str("</table>\n");
}

fn scenario(out: &mut String, i: usize, s: &ScenarioOutcome, cov: &Coverage, open: bool) {
    let (class, label) = match s.verdict {
        Verdict::Pass => ("pass", "PASS"),
        Verdict::Fail { .. } => ("fail", "FAIL"),
        Verdict::Error { .. } => ("error", "ERROR"),
    };
    let _ = writeln!(
        out,
        "<details class=\"run {class}\" id=\"{}\"{}><summary><span class=\"badge {class}\">{label}</span> <b>{}</b><span class=\"file mono\">{}</span> <span class=\"meta\">· {} virtual · {} wall · {} datagrams</span>{}</summary>",
        anchor(i),
        if open {
            " open"
        } else {
            ""
        },
        xml(&test_name(s)),
        xml(&s.file.to_string_lossy()),
        duration(s.virtual_us),
        duration(s.wall_us),
        s.trace.len(),
        match headline(s) {
            Some(h) => format!("<span class=\"head mono\">{}</span>", xml(&h)),
            None => String::new(),
        }
    );
    let _ = writeln!(out, "<p>{}</p>", xml(&s.description));
    match &s.verdict {
        Verdict::Pass => {}
        Verdict::Fail { failures } => {
            out.push_str("<ul class=\"failures mono\">\n");
            for f in failures {
                let _ = writeln!(out, "<li>{}</li>", xml(&failure_line(f)));
            }
            out.push_str("</ul>\n");
        }
        Verdict::Error { message } => {
            let _ = writeln!(
                out,
                "<ul class=\"failures mono\"><li>error: {}</li></ul>",
                xml(message)
            );
        }
    }
    for c in &s.cites {
        let catalogue = c
            .requirement
            .as_ref()
            .and_then(|id| cov.requirements.iter().find(|r| &r.id == id));
        let _ = write!(
            out,
            "<div class=\"cite\">RFC {} §{}{}: “{}”",
            c.rfc,
            xml(&c.section),
            match &c.requirement {
                Some(id) => format!(" <code>{}</code>", xml(id)),
                None => String::new(),
            },
            xml(&c.text)
        );
        if let Some(r) = catalogue {
            let _ = write!(
                out,
                " <span class=\"meta\">({} — {})</span>",
                xml(&r.keyword),
                xml(&r.text)
            );
        }
        out.push_str("</div>\n");
    }
    let mut links = Vec::new();
    if let Some(p) = &s.pcap {
        let p = p.to_string_lossy();
        links.push(format!(
            "<a href=\"{}\">pcap</a>",
            xml(&href(&p.replace('\\', "/")))
        ));
    }
    for k in &s.key_tables {
        let name = k
            .file_name()
            .map_or_else(|| k.to_string_lossy(), |n| n.to_string_lossy());
        links.push(format!(
            "<a href=\"{}\">{}</a>",
            xml(&href(&k.to_string_lossy().replace('\\', "/"))),
            xml(&name)
        ));
    }
    if !links.is_empty() {
        let _ = writeln!(
            out,
            "<p>Capture: {} <span class=\"meta\">(key tables hold this run's test keys, for Wireshark)</span></p>",
            links.join(" · ")
        );
    }
    let ladder = render_ladder(s);
    if ladder.is_empty() {
        out.push_str("<p class=\"meta\">No datagrams were exchanged.</p>\n");
    } else {
        let _ = writeln!(out, "<div class=\"ladderbox\">{ladder}</div>");
    }
    out.push_str("</details>\n");
}

fn coverage(out: &mut String, c: &Coverage) {
    let _ = writeln!(
        out,
        "<h2>Requirement coverage</h2>\n<p><b>{}/{}</b> testable requirements have a passing run (<b>{:.1} %</b>); catalogue <code>{}</code>, {} requirements.</p>",
        c.covered,
        c.testable,
        c.ratio() * 100.0,
        xml(&c.catalogue),
        c.requirements.len()
    );
    let sections = per_section(c);
    if sections.is_empty() {
        return;
    }
    out.push_str("<table class=\"cov\"><tr><th>section</th><th>requirements</th><th>testable</th><th>covered</th><th>failing only</th><th colspan=\"2\">coverage</th></tr>\n");
    for s in &sections {
        let pct = if s.testable == 0 {
            "–".to_owned()
        } else {
            format!("{:.0} %", s.percent())
        };
        let _ = writeln!(
            out,
            "<tr><td>§{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num pct\">{}</td><td><div class=\"minibar\"><span style=\"width:{:.0}%\"></span></div></td></tr>",
            xml(&s.section),
            s.total,
            s.testable,
            s.covered,
            s.failing,
            pct,
            s.percent().clamp(0.0, 100.0)
        );
    }
    out.push_str("</table>\n");
    out.push_str("<details><summary>All requirements</summary>\n<table><tr><th>id</th><th>§</th><th>keyword</th><th>requirement</th><th>status</th></tr>\n");
    for r in &c.requirements {
        let (class, status) = if !r.testable {
            ("req-open", "not testable".to_owned())
        } else if !r.passing.is_empty() {
            (
                "req-covered",
                format!("covered by {}", r.passing.join(", ")),
            )
        } else if !r.failing.is_empty() {
            ("req-failing", format!("failing: {}", r.failing.join(", ")))
        } else {
            ("req-open", "no scenario".to_owned())
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
            xml(&r.id),
            xml(&r.section),
            xml(&r.keyword),
            xml(&r.text),
            xml(&status)
        );
    }
    out.push_str("</table></details>\n");
}
