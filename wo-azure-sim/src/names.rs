//! Resource name rules (a violation is a 400 `InvalidResourceName`).

/// Letters, digits and `-`.
fn alnum_dash(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Dot-separated labels of letters, digits and inner `-`:
/// `^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$`.
fn dotted_labels(name: &str) -> bool {
    name.split('.').all(|p| {
        !p.is_empty() && p.chars().all(alnum_dash) && !p.starts_with('-') && !p.ends_with('-')
    })
}

/// `^(?!.*\.\.)[a-zA-Z0-9-][a-zA-Z0-9._-]{1,68}[a-zA-Z0-9-]$` (configurations and dynamic
/// configurations).
fn configuration_name(name: &str) -> bool {
    let inner = |c: char| alnum_dash(c) || c == '.' || c == '_';
    (3..=70).contains(&name.len())
        && !name.contains("..")
        && name.chars().all(inner)
        && name.starts_with(alnum_dash)
        && name.ends_with(alnum_dash)
}

/// Checks the name of a resource of the collection `kind` (lowercase), saying what is wrong.
pub(crate) fn check(kind: &str, name: &str) -> Result<(), String> {
    let ok = match kind {
        "targets" => {
            (3..=61).contains(&name.len())
                && dotted_labels(name)
                && !name.starts_with("v-")
                && !name.contains("-v-")
        }
        "contexts" => !name.is_empty() && name.len() <= 61 && name.chars().all(alnum_dash),
        "configurations" | "dynamicconfigurations" => configuration_name(name),
        "versions-dynamicconfigurations" => {
            (3..=24).contains(&name.len()) && name.chars().all(|c| alnum_dash(c) || c == '.')
        }
        "configurationreferences" => name == "default",
        _ => (3..=24).contains(&name.len()) && name.chars().all(alnum_dash),
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        "targets" => {
            format!("The target name '{name}' is invalid: 3-61 letters, digits, '-' and '.'.")
        }
        "contexts" => format!("The context name '{name}' is invalid."),
        "configurations" | "dynamicconfigurations" => format!(
            "The name '{name}' must match ^(?!.*\\.\\.)[a-zA-Z0-9-][a-zA-Z0-9._-]{{1,68}}[a-zA-Z0-9-]$."
        ),
        "versions-dynamicconfigurations" => {
            format!("The version name '{name}' must match ^[a-zA-Z0-9.-]{{3,24}}$.")
        }
        "configurationreferences" => {
            format!("A configuration reference must be named 'default', not '{name}'.")
        }
        _ => format!("The name '{name}' must match ^[a-zA-Z0-9-]{{3,24}}$."),
    })
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn names() {
        assert!(check("targets", "line-1.plant").is_ok());
        assert!(check("targets", "v-bad").is_err());
        assert!(check("targets", "a..b").is_err());
        assert!(check("schemas", "ab").is_err());
        assert!(check("configurations", "line-1Config").is_ok());
        assert!(check("configurations", "a_b.c").is_ok());
        assert!(check("configurations", "ab").is_err());
        assert!(check("configurations", "a..bc").is_err());
        assert!(check("configurations", "_abc").is_err());
        assert!(check("configurations", &"a".repeat(71)).is_err());
        assert!(check("dynamicconfigurations", "shop").is_ok());
        assert!(check("versions-dynamicconfigurations", "1.0.0").is_ok());
        assert!(check("versions-dynamicconfigurations", "1_0").is_err());
        assert!(check("configurationreferences", "default").is_ok());
        assert!(check("configurationreferences", "other").is_err());
    }
}
