//! ARM resource ids as the simulator stores them: the type of an id, its parent, its depth.

/// The resource types under `RG`: collection names from the top (lowercase), ARM type.
const RG_TYPES: &[(&[&str], &str)] = &[
    (&["contexts"], "Microsoft.Edge/contexts"),
    (&["targets"], "Microsoft.Edge/targets"),
    (&["schemas"], "Microsoft.Edge/schemas"),
    (&["schemas", "versions"], "Microsoft.Edge/schemas/versions"),
    (&["solutiontemplates"], "Microsoft.Edge/solutionTemplates"),
    (
        &["solutiontemplates", "versions"],
        "Microsoft.Edge/solutionTemplates/versions",
    ),
    (&["configurations"], "Microsoft.Edge/configurations"),
    (
        &["configurations", "dynamicconfigurations"],
        "Microsoft.Edge/configurations/dynamicConfigurations",
    ),
    (
        &["configurations", "dynamicconfigurations", "versions"],
        "Microsoft.Edge/configurations/dynamicConfigurations/versions",
    ),
    (
        &["targets", "solutions"],
        "Microsoft.Edge/targets/solutions",
    ),
    (
        &["targets", "solutions", "versions"],
        "Microsoft.Edge/targets/solutions/versions",
    ),
    (
        &["targets", "solutions", "instances"],
        "Microsoft.Edge/targets/solutions/instances",
    ),
    (
        &["targets", "solutions", "instances", "histories"],
        "Microsoft.Edge/targets/solutions/instances/histories",
    ),
];

/// For segments below `RG` (lowercase): the ARM type, and whether they name one resource
/// (`targets/t1`) rather than a collection (`targets/t1/solutions`).
pub(crate) fn rg_type(rest: &[&str]) -> Option<(&'static str, bool)> {
    if rest.is_empty() {
        return None;
    }
    let item = rest.len() % 2 == 0;
    let collections: Vec<&str> = rest.iter().step_by(2).copied().collect();
    RG_TYPES
        .iter()
        .find(|(c, _)| *c == collections.as_slice())
        .map(|(_, t)| (*t, item))
}

/// The ARM type of a resource id the simulator stores under `RG`, if it is one.
pub(crate) fn stored_type(id: &str) -> Option<&'static str> {
    let low = id.to_ascii_lowercase();
    let segs: Vec<&str> = low.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.edge", rest @ ..] => {
            rg_type(rest).filter(|(_, item)| *item).map(|(t, _)| t)
        }
        _ => None,
    }
}

/// The number of segments of an id.
pub(crate) fn depth(key: &str) -> usize {
    key.split('/').filter(|s| !s.is_empty()).count()
}

/// The id of the resource (or collection) above `key`.
pub(crate) fn parent_of(key: &str) -> &str {
    key.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}
