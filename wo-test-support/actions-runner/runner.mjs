// A GitHub Actions runner for wo's tests: runs one workflow file for one event the way
// GitHub's runner would, as far as wo's generated workflows need it.
//
// The workflow is read by GitHub's own parser (@actions/workflow-parser) and every expression
// is evaluated by GitHub's own engine (@actions/expressions). `run:` steps run for real in
// bash, with GitHub's environment (GITHUB_* variables, GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
// GITHUB_STEP_SUMMARY files, workflow commands on stdout). The few `uses:` actions wo's
// workflows use are emulated (see ACTIONS below); a composite action given by path (the
// project's own action.yml) is run step by step like GitHub runs it. Any other action fails
// the step: a workflow that needs more cannot pass by accident.
//
// Usage: node --import <dir>/register.mjs <dir>/runner.mjs INPUT.json
//
// INPUT.json: { workflow: {path, content}, event: {name, payload}, github: {repository, ref,
// sha, actor, server_url, api_url, run_id, ...}, vars, secrets, env (the runner machine's
// environment), work (a fresh directory), repos ({"owner/name": bare git dir}), actions
// ({"owner/name": directory with action.yml}), cache (a directory kept between runs) }.
//
// Talking to the test: every request the runner cannot answer itself (a job's GITHUB_TOKEN, a
// GitHub App installation token, an environment's approval) is one JSON line on stdout; the
// answer is one JSON line on stdin. The last stdout line is {"result": …}. Step output goes to
// stderr, never stdout.

import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import crypto from "node:crypto";
import readline from "node:readline";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

const modules = process.env.WO_ACTIONS_MODULES;
if (!modules) throw new Error("WO_ACTIONS_MODULES must name the node_modules holding @actions/workflow-parser");
const load = (p) => import(pathToFileURL(path.join(modules, p)).href);
const wp = await load("@actions/workflow-parser/dist/index.js");
const ex = await load("@actions/expressions/dist/index.js");
const YAML = (await load("yaml/dist/index.js")).default;
const exResult = await load("@actions/expressions/dist/result.js");

// ---------------------------------------------------------------------------------------------
// The conversation with the test.

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function ask(request) {
  process.stdout.write(JSON.stringify(request) + "\n");
  const { value, done } = await lines.next();
  if (done) throw new Error(`the test did not answer ${request.call}`);
  const answer = JSON.parse(value);
  if (answer.error) throw new StepError(answer.error);
  return answer;
}
const log = (s) => process.stderr.write(s.endsWith("\n") ? s : s + "\n");

class StepError extends Error {}

// ---------------------------------------------------------------------------------------------
// Expressions.

const toData = (v) => JSON.parse(JSON.stringify(v ?? null), ex.data.reviver);

// The workspace `hashFiles` reads (GITHUB_WORKSPACE of the run).
let workspaceRoot = process.cwd();

function filesUnder(dir, prefix = "") {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) { if (e.name !== ".git") out.push(...filesUnder(path.join(dir, e.name), rel)); }
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

// GitHub's hashFiles: the SHA-256 of the SHA-256s of the files matching the patterns (paths
// relative to the workspace; `!` excludes), '' when none matches.
function hashFiles(...patterns) {
  const globs = patterns.map((p) => p.coerceString());
  const files = filesUnder(workspaceRoot).filter((f) => {
    let keep = false;
    for (const g of globs) {
      if (g.startsWith("!")) { if (glob(g.slice(1)).test(f)) keep = false; }
      else if (glob(g.replace(/^\.\//, "")).test(f)) keep = true;
    }
    return keep;
  });
  if (!files.length) return new ex.data.StringData("");
  const all = crypto.createHash("sha256");
  for (const f of files) all.update(crypto.createHash("sha256").update(fs.readFileSync(path.join(workspaceRoot, f))).digest());
  return new ex.data.StringData(all.digest("hex"));
}

function statusFunctions(status) {
  const fn = (name, value) => ({ name, minArgs: 0, maxArgs: 0, call: () => new ex.data.BooleanData(value()) });
  return new Map([
    ["success", fn("success", () => status() === "success")],
    ["failure", fn("failure", () => status() === "failure")],
    ["always", fn("always", () => true)],
    ["cancelled", fn("cancelled", () => false)],
    // The evaluator looks functions up by their lower-case name.
    ["hashfiles", { name: "hashFiles", minArgs: 1, maxArgs: 255, call: hashFiles }],
  ]);
}

function evaluate(expression, contexts, status = () => "success") {
  const lexed = new ex.Lexer(expression).lex();
  const names = Object.keys(contexts);
  const fns = statusFunctions(status);
  const parsed = new ex.Parser(lexed.tokens, names, [...fns.values()].map(({ name, minArgs, maxArgs }) => ({ name, minArgs, maxArgs }))).parse();
  const dict = new ex.data.Dictionary(...names.map((key) => ({ key, value: toData(contexts[key]) })));
  return new ex.Evaluator(parsed, dict, fns).evaluate();
}

const plain = (d) => JSON.parse(JSON.stringify(d, ex.data.replacer));

// A template token (from the workflow parser) to a plain value, its expressions evaluated.
function value(token, contexts, status) {
  if (token === undefined || token === null) return undefined;
  if (wp.isBasicExpression(token)) return plain(evaluate(token.expression, contexts, status));
  if (wp.isMapping(token)) {
    const out = {};
    for (let i = 0; i < token.count; i++) {
      const pair = token.get(i);
      out[String(value(pair.key, contexts, status))] = value(pair.value, contexts, status);
    }
    return out;
  }
  if (wp.isSequence(token)) {
    const out = [];
    for (let i = 0; i < token.count; i++) out.push(value(token.get(i), contexts, status));
    return out;
  }
  if (wp.isLiteral(token)) return token.value ?? null;
  throw new Error(`cannot evaluate a ${token.constructor.name}`);
}

const isTrue = (d) => exResult.truthy(d);
const truthy = (token, contexts, status) => isTrue(evaluate(token.expression, contexts, status));

// `${{ … }}` inside a plain string (composite actions, read without the workflow parser).
function interpolate(text, contexts, status) {
  if (typeof text !== "string") return text;
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr) => evaluate(expr.trim(), contexts, status).coerceString());
}

const asString = (v) => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

// The raw mapping token's entry `key`.
function entry(mapping, key) {
  if (!mapping || !wp.isMapping(mapping)) return undefined;
  for (let i = 0; i < mapping.count; i++) {
    const pair = mapping.get(i);
    if (pair.key.value === key) return pair.value;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Triggers: does this workflow run for this event (GitHub's filters)?

function glob(pattern) {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" && pattern[i + 1] === "*") { re += ".*"; i++; }
    else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
const matchesAny = (name, patterns) => patterns.some((p) => glob(p).test(name));
function branchFilter(name, config) {
  if (config.branches && !matchesAny(name, config.branches)) return false;
  if (config["branches-ignore"] && matchesAny(name, config["branches-ignore"])) return false;
  return true;
}

function triggered(events, event) {
  const config = events[event.name];
  if (config === undefined) return `the workflow has no \`on: ${event.name}\``;
  const p = event.payload;
  const types = (config && config.types) || null;
  switch (event.name) {
    case "push": {
      const ref = p.ref || "";
      if (ref.startsWith("refs/tags/")) {
        if (!config.tags && (config.branches || config["branches-ignore"])) return "a tag push; the workflow filters branches";
        return config.tags && !matchesAny(ref.slice(10), config.tags) ? "tag filter" : null;
      }
      if (config.tags && !config.branches) return "a branch push; the workflow filters tags";
      return branchFilter(ref.replace(/^refs\/heads\//, ""), config) ? null : `branch ${ref} filtered out`;
    }
    case "pull_request":
    case "pull_request_target": {
      const wanted = types || ["opened", "synchronize", "reopened"];
      if (!wanted.includes(p.action)) return `activity ${p.action} not in ${wanted}`;
      return branchFilter(p.pull_request.base.ref, config) ? null : `base ${p.pull_request.base.ref} filtered out`;
    }
    case "repository_dispatch":
      return types && !types.includes(p.action) ? `type ${p.action} not in ${types}` : null;
    case "workflow_run": {
      if (types && !types.includes(p.action)) return `activity ${p.action} not in ${types}`;
      if (config.workflows && !config.workflows.includes(p.workflow_run.name)) return `workflow ${p.workflow_run.name} not watched`;
      return branchFilter(p.workflow_run.head_branch || "", config) ? null : "branch filtered out";
    }
    default:
      return types && p.action && !types.includes(p.action) ? `activity ${p.action} not in ${types}` : null;
  }
}

// workflow_dispatch inputs: given ones, defaults, booleans as booleans (as GitHub's `inputs`).
function dispatchInputs(events, event) {
  const defs = (events.workflow_dispatch && events.workflow_dispatch.inputs) || {};
  const given = (event.name === "workflow_dispatch" && event.payload.inputs) || {};
  const out = {};
  for (const [name, def] of Object.entries(defs)) {
    let v = given[name] ?? def.default;
    if (v === undefined && def.required) throw new StepError(`workflow_dispatch input ${name} is required`);
    if (def.type === "choice" && v !== undefined && !def.options.includes(String(v))) {
      throw new StepError(`workflow_dispatch input ${name}: ${JSON.stringify(v)} is not one of ${def.options}`);
    }
    if (def.type === "boolean") v = v === true || v === "true";
    if (v !== undefined) out[name] = v;
  }
  for (const name of Object.keys(given)) {
    if (!(name in defs)) throw new StepError(`Unexpected inputs provided: ["${name}"]`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Permissions of a job's GITHUB_TOKEN.

const SCOPES = ["actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues", "metadata", "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses"];

function permissions(token) {
  if (token === undefined) return null;
  if (wp.isString(token)) {
    const level = { "read-all": "read", "write-all": "write" }[token.value];
    if (!level) throw new StepError(`permissions: ${token.value} is not read-all or write-all`);
    return Object.fromEntries(SCOPES.map((s) => [s, s === "id-token" && level === "read" ? "none" : level]));
  }
  const out = {};
  for (let i = 0; i < token.count; i++) {
    const pair = token.get(i);
    out[pair.key.value] = pair.value.value;
  }
  // Any permission given leaves metadata readable (GitHub always grants it).
  if (!out.metadata) out.metadata = "read";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running steps.

function writeOutput(file) {
  fs.writeFileSync(file, "");
  return file;
}

// GITHUB_OUTPUT / GITHUB_ENV files: `name=value` and `name<<DELIM` … `DELIM`.
function readKeyValues(file) {
  const out = {};
  if (!fs.existsSync(file)) return out;
  const lines = fs.readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) body.push(lines[i++]);
      if (i >= lines.length) throw new StepError(`Matching delimiter not found '${delimiter}'`);
      out[name] = body.join("\n");
    } else {
      const eq = line.indexOf("=");
      if (eq < 0) throw new StepError(`Invalid format '${line}'`);
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

// Workflow commands a step printed (`::error file=…::message`), as GitHub reads them.
function workflowCommands(stdout) {
  const out = [];
  let stopToken = null;
  for (const line of stdout.split("\n")) {
    const m = /^::([a-zA-Z-]+)(?: ([^:]*))?::(.*)$/.exec(line.replace(/\r$/, ""));
    if (!m) continue;
    const [, command, props, message] = m;
    if (stopToken !== null) {
      if (command === stopToken) stopToken = null;
      continue;
    }
    if (command === "stop-commands") { stopToken = message; continue; }
    out.push({ command, properties: props || "", message });
  }
  return out;
}

class Job {
  constructor(run, id, contexts, token) {
    this.run = run;
    this.id = id;
    this.contexts = contexts;
    this.token = token;
    this.status = "success";
    this.steps = {};
    this.stepResults = [];
    this.env = { ...contexts.env };
    this.path = [];
    this.posts = [];
    this.commands = [];
    this.masks = [];
    this.dir = path.join(run.input.work, `job-${id}`);
    fs.mkdirSync(this.dir, { recursive: true });
  }

  ctx() {
    return { ...this.contexts, env: this.env, steps: this.steps, job: { status: this.status } };
  }

  // Runs `script` in bash as a `run:` step; returns outputs.
  shell(stepId, script, env, workingDirectory, shell) {
    const n = this.stepResults.length + 1;
    const files = {
      GITHUB_OUTPUT: writeOutput(path.join(this.dir, `output-${n}`)),
      GITHUB_ENV: writeOutput(path.join(this.dir, `env-${n}`)),
      GITHUB_PATH: writeOutput(path.join(this.dir, `path-${n}`)),
      GITHUB_STEP_SUMMARY: path.join(this.dir, `summary-${n}.md`),
    };
    const scriptFile = path.join(this.dir, `step-${n}.sh`);
    fs.writeFileSync(scriptFile, script);
    const [cmd, ...args] = (shell === "bash"
      ? ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"]
      : ["bash", "-e", "{0}"]).map((a) => (a === "{0}" ? scriptFile : a));
    const base = this.run.input.env;
    const pathVar = [...this.path.slice().reverse(), base.PATH || "/usr/bin:/bin"].join(":");
    const procEnv = { ...base, ...this.run.githubEnv(this), ...this.env, ...env, ...files, PATH: pathVar };
    const result = spawnSync(cmd, args, {
      cwd: workingDirectory || this.run.workspace,
      env: procEnv,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    const stdout = result.stdout || "";
    log(`--- ${this.id}/${stepId} stdout\n${stdout}--- stderr\n${result.stderr || ""}`);
    this.commands.push(...workflowCommands(stdout).map((c) => ({ step: stepId, ...c })));
    Object.assign(this.env, readKeyValues(files.GITHUB_ENV));
    for (const p of fs.readFileSync(files.GITHUB_PATH, "utf8").split("\n")) if (p) this.path.push(p);
    if (fs.existsSync(files.GITHUB_STEP_SUMMARY)) {
      this.run.summaries.push({ job: this.id, step: stepId, markdown: fs.readFileSync(files.GITHUB_STEP_SUMMARY, "utf8") });
    }
    const outputs = readKeyValues(files.GITHUB_OUTPUT);
    if (result.error) throw new StepError(`${cmd}: ${result.error.message}`);
    if (result.status !== 0) {
      const err = new StepError(`Process completed with exit code ${result.status}.`);
      err.outputs = outputs;
      err.stdout = stdout;
      err.stderr = result.stderr;
      throw err;
    }
    return { outputs, stdout, stderr: result.stderr || "" };
  }

  async step(stepId, name, ifToken, ifText, continueOnError, body) {
    const ctx = this.ctx();
    const run = ifToken ? truthy(ifToken, ctx, () => this.status) : ifText ? isTrue(evaluate(ifText, ctx, () => this.status)) : this.status === "success";
    if (!run) {
      this.steps[stepId] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
      this.stepResults.push({ id: stepId, name, outcome: "skipped" });
      return;
    }
    let outcome = "success";
    let outputs = {};
    let error;
    let stderr;
    try {
      outputs = (await body()) || {};
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      outcome = "failure";
      outputs = e.outputs || {};
      error = e.message;
      // The end of what a failed step printed, as a reader of the job's log sees it.
      stderr = e.stderr ? e.stderr.slice(-4000) : undefined;
      log(`step ${this.id}/${stepId} failed: ${e.message}`);
    }
    const conclusion = outcome === "failure" && continueOnError ? "success" : outcome;
    if (conclusion === "failure") this.status = "failure";
    this.steps[stepId] = { outputs, outcome, conclusion };
    this.stepResults.push({ id: stepId, name, outcome, conclusion, error, stderr });
  }
}

// ---------------------------------------------------------------------------------------------
// Emulated actions: `uses:` → what the action does that a workflow relies on.

const ACTIONS = {
  // Clones the repository (from the test's bare repositories) at the event's commit; checks
  // that the token may read it, as the real action's fetch would.
  "actions/checkout": async (job, w) => {
    const repository = w.repository || job.run.input.github.repository;
    const bare = job.run.input.repos[repository];
    if (!bare) throw new StepError(`checkout: repository ${repository} does not exist here`);
    const token = w.token || job.token;
    await canRead(job, repository, token);
    const dir = path.resolve(job.run.workspace, w.path || "");
    const ref = w.ref || (repository === job.run.input.github.repository ? job.run.input.github.sha : "");
    fs.mkdirSync(dir, { recursive: true });
    git(["clone", "-q", bare, dir]);
    if (ref) git(["-C", dir, "checkout", "-q", ref]);
    return {};
  },
  // A cache kept in the test's cache directory between runs, keyed by `key`.
  "actions/cache": async (job, w) => {
    const entry = path.join(job.run.input.cache, crypto.createHash("sha256").update(w.key).digest("hex"));
    const paths = String(w.path).split("\n").filter(Boolean).map((p) => p.replace(/^~/, job.run.home));
    if (fs.existsSync(entry)) {
      for (const p of paths) {
        const saved = path.join(entry, Buffer.from(p).toString("hex"));
        if (fs.existsSync(saved)) {
          fs.mkdirSync(path.dirname(p), { recursive: true });
          fs.cpSync(saved, p, { recursive: true });
        }
      }
      return { "cache-hit": "true" };
    }
    job.posts.push(() => {
      if (job.status !== "success") return;
      for (const p of paths) {
        if (fs.existsSync(p)) fs.cpSync(p, path.join(entry, Buffer.from(p).toString("hex")), { recursive: true });
      }
    });
    return { "cache-hit": "false" };
  },
  // An installation token of the GitHub App, from the test (as GitHub mints one for the App).
  "actions/create-github-app-token": async (job, w) => {
    const appId = w["app-id"] || w["client-id"];
    if (!appId) throw new StepError("[@octokit/auth-app] appId option is required");
    if (!w["private-key"]) throw new StepError("[@octokit/auth-app] privateKey option is required");
    const owner = w.owner || job.run.input.github.repository_owner;
    const repositories = String(w.repositories || "").split(/[\s,]+/).filter(Boolean);
    const perms = {};
    for (const [k, v] of Object.entries(w)) if (k.startsWith("permission-")) perms[k.slice(11)] = v;
    const answer = await ask({ call: "app_token", owner, repositories, permissions: perms, app_id: String(appId) });
    job.masks.push(answer.token);
    return { token: answer.token, "installation-id": String(answer.installation_id || 1), "app-slug": answer.app_slug || "wo" };
  },
  // OIDC login to Azure: needs `id-token: write` and the three ids; wo authenticates itself
  // (the job's OIDC token), so nothing else is left behind.
  "azure/login": async (job, w) => {
    if (!job.idToken) throw new StepError("Failed to fetch federated token from GitHub. Please make sure to give write permissions to id-token in the workflow.");
    for (const k of ["client-id", "tenant-id", "subscription-id"]) if (!w[k]) throw new StepError(`Using OIDC authentication: ${k} is empty`);
    return {};
  },
  // Uploads a SARIF file as a code scanning analysis (to the test).
  "github/codeql-action/upload-sarif": async (job, w) => {
    const file = path.resolve(job.run.workspace, w.sarif_file || "../results");
    const sarif = JSON.parse(fs.readFileSync(file, "utf8"));
    if (sarif.version !== "2.1.0") throw new StepError(`${file}: not SARIF 2.1.0`);
    await ask({ call: "sarif", repository: job.run.input.github.repository, sha: job.run.input.github.sha, ref: job.run.input.github.ref, category: w.category || null, sarif });
    return {};
  },
};

function git(args) {
  const r = spawnSync("git", args, { encoding: "utf8" });
  if (r.status !== 0) throw new StepError(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function canRead(job, repository, token) {
  const url = `${job.run.input.github.api_url}/repos/${repository}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" } });
  if (!res.ok) throw new StepError(`checkout: ${repository}: HTTP ${res.status} (${(await res.text()).slice(0, 200)}) — Repository not found, or the token cannot read it`);
}

// A composite action from a directory (action.yml), run step by step.
async function composite(job, local, ref, w, stepId) {
  // `local`: the action's directory, or {dir, inputs}: `inputs` replace the defaults of the
  // action's inputs the workflow does not set (the test's network: downloads from loopback).
  const dir = typeof local === "string" ? local : local.dir;
  const overrides = (typeof local === "object" && local.inputs) || {};
  const meta = YAML.parse(fs.readFileSync(path.join(dir, "action.yml"), "utf8"));
  if (!meta.runs || meta.runs.using !== "composite") throw new StepError(`${dir}/action.yml: not a composite action`);
  const inputs = {};
  for (const [name, def] of Object.entries(meta.inputs || {})) {
    const given = w[name];
    if (given !== undefined && given !== "") inputs[name] = String(given);
    else if (overrides[name] !== undefined) inputs[name] = String(overrides[name]);
    else if (def.default !== undefined) inputs[name] = interpolate(String(def.default), job.ctx());
    else if (def.required) throw new StepError(`Input required and not supplied: ${name}`);
    else inputs[name] = "";
  }
  for (const name of Object.keys(w)) if (!(name in (meta.inputs || {}))) log(`warning: unexpected input ${name}`);
  const steps = {};
  let failed = false;
  for (const [i, s] of meta.runs.steps.entries()) {
    const id = s.id || `__${i}`;
    const ctx = { ...job.ctx(), inputs, steps, github: { ...job.contexts.github, action_path: dir, action_ref: ref } };
    const ok = s.if ? isTrue(evaluate(String(s.if).trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1"), ctx, () => (failed ? "failure" : "success"))) : !failed;
    if (!ok) { steps[id] = { outputs: {}, outcome: "skipped", conclusion: "skipped" }; continue; }
    const env = Object.fromEntries(Object.entries(s.env || {}).map(([k, v]) => [k, interpolate(String(v), ctx)]));
    try {
      let outputs = {};
      if (s.run !== undefined) {
        if (!s.shell) throw new StepError(`${dir}/action.yml step ${id}: composite run steps need shell:`);
        const r = job.shell(`${stepId}/${id}`, interpolate(s.run, ctx), { ...env, GITHUB_ACTION_PATH: dir, GITHUB_ACTION_REF: ref }, s["working-directory"], s.shell);
        outputs = r.outputs;
      } else if (s.uses) {
        const withs = Object.fromEntries(Object.entries(s.with || {}).map(([k, v]) => [k, interpolate(String(v), ctx)]));
        outputs = await uses(job, s.uses, withs, `${stepId}/${id}`);
      }
      steps[id] = { outputs, outcome: "success", conclusion: "success" };
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      steps[id] = { outputs: e.outputs || {}, outcome: "failure", conclusion: "failure" };
      failed = true;
      job.compositeError = e.message;
    }
  }
  if (failed) throw new StepError(job.compositeError || "composite action failed");
  const outputs = {};
  for (const [name, def] of Object.entries(meta.outputs || {})) outputs[name] = interpolate(String(def.value), { ...job.ctx(), inputs, steps });
  return outputs;
}

async function uses(job, ref, withs, stepId) {
  const [name, version] = ref.split("@");
  const local = job.run.input.actions || {};
  if (local[name]) return composite(job, local[name], version || "", withs, stepId);
  const emulated = Object.keys(ACTIONS).find((a) => name === a);
  if (!emulated) throw new StepError(`the test runner does not emulate ${ref}`);
  return ACTIONS[emulated](job, withs);
}

// ---------------------------------------------------------------------------------------------
// The run.

class Run {
  constructor(input) {
    this.input = input;
    this.summaries = [];
    this.workspace = path.join(input.work, "workspace");
    this.home = path.join(input.work, "home");
    this.temp = path.join(input.work, "temp");
    for (const d of [this.workspace, this.home, this.temp]) fs.mkdirSync(d, { recursive: true });
    workspaceRoot = this.workspace;
  }

  githubEnv(job) {
    const g = this.input.github;
    const env = {
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_WORKFLOW: this.workflowName,
      GITHUB_WORKFLOW_REF: `${g.repository}/${this.input.workflow.path}@${g.ref}`,
      GITHUB_RUN_ID: String(g.run_id),
      GITHUB_RUN_NUMBER: String(g.run_number || g.run_id),
      GITHUB_RUN_ATTEMPT: "1",
      GITHUB_JOB: job.id,
      GITHUB_ACTOR: g.actor,
      GITHUB_TRIGGERING_ACTOR: g.actor,
      GITHUB_REPOSITORY: g.repository,
      GITHUB_REPOSITORY_OWNER: g.repository_owner,
      GITHUB_EVENT_NAME: this.input.event.name,
      GITHUB_EVENT_PATH: this.eventPath,
      GITHUB_SHA: g.sha,
      GITHUB_REF: g.ref,
      GITHUB_REF_NAME: g.ref.replace(/^refs\/(heads|tags)\//, ""),
      GITHUB_SERVER_URL: g.server_url,
      GITHUB_API_URL: g.api_url,
      GITHUB_WORKSPACE: this.workspace,
      HOME: this.home,
      RUNNER_OS: "Linux",
      RUNNER_ARCH: "X64",
      RUNNER_TEMP: this.temp,
      RUNNER_TOOL_CACHE: path.join(this.input.work, "toolcache"),
    };
    if (job.idToken) {
      env.ACTIONS_ID_TOKEN_REQUEST_URL = job.idToken.url;
      env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = job.idToken.token;
    }
    return env;
  }

  async main() {
    const { workflow, event } = this.input;
    const parsed = wp.parseWorkflow({ name: workflow.path, content: workflow.content }, new wp.NoOperationTraceWriter());
    const errors = parsed.context.errors.getErrors().map((e) => e.message);
    if (errors.length) return { triggered: false, conclusion: "failure", parse_errors: errors };
    const template = await wp.convertWorkflowTemplate(parsed.context, parsed.value);
    if (template.errors && template.errors.length) return { triggered: false, conclusion: "failure", parse_errors: template.errors.map((e) => e.Message) };
    const notTriggered = triggered(template.events, event);
    if (notTriggered) return { triggered: false, reason: notTriggered };
    const root = parsed.value;
    this.workflowName = entry(root, "name") ? entry(root, "name").value : workflow.path;
    this.eventPath = path.join(this.input.work, "event.json");
    fs.writeFileSync(this.eventPath, JSON.stringify(event.payload));
    const rawJobs = entry(root, "jobs");
    const workflowPermissions = permissions(entry(root, "permissions"));
    let inputs;
    try { inputs = dispatchInputs(template.events, event); } catch (e) { return { triggered: true, conclusion: "failure", error: e.message, jobs: {} }; }
    const github = { ...this.input.github, event: event.payload, event_name: event.name, workflow: this.workflowName, workspace: this.workspace };
    const base = { github, inputs, vars: this.input.vars || {}, secrets: this.input.secrets || {}, runner: { os: "Linux", arch: "X64", temp: this.temp, tool_cache: path.join(this.input.work, "toolcache") } };
    const workflowEnv = value(template.env, { ...base, env: {} }) || {};
    const results = {};
    const pending = [...template.jobs];
    while (pending.length) {
      const i = pending.findIndex((j) => (j.needs || []).every((n) => results[n.value]));
      if (i < 0) throw new Error("jobs with unmet needs");
      const spec = pending.splice(i, 1)[0];
      results[spec.id.value] = await this.job(spec, entry(rawJobs, spec.id.value), base, workflowEnv, workflowPermissions, results);
    }
    const failed = Object.values(results).some((r) => r.result === "failure");
    return { triggered: true, name: this.workflowName, conclusion: failed ? "failure" : "success", jobs: results, summaries: this.summaries };
  }

  async job(spec, raw, base, workflowEnv, workflowPermissions, results) {
    const id = spec.id.value;
    if (spec.type !== "job") return { result: "failure", error: "reusable workflows are not emulated" };
    if (entry(raw, "strategy")) return { result: "failure", error: "matrix jobs are not emulated" };
    const needs = Object.fromEntries((spec.needs || []).map((n) => [n.value, { result: results[n.value].result, outputs: results[n.value].outputs || {} }]));
    const needsStatus = () => (Object.values(needs).some((n) => n.result === "failure") ? "failure" : Object.values(needs).some((n) => n.result === "skipped") ? "skipped" : "success");
    const jobCtx = { ...base, needs };
    if (!truthy(spec.if, jobCtx, needsStatus)) return { result: "skipped", outputs: {} };
    const environment = spec.environment ? value(spec.environment, jobCtx) : undefined;
    const environmentName = environment && typeof environment === "object" ? environment.name : environment;
    let vars = base.vars;
    if (environmentName) {
      const answer = await ask({ call: "environment", repository: this.input.github.repository, environment: environmentName, sha: this.input.github.sha, ref: this.input.github.ref });
      if (!answer.approved) return { result: "failure", environment: environmentName, error: answer.reason || `environment ${environmentName} rejected the deployment` };
      vars = { ...vars, ...(answer.vars || {}) };
    }
    const perms = permissions(entry(raw, "permissions")) || workflowPermissions || { contents: "read", metadata: "read", packages: "read" };
    const tokenAnswer = await ask({ call: "github_token", repository: this.input.github.repository, permissions: perms, job: id, environment: environmentName || null, ref: this.input.github.ref, event_name: this.input.event.name, workflow: this.input.workflow.path });
    const github = { ...base.github, token: tokenAnswer.token, job: id };
    const contexts = { ...jobCtx, github, vars, env: {} };
    const jobEnv = { ...workflowEnv, ...(value(spec.env, contexts) || {}) };
    const job = new Job(this, id, { ...contexts, env: jobEnv }, tokenAnswer.token);
    job.masks.push(tokenAnswer.token);
    if (perms["id-token"] === "write") job.idToken = { url: tokenAnswer.id_token_url || "", token: tokenAnswer.id_token_request_token || "" };
    const rawSteps = entry(raw, "steps");
    for (const [i, step] of spec.steps.entries()) {
      const rawStep = rawSteps.get(i);
      const name = step.name ? value(step.name, job.ctx()) : step.id;
      const continueOnError = step["continue-on-error"] === true;
      await job.step(step.id, name, step.if, null, continueOnError, async () => {
        const ctx = job.ctx();
        const env = Object.fromEntries(Object.entries(value(step.env, ctx) || {}).map(([k, v]) => [k, asString(v)]));
        if (step.run !== undefined) {
          const script = asString(value(step.run, ctx));
          const wd = value(entry(rawStep, "working-directory"), ctx);
          const shell = value(entry(rawStep, "shell"), ctx);
          return job.shell(step.id, script, env, wd ? path.resolve(this.workspace, wd) : undefined, shell).outputs;
        }
        const withs = Object.fromEntries(Object.entries(value(entry(rawStep, "with"), ctx) || {}).map(([k, v]) => [k, asString(v)]));
        return uses(job, step.uses.value, withs, step.id);
      });
    }
    for (const post of job.posts.reverse()) post();
    const outputs = spec.outputs ? Object.fromEntries(Object.entries(value(spec.outputs, job.ctx()) || {}).map(([k, v]) => [k, asString(v)])) : {};
    // Masked values never leave the runner (as GitHub masks them in logs).
    const mask = (s) => job.masks.filter(Boolean).reduce((acc, m) => acc.split(m).join("***"), s);
    return {
      result: job.status,
      environment: environmentName,
      permissions: perms,
      outputs,
      steps: job.stepResults.map((r) => (r.stderr ? { ...r, stderr: mask(r.stderr) } : r)),
      commands: job.commands.map((c) => ({ ...c, message: mask(c.message) })),
    };
  }
}

const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
let result;
try {
  result = await new Run(input).main();
} catch (e) {
  result = { triggered: true, conclusion: "failure", error: String(e && e.stack || e) };
}
process.stdout.write(JSON.stringify({ result }) + "\n");
process.exit(0);
