// `node --import register.mjs runner.mjs …`: registers json-hooks.mjs before the runner loads.
import { register } from "node:module";
register("./json-hooks.mjs", import.meta.url);
