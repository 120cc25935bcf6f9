//! SARIF 2.1.0 output, shaped for GitHub code scanning.

use serde_json::json;
use wo_core::{Location, Value};

use super::report::{Finding, Report};
use super::rules;

/// The schema GitHub's documentation points to.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of `partialFingerprints`; the `/v1` names the hash, so a new scheme gets a new key.
pub(crate) const FINGERPRINT_KEY: &str = "woFinding/v1";

impl Report {
    /// The report as a SARIF 2.1.0 log that GitHub code scanning ingests.
    ///
    /// One run of the tool `wo` whose `rules` are all built-in rules in id order (so a result's
    /// `ruleIndex` is the rule's position in [`rules::all`]); one result per finding, and one
    /// per suppressed finding carrying `suppressions: [{kind: "external", justification}]`
    /// (the policy file is outside the analysed manifests). Each result points at the file
    /// (relative, forward slashes, percent-encoded) and the line of its resource and has a
    /// `partialFingerprints` entry `woFinding/v1` that depends only on rule, resource and path
    /// ([`Finding::fingerprint`]). Exceptions that matched nothing are warnings in
    /// `invocations[0].toolConfigurationNotifications`.
    pub fn to_sarif(&self) -> String {
        format!("{:#}\n", self.sarif())
    }

    /// The SARIF log as a value (see [`Report::to_sarif`]).
    pub fn sarif(&self) -> Value {
        let rules: Vec<Value> = rules::all()
            .iter()
            .map(|r| {
                let mut properties = json!({ "tags": r.tags });
                if let Some(score) = r.security_severity {
                    properties["security-severity"] = json!(score);
                }
                json!({
                    "id": r.id,
                    "name": r.name,
                    "shortDescription": { "text": r.message },
                    "fullDescription": { "text": r.description },
                    "help": { "text": format!("{} Fix: {}.", r.description, r.fix) },
                    "defaultConfiguration": {
                        "level": r.severity.as_str(),
                        "enabled": r.enabled_by_default,
                    },
                    "properties": properties,
                })
            })
            .collect();

        let mut all: Vec<(&Finding, Option<&str>)> = self
            .findings
            .iter()
            .map(|f| (f, None))
            .chain(self.suppressed.iter().map(|(f, r)| (f, Some(r.as_str()))))
            .collect();
        all.sort_by(|a, b| Finding::order(a.0, b.0));
        let results: Vec<Value> = all
            .into_iter()
            .map(|(f, reason)| result(f, reason))
            .collect();

        let mut run = json!({
            "tool": {
                "driver": {
                    "name": "wo",
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        });
        if !self.unused_exceptions.is_empty() {
            let notes: Vec<Value> = self
                .unused_exceptions
                .iter()
                .map(|e| {
                    json!({
                        "level": "warning",
                        "message": { "text": format!(
                            "exception for {} on {} matches no finding",
                            e.rule, e.name
                        ) },
                        "locations": [physical_location(&e.source)],
                    })
                })
                .collect();
            run["invocations"] = json!([{
                "executionSuccessful": true,
                "toolConfigurationNotifications": notes,
            }]);
        }
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [run],
        })
    }
}

fn result(f: &Finding, reason: Option<&str>) -> Value {
    let rule_index = rules::all()
        .iter()
        .position(|r| r.id == f.rule)
        .unwrap_or_default();
    let mut result = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": f.severity.as_str(),
        "message": {
            "text": format!("{} {} (at {})", f.resource_label(), f.message, f.path),
        },
        "locations": [physical_location(&f.location)],
        "partialFingerprints": { FINGERPRINT_KEY: f.fingerprint() },
        "properties": {
            "resource": f.resource,
            "path": f.path,
            "blocking": f.blocking,
        },
    });
    if let Some(reason) = reason {
        result["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
    }
    result
}

fn physical_location(location: &Location) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&location.file) },
            "region": { "startLine": location.line.unwrap_or(1).max(1) },
        }
    })
}

/// A relative URI reference for a file path: forward slashes, no leading `./`, everything but
/// unreserved characters and `/` percent-encoded (so `:` cannot pass for a scheme).
fn uri(file: &str) -> String {
    let file = file.replace('\\', "/");
    let mut file = file.as_str();
    while let Some(rest) = file.strip_prefix("./") {
        file = rest;
    }
    if file.is_empty() {
        file = "<input>";
    }
    let mut out = String::with_capacity(file.len());
    for byte in file.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris_are_relative_forward_slashed_and_encoded() {
        assert_eq!(uri("./shop\\web.yaml"), "shop/web.yaml");
        assert_eq!(uri("a b/c:d.yaml"), "a%20b/c%3Ad.yaml");
        assert_eq!(uri("ü.yaml"), "%C3%BC.yaml");
        assert_eq!(uri(""), "%3Cinput%3E");
    }
}
