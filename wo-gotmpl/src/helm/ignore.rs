//! `.helmignore`: which files of a chart directory Helm leaves out when it loads it.

use super::glob::filepath_match;

/// The rules of a `.helmignore` file, plus Helm's default (`templates/.?*`).
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    rule: String,
    negate: bool,
    must_dir: bool,
    scope: Scope,
}

#[derive(Debug, Clone, Copy)]
enum Scope {
    /// A leading `/` or an inner `/`: matched against the whole relative path.
    Path,
    /// No `/`: matched against the last path element.
    Base,
}

impl IgnoreRules {
    /// Rules parsed from the text of a `.helmignore` file, with Helm's default rule added.
    ///
    /// # Errors
    /// A rule Helm rejects: `**`, or a malformed glob.
    pub fn parse(text: &str) -> Result<IgnoreRules, String> {
        let mut rules = IgnoreRules::default();
        for line in text.trim_start_matches('\u{feff}').lines() {
            rules.add(line)?;
        }
        rules.add("templates/.?*")?;
        Ok(rules)
    }

    /// Only Helm's default rule (a chart without `.helmignore`).
    pub fn defaults() -> IgnoreRules {
        IgnoreRules::parse("").expect("the default rule is valid")
    }

    fn add(&mut self, line: &str) -> Result<(), String> {
        let rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        filepath_match(rule, "abc").map_err(|e| e.to_string())?;
        let mut rule = rule;
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let must_dir = rule.ends_with('/');
        if must_dir {
            rule = &rule[..rule.len() - 1];
        }
        let scope = if let Some(rest) = rule.strip_prefix('/') {
            rule = rest;
            Scope::Path
        } else if rule.contains('/') {
            Scope::Path
        } else {
            Scope::Base
        };
        self.patterns.push(Pattern {
            rule: rule.to_string(),
            negate,
            must_dir,
            scope,
        });
        Ok(())
    }

    /// Whether `path` (relative, `/`-separated) is left out; `is_dir` for directories, whose
    /// whole subtree is then skipped. A negated rule ignores what it does not match, as Helm's
    /// does.
    pub fn ignored(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            let subject = match p.scope {
                Scope::Path => path,
                Scope::Base => path.rsplit('/').next().unwrap_or(path),
            };
            let matched = filepath_match(&p.rule, subject).unwrap_or(false);
            if p.negate {
                if (p.must_dir && !is_dir) || !matched {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_by_base_name_path_and_directory() {
        let rules = IgnoreRules::parse("# c\n*.bak\ntests/\n/*.tgz\nfiles/crds/full/*.yaml\n")
            .expect("valid");
        assert!(rules.ignored("templates/x.bak", false));
        assert!(rules.ignored("templates/tests", true));
        assert!(!rules.ignored("templates/tests", false));
        assert!(rules.ignored("a.tgz", false));
        assert!(!rules.ignored("charts/a.tgz", false));
        assert!(rules.ignored("files/crds/full/a.yaml", false));
        assert!(rules.ignored("templates/.hidden", false));
        assert!(!rules.ignored("templates/x.yaml", false));
        assert!(IgnoreRules::parse("a/**").is_err());
    }
}
