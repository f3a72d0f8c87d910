// Validates rendered Kubernetes manifests (YAML on stdin) against the Kubernetes and
// prometheus-operator schemas of the npm packages kubernetes-models and
// @kubernetes-models/prometheus-operator. Prints one line per object; exits 1 on any error.
// Run it from a directory whose node_modules holds those packages and js-yaml.
import fs from "fs";
import * as yaml from "js-yaml";

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const path = group === "monitoring.coreos.com"
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
      : group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
  return (await import(path))[kind];
}

let failed = 0, count = 0;
for (const doc of yaml.loadAll(fs.readFileSync(0, "utf8"))) {
  if (!doc) continue;
  count++;
  const name = `${doc.kind}/${doc.metadata && doc.metadata.name}`;
  try {
    const Model = await modelFor(doc.apiVersion, doc.kind);
    new Model(doc).validate();
    console.log(`valid   ${doc.apiVersion} ${name}`);
  } catch (e) {
    failed++;
    console.log(`INVALID ${doc.apiVersion} ${name}: ${e.message.split("\n").slice(0, 5).join(" ")}`);
  }
}
console.log(`${count} objects, ${failed} invalid`);
process.exit(failed || count === 0 ? 1 : 0);
