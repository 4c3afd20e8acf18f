//! Requirement coverage per RFC section, shared by the Markdown and HTML reports.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use ikelab_scenario::outcome::Coverage;

/// Coverage of one section of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionCoverage {
    pub section: String,
    /// Requirements of the section (testable or not).
    pub total: usize,
    pub testable: usize,
    /// Testable requirements with a passing scenario.
    pub covered: usize,
    /// Testable requirements cited only by failing runs.
    pub failing: usize,
}

impl SectionCoverage {
    pub fn percent(&self) -> f64 {
        if self.testable == 0 {
            0.0
        } else {
            self.covered as f64 * 100.0 / self.testable as f64
        }
    }
}

/// Sections in numeric order (`2.2` before `2.10`), computed from the per-requirement lists.
pub fn per_section(c: &Coverage) -> Vec<SectionCoverage> {
    let mut map: BTreeMap<SectionKey, SectionCoverage> = BTreeMap::new();
    for r in &c.requirements {
        let e = map
            .entry(SectionKey(r.section.clone()))
            .or_insert_with(|| SectionCoverage {
                section: r.section.clone(),
                total: 0,
                testable: 0,
                covered: 0,
                failing: 0,
            });
        e.total += 1;
        if r.testable {
            e.testable += 1;
            if !r.passing.is_empty() {
                e.covered += 1;
            } else if !r.failing.is_empty() {
                e.failing += 1;
            }
        }
    }
    map.into_values().collect()
}

/// A section number ordered component-wise, numbers numerically (`A.1` and words sort after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionKey(pub String);

impl Ord for SectionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        let parts = |s: &str| -> Vec<(u64, String)> {
            s.split('.')
                .map(|p| match p.parse::<u64>() {
                    Ok(n) => (n, String::new()),
                    Err(_) => (u64::MAX, p.to_owned()),
                })
                .collect()
        };
        parts(&self.0)
            .cmp(&parts(&other.0))
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for SectionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_sort_numerically() {
        let mut v: Vec<SectionKey> = ["2.10", "2.2", "1", "3.3.1", "A", "2.2.1"]
            .iter()
            .map(|s| SectionKey((*s).to_owned()))
            .collect();
        v.sort();
        let got: Vec<&str> = v.iter().map(|k| k.0.as_str()).collect();
        assert_eq!(got, ["1", "2.2", "2.2.1", "2.10", "3.3.1", "A"]);
    }
}
