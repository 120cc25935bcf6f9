//! Azure RBAC as ARM enforces it for the simulator's requests: role definitions (actions with
//! wildcards, minus not-actions), role assignments (principal, role, scope), and the action a
//! request needs.

use axum::http::Method;

/// A role: the actions it allows (`*`, `*/read`, `Microsoft.Edge/*`), minus `not_actions`.
/// Matching is case-insensitive, `*` standing for any characters, as in Azure's role
/// definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDefinition {
    /// Its name (`Contributor`).
    pub name: String,
    /// What it allows.
    pub actions: Vec<String>,
    /// What it excludes from `actions`.
    pub not_actions: Vec<String>,
}

impl RoleDefinition {
    /// The built-in Owner: everything.
    pub fn owner() -> Self {
        Self::new("Owner", &["*"], &[])
    }

    /// The built-in Contributor: everything but managing access (its `notActions` on
    /// `Microsoft.Authorization`), per
    /// <https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor>.
    pub fn contributor() -> Self {
        Self::new(
            "Contributor",
            &["*"],
            &[
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
            ],
        )
    }

    /// The built-in Reader: `*/read`.
    pub fn reader() -> Self {
        Self::new("Reader", &["*/read"], &[])
    }

    /// A custom role.
    pub fn new(name: &str, actions: &[&str], not_actions: &[&str]) -> Self {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Self {
            name: name.to_string(),
            actions: owned(actions),
            not_actions: owned(not_actions),
        }
    }

    /// Whether the role allows `action` (`Microsoft.Edge/targets/write`).
    pub fn allows(&self, action: &str) -> bool {
        self.actions.iter().any(|p| glob(p, action))
            && !self.not_actions.iter().any(|p| glob(p, action))
    }
}

/// A role granted to a principal (a service principal's object id) at a scope and below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleAssignment {
    pub(crate) principal_id: String,
    pub(crate) role: RoleDefinition,
    /// The scope, lowercase, without a trailing `/`.
    pub(crate) scope: String,
}

impl RoleAssignment {
    /// Whether it lets `principal_id` do `action` on `scope`.
    pub(crate) fn grants(&self, principal_id: &str, action: &str, scope: &str) -> bool {
        let scope = scope.trim_end_matches('/').to_ascii_lowercase();
        self.principal_id.eq_ignore_ascii_case(principal_id)
            && (scope == self.scope || scope.starts_with(&format!("{}/", self.scope)))
            && self.role.allows(action)
    }
}

/// `pattern` (with `*` for any characters) matches `text`, ignoring ASCII case.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_ascii_lowercase(), text.to_ascii_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !t.starts_with(first) || !t[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &t[first.len()..t.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// The action (`Microsoft.Edge/targets/solutions/versions/read`) and the scope (the ARM id it
/// is on) a request to `segs` (the path's segments) with `method` needs. The resource type is
/// every other segment after the last `providers/<namespace>`; a `POST` names an action on the
/// resource before its last segment (`…/targets/t1/reviewSolutionVersion` →
/// `Microsoft.Edge/targets/reviewSolutionVersion/action` on `…/targets/t1`).
pub(crate) fn required(method: &Method, segs: &[String]) -> Option<(String, String)> {
    let at = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))?;
    let namespace = segs.get(at + 1)?;
    let below = &segs[at + 2..];
    let id = |n: usize| -> String { segs[..n].iter().map(|s| format!("/{s}")).collect() };
    let types = |names: &[String]| -> String {
        names
            .iter()
            .step_by(2)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("/")
    };
    if *method == Method::POST && below.len() >= 3 && below.len() % 2 == 1 {
        let (resource, action) = below.split_at(below.len() - 1);
        return Some((
            format!("{namespace}/{}/{}/action", types(resource), action[0]),
            id(segs.len() - 1),
        ));
    }
    let verb = match *method {
        Method::GET | Method::HEAD => "read",
        Method::DELETE => "delete",
        _ => "write",
    };
    Some((
        format!("{namespace}/{}/{verb}", types(below)),
        id(segs.len()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn requests_need_the_action_of_their_resource_type_on_its_id() {
        let rg = "/subscriptions/s/resourceGroups/shop/providers/Microsoft.Edge";
        let rows = [
            (
                Method::PUT,
                format!("{rg}/targets/t1"),
                "Microsoft.Edge/targets/write",
                format!("{rg}/targets/t1"),
            ),
            (
                Method::GET,
                format!("{rg}/targets"),
                "Microsoft.Edge/targets/read",
                format!("{rg}/targets"),
            ),
            (
                Method::GET,
                format!("{rg}/targets/t1/solutions/app/versions/1.0.0.1"),
                "Microsoft.Edge/targets/solutions/versions/read",
                format!("{rg}/targets/t1/solutions/app/versions/1.0.0.1"),
            ),
            (
                Method::DELETE,
                format!("{rg}/schemas/s1"),
                "Microsoft.Edge/schemas/delete",
                format!("{rg}/schemas/s1"),
            ),
            (
                Method::POST,
                format!("{rg}/targets/t1/reviewSolutionVersion"),
                "Microsoft.Edge/targets/reviewSolutionVersion/action",
                format!("{rg}/targets/t1"),
            ),
            (
                Method::GET,
                format!("{rg}/targets/t1/providers/Microsoft.Edge/jobs/j1"),
                "Microsoft.Edge/jobs/read",
                format!("{rg}/targets/t1/providers/Microsoft.Edge/jobs/j1"),
            ),
        ];
        for (method, path, action, scope) in rows {
            assert_eq!(
                required(&method, &segs(&path)),
                Some((action.to_string(), scope)),
                "{method} {path}"
            );
        }
        assert_eq!(required(&Method::GET, &segs("/subscriptions/s")), None);
    }

    #[test]
    fn built_in_roles_allow_what_azure_documents() {
        let (owner, contributor, reader) = (
            RoleDefinition::owner(),
            RoleDefinition::contributor(),
            RoleDefinition::reader(),
        );
        assert!(owner.allows("Microsoft.Authorization/roleAssignments/write"));
        assert!(contributor.allows("Microsoft.Edge/targets/write"));
        assert!(contributor.allows("Microsoft.Edge/targets/installSolution/action"));
        assert!(!contributor.allows("Microsoft.Authorization/roleAssignments/write"));
        assert!(reader.allows("Microsoft.Edge/targets/READ"));
        assert!(!reader.allows("Microsoft.Edge/targets/write"));
        let edge = RoleDefinition::new("Edge operator", &["Microsoft.Edge/*"], &["*/delete"]);
        assert!(edge.allows("Microsoft.Edge/contexts/write"));
        assert!(!edge.allows("Microsoft.Edge/contexts/delete"));
        assert!(!edge.allows("Microsoft.Compute/virtualMachines/read"));
    }

    #[test]
    fn an_assignment_covers_its_scope_and_below_only() {
        let a = RoleAssignment {
            principal_id: "P".into(),
            role: RoleDefinition::contributor(),
            scope: "/subscriptions/s/resourcegroups/shop".into(),
        };
        let w = "Microsoft.Edge/targets/write";
        assert!(a.grants(
            "p",
            w,
            "/subscriptions/s/resourceGroups/shop/providers/Microsoft.Edge/targets/t1"
        ));
        assert!(a.grants("P", w, "/subscriptions/s/resourceGroups/shop"));
        assert!(!a.grants(
            "P",
            w,
            "/subscriptions/s/resourceGroups/shop2/providers/Microsoft.Edge/targets/t1"
        ));
        assert!(!a.grants("Q", w, "/subscriptions/s/resourceGroups/shop"));
        assert!(!a.grants("P", w, "/subscriptions/s"));
    }
}
