//! Requirement coverage: which catalogue entries (`scenarios/requirements/*.toml`) have at
//! least one passing scenario run citing them.

use std::path::Path;

use serde::Deserialize;

use crate::outcome::{Coverage, RequirementCoverage, ScenarioOutcome};

/// A requirements catalogue.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalogue {
    #[serde(skip)]
    pub path: String,
    #[serde(rename = "requirement", default)]
    pub requirements: Vec<Requirement>,
}

/// One normative statement (see `scenarios/requirements/README.md` for the fields).
#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    pub id: String,
    pub section: String,
    pub keyword: String,
    pub text: String,
    pub testable: bool,
    #[serde(default)]
    pub applies_to: Vec<String>,
    #[serde(default)]
    pub how: String,
    #[serde(default)]
    pub why_not: String,
    #[serde(default)]
    pub tahi: String,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

pub fn load_catalogue(path: &Path) -> Result<Catalogue, CatalogueError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Io {
        path: p.clone(),
        source,
    })?;
    let mut c: Catalogue = toml::from_str(&text).map_err(|e| CatalogueError::Invalid {
        path: p.clone(),
        message: e.to_string(),
    })?;
    c.path = p;
    Ok(c)
}

/// Coverage of `catalogue` by `outcomes`: a testable requirement is covered when a passing
/// run cites its id.
pub fn coverage(catalogue: &Catalogue, outcomes: &[ScenarioOutcome]) -> Coverage {
    let requirements: Vec<RequirementCoverage> = catalogue
        .requirements
        .iter()
        .map(|r| {
            let citing = outcomes.iter().filter(|o| {
                o.cites
                    .iter()
                    .any(|c| c.requirement.as_deref() == Some(r.id.as_str()))
            });
            let (mut passing, mut failing) = (Vec::new(), Vec::new());
            for o in citing {
                let test = format!("{}::{}", o.name, o.role.as_str());
                if o.verdict.passed() {
                    passing.push(test);
                } else {
                    failing.push(test);
                }
            }
            RequirementCoverage {
                id: r.id.clone(),
                section: r.section.clone(),
                keyword: r.keyword.clone(),
                text: r.text.clone(),
                testable: r.testable,
                passing,
                failing,
            }
        })
        .collect();
    Coverage {
        catalogue: catalogue.path.clone(),
        testable: requirements.iter().filter(|r| r.testable).count(),
        covered: requirements
            .iter()
            .filter(|r| r.testable && !r.passing.is_empty())
            .count(),
        requirements,
    }
}
