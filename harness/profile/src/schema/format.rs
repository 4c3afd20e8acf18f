//! The `format` regexes of the schema use only anchored sequences of literals and character
//! classes with `{n}` counts (e.g. the UUID shape). This matcher implements exactly that subset;
//! `parse` returns `None` for anything else, and a test checks every format in the table parses.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Atom {
    Lit(char),
    Class(Vec<(char, char)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    atom: Atom,
    count: usize,
}

/// Parses an anchored pattern (`^...$`) of the supported subset.
pub(crate) fn parse(pattern: &str) -> Option<Vec<Piece>> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let atom = match chars[i] {
            '[' => {
                let close = chars[i..].iter().position(|&c| c == ']')? + i;
                let inner = &chars[i + 1..close];
                let mut ranges = Vec::new();
                let mut j = 0;
                while j < inner.len() {
                    if j + 2 < inner.len() && inner[j + 1] == '-' {
                        ranges.push((inner[j], inner[j + 2]));
                        j += 3;
                    } else {
                        ranges.push((inner[j], inner[j]));
                        j += 1;
                    }
                }
                i = close + 1;
                Atom::Class(ranges)
            }
            '\\' => {
                let c = *chars.get(i + 1)?;
                i += 2;
                Atom::Lit(c)
            }
            c if "().*+?|{}".contains(c) => return None,
            c => {
                i += 1;
                Atom::Lit(c)
            }
        };
        let mut count = 1;
        if chars.get(i) == Some(&'{') {
            let close = chars[i..].iter().position(|&c| c == '}')? + i;
            let n: String = chars[i + 1..close].iter().collect();
            count = n.parse().ok()?;
            i = close + 1;
        }
        out.push(Piece { atom, count });
    }
    Some(out)
}

/// `Some(true/false)` when the pattern is supported, `None` otherwise.
pub fn format_matches(pattern: &str, value: &str) -> Option<bool> {
    let pieces = parse(pattern)?;
    let mut it = value.chars();
    for p in &pieces {
        for _ in 0..p.count {
            let Some(c) = it.next() else {
                return Some(false);
            };
            let ok = match &p.atom {
                Atom::Lit(l) => c == *l,
                Atom::Class(r) => r.iter().any(|&(a, b)| a <= c && c <= b),
            };
            if !ok {
                return Some(false);
            }
        }
    }
    Some(it.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str =
        "^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$";

    #[test]
    fn uuid_shape() {
        assert_eq!(
            format_matches(UUID, "4D4440E7-BA3F-57CE-AC2A-8599F30E0D0F"),
            Some(true)
        );
        assert_eq!(
            format_matches(UUID, "4D4440E7-BA3F-57CE-AC2A-8599F30E0D0"),
            Some(false)
        );
        assert_eq!(
            format_matches(UUID, "4D4440E7-BA3F-57CE-AC2A-8599F30E0D0FF"),
            Some(false)
        );
        assert_eq!(format_matches(UUID, ""), Some(false));
    }

    #[test]
    fn unsupported_syntax_is_none() {
        assert_eq!(format_matches("^a+$", "a"), None);
        assert_eq!(format_matches("abc", "abc"), None);
    }
}
