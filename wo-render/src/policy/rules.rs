//! The built-in rules: one table, one check function per rule.
//!
//! | id    | name                     | severity | default | what it flags |
//! |-------|--------------------------|----------|---------|---------------|
//! | WO001 | privileged-container     | error    | on      | `securityContext.privileged: true` |
//! | WO002 | privilege-escalation     | error    | on      | `allowPrivilegeEscalation` not `false` |
//! | WO003 | run-as-root              | error    | on      | `runAsNonRoot` not `true` (container, else pod) or `runAsUser: 0` |
//! | WO004 | host-namespaces          | error    | on      | `hostNetwork`, `hostPID` or `hostIPC` true |
//! | WO005 | host-path-volume         | error    | on      | a `hostPath` volume |
//! | WO006 | dangerous-capabilities   | error    | on      | `capabilities.add` of `ALL`, `SYS_ADMIN`, `NET_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`, `SYS_RAWIO`, `BPF`, `DAC_READ_SEARCH` |
//! | WO007 | added-capabilities       | warning  | on      | any other added capability except `NET_BIND_SERVICE` |
//! | WO008 | missing-requests         | warning  | on      | no CPU or memory request (a limit counts: Kubernetes defaults the request to it) |
//! | WO009 | missing-limits           | warning  | on      | no CPU or memory limit |
//! | WO010 | missing-readiness-probe  | warning  | on      | a container of a long-running pod without `readinessProbe` |
//! | WO011 | missing-liveness-probe   | warning  | on      | a container of a long-running pod without `livenessProbe` |
//! | WO012 | mutable-image-tag        | error    | on      | image tag `latest` or no tag, and no digest |
//! | WO013 | image-not-pinned         | warning  | **off** | image without an `@sha256:` digest |
//! | WO014 | default-namespace        | warning  | on      | `metadata.namespace: default`, or no namespace on a namespaced built-in kind |
//! | WO015 | plain-secret             | error    | on      | a `v1` `Secret` among the manifests |
//! | WO016 | exposed-service          | warning  | on      | a `Service` of type `NodePort` or `LoadBalancer` |
//!
//! Workloads are `Pod` (`spec`), `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`,
//! `ReplicationController`, `Job` (`spec.template.spec`) and `CronJob`
//! (`spec.jobTemplate.spec.template.spec`), matched by kind. Container rules look at
//! `containers` and `initContainers`; the probe rules only at `containers`, and not for `Job`
//! and `CronJob` pods, which run to completion.
//!
//! A missing namespace is flagged only for the namespaced built-in kinds listed in
//! [`NAMESPACED_KINDS`]: such a resource lands in whatever namespace the applying tool
//! defaults to, usually `default`. For other kinds (custom resources) wo cannot know the scope
//! from the manifest alone, so a missing namespace is not flagged.

use std::fmt;

use wo_core::value::{get_path, Map};
use wo_core::Value;

use crate::manifest::Resource;

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never blocks by default.
    Note,
    /// Should be fixed; does not block by default.
    Warning,
    /// Must be fixed; blocks by default.
    Error,
}

impl Severity {
    /// The lowercase name, as SARIF spells levels (`error`, `warning`, `note`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One built-in rule. See the [module docs](self) for the table.
#[derive(Debug)]
#[non_exhaustive]
pub struct Rule {
    /// Stable identifier (`WO001`); never reused for another check.
    pub id: &'static str,
    /// Short kebab-case name (`privileged-container`).
    pub name: &'static str,
    /// Severity unless the policy overrides it.
    pub severity: Severity,
    /// Whether the rule runs unless the policy says otherwise.
    pub enabled_by_default: bool,
    /// One-line statement of the problem (`Container runs privileged`).
    pub message: &'static str,
    /// Why it matters, in a few sentences.
    pub description: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    /// Categories (`security`, `reliability`, `compliance`), for SARIF `properties.tags`.
    pub tags: &'static [&'static str],
    /// GitHub's `security-severity` score (0.0–10.0) for security rules.
    pub security_severity: Option<&'static str>,
    check: fn(&Resource, &mut Vec<Hit>),
}

/// One place where a rule fires inside a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Path of the offending (or missing) field: `spec.template.spec.containers[0].image`.
    pub(crate) path: String,
    /// What is wrong there, naming the container or volume.
    pub(crate) message: String,
}

impl Rule {
    /// The rule with id (`WO001`) or name (`privileged-container`) `key`.
    pub fn find(key: &str) -> Option<&'static Rule> {
        RULES.iter().find(|r| r.id == key || r.name == key)
    }

    /// Where the rule fires in `resource`.
    pub(crate) fn hits(&self, resource: &Resource) -> Vec<Hit> {
        let mut hits = Vec::new();
        (self.check)(resource, &mut hits);
        hits
    }
}

/// Every built-in rule, in id order.
pub fn all() -> &'static [Rule] {
    RULES
}

const SECURITY: &[&str] = &["security"];
const RELIABILITY: &[&str] = &["reliability"];
const SUPPLY_CHAIN: &[&str] = &["security", "supply-chain"];
const COMPLIANCE: &[&str] = &["compliance"];

static RULES: &[Rule] = &[
    Rule {
        id: "WO001",
        name: "privileged-container",
        severity: Severity::Error,
        enabled_by_default: true,
        message: "Container runs privileged",
        description: "A privileged container has every capability and access to all host \
                      devices; escaping to the node is trivial.",
        fix: "remove securityContext.privileged or set it to false",
        tags: SECURITY,
        security_severity: Some("9.0"),
        check: privileged,
    },
    Rule {
        id: "WO002",
        name: "privilege-escalation",
        severity: Severity::Error,
        enabled_by_default: true,
        message: "Container may gain more privileges than its parent process",
        description: "Unless allowPrivilegeEscalation is false, a process can gain privileges \
                      through setuid binaries or file capabilities. The restricted Pod \
                      Security Standard requires false.",
        fix: "set securityContext.allowPrivilegeEscalation: false on the container",
        tags: SECURITY,
        security_severity: Some("7.0"),
        check: privilege_escalation,
    },
    Rule {
        id: "WO003",
        name: "run-as-root",
        severity: Severity::Error,
        enabled_by_default: true,
        message: "Container may run as root",
        description: "Without runAsNonRoot: true (on the container, or else on the pod) the \
                      image decides the user, often root; runAsUser: 0 is root outright.",
        fix: "set securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod or \
              container",
        tags: SECURITY,
        security_severity: Some("7.0"),
        check: run_as_root,
    },
    Rule {
        id: "WO004",
        name: "host-namespaces",
        severity: Severity::Error,
        enabled_by_default: true,
        message: "Pod shares the node's network, process or IPC namespace",
        description: "hostNetwork, hostPID and hostIPC let the pod see and reach the node's \
                      interfaces, processes or shared memory.",
        fix: "remove hostNetwork, hostPID and hostIPC from the pod spec",
        tags: SECURITY,
        security_severity: Some("8.0"),
        check: host_namespaces,
    },
    Rule {
        id: "WO005",
        name: "host-path-volume",
        severity: Severity::Error,
        enabled_by_default: true,
        message: "Pod mounts a directory of the node",
        description: "hostPath volumes expose the node's file system (container runtime \
                      sockets, credentials) to the pod.",
        fix: "use a persistentVolumeClaim, configMap, secret or emptyDir volume instead of \
              hostPath",
        tags: SECURITY,
        security_severity: Some("8.0"),
        check: host_path,
    },
    Rule {
        id: "WO006",
        name: "dangerous-capabilities",
        severity: Severity::Error,
        enabled_by_default: true,
        message: "Container adds a capability that amounts to root on the node",
        description: "ALL, SYS_ADMIN, NET_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, BPF and \
                      DAC_READ_SEARCH each allow escaping the container or taking over the \
                      node's network.",
        fix: "remove the capability from securityContext.capabilities.add; drop ALL and add \
              back only what the process needs",
        tags: SECURITY,
        security_severity: Some("8.0"),
        check: dangerous_capabilities,
    },
    Rule {
        id: "WO007",
        name: "added-capabilities",
        severity: Severity::Warning,
        enabled_by_default: true,
        message: "Container adds a Linux capability",
        description: "The restricted Pod Security Standard allows adding only \
                      NET_BIND_SERVICE; every other capability widens what a compromised \
                      process can do.",
        fix: "remove the capability from securityContext.capabilities.add, or add an \
              exception with the reason it is needed",
        tags: SECURITY,
        security_severity: Some("4.0"),
        check: added_capabilities,
    },
    Rule {
        id: "WO008",
        name: "missing-requests",
        severity: Severity::Warning,
        enabled_by_default: true,
        message: "Container has no CPU or memory request",
        description: "Without requests the scheduler cannot place the pod sensibly and the \
                      pod is the first to be evicted. A limit counts as a request, since \
                      Kubernetes defaults the request to it.",
        fix: "set resources.requests.cpu and resources.requests.memory",
        tags: RELIABILITY,
        security_severity: None,
        check: missing_requests,
    },
    Rule {
        id: "WO009",
        name: "missing-limits",
        severity: Severity::Warning,
        enabled_by_default: true,
        message: "Container has no CPU or memory limit",
        description: "Without limits one container can starve its neighbours on the node.",
        fix: "set resources.limits.cpu and resources.limits.memory",
        tags: RELIABILITY,
        security_severity: None,
        check: missing_limits,
    },
    Rule {
        id: "WO010",
        name: "missing-readiness-probe",
        severity: Severity::Warning,
        enabled_by_default: true,
        message: "Container has no readiness probe",
        description: "Without a readiness probe traffic reaches the pod before it can serve, \
                      and rollouts cannot tell a broken version from a working one.",
        fix: "add a readinessProbe to the container",
        tags: RELIABILITY,
        security_severity: None,
        check: missing_readiness_probe,
    },
    Rule {
        id: "WO011",
        name: "missing-liveness-probe",
        severity: Severity::Warning,
        enabled_by_default: true,
        message: "Container has no liveness probe",
        description: "Without a liveness probe a hung process keeps its pod forever.",
        fix: "add a livenessProbe to the container",
        tags: RELIABILITY,
        security_severity: None,
        check: missing_liveness_probe,
    },
    Rule {
        id: "WO012",
        name: "mutable-image-tag",
        severity: Severity::Error,
        enabled_by_default: true,
        message: "Image uses the tag latest or no tag",
        description: "A latest (or missing) tag means the same manifest runs different code \
                      over time; a GitOps change no longer says what is deployed.",
        fix: "use an immutable version tag or a digest (image@sha256:…)",
        tags: SUPPLY_CHAIN,
        security_severity: Some("5.0"),
        check: mutable_image_tag,
    },
    Rule {
        id: "WO013",
        name: "image-not-pinned",
        severity: Severity::Warning,
        enabled_by_default: false,
        message: "Image is not pinned by digest",
        description: "Tags can be moved; only a digest (image@sha256:…) names exactly one \
                      image. Off by default: enable it where supply-chain policy demands \
                      digests.",
        fix: "reference the image by digest: name:tag@sha256:<64 hex digits>",
        tags: SUPPLY_CHAIN,
        security_severity: Some("3.0"),
        check: image_not_pinned,
    },
    Rule {
        id: "WO014",
        name: "default-namespace",
        severity: Severity::Warning,
        enabled_by_default: true,
        message: "Resource lands in the default namespace",
        description: "The default namespace mixes unrelated workloads and usually has no \
                      quotas or network policies. A namespaced built-in resource without a \
                      namespace lands wherever the applying tool defaults to, usually default.",
        fix: "set metadata.namespace to the application's namespace",
        tags: COMPLIANCE,
        security_severity: None,
        check: default_namespace,
    },
    Rule {
        id: "WO015",
        name: "plain-secret",
        severity: Severity::Error,
        enabled_by_default: true,
        message: "Secret is part of the manifests",
        description: "Manifests are committed to GitOps branches; a Secret there is readable \
                      by everyone with access to the repository (base64 is not encryption).",
        fix: "keep the secret in a secret store and mount it through a SecretProviderClass \
              (Secrets Store CSI driver) or an external-secrets resource",
        tags: &["security", "compliance"],
        security_severity: Some("7.5"),
        check: plain_secret,
    },
    Rule {
        id: "WO016",
        name: "exposed-service",
        severity: Severity::Warning,
        enabled_by_default: true,
        message: "Service is exposed outside the cluster",
        description: "NodePort and LoadBalancer services open ports on every node or on a \
                      public load balancer, bypassing the ingress and its policies.",
        fix: "use type ClusterIP behind an Ingress or Gateway, or add an exception with the \
              reason",
        tags: SECURITY,
        security_severity: Some("5.0"),
        check: exposed_service,
    },
];

/// Namespaced built-in kinds: without `metadata.namespace` these land in the applying tool's
/// default namespace, so `WO014 default-namespace` flags them.
pub const NAMESPACED_KINDS: &[&str] = &[
    "ConfigMap",
    "ControllerRevision",
    "CronJob",
    "DaemonSet",
    "Deployment",
    "EndpointSlice",
    "Endpoints",
    "HorizontalPodAutoscaler",
    "Ingress",
    "Job",
    "Lease",
    "LimitRange",
    "NetworkPolicy",
    "PersistentVolumeClaim",
    "Pod",
    "PodDisruptionBudget",
    "PodTemplate",
    "ReplicaSet",
    "ReplicationController",
    "ResourceQuota",
    "Role",
    "RoleBinding",
    "Secret",
    "Service",
    "ServiceAccount",
    "StatefulSet",
];

const DANGEROUS_CAPABILITIES: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "BPF",
    "DAC_READ_SEARCH",
];

// ---- the shape of workloads ----

/// The pod spec of a workload, with its path.
struct PodSpec<'a> {
    path: &'static str,
    spec: &'a Map,
    /// Whether the pod is meant to keep running (probes make sense).
    long_running: bool,
}

fn pod_spec(resource: &Resource) -> Option<PodSpec<'_>> {
    let (path, long_running) = match resource.id.kind.as_str() {
        "Pod" => ("spec", true),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" => {
            ("spec.template.spec", true)
        }
        "Job" => ("spec.template.spec", false),
        "CronJob" => ("spec.jobTemplate.spec.template.spec", false),
        _ => return None,
    };
    let spec = get_path(&resource.value, path)?.as_object()?;
    Some(PodSpec {
        path,
        spec,
        long_running,
    })
}

/// One container of a pod spec.
struct Container<'a> {
    /// `spec.template.spec.containers[0]`.
    path: String,
    /// `container "app"` or `init container "setup"`.
    label: String,
    value: &'a Map,
    /// In `containers` (not `initContainers`).
    main: bool,
}

impl Container<'_> {
    fn field(&self, path: &str) -> Option<&Value> {
        let mut segments = path.split('.');
        let first = self.value.get(segments.next()?)?;
        segments.try_fold(first, |v, s| v.get(s))
    }

    fn hit(&self, field: &str, what: impl fmt::Display) -> Hit {
        Hit {
            path: format!("{}.{field}", self.path),
            message: format!("{}: {what}", self.label),
        }
    }
}

fn containers<'a>(pod: &PodSpec<'a>) -> Vec<Container<'a>> {
    let mut out = Vec::new();
    for (list, main, what) in [
        ("initContainers", false, "init container"),
        ("containers", true, "container"),
    ] {
        let Some(items) = pod.spec.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let Some(value) = item.as_object() else {
                continue;
            };
            let label = match value.get("name").and_then(Value::as_str) {
                Some(name) => format!("{what} {name:?}"),
                None => format!("{what} #{i}"),
            };
            out.push(Container {
                path: format!("{}.{list}[{i}]", pod.path),
                label,
                value,
                main,
            });
        }
    }
    out
}

/// Calls `f` for each container of the resource's pod spec, if it has one.
fn each_container(
    resource: &Resource,
    hits: &mut Vec<Hit>,
    f: impl Fn(&PodSpec<'_>, &Container<'_>, &mut Vec<Hit>),
) {
    if let Some(pod) = pod_spec(resource) {
        for c in containers(&pod) {
            f(&pod, &c, hits);
        }
    }
}

// ---- the checks ----

fn privileged(resource: &Resource, hits: &mut Vec<Hit>) {
    each_container(resource, hits, |_, c, hits| {
        if c.field("securityContext.privileged") == Some(&Value::Bool(true)) {
            hits.push(c.hit(
                "securityContext.privileged",
                "runs privileged (securityContext.privileged: true)",
            ));
        }
    });
}

fn privilege_escalation(resource: &Resource, hits: &mut Vec<Hit>) {
    each_container(resource, hits, |_, c, hits| {
        let what = match c.field("securityContext.allowPrivilegeEscalation") {
            Some(Value::Bool(false)) => return,
            None | Some(Value::Null) => "allowPrivilegeEscalation is not set (defaults to true)",
            Some(_) => "allowPrivilegeEscalation is not false",
        };
        hits.push(c.hit("securityContext.allowPrivilegeEscalation", what));
    });
}

fn run_as_root(resource: &Resource, hits: &mut Vec<Hit>) {
    each_container(resource, hits, |pod, c, hits| {
        let pod_field = |name: &str| {
            pod.spec
                .get("securityContext")
                .and_then(|sc| sc.get(name))
                .filter(|v| !v.is_null())
        };
        let pod_path = |name: &str| format!("{}.securityContext.{name}", pod.path);
        let in_container = |name: &str| {
            c.field(&format!("securityContext.{name}"))
                .filter(|v| !v.is_null())
        };
        let user = match in_container("runAsUser") {
            Some(v) => Some((v, format!("{}.securityContext.runAsUser", c.path))),
            None => pod_field("runAsUser").map(|v| (v, pod_path("runAsUser"))),
        };
        if let Some((v, path)) = user {
            if v.as_i64() == Some(0) {
                hits.push(Hit {
                    path,
                    message: format!("{}: runs as root (runAsUser: 0)", c.label),
                });
                return;
            }
        }
        let non_root = match in_container("runAsNonRoot") {
            Some(v) => Some((v, format!("{}.securityContext.runAsNonRoot", c.path))),
            None => pod_field("runAsNonRoot").map(|v| (v, pod_path("runAsNonRoot"))),
        };
        match non_root {
            Some((Value::Bool(true), _)) => {}
            Some((_, path)) => hits.push(Hit {
                path,
                message: format!("{}: runAsNonRoot is not true", c.label),
            }),
            None => hits.push(c.hit(
                "securityContext.runAsNonRoot",
                "runAsNonRoot is set neither on the container nor on the pod",
            )),
        }
    });
}

fn host_namespaces(resource: &Resource, hits: &mut Vec<Hit>) {
    if let Some(pod) = pod_spec(resource) {
        for field in ["hostNetwork", "hostPID", "hostIPC"] {
            if pod.spec.get(field) == Some(&Value::Bool(true)) {
                hits.push(Hit {
                    path: format!("{}.{field}", pod.path),
                    message: format!("pod: {field} is true"),
                });
            }
        }
    }
}

fn host_path(resource: &Resource, hits: &mut Vec<Hit>) {
    let Some(pod) = pod_spec(resource) else {
        return;
    };
    let Some(volumes) = pod.spec.get("volumes").and_then(Value::as_array) else {
        return;
    };
    for (i, volume) in volumes.iter().enumerate() {
        let Some(host) = volume.get("hostPath").filter(|v| !v.is_null()) else {
            continue;
        };
        let name = match volume.get("name").and_then(Value::as_str) {
            Some(n) => format!("volume {n:?}"),
            None => format!("volume #{i}"),
        };
        let message = match host.get("path").and_then(Value::as_str) {
            Some(p) => format!("{name}: mounts the node's {p:?} (hostPath)"),
            None => format!("{name}: is a hostPath volume"),
        };
        hits.push(Hit {
            path: format!("{}.volumes[{i}].hostPath", pod.path),
            message,
        });
    }
}

/// Added capabilities, normalized (`cap_sys_admin` → `SYS_ADMIN`), with their index.
fn added_caps(c: &Container<'_>) -> Vec<(usize, String)> {
    c.field("securityContext.capabilities.add")
        .and_then(Value::as_array)
        .map(|caps| {
            caps.iter()
                .enumerate()
                .filter_map(|(i, cap)| {
                    let cap = cap.as_str()?.trim().to_ascii_uppercase();
                    let cap = cap.strip_prefix("CAP_").map(str::to_owned).unwrap_or(cap);
                    Some((i, cap))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn dangerous_capabilities(resource: &Resource, hits: &mut Vec<Hit>) {
    each_container(resource, hits, |_, c, hits| {
        for (i, cap) in added_caps(c) {
            if DANGEROUS_CAPABILITIES.contains(&cap.as_str()) {
                hits.push(c.hit(
                    &format!("securityContext.capabilities.add[{i}]"),
                    format_args!("adds capability {cap}"),
                ));
            }
        }
    });
}

fn added_capabilities(resource: &Resource, hits: &mut Vec<Hit>) {
    each_container(resource, hits, |_, c, hits| {
        for (i, cap) in added_caps(c) {
            if cap != "NET_BIND_SERVICE" && !DANGEROUS_CAPABILITIES.contains(&cap.as_str()) {
                hits.push(c.hit(
                    &format!("securityContext.capabilities.add[{i}]"),
                    format_args!("adds capability {cap}"),
                ));
            }
        }
    });
}

fn set(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !v.is_null())
}

fn missing_requests(resource: &Resource, hits: &mut Vec<Hit>) {
    each_container(resource, hits, |_, c, hits| {
        let missing: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|r| {
                !set(c.field(&format!("resources.requests.{r}")))
                    && !set(c.field(&format!("resources.limits.{r}")))
            })
            .collect();
        if !missing.is_empty() {
            hits.push(c.hit(
                "resources.requests",
                format_args!("no {} request", missing.join(" or ")),
            ));
        }
    });
}

fn missing_limits(resource: &Resource, hits: &mut Vec<Hit>) {
    each_container(resource, hits, |_, c, hits| {
        let missing: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|r| !set(c.field(&format!("resources.limits.{r}"))))
            .collect();
        if !missing.is_empty() {
            hits.push(c.hit(
                "resources.limits",
                format_args!("no {} limit", missing.join(" or ")),
            ));
        }
    });
}

fn missing_probe(resource: &Resource, hits: &mut Vec<Hit>, probe: &str) {
    each_container(resource, hits, |pod, c, hits| {
        if pod.long_running && c.main && !set(c.value.get(probe)) {
            hits.push(c.hit(probe, format_args!("no {probe}")));
        }
    });
}

fn missing_readiness_probe(resource: &Resource, hits: &mut Vec<Hit>) {
    missing_probe(resource, hits, "readinessProbe");
}

fn missing_liveness_probe(resource: &Resource, hits: &mut Vec<Hit>) {
    missing_probe(resource, hits, "livenessProbe");
}

/// An image reference split into its tag and digest (`registry:5000/a/b:1.2@sha256:…`).
struct ImageRef<'a> {
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn image_ref(image: &str) -> ImageRef<'_> {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    // A colon before the last slash belongs to a registry port, not a tag.
    let last = rest.rsplit('/').next().unwrap_or(rest);
    let tag = last.rsplit_once(':').map(|(_, t)| t);
    ImageRef { tag, digest }
}

fn is_sha256_digest(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn each_image(
    resource: &Resource,
    hits: &mut Vec<Hit>,
    f: impl Fn(&str, ImageRef<'_>) -> Option<String>,
) {
    each_container(resource, hits, |_, c, hits| {
        let Some(image) = c.value.get("image").and_then(Value::as_str) else {
            return;
        };
        let image = image.trim();
        if image.is_empty() {
            return;
        }
        if let Some(what) = f(image, image_ref(image)) {
            hits.push(c.hit("image", what));
        }
    });
}

fn mutable_image_tag(resource: &Resource, hits: &mut Vec<Hit>) {
    each_image(resource, hits, |image, r| match (r.tag, r.digest) {
        (_, Some(_)) => None,
        (None, None) => Some(format!("image {image:?} has no tag (means latest)")),
        (Some("latest"), None) => Some(format!("image {image:?} uses the tag latest")),
        (Some(_), None) => None,
    });
}

fn image_not_pinned(resource: &Resource, hits: &mut Vec<Hit>) {
    each_image(resource, hits, |image, r| {
        (!r.digest.is_some_and(is_sha256_digest))
            .then(|| format!("image {image:?} is not pinned by a sha256 digest"))
    });
}

fn default_namespace(resource: &Resource, hits: &mut Vec<Hit>) {
    let message = match resource.id.namespace.as_deref() {
        Some("default") => "metadata.namespace is \"default\"",
        None if NAMESPACED_KINDS.contains(&resource.id.kind.as_str()) => {
            "no metadata.namespace: lands in the applying tool's default namespace"
        }
        _ => return,
    };
    hits.push(Hit {
        path: "metadata.namespace".to_owned(),
        message: message.to_owned(),
    });
}

fn plain_secret(resource: &Resource, hits: &mut Vec<Hit>) {
    if resource.id.kind != "Secret" || resource.id.api_version != "v1" {
        return;
    }
    let keys = |field: &str| {
        resource
            .value
            .get(field)
            .and_then(Value::as_object)
            .map_or(0, Map::len)
    };
    let (path, message) = match (keys("data"), keys("stringData")) {
        (0, 0) => ("kind", "a Secret is part of the manifests".to_owned()),
        (n, 0) => ("data", format!("a Secret with {n} key(s) in data")),
        (_, n) => (
            "stringData",
            format!("a Secret with {n} key(s) in stringData"),
        ),
    };
    hits.push(Hit {
        path: path.to_owned(),
        message,
    });
}

fn exposed_service(resource: &Resource, hits: &mut Vec<Hit>) {
    if resource.id.kind != "Service" {
        return;
    }
    if let Some(t @ ("NodePort" | "LoadBalancer")) =
        get_path(&resource.value, "spec.type").and_then(Value::as_str)
    {
        hits.push(Hit {
            path: "spec.type".to_owned(),
            message: format!("type {t} exposes the service outside the cluster"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_unique_and_ordered() {
        let ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        assert!(Rule::find("WO001").is_some_and(|r| r.name == "privileged-container"));
        assert!(Rule::find("exposed-service").is_some_and(|r| r.id == "WO016"));
        assert!(Rule::find("WO999").is_none());
    }

    #[test]
    fn image_references_split_registry_port_tag_and_digest() {
        let r = image_ref("registry:5000/team/app");
        assert_eq!((r.tag, r.digest), (None, None));
        let r = image_ref("registry:5000/team/app:1.2");
        assert_eq!(r.tag, Some("1.2"));
        let r = image_ref("nginx:latest@sha256:abc");
        assert_eq!((r.tag, r.digest), (Some("latest"), Some("sha256:abc")));
        assert!(is_sha256_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_sha256_digest("sha256:abc"));
        assert!(!is_sha256_digest(&format!("sha512:{}", "a".repeat(64))));
    }
}
