// The parser's ECMAScript build imports its JSON schemas without `with { type: "json" }`
// (bundlers accept that; Node 20 refuses it): this load hook adds the attribute.
export async function load(url, context, nextLoad) {
  if (url.endsWith(".json")) {
    return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: "json" } });
  }
  return nextLoad(url, context);
}
